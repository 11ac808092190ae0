"""`gapwatch cycle …`: open a reporting cycle, see what is missing, close it (freezing the reports), approve."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from gapwatch.cli._common import ByOption, DbOption, cli_actor, console
from gapwatch.cli._disposing import command_engine
from gapwatch.errors import InvalidInput, Problem

if TYPE_CHECKING:
    from gapwatch.services.cycles import CycleStatus

__all__ = ["app"]

app = typer.Typer(
    help="Run the twice-yearly reporting cycle: open, status, close, comment, approve.", no_args_is_help=True
)

_FORMATS = ("text", "json")


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{option} must be a date like 2011-12-31", problems=[Problem(f"cannot read '{value}'", field=option)]
        ) from None


def _show(status: CycleStatus, fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(asdict(status), default=str, indent=1))
        return
    console.print(
        f"[bold]{status.name}[/] — {status.status}; data cut-off {status.data_cutoff}, action updates due "
        f"{status.action_deadline}; {len(status.boards)} board(s) in scope"
    )
    if status.status == "open":
        console.print(f"Actions with no update this cycle: {len(status.missing_updates)}")
        if status.missing_updates:
            table = Table("Action", "Lead officer", "Last update", show_lines=False)
            for m in status.missing_updates[:25]:
                table.add_row(
                    f"{m.number} {m.text[:70]}",
                    m.lead_officer or "—",
                    f"{m.last_update:%Y-%m-%d}" if m.last_update else "never",
                )
            console.print(table)
            if len(status.missing_updates) > 25:
                console.print(f"… and {len(status.missing_updates) - 25} more")
        console.print(f"Indicators with no recent enough value: {len(status.stale)}")
        for s in status.stale[:25]:
            console.print(f"  - {s.code} {s.title[:70]} (latest: {s.latest_period or 'none'})", markup=False)
        if len(status.stale) > 25:
            console.print(f"  … and {len(status.stale) - 25} more")
        if status.awaiting_commentary:
            console.print(f"Commentary awaited: {len(status.awaiting_commentary)}")
            for w in status.awaiting_commentary:
                console.print(f"  - #{w.id} {w.subject}: awaiting commentary from {w.owner}", markup=False)
    else:
        console.print(f"Closed {status.closed_at:%Y-%m-%d %H:%M}; reports frozen for: {', '.join(status.boards)}")
        for board, decision in sorted(status.approvals.items()):
            console.print(f"  {board}: {decision}")
        if status.published:
            console.print(f"Published: {', '.join(sorted(status.published))}")


def _check_format(fmt: str) -> None:
    if fmt not in _FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(_FORMATS)}")


@app.command("open")
def open_(
    name: str = typer.Argument(..., help="The cycle's name, e.g. '2011 H2'."),
    cutoff: str = typer.Option(..., "--cutoff", help="Data cut-off date (YYYY-MM-DD)."),
    action_deadline: str = typer.Option(..., "--action-deadline", help="Deadline for action updates (YYYY-MM-DD)."),
    board: list[str] = typer.Option([], "--board", help="A board in scope (id or name); repeat. Default: all."),
    by: str | None = ByOption,
    fmt: str = typer.Option("text", "--format", help="text or json."),
    db: Path | None = DbOption,
) -> None:
    """Open a cycle and list missing action updates and stale indicators."""
    from gapwatch.services import cycles as service

    _check_format(fmt)
    with command_engine(db) as engine:
        status = service.open_cycle(
            engine,
            name,
            data_cutoff=_date(cutoff, "--cutoff"),
            action_deadline=_date(action_deadline, "--action-deadline"),
            boards=board or None,
            by=cli_actor(by),
        )
    _show(status, fmt)


@app.command()
def status(
    name: str | None = typer.Argument(None, help="The cycle (default: the latest)."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    db: Path | None = DbOption,
) -> None:
    """Show a cycle: scope, missing updates, stale indicators, approvals, publications."""
    from gapwatch.services import cycles as service

    _check_format(fmt)
    with command_engine(db) as engine:
        _show(service.cycle_status(engine, name), fmt)


@app.command()
def close(
    name: str | None = typer.Argument(None, help="The cycle (default: the latest)."),
    by: str | None = ByOption,
    papers: bool = typer.Option(
        False, "--papers", help="Also render every board's PDF paper now and store it (later downloads are instant)."
    ),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    db: Path | None = DbOption,
) -> None:
    """Close a cycle: compute and freeze every board's report (closing twice is refused)."""
    from gapwatch.services import cycles as service

    _check_format(fmt)
    with command_engine(db) as engine:
        status = service.close_cycle(engine, name, by=cli_actor(by))
        if papers:
            from gapwatch.reports.frozen import paper  # noqa: PLC0415

            for board in status.boards:
                paper(engine, board, status.name, "pdf")
    if fmt == "text":
        console.print(
            f"[green]✓[/] Closed {status.name}: {len(status.boards)} report(s) frozen"
            + (f", {len(status.boards)} PDF paper(s) stored" if papers else "")
        )
    _show(status, fmt)


