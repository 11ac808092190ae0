"""`gapwatch consultation`: consultations' results with intervals, response imports, coding review, codebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from gapwatch.cli._common import ByOption, DbOption, cli_actor, console, engine_for, write_output
from gapwatch.cli._disposing import command_engine
from gapwatch.cli._show import FormatOption, emit

__all__ = ["app"]

app = typer.Typer(
    help="Consultations: results with intervals, import responses, review the coding of free text, the codebook.",
    no_args_is_help=True,
)


def _pct(r: dict[str, Any]) -> str:
    if r["percent"] is None:
        return "—"
    ci = f" ({r['lower']:.1f} to {r['upper']:.1f})" if r["lower"] is not None else f" ({r['reason']})"
    return f"{r['percent']:.1f}%{ci}"


@app.command("list")
def list_command(fmt: str = FormatOption, db: Path | None = DbOption) -> None:
    """Every consultation: id, name, dates and responses."""
    from gapwatch.queries.consultations import consultation_list

    with command_engine(db) as engine:
        doc = consultation_list(engine)

    def text(rows: list[dict[str, Any]]) -> list[str]:
        if not rows:
            return ["The framework has no consultations."]
        return [f"{r['id']:<28} {r['name']} ({r['opened']} to {r['closed']}, {r['responses']} responses)" for r in rows]

    write_output(emit(doc, fmt, text), None)


@app.command()
def show(
    consultation: str = typer.Argument(..., help="Consultation id."),
    fmt: str = FormatOption,
    db: Path | None = DbOption,
) -> None:
    """A consultation's figures with 95% Wilson intervals (published, and from imported responses by respondent
    type), its themes with examples and its evidence for KPQs."""
    from gapwatch.queries.consultations import consultation_doc

    with command_engine(db) as engine:
        doc = consultation_doc(engine, consultation)

    def text(d: dict[str, Any]) -> list[str]:
        lines = [f"{d['name']} ({d['id']}): {d['responses']} responses, {d['opened']} to {d['closed']}"]
        lines.append("Published figures (percent, 95% Wilson interval):")
        for r in d["published"]:
            who = "" if r["respondent_type"] is None else f" [{r['respondent_label']}]"
            lines.append(f"  {r['question']}: {r['option_label'] or r['option']}{who}: {_pct(r)} of {r['base']}")
        if d["from_responses"]:
            flag = " (illustrative)" if d["illustrative_responses"] else ""
            lines.append(f"From {d['imported_responses']} imported responses{flag}:")
            for r in d["from_responses"]:
                lines.append(
                    f"  {r['question']}: {r['option']} [{r['respondent_label']}]: "
                    f"{r['count']:.0f}/{r['base']} {_pct(r)}"
                )
        for t in d["themes"]:
            lines.append(f"  theme {t['label']}: {t['count']} of {t['base']} answers")
        for e in d["evidence"]:
            lines.append(f"Evidence for {e['kpq']}: {e['finding']}")
        lines += d["notes"]
        return lines

    write_output(emit(doc, fmt, text), None)


@app.command("import")
def import_command(
    consultation: str = typer.Argument(..., help="Consultation id."),
    file: Path = typer.Argument(
        ..., help="CSV: response_id, respondent_type, one column per question id (or, with --summary, the counts)."
    ),
    illustrative: bool = typer.Option(False, "--illustrative", help="The file is generated, not real responses."),
    summary: bool = typer.Option(
        False,
        "--summary",
        help="The file is the published summary: one row per figure (question, option, respondent_type, count,"
        " base); it replaces the consultation's published figures.",
    ),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Import a response file, or with --summary the published summary counts (checked whole; nothing is written
    when any row is wrong); free text is coded by the codebook."""
    from gapwatch.services.consultations import import_responses, import_summary

    if summary:
        n = import_summary(engine_for(db), consultation, file, actor=cli_actor(by))
        console.print(f"{file.name}: {n} published figures imported to '{consultation}' (the summary replaced)")
        return
    s = import_responses(engine_for(db), consultation, file, actor=cli_actor(by), illustrative=illustrative)
    flag = " (illustrative)" if s.illustrative else ""
    console.print(
        f"{s.file}: {s.responses} responses{flag} imported to '{s.consultation}'; "
        f"{s.texts} with free text, {s.coded} coded to at least one theme"
    )


@app.command()
def coding(
    consultation: str = typer.Argument(..., help="Consultation id."),
    unreviewed: bool = typer.Option(False, "--unreviewed", help="Only responses no officer has reviewed."),
    fmt: str = FormatOption,
    db: Path | None = DbOption,
) -> None:
    """The free-text responses with their themes (automatic and standing) and who reviewed them."""
    from gapwatch.queries.consultations import consultation_coding

    with command_engine(db) as engine:
        doc = consultation_coding(engine, consultation, unreviewed_only=unreviewed)

    def text(rows: list[dict[str, Any]]) -> list[str]:
        return [
            f"{r['response_id']}: {', '.join(r['themes']) or '(no theme)'}"
            + (f" (reviewed by {r['reviewed_by']})" if r["reviewed_by"] else "")
            for r in rows
        ] or ["No free-text responses."]

    write_output(emit(doc, fmt, text), None)


@app.command()
def review(
    consultation: str = typer.Argument(..., help="Consultation id."),
    response: str = typer.Argument(..., help="Response id."),
    theme: list[str] = typer.Option([], "--theme", help="A theme id (repeatable); none: no theme applies."),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Confirm or change the themes of one response (audited)."""
    from gapwatch.services.consultations import review_coding

    r = review_coding(engine_for(db), consultation, response, list(theme), actor=cli_actor(by))
    console.print(f"{r.response_id}: {', '.join(r.themes) or '(no theme)'} (reviewed by {r.reviewed_by})")


@app.command()
def codebook(
    consultation: str = typer.Argument(..., help="Consultation id."),
    load: Path | None = typer.Option(None, "--load", help="YAML list of themes (id, label, keywords, phrases)."),
    by: str | None = ByOption,
    fmt: str = FormatOption,
    db: Path | None = DbOption,
) -> None:
    """Show the codebook, or replace it from a YAML file (a framework revision; unreviewed responses recoded)."""
    if load is not None:
        import yaml

        from gapwatch.errors import InvalidInput
        from gapwatch.services.consultations import update_codebook

        try:
            themes = yaml.safe_load(load.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInput(f"{load.name}: cannot read the codebook ({exc})") from exc
        if not isinstance(themes, list):
            raise InvalidInput(f"{load.name}: the codebook must be a list of themes")
        n = update_codebook(engine_for(db), consultation, themes, actor=cli_actor(by))
        console.print(f"Codebook of '{consultation}' replaced ({len(themes)} themes); {n} unreviewed responses recoded")
        return
    from gapwatch.queries.consultations import consultation_doc

    with command_engine(db) as engine:
        doc = consultation_doc(engine, consultation)["codebook"]

    def text(rows: list[dict[str, Any]]) -> list[str]:
        return [f"{t['id']}: {t['label']} — {', '.join([*t['keywords'], *t['phrases']])}" for t in rows]

    write_output(emit(doc, fmt, text), None)
