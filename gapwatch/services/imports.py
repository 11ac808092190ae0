"""Importing indicator data: validate a whole file, then write it in one transaction as a recorded batch.

The file is read within the limits of the settings (size, rows, columns, cells, cell length; an Excel
workbook's decompressed size and compression ratio) and checked on its own first (columns, numbers, periods,
duplicates — every row), then against the database (indicators the framework knows, areas, breakdowns,
units and measure types) and against the plausibility rules for each indicator's measure
(:mod:`gapwatch.ingest.plausibility`); if anything is wrong nothing is written and every problem is
reported. A rule is waived only when the caller names it (``allow``), and the waiver is recorded with the
batch. Otherwise one transaction records the
batch, any indicators or areas added on request, the new observations, and the old values of revised ones
(kept in history, restored by a rollback). A dry run does all of it and rolls back, so its counts are exact.

Importing and rolling back are for performance officers and admins (and operators at the command line);
each is written to the audit log in the same transaction as the data, whichever shell asked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may
from gapwatch.domain.framework import Framework
from gapwatch.errors import InvalidInput, Problem
from gapwatch.ingest.csvfile import read_csv_table
from gapwatch.ingest.excel import read_excel_table
from gapwatch.ingest.fingertips import looks_like_fingertips, read_fingertips
from gapwatch.ingest.imd import looks_like_imd
from gapwatch.ingest.limits import MB, ReadLimits
from gapwatch.ingest.lookups import looks_like_lookup
from gapwatch.ingest.metadata import file_metadata
from gapwatch.ingest.plausibility import Plausibility, check_plausible
from gapwatch.ingest.tables import (
    ParsedFile,
    Problems,
    RawTable,
    build_observations,
    file_sha256,
)
from gapwatch.ingest.tidy import TableMapping, looks_like_tidy, read_tidy
from gapwatch.services._import_checks import (
    check_definitions,
    measures_of,
    resolve_areas,
    resolve_categories,
    resolve_indicators,
)
from gapwatch.services._plan import current_plan
from gapwatch.settings import Settings
from gapwatch.store.areas import upsert_areas
from gapwatch.store.audit import record_audit
from gapwatch.store.frameworks import get_framework_row, save_framework
from gapwatch.store.observations import (
    VALUE_COLUMNS,
    ImportBatchRow,
    create_batch,
    ensure_periods,
    ensure_series,
    existing_observations,
    finish_batch,
    get_batch,
    list_batches,
    revise_observations,
    rollback_batch,
)
from gapwatch.store.observations import bulk_insert as _bulk_insert

__all__ = [
    "FORMATS",
    "ImportReport",
    "Progress",
    "batch",
    "batches",
    "import_file",
    "import_parsed",
    "parse_frame",
    "read_data_file",
    "read_limits",
    "rollback",
]

FORMATS = ("auto", "fingertips", "tidy", "excel")
#: progress(stage, done, total)
Progress = Callable[[str, int, int], None]
_COMPARED = [c for c in VALUE_COLUMNS if c != "revised"]


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    file: str
    format: str
    dry_run: bool
    batch: int | None
    rows_read: int
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    added_indicators: list[str] = field(default_factory=list)
    added_areas: list[str] = field(default_factory=list)
    by_indicator: pl.DataFrame = field(default_factory=pl.DataFrame)
    name: str = ""

    def summary(self) -> str:
        """One line: counts, and the batch written (or 'dry run')."""
        head = "Dry run (nothing written)" if self.dry_run else f"Batch {self.batch}"
        what = self.name if self.name and self.name != f"Import of {self.file}" else self.file
        return (
            f"{head}: {what} — {self.rows_read:,} row(s) read, {self.inserted:,} new, {self.revised:,} "
            f"revised, {self.unchanged:,} unchanged, {self.skipped:,} skipped"
        )


def read_limits(settings: Settings) -> ReadLimits:
    """The bounds on an imported file that the settings give (``GAPWATCH_IMPORT_MAX_*``)."""
    return ReadLimits(
        max_file_bytes=settings.import_max_file_mb * MB,
        max_rows=settings.import_max_rows,
        max_columns=settings.import_max_columns,
        max_cells=settings.import_max_cells,
        max_field_chars=settings.import_max_field_chars,
        max_uncompressed_bytes=settings.import_max_uncompressed_mb * MB,
        max_compression_ratio=settings.import_max_compression_ratio,
    )


def read_data_file(
    path: Path,
    *,
    fmt: str = "auto",
    mapping: TableMapping | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    limits: ReadLimits | None = None,
) -> ParsedFile:
    """Read and validate a data file on its own (no database), choosing the reader by format or content.

    The file is read within ``limits`` (default: the settings' defaults); a file beyond them is refused
    before it is read whole.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown format '{fmt}'", hint=f"Formats: {', '.join(FORMATS)}")
    mapping = mapping or TableMapping()
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        return _read(path, fmt, mapping, encoding, sheet, limits or ReadLimits())
    except pl.exceptions.PolarsError as exc:  # a table the readers' own checks did not foresee
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise InvalidInput(
            f"{path.name}: the file cannot be read as a table ({first})",
            problems=[Problem(first, file=path.name)],
        ) from exc


def _read(
    path: Path, fmt: str, mapping: TableMapping, encoding: str, sheet: str | None, limits: ReadLimits
) -> ParsedFile:
    excel = path.suffix.lower() in (".xlsx", ".xlsm") or fmt == "excel"
    raw: RawTable
    if excel:
        raw = read_excel_table(
            path,
            sheet=sheet or mapping.sheet,
            wanted=None if mapping.columns else (lambda h: looks_like_fingertips(h) or looks_like_tidy(h)),
            limits=limits,
        )
    else:
        raw = read_csv_table(path, encoding=encoding, limits=limits)
    headers = [c for c in raw.frame.columns if c != "row"]
    if (
        not mapping.columns
        and not mapping.measures
        and not looks_like_tidy(headers)
        and not looks_like_fingertips(headers)
    ):
        if looks_like_imd(headers):
            raise InvalidInput(
                f"{raw.file} is an Indices of Deprivation file, not indicator data",
                hint=f"Load it with `gapwatch data imd load {path}`.",
            )
        if looks_like_lookup(headers):
            raise InvalidInput(
                f"{raw.file} is a geography lookup, not indicator data",
                hint=f"Load it with `gapwatch data areas load {path}`.",
            )
    kind = mapping.format or (fmt if fmt in ("fingertips", "tidy") else None)
    if kind is None:
        renamed = [mapping.columns.get(c, c) for c in raw.frame.columns]
        kind = "fingertips" if looks_like_fingertips(renamed) and not mapping.measures else "tidy"
    if kind == "fingertips":
        parsed = read_fingertips(path, mapping=mapping.columns, raw=raw, defer=True)
        parsed.format = "fingertips" + ("/excel" if excel else "")
        for code, given in mapping.indicators.items():  # what the mapping says wins over the file's columns
            parsed.indicator_meta[code] = {**parsed.indicator_meta.get(code, {}), **given.model_dump(exclude_none=True)}
        return parsed
    return read_tidy(path, mapping=mapping, raw=raw, defer=True)


def parse_frame(
    name: str, frame: pl.DataFrame, *, fmt: str = "generated", indicator_meta: dict[str, dict[str, Any]] | None = None
) -> ParsedFile:
    """Validate observations built in code (columns named as in a tidy file) exactly as a file would be."""
    text = frame.with_columns([pl.col(c).cast(pl.String) for c in frame.columns])
    text = text.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    problems = Problems(name)
    warnings: list[str] = []
    built = build_observations(text, problems, warnings=warnings)
    meta = file_metadata(built, problems)
    problems.raise_if_any()
    for code, given in (indicator_meta or {}).items():
        meta[code] = {**meta.get(code, {}), **given}
    return ParsedFile(name, built, warnings, fmt, meta)


def import_file(
    engine: Engine,
    path: Path,
    *,
    fmt: str = "auto",
    mapping: TableMapping | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    limits: ReadLimits | None = None,
    **options: Any,
) -> ImportReport:
    """Validate ``path`` whole and import it as one batch (see :func:`import_parsed` for the options).

    Every problem is reported together: those of the file itself and those only the database can show.
    """
    parsed = read_data_file(path, fmt=fmt, mapping=mapping, encoding=encoding, sheet=sheet, limits=limits)
    opts = {"format": fmt, "mapping": mapping.model_dump(exclude_defaults=True) if mapping else None}
    return import_parsed(engine, parsed, source=str(path), sha256=file_sha256(path), batch_options=opts, **options)


def import_parsed(
    engine: Engine,
    parsed: ParsedFile,
    *,
    source: str,
    sha256: str | None = None,
    dry_run: bool = False,
    add_unknown_indicators: bool = False,
    add_unknown_areas: bool = False,
    framework_id: str | None = None,
    actor: Actor | str,
    batch_name: str | None = None,
    illustrative: bool = False,
    batch_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
    today: date | None = None,
    allow: Iterable[str] = (),
) -> ImportReport:
    """Check a validated file against the database and write it as one batch, in one transaction.

    ``actor`` is who imports (a name stands for an operator at the command line): they need
    :attr:`~gapwatch.domain.access.Permission.MANAGE_DATA`, are recorded as the batch's loader, and the
    import is written to the audit log in the same transaction (a dry run writes nothing, audit included).
    Every row must pass the plausibility rules for its indicator's measure; ``allow`` names rules waived for
    this import (recorded in the batch's options and audit entry). ``today`` is the date the window of
    plausible periods is judged from (the shells pass the day's date; omitted, it is read here).
    """
    who = as_actor(actor)
    ensure_may(who, Permission.MANAGE_DATA, doing="import data")
    rules = Plausibility.of(today or date.today(), allow)
    if parsed.frame.is_empty() and not parsed.problems:
        raise InvalidInput(
            f"{parsed.file}: none of its {parsed.rows_read:,} row(s) has a value, a count or a withheld-value "
            "code: there is nothing to import",
            hint="Check that the value and count columns are the ones the file fills (see `gapwatch data columns`).",
        )
    waived = sorted(r.value for r in rules.allow)
    batch_options = {**(batch_options or {}), **({"allow": waived} if waived else {})}
    loaded_by = who.username
    warnings = list(parsed.warnings)
    report = ImportReport(
        parsed.file,
        parsed.format,
        dry_run,
        None,
        parsed.rows_read,
        skipped=parsed.skipped,
        name=batch_name or f"Import of {parsed.file}",
    )
    conn = engine.connect()
    trans = conn.begin()
    session = Session(bind=conn)
    try:
        fw_row = get_framework_row(session, framework_id)
        # The framework as the plan cache holds it (one validation per revision, not one per import: the demo
        # imports twenty sources in a row). Read-only here: an added indicator makes a new copy below.
        framework = current_plan(session, fw_row.id).framework
        problems = Problems(parsed.file)  # the file's own problems, then those only the database can show
        problems.items, problems.total = list(parsed.problems.items), parsed.problems.total
        frame, added = resolve_indicators(parsed.frame, framework, parsed, problems, add_unknown_indicators)
        frame, new_areas = resolve_areas(conn, frame, framework, problems, add_unknown_areas, warnings)
        frame = resolve_categories(frame, framework, warnings)
        if illustrative:  # a batch declared illustrative flags every value it holds
            frame = frame.with_columns(illustrative=pl.lit(True))
        check_definitions(frame, framework, added, problems)
        warnings.extend(check_plausible(frame, problems, rules, measures_of(framework, added)))
        problems.raise_if_any()
        if added:
            updated = framework.model_copy(update={"indicators": [*framework.indicators, *added]})
            save_framework(
                session,
                Framework.model_validate(updated.model_dump()),
                source=source,
                loaded_by=loaded_by,
                previous=framework,
            )
            session.flush()
            report.added_indicators = [i.id for i in added]
        if new_areas is not None and not new_areas.is_empty():
            upsert_areas(conn, new_areas, source=parsed.file)
            report.added_areas = new_areas["code"].to_list()
        batch = create_batch(
            conn,
            framework_pk=fw_row.pk,
            kind="observations",
            name=report.name,
            file_name=source,
            sha256=sha256,
            format=parsed.format,
            loaded_by=loaded_by,
            options=batch_options or {},
            illustrative=illustrative,
        )
        _write(conn, fw_row.pk, batch, frame, report, progress)
        report.warnings = warnings
        finish_batch(
            conn,
            batch,
            rows_read=report.rows_read,
            rows_inserted=report.inserted,
            rows_revised=report.revised,
            rows_unchanged=report.unchanged,
            rows_skipped=report.skipped,
            warnings=warnings,
        )
        if not dry_run:
            record_audit(
                session,
                who,
                "data.import",
                f"batch:{batch}",
                None,
                {
                    "file": source,
                    "name": report.name,
                    "inserted": report.inserted,
                    "revised": report.revised,
                    "unchanged": report.unchanged,
                    "added_indicators": report.added_indicators,
                    "added_areas": len(report.added_areas),
                    **({"allowed": waived} if waived else {}),
                },
            )
            session.flush()
        session.close()
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
            report.batch = batch
    except BaseException:
        session.close()
        trans.rollback()
        raise
    finally:
        conn.close()
    return report


def _write(
    conn: Connection,
    framework_pk: int,
    batch: int,
    frame: pl.DataFrame,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    total = frame.height
    if progress:
        progress("writing", 0, total)
    periods = frame.select(
        pl.col("period").alias("label"),
        pl.col("period_kind").alias("kind"),
        pl.col("period_start").alias("start"),
        pl.col("period_end").alias("end"),
    ).unique("label")
    pks = ensure_periods(conn, periods)
    keys = ["indicator_id", "area_code", "sex", "age", "category_type", "category", "value_type"]
    frame = frame.select(*keys, "period", "period_end", *VALUE_COLUMNS, "row")
    series, _ = ensure_series(conn, framework_pk, frame.select(keys))
    rows = frame.join(series, on=keys, how="left").join(pks, left_on="period", right_on="label", how="left")
    old = existing_observations(conn, series.filter(pl.col("existed"))["series_pk"].to_list())
    if old.is_empty():
        rows = rows.with_columns(pk=pl.lit(None, pl.Int64), _status=pl.lit("new"))
    else:
        rows = rows.join(
            old.rename({c: f"{c}_old" for c in old.columns if c not in ("series_pk", "period_pk", "pk")}),
            on=["series_pk", "period_pk"],
            how="left",
        )
        # A revision is a change of figure, interval, flag or symbol. A note alone is not: re-importing the
        # publisher's file over the same figures loaded earlier with a source note (the demo's extract) is
        # "unchanged", not a hundred "revised" values, and the stored note stays.
        differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_old")) for c in _COMPARED if c != "note"])
        rows = rows.with_columns(
            _status=pl.when(pl.col("pk").is_null())
            .then(pl.lit("new"))
            .when(differs)
            .then(pl.lit("revised"))
            .otherwise(pl.lit("unchanged"))
        )
    # Rows of one series written next to each other: reads of a series (and the index) stay local.
    new = rows.filter(pl.col("_status") == "new").sort("series_pk", "period_end")
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress("writing", done[0], total)

    _bulk_insert(
        conn,
        "observations",
        new.select(
            "series_pk", "period_pk", *VALUE_COLUMNS, pl.lit(batch).alias("batch_pk"), pl.col("row").alias("source_row")
        ),
        progress=step,
    )
    changed = rows.filter(pl.col("_status") == "revised")
    if not changed.is_empty():
        revise_observations(
            conn,
            batch,
            old=changed.select(
                "pk",
                *[pl.col(f"{c}_old").alias(c) for c in VALUE_COLUMNS],
                pl.col("batch_pk_old").alias("batch_pk"),
                pl.col("source_row_old").alias("source_row"),
            ),
            new=changed.select("pk", *VALUE_COLUMNS, pl.col("row").alias("source_row")),
        )
    step(total - done[0])
    report.inserted = new.height
    report.revised = changed.height
    report.unchanged = rows.height - new.height - changed.height
    report.by_indicator = (
        rows.group_by("indicator_id")
        .agg(
            pl.len().alias("rows"),
            (pl.col("_status") == "new").sum().alias("new"),
            (pl.col("_status") == "revised").sum().alias("revised"),
            (pl.col("_status") == "unchanged").sum().alias("unchanged"),
            pl.col("area_code").n_unique().alias("areas"),
            pl.col("period").n_unique().alias("periods"),
            pl.col("period").sort_by("period_end").first().alias("first_period"),
            pl.col("period").sort_by("period_end").last().alias("last_period"),
        )
        .sort("indicator_id")
    )


def batches(engine: Engine) -> list[ImportBatchRow]:
    """Every import batch, newest first."""
    with engine.connect() as conn:
        return list_batches(conn)


def batch(engine: Engine, batch_pk: int) -> ImportBatchRow:
    """One batch."""
    with engine.connect() as conn:
        return get_batch(conn, batch_pk)


def rollback(engine: Engine, batch_pk: int, *, actor: Actor | str) -> dict[str, int]:
    """Roll back a batch in one transaction with its audit entry: its rows go, the values it revised come back.

    ``actor`` needs :attr:`~gapwatch.domain.access.Permission.MANAGE_DATA` (a name stands for an operator).
    """
    who = as_actor(actor)
    ensure_may(who, Permission.MANAGE_DATA, doing="roll back an import")
    with engine.begin() as conn:
        counts = rollback_batch(conn, batch_pk, by=who.username)
        with Session(bind=conn) as session:
            record_audit(session, who, "data.rollback", f"batch:{batch_pk}", None, counts)
            session.flush()
        return counts