@app.command()
def comment(
    subject: str = typer.Argument(..., help="indicator:ID, outcome:ID, kpq:ID or report:BOARD_ID."),
    text: str = typer.Argument(..., help="The commentary."),
    cycle: str | None = typer.Option(None, "--cycle", help="The cycle (default: the latest)."),
    author: str = typer.Option(..., "--author", help="Who wrote it."),
    db: Path | None = DbOption,
) -> None:
    """Add performance officer commentary to an open cycle (approve it with `cycle commentary-decide`)."""
    from gapwatch.services import approvals

    kind, _, ident = subject.partition(":")
    with command_engine(db) as engine:
        entry = approvals.add_commentary(engine, cycle, kind, ident, text, by=cli_actor(author))
    console.print(f"[green]✓[/] Commentary {entry} saved (draft)")


@app.command("commentary-decide")
def commentary_decide(
    commentary_id: int = typer.Argument(..., help="The commentary's number."),
    decision: str = typer.Argument(..., help="approved or rejected."),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Approve or reject a piece of commentary while the cycle is open."""
    from gapwatch.services import approvals

    with command_engine(db) as engine:
        approvals.decide_commentary(engine, commentary_id, decision, by=cli_actor(by))
    console.print(f"[green]✓[/] Commentary {commentary_id}: {decision}")


@app.command("commentary-request")
def commentary_request(
    subject: str = typer.Argument(..., help="The exception: indicator:ID, action:ID, risk:ID (or outcome/kpq/report)."),
    owner: str = typer.Option(..., "--owner", help="Who is asked to write it (their username)."),
    cycle: str | None = typer.Option(None, "--cycle", help="The cycle (default: the latest)."),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Ask a named owner for the story behind the curve on an exception (performance officers)."""
    from gapwatch.services import comments

    with command_engine(db) as engine:
        number = comments.request_commentary(engine, cycle, subject, owner, by=cli_actor(by))
    console.print(f"[green]✓[/] Commentary request {number}: {owner} asked for commentary on {subject}")


@app.command("commentary-write")
def commentary_write(
    commentary_id: int = typer.Argument(..., help="The request's number."),
    story: str = typer.Option(..., "--story", help="What is happening and why."),
    partners: str = typer.Option("", "--partners", help="Partners with a role to play."),
    what_works: str = typer.Option("", "--what-works", help="What works (evidence of what would turn the curve)."),
    proposal: str = typer.Option("", "--proposal", help="What we propose to do."),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Write the commentary you were asked for, in the structured form (it then awaits the chair's approval)."""
    from gapwatch.services import comments

    parts = {"story": story, "partners": partners, "what_works": what_works, "proposal": proposal}
    with command_engine(db) as engine:
        comments.write_commentary(engine, commentary_id, parts, by=cli_actor(by))
    console.print(f"[green]✓[/] Commentary {commentary_id} written; it awaits the chair's approval")


@app.command("commentary-approve")
def commentary_approve(
    commentary_id: int = typer.Argument(..., help="The commentary's number."),
    board: str = typer.Option(..., "--board", help="The board whose chair (or delegate) you are."),
    user: str = typer.Option(..., "--user", help="The approving account: the chair's, or a delegate's."),
    reject: bool = typer.Option(False, "--reject", help="Reject instead of approve."),
    db: Path | None = DbOption,
) -> None:
    """The chair (or a delegate) approves or rejects written commentary before the cycle closes."""
    from gapwatch.services import comments

    with command_engine(db) as engine:
        comments.decide_story(engine, commentary_id, board, by=user, approve=not reject)
    console.print(f"[green]✓[/] Commentary {commentary_id}: {'rejected' if reject else 'approved'}")


@app.command()
def delegate(
    board: str = typer.Option(..., "--board", help="The board (id or name)."),
    user: str = typer.Option(..., "--user", help="The account allowed to approve on the chair's behalf."),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Let someone approve a board's reports on its chair's behalf."""
    from gapwatch.services import approvals

    with command_engine(db) as engine:
        approvals.delegate_approval(engine, board, user, by=cli_actor(by))
    console.print(f"[green]✓[/] {user} may approve reports of {board}")


@app.command()
def approve(
    board: str = typer.Option(..., "--board", help="The board (id or name)."),
    user: str = typer.Option(..., "--user", help="The approving account: the chair's, or a delegate's."),
    cycle: str | None = typer.Option(None, "--cycle", help="The cycle (default: the latest)."),
    reject: bool = typer.Option(False, "--reject", help="Reject instead of approve."),
    note: str | None = typer.Option(None, "--note", help="A note with the decision."),
    db: Path | None = DbOption,
) -> None:
    """Record the chair's (or a delegate's) approval of a board's frozen report."""
    from gapwatch.services import approvals

    with command_engine(db) as engine:
        info = approvals.approve_report(engine, cycle, board, by=user, approve=not reject, note=note)
    console.print(f"[green]✓[/] {board}: {info.status} by {info.approved_by}")
