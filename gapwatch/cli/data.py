"""`gapwatch data …`: import indicator data, load areas and deprivation, list and roll back batches, show values."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gapwatch.cli._common import ByOption, DbOption, QuickHelpGroup, cli_actor, console, engine_for, write_output
from gapwatch.cli.comparators import app as comparators_app
from gapwatch.errors import InvalidInput

if TYPE_CHECKING:
    from gapwatch.ingest.tidy import TableMapping

__all__ = ["app"]

app = typer.Typer(
    help="Import indicator data, areas and deprivation; list, show and roll back batches.", no_args_is_help=True
)
areas_app = typer.Typer(help="Load and list areas (ONS lookups, gapwatch areas files).", no_args_is_help=True)
imd_app = typer.Typer(
    help="Load the English Indices of Deprivation by LSOA and summarise districts.", no_args_is_help=True
)
fetch_app = typer.Typer(
    help="Download data from Fingertips or GOV.UK (needs a network connection).", no_args_is_help=True
)
app.add_typer(areas_app, name="areas", cls=QuickHelpGroup)
app.add_typer(imd_app, name="imd", cls=QuickHelpGroup)
app.add_typer(fetch_app, name="fetch", cls=QuickHelpGroup)
app.add_typer(comparators_app, name="comparators", cls=QuickHelpGroup)


def _mapping(mapping_file: Path | None, maps: list[str]) -> TableMapping | None:
    from gapwatch.ingest.tidy import TableMapping, load_mapping

    mapping = load_mapping(mapping_file) if mapping_file else None
    if not maps:
        return mapping
    columns = dict(mapping.columns) if mapping else {}
    for item in maps:
        if "=" not in item:
            raise InvalidInput(f"--map '{item}' is not SOURCE=TARGET", hint='e.g. --map "Timeperiod=Time period"')
        source, target = item.split("=", 1)
        columns[source.strip()] = target.strip()
    base = mapping.model_dump() if mapping else {}
    return TableMapping.model_validate({**base, "columns": columns})


@app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="CSV or Excel file to import."),
    fmt: str = typer.Option("auto", "--format", help="fingertips, tidy, excel or auto (from the file's columns)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check everything and show what would be written; write nothing."
    ),
    add_unknown_indicators: bool = typer.Option(
        False, "--add-unknown-indicators", help="Add indicators the framework lacks, from the file's own metadata."
    ),
    add_unknown_areas: bool = typer.Option(
        False, "--add-unknown-areas", help="Add unknown area codes, with the names the file gives."
    ),
    maps: list[str] = typer.Option([], "--map", help='Rename a column: --map "SOURCE=TARGET" (repeatable).'),
    mapping_file: Path | None = typer.Option(None, "--mapping", help="YAML/JSON mapping file (see docs)."),
    sheet: str | None = typer.Option(None, "--sheet", help="Sheet of an Excel workbook."),
    encoding: str = typer.Option("auto", "--encoding", help="auto (UTF-8, else Windows-1252), utf-8 or cp1252."),
    name: str | None = typer.Option(None, "--name", help="Name of the batch (default: 'Import of FILE')."),
    framework: str | None = typer.Option(None, "--framework", help="Framework id (default: the loaded one)."),
    allow: list[str] = typer.Option(
        [],
        "--allow",
        help="Waive a plausibility rule for this import, recorded with the batch (repeatable): whole-counts, "
        "count-above-denominator, value-matches-counts, value-range, magnitude or period-window.",
    ),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Validate a whole data file, then import it as one batch in one transaction (audited with it).

    Nothing is written if any row is wrong: every problem is listed with its row and column.

    Files are read within the GAPWATCH_IMPORT_MAX_* limits, and every value must be plausible
    for its indicator (see docs/importing.md): --allow RULE waives one rule, recorded with the batch.
    """
    from gapwatch.services import imports as service
    from gapwatch.settings import Settings

    engine = engine_for(db)
    limits = service.read_limits(Settings())
    mapping = _mapping(mapping_file, maps)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"Checking {file.name}", total=None)

        def step(stage: str, done: int, total: int) -> None:
            progress.update(
                task, description=f"{'Checking' if dry_run else 'Writing'} {file.name}", completed=done, total=total
            )

        report = service.import_file(
            engine,
            file,
            fmt=fmt,
            mapping=mapping,
            encoding=encoding,
            sheet=sheet,
            dry_run=dry_run,
            add_unknown_indicators=add_unknown_indicators,
            add_unknown_areas=add_unknown_areas,
            framework_id=framework,
            actor=cli_actor(by),
            batch_name=name,
            progress=step,
            limits=limits,
            today=date.today(),
            allow=allow,
        )
    for warning in report.warnings:
        console.print(f"[yellow]![/] {warning}", markup=True)
    if report.added_indicators:
        console.print(f"[cyan]+[/] Indicators added to the framework: {', '.join(report.added_indicators)}")
    if report.added_areas:
        console.print(
            f"[cyan]+[/] {len(report.added_areas)} area(s) added: {', '.join(report.added_areas[:10])}"
            f"{' …' if len(report.added_areas) > 10 else ''}"
        )
    if not report.by_indicator.is_empty():
        table = Table(title="What would be written" if dry_run else "Written")
        for col in report.by_indicator.columns:
            table.add_column(
                col.replace("_", " "), justify="right" if report.by_indicator[col].dtype.is_numeric() else "left"
            )
        for row in report.by_indicator.iter_rows():
            table.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row])
        console.print(table)
    console.print(f"[green]✓[/] {report.summary()}")


