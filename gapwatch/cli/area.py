"""`gapwatch area`: a partnership's own local areas (LCSPs, Community Budgets pilots, ward clusters).

A thin shell over :mod:`gapwatch.services.local_areas`; figures for a local area come from the same pages as
every other area (`gapwatch indicator show IND --area LOCAL`), re-aggregated from its members' counts.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer

from gapwatch.cli._common import ByOption, DbOption, cli_actor, console, engine_for, write_output
from gapwatch.cli._disposing import command_engine
from gapwatch.cli._show import FormatOption, emit

__all__ = ["app"]

app = typer.Typer(
    help="Local areas built from wards, LSOAs and districts (an LCSP, a ward cluster): load, list, show.",
    no_args_is_help=True,
)


@app.command("load")
def load(
    file: Path = typer.Argument(..., help="CSV with area_code, member_code, member_level [, area_name, parent_code]."),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Define local areas from a CSV (one row per member; member_level ward, lsoa, district or county, with
    its boundary year as ONS writes it, e.g. ward24, lsoa21; or group). Checked whole: any problem is reported
    with its line and field and nothing is written. Stored as a new framework revision."""
    from gapwatch.services.local_areas import load_local_areas

    report = load_local_areas(engine_for(db), file, actor=cli_actor(by))
    console.print(report.summary())


@app.command("list")
def list_(fmt: str = FormatOption, db: Path | None = DbOption) -> None:
    """Every local area: code, name, parent and number of members."""
    from gapwatch.queries.reading import reading
    from gapwatch.services.local_areas import local_area_views

    with command_engine(db) as engine, reading(engine) as session:
        views = local_area_views(session)
    doc = [
        {"id": v.id, "name": v.name, "parent": v.parent, "members": len(v.members), "vintages": v.vintages}
        for v in views
    ]
    write_output(
        emit(
            doc,
            fmt,
            lambda d: [f"{x['id']:<28} {x['members']:>4} member(s)  {x['name']}" for x in d] or ["No local areas"],
        ),
        None,
    )


@app.command("show")
def show(
    area: str = typer.Argument(..., help="Local area code, e.g. example-margate-wards."),
    fmt: str = FormatOption,
    db: Path | None = DbOption,
) -> None:
    """A local area's members (with level), parent, geography vintages, and for each indicator whether its
    figures are re-aggregated from the members' counts or why not."""
    from gapwatch.queries.reading import reading
    from gapwatch.services.local_areas import local_area_view

    with command_engine(db) as engine, reading(engine) as session:
        view = local_area_view(session, area)
    doc = dataclasses.asdict(view)
    doc["members"] = [{"code": c, "name": n, "level": lv} for c, n, lv in view.members]
    doc["indicators"] = [{"id": i, "measure": m, "status": s} for i, m, s in view.indicators]

    def text(d: dict) -> list[str]:  # type: ignore[type-arg]
        lines = [f"{d['name']} ({d['id']})"]
        if d["parent"]:
            lines.append(f"Within: {d['parent_name'] or d['parent']} ({d['parent']})")
        if d["vintages"]:
            lines.append("Boundaries: " + ", ".join(f"{k} {v}" for k, v in sorted(d["vintages"].items())))
        lines.append(f"Members ({len(d['members'])}):")
        lines += [f"  {m['code']:<12} {m['level'] or '?':<9} {m['name']}" for m in d["members"]]
        lines.append("Indicators:")
        lines += [f"  {i['id']}: {i['status']}" for i in d["indicators"]]
        return lines

    write_output(emit(doc, fmt, text), None)
