"""`gapwatch framework …`: validate, load, show, export, diff and the JSON Schema of framework files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.tree import Tree

from gapwatch.cli._common import ByOption, DbOption, cli_actor, console, engine_for, write_output

if TYPE_CHECKING:
    from gapwatch.domain.framework import Framework

__all__ = ["app", "render_tree"]

app = typer.Typer(help="Validate, load, show and export framework files.", no_args_is_help=True)

PathArg = typer.Argument(..., help="A framework YAML file or a folder of them.")


@app.command()
def validate(path: Path = PathArg) -> None:
    """Check a framework file or folder and report every problem with file and line."""
    from gapwatch.services import frameworks as service

    loaded = service.validate_framework(path)
    counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in loaded.framework.count().items() if n)
    console.print(f"[green]✓[/] {path} is a valid framework: {loaded.framework.name} ({counts})")


@app.command()
def load(path: Path = PathArg, by: str | None = ByOption, db: Path | None = DbOption) -> None:
    """Validate and load a framework into the database (one transaction; records a revision, audited)."""
    from gapwatch.services import frameworks as service

    result = service.load_framework(engine_for(db), path, loaded_by=cli_actor(by))
    if result.revision is None:
        console.print(f"[green]✓[/] {result.framework.name}: already up to date, nothing changed")
    else:
        console.print(
            f"[green]✓[/] Loaded {result.framework.name} as revision {result.revision}: {result.diff.summary()}"
        )


def render_tree(framework: Framework) -> Tree:
    """The plan as a tree: ambition -> priority -> outcome -> actions and indicators."""
    root = Tree(f"[bold]{framework.name}[/] — {framework.partnership}")
    indicators_by_outcome: dict[str, list[str]] = {}
    indicators_by_priority: dict[str, list[str]] = {}
    for ind in framework.indicators:
        for oc in ind.outcomes:
            indicators_by_outcome.setdefault(oc, []).append(f"{ind.code} {ind.title}")
        for pr in ind.priorities:
            indicators_by_priority.setdefault(pr, []).append(f"{ind.code} {ind.title}")
    plans = framework.index("plans")

    def add_priority(parent: Tree, priority_id: str) -> None:
        pr = framework.index("priorities")[priority_id]
        plan = plans.get(pr.plan)
        plan_name = (plan.short_name or plan.title) if plan else pr.plan
        node = parent.add(f"[bold cyan]Priority {pr.number}[/] {pr.title} [dim]({plan_name})[/]")
        for oc in (o for o in framework.outcomes if o.priority == pr.id):
            onode = node.add(
                f"[bold]{oc.code}[/] {oc.title} [dim]{oc.horizon.value}-term{' · LAA' if oc.laa else ''}[/]"
            )
            for ac in (a for a in framework.actions if a.outcome == oc.id):
                onode.add(f"[yellow]Action {ac.number}[/] {ac.text}")
            for label in indicators_by_outcome.get(oc.id, []):
                onode.add(f"[magenta]Indicator[/] {label}")
        for label in indicators_by_priority.get(pr.id, []):
            node.add(f"[magenta]Indicator[/] {label}")

    shown: set[str] = set()
    for amb in framework.ambitions:
        anode = root.add(f"[bold green]Ambition {amb.number}[/] {amb.title}")
        for kpq in (k for k in framework.kpqs if k.ambition == amb.id):
            anode.add(f"[blue]KPQ{kpq.number}[/] {kpq.question}")
        for pr in (p for p in framework.priorities if p.ambition == amb.id):
            add_priority(anode, pr.id)
            shown.add(pr.id)
    others = [p for p in framework.priorities if p.id not in shown]
    if others:
        onode = root.add("[bold]Priorities not under an ambition[/]")
        for pr in others:
            add_priority(onode, pr.id)
    if framework.enablers:
        enode = root.add("[bold]Enablers[/]")
        for en in framework.enablers:
            n = enode.add(f"[bold]{en.code}[/] {en.title}")
            for ac in (a for a in framework.actions if a.enabler == en.id):
                n.add(f"[yellow]Action {ac.number}[/] {ac.text}")
    if framework.targets:
        tnode = root.add("[bold]Targets[/]")
        for tg in framework.targets:
            tnode.add(f"{tg.title} [dim]({tg.kind.value.replace('_', '-')})[/]")
    return root


@app.command()
def show(
    path: Path | None = typer.Argument(None, help="A framework file or folder; omit to show the stored one."),
    db: Path | None = DbOption,
) -> None:
    """Print the plan as a tree: ambition → priority → outcome → actions and indicators."""
    from gapwatch.services import frameworks as service

    framework = service.validate_framework(path).framework if path else service.stored_framework(engine_for(db))
    console.print(render_tree(framework))
    counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in framework.count().items() if n)
    console.print(f"[dim]{counts}[/]")


@app.command()
def export(
    path: Path | None = typer.Argument(None, help="A framework file or folder; omit to export the stored one."),
    fmt: str = typer.Option("yaml", "--format", "-f", help="yaml (the framework file format) or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of standard output."),
    db: Path | None = DbOption,
) -> None:
    """Export a framework as YAML (round-trips exactly) or JSON (one list per kind of item)."""
    from gapwatch.services import frameworks as service

    framework = service.validate_framework(path).framework if path else service.stored_framework(engine_for(db))
    write_output(service.export_framework(framework, fmt), output)


@app.command()
def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of standard output."),
) -> None:
    """Print the JSON Schema of framework files (generated from the models)."""
    from gapwatch.services import frameworks as service

    write_output(service.framework_schema(), output)


@app.command()
def diff(path: Path = PathArg, db: Path | None = DbOption) -> None:
    """Show what loading a framework file would change in the database."""
    from gapwatch.services import frameworks as service

    result = service.diff_with_database(engine_for(db), path)
    console.print(result.summary())
    for kind, ids in result.added.items():
        console.print(f"[green]+ {kind}:[/] {', '.join(ids)}")
    for kind, ids in result.removed.items():
        console.print(f"[red]- {kind}:[/] {', '.join(ids)}")
    for change in result.changed:
        console.print(f"[yellow]~ {change.kind} {change.id}:[/] {', '.join(change.fields)}")