@app.command("columns")
def columns_command() -> None:
    """List the columns of gapwatch's tidy data format."""
    from gapwatch.ingest.tidy import TIDY_COLUMNS

    table = Table(title="Tidy data columns (names match ignoring case, spaces and underscores)")
    table.add_column("column")
    table.add_column("meaning")
    for name, meaning in TIDY_COLUMNS.items():
        table.add_row(name, meaning)
    console.print(table)


@app.command("batches")
def batches_command(db: Path | None = DbOption) -> None:
    """List every import batch: what, when, who, how many rows, and whether it was rolled back."""
    from gapwatch.services import imports as service

    rows = service.batches(engine_for(db))
    if not rows:
        console.print("No batches yet: import a file with `gapwatch data import FILE`.")
        return
    table = Table(title="Import batches (newest first)")
    table.add_column("#", justify="right")
    table.add_column("name", min_width=24, ratio=3, overflow="fold")
    table.add_column("loaded", ratio=1)
    for col in ("new", "revised", "same"):
        table.add_column(col, justify="right")
    table.add_column("status", overflow="fold")
    for b in rows:
        status = ("rolled back" if b.status == "rolled_back" else b.status) + (
            " (illustrative)" if b.illustrative else ""
        )
        table.add_row(
            str(b.pk),
            b.name,
            f"{b.loaded_at:%Y-%m-%d %H:%M} {b.loaded_by or ''}".strip(),
            f"{b.rows_inserted:,}",
            f"{b.rows_revised:,}",
            f"{b.rows_unchanged:,}",
            status,
        )
    console.print(table)


