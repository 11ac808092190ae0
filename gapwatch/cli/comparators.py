"""`gapwatch data comparators …`: load a statistical neighbour file into the framework, and list the groups."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from gapwatch.cli._common import DbOption, cli_actor, console, engine_for, write_output
from gapwatch.cli._show import FormatOption, emit

__all__ = ["app"]

app = typer.Typer(
    help="Comparator groups: load DfE statistical neighbours, list the groups an area can be compared with.",
    no_args_is_help=True,
)


@app.command("load")
def load(
    file: Path = typer.Argument(..., help="DfE New_Statistical_Neighbour_Groupings_April_2021.csv (or a later one)."),
    only: list[str] = typer.Option([], "--only", help="Keep only this area's group (GSS code; repeatable)."),
    db: Path | None = DbOption,
) -> None:
    """Load every authority's statistical neighbours, mapping DfE LA numbers to GSS codes by name against the
    areas the store knows (load the ONS lookups first); any unmatched authority is refused with its line."""
    from gapwatch.services.comparators import load_comparators_file

    report = load_comparators_file(engine_for(db), file, loaded_by=cli_actor(), only=only or None)
    for warning in [*report.warnings, *report.skipped]:
        console.print(f"[yellow]![/] {warning}", markup=True)
    console.print(f"[green]✓[/] {report.summary()}")


@app.command("list")
def list_groups(
    area: str | None = typer.Option(None, "--area", help="Only the groups usable for this area (GSS code)."),
    fmt: str = FormatOption,
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to a file instead of the screen."),
    db: Path | None = DbOption,
) -> None:
    """Each comparator group with its kind, its area and its members (marked when the store lacks them)."""
    from gapwatch.queries.json import plain
    from gapwatch.queries.reading import reading
    from gapwatch.services.comparators import list_comparator_groups

    with reading(engine_for(db)) as session:
        groups = plain(list_comparator_groups(session, area=area))
    doc = {"groups": groups}
    if fmt == "text":
        table = Table(title=f"{len(groups)} comparator group(s)")
        for col in ("id", "kind", "area", "members"):
            table.add_column(col)
        for g in groups:
            members = ", ".join(f"{name}{'' if known else ' (not in the store)'}" for _c, name, known in g["members"])
            table.add_row(g["id"], g["kind"], g["area_name"] or g["area"] or "any", members)
        console.print(table)
        return
    write_output(emit(doc, fmt, lambda d: [f"{g['id']}: {g['name']}" for g in d["groups"]]), output)