@app.command("rollback")
def rollback_command(
    batch: int = typer.Argument(..., help="Batch number (see `gapwatch data batches`)."),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Remove exactly the rows a batch wrote and restore the values it revised (audited with it)."""
    from gapwatch.services import imports as service

    done = service.rollback(engine_for(db), batch, actor=cli_actor(by))
    console.print(
        f"[green]✓[/] Batch {batch} rolled back: {done['removed']:,} value(s) removed, "
        f"{done['restored']:,} earlier value(s) restored"
    )


@app.command("show")
def show_command(
    indicator: list[str] = typer.Option([], "--indicator", "-i", help="Indicator id (repeatable)."),
    area: list[str] = typer.Option([], "--area", "-a", help="Area code (repeatable)."),
    period: list[str] = typer.Option([], "--period", "-p", help="Period label (repeatable)."),
    batch: int | None = typer.Option(None, "--batch", help="Only the values this batch wrote."),
    limit: int = typer.Option(50, "--limit", help="Rows to show in the table (CSV output has all)."),
    csv: bool = typer.Option(False, "--csv", help="Write CSV instead of a table."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    db: Path | None = DbOption,
) -> None:
    """Show stored values with their flags and the batch each came from."""
    import polars as pl

    from gapwatch.services.observations import observations_frame

    frame = observations_frame(
        engine_for(db), indicator_ids=indicator or None, area_ids=area or None, periods=period or None, batch=batch
    )
    frame = frame.drop("series_pk", "period_pk")
    if csv or output:
        write_output(frame.with_columns(pl.col("period_start", "period_end").cast(pl.String)).write_csv(), output)
        return
    cols = [
        "indicator_id",
        "area_code",
        "category_type",
        "category",
        "period",
        "value",
        "numerator",
        "denominator",
        "value_code",
        "illustrative",
        "batch_pk",
    ]
    table = Table(title=f"{frame.height:,} value(s)" + (f" (first {limit})" if frame.height > limit else ""))
    for col in cols:
        table.add_column(col.replace("_pk", "").replace("_", " "))
    for row in frame.head(limit).select(cols).iter_rows():
        table.add_row(*["" if v is None else (f"{v:,.4g}" if isinstance(v, float) else str(v)) for v in row])
    console.print(table)


@areas_app.command("load")
def areas_load(
    file: Path = typer.Argument(..., help="ONS lookup CSV/xlsx or a gapwatch areas file."),
    sheet: str | None = typer.Option(None, "--sheet"),
    db: Path | None = DbOption,
) -> None:
    """Load areas (LSOA -> ward -> district, district -> county, renames, the LSOA 2001 -> 2011 and 2011 -> 2021
    bridges, a gapwatch areas file)."""
    from gapwatch.services import areas as area_service

    report = area_service.load_areas_file(engine_for(db), file, sheet=sheet, loaded_by=cli_actor())
    for warning in report.warnings:
        console.print(f"[yellow]![/] {warning}", markup=True)
    console.print(f"[green]✓[/] {report.summary()}")


@areas_app.command("england")
def areas_england(db: Path | None = DbOption) -> None:
    """Load England's regions, counties and districts shipped with gapwatch (done automatically before any
    import or lookup; this makes it explicit)."""
    from gapwatch.services import areas as area_service

    added = area_service.load_england_geography(engine_for(db))
    console.print(f"[green]✓[/] England's geography: {added:,} area(s) added (the rest were already known)")


@areas_app.command("list")
def areas_list(
    level: str | None = typer.Option(None, "--level", help="country, region, county, district, ward, lsoa."),
    parent: str | None = typer.Option(None, "--parent", help="Only children of this area code."),
    abolished: bool = typer.Option(False, "--abolished", help="Include areas abolished since 2009."),
    db: Path | None = DbOption,
) -> None:
    """List known areas with their parents and former names and codes."""
    import polars as pl

    from gapwatch.services import areas as area_service

    engine = engine_for(db)
    with engine.connect() as conn:
        frame = area_service.area_table(conn)
    if level:
        frame = frame.filter(pl.col("level") == level)
    if parent:
        frame = frame.filter(pl.col("parent_code") == parent)
    if not abolished:
        frame = frame.filter(pl.col("end_year").is_null())
    table = Table(title=f"{frame.height:,} area(s)")
    for col in ("code", "name", "level", "parent", "former names", "former codes"):
        table.add_column(col)
    for r in frame.sort("level", "code").head(500).iter_rows(named=True):
        table.add_row(
            r["code"],
            r["name"],
            r["level"],
            r["parent_code"] or "",
            ", ".join(r["former_names"] or []),
            ", ".join(r["former_codes"] or []),
        )
    console.print(table)


@imd_app.command("load")
def imd_load(
    file: Path = typer.Argument(..., help="An IoD file by LSOA (2007, 2010, 2015, 2019, 2025; CSV or xlsx)."),
    edition: str | None = typer.Option(None, "--edition", help="2007 … 2025 if not recognised."),
    sheet: str | None = typer.Option(None, "--sheet"),
    db: Path | None = DbOption,
) -> None:
    """Load deprivation (or population denominators) by LSOA, recognising the edition from the columns."""
    from gapwatch.services import areas as area_service

    report = area_service.load_imd_file(engine_for(db), file, edition=edition, sheet=sheet, loaded_by=cli_actor())
    for warning in report.warnings:
        console.print(f"[yellow]![/] {warning}", markup=True)
    console.print(f"[green]✓[/] {report.summary()}")


@imd_app.command("districts")
def imd_districts(
    edition: str = typer.Option("IMD2019", "--edition", help="IMD2007, IMD2010, IMD2015, IMD2019 or IMD2025."),
    county: str | None = typer.Option(None, "--county", help="e.g. E10000016 for Kent (ranks stay national)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    db: Path | None = DbOption,
) -> None:
    """District summaries the official way (File 10): population-weighted average score and its rank among all
    districts of the edition, rank of average rank, extent, local concentration; from LSOA data and denominators.
    """
    import json

    from gapwatch.services import areas as area_service

    frame = area_service.district_deprivation(engine_for(db), edition.upper(), county=county)
    if as_json:
        console.print_json(json.dumps(frame.to_dicts()))
        return
    first = frame.row(0, named=True) if frame.height else {}
    table = Table(
        title=f"{edition.upper()} by district" + (f" in {county}" if county else ""),
        caption=f"{first.get('lsoa_geography', '')}; denominators: {first.get('denominators', '')}; ranks among "
        f"all {first.get('districts_ranked', '?')} districts, 1 = most deprived; decile 1: LSOAs among England's most "
        "deprived 10%; rank of average rank and local concentration: --json",
    )
    # Codes, names and counts never wrap or shorten (an 80-column terminal showed "E0700…"); a measure no
    # district has (average score before denominators are loaded) is left out rather than shown blank.

    def num(value: float | None, fmt: str) -> str:
        return "" if value is None else format(value, fmt)

    # What fits 80 columns: the measures a reader compares (the rank of average rank and local concentration
    # are in --json). Codes and names are never shortened; a measure no district has is left out.
    columns = {
        "LSOAs": lambda r: str(r["lsoas"]),
        "avg score": lambda r: num(r["average_score"], ".3f"),
        "rank": lambda r: num(r["rank_of_average_score"], "d"),
        "extent": lambda r: num(r["extent"], ".3f"),
        "decile 1": lambda r: f"{r['lsoas_in_most_deprived_decile']} ({r['share_in_most_deprived_decile']:.0%})",
    }
    rows = list(frame.iter_rows(named=True))
    shown = {name: cell for name, cell in columns.items() if any(cell(r) for r in rows)}
    table.box = box.SIMPLE_HEAD
    table.add_column("code", no_wrap=True, min_width=9)
    table.add_column("district", no_wrap=True)
    for name in shown:
        table.add_column(name, justify="right", min_width=max(len(shown[name](r)) for r in rows))
    for r in rows:
        table.add_row(r["district_code"] or "?", r["name"] or "", *(cell(r) for cell in shown.values()))
    console.print(table)


@imd_app.command("history")
def imd_history(
    area: str = typer.Option(..., "--area", help="County or district code, e.g. E10000016 for Kent."),
    folder: Path = typer.Option(..., "--from", help="Folder (or file) of IMD district summary files."),
    earlier: str = typer.Option("IMD2007", "--earlier"),
    later: str = typer.Option("IMD2010", "--later"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    db: Path | None = DbOption,
) -> None:
    """How many of an area's districts had a more deprived rank in one edition than another, from district
    summary files, saying which files were used and whether they are official."""
    import json

    from gapwatch.services.imd_history import district_rank_history

    history = district_rank_history(engine_for(db), area, folder, earlier=earlier.upper(), later=later.upper())
    if as_json:
        console.print_json(json.dumps(history.to_dict()))
        return
    table = Table(
        title=f"{history.area_name}: rank of average score, {history.earlier.edition} vs {history.later.edition}"
    )
    for col in ("district", "name", history.earlier.edition, history.later.edition, "more deprived later"):
        table.add_column(col)
    for r in history.districts.iter_rows(named=True):
        table.add_row(
            r["district_code"],
            r["name"] or "",
            str(r["rank_earlier"] or ""),
            str(r["rank_later"] or ""),
            "yes" if r["more_deprived_rank_later"] else "no",
        )
    console.print(table)
    console.print(history.statement())


@fetch_app.command("fingertips")
def fetch_fingertips_command(
    indicator: list[str] = typer.Option(..., "--indicator", "-i", help="Fingertips indicator id (repeatable)."),
    area_type: str = typer.Option("county-ua", "--area-type", help="Fingertips area type id or name."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Keep the downloaded CSV here."),
    do_import: bool = typer.Option(False, "--import", help="Import it (with --add-unknown-indicators/areas)."),
    db: Path | None = DbOption,
) -> None:
    """Download Fingertips data with fingertips-py (and optionally import it)."""
    from gapwatch.ingest.fetch import fetch_fingertips
    from gapwatch.services import imports as service

    dest = output or Path(tempfile.mkdtemp(prefix="gapwatch-")) / "fingertips.csv"
    fetch_fingertips(indicator, area_type, dest)
    console.print(f"[green]✓[/] Downloaded {dest}")
    if do_import:
        report = service.import_file(
            engine_for(db),
            dest,
            fmt="fingertips",
            add_unknown_indicators=True,
            add_unknown_areas=True,
            actor=cli_actor(),
        )
        console.print(f"[green]✓[/] {report.summary()}")


@fetch_app.command("imd")
def fetch_imd_command(
    edition: str = typer.Option("IMD2019", "--edition"),
    file: str = typer.Option("7", "--file", help="IoD file number: 1, 2, 6 or 7."),
    url: str | None = typer.Option(None, "--url", help="Download this address instead."),
    folder: Path = typer.Option(Path("."), "--to", help="Folder to save into."),
    load: bool = typer.Option(False, "--load", help="Load it into the database afterwards."),
    db: Path | None = DbOption,
) -> None:
    """Download an official English Indices of Deprivation file from GOV.UK (and optionally load it)."""
    from gapwatch.ingest.fetch import fetch_imd
    from gapwatch.services import areas as area_service

    path = fetch_imd(folder, edition=edition, file=file, url=url)
    console.print(f"[green]✓[/] Downloaded {path}")
    if load:
        report = area_service.load_imd_file(engine_for(db), path, loaded_by=cli_actor())
        console.print(f"[green]✓[/] {report.summary()}")
