"""The OHID Fingertips export format: the CSV that the Fingertips site's "Export data" and its API give.

Columns (Fingertips' own names): Indicator ID, Indicator Name, Parent Code, Parent Name, Area Code, Area
Name, Area Type, Sex, Age, Category Type, Category, Time period, Value, Lower/Upper CI 95.0 limit,
Lower/Upper CI 99.8 limit, Count, Denominator, Value note, then comparison columns (Recent Trend,
Compared to England …, Time period Sortable, New data, Compared to goal) that gapwatch recomputes itself
and so ignores. "Count" is the numerator. The "Value note" becomes flags (suppressed, estimated,
provisional, revised) and is kept as the observation's note. Exports joined with Fingertips' indicator
metadata may also carry "Value type", "Unit" and "Polarity": an indicator added from the file takes them
(see :mod:`gapwatch.ingest.metadata`). Indicator ids are Fingertips' numbers (ASCII digits).

Files whose headers were edited (``IndicatorID``, ``Timeperiod``, ``Lower_CI_95.0_limit`` …) are read with
a column mapping (``--map IndicatorID="Indicator ID"`` or a mapping file); the error for a missing column
suggests the mapping to use.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from gapwatch.domain.groups import quantile_rank
from gapwatch.errors import InvalidInput, Problem
from gapwatch.ingest.csvfile import read_csv_table
from gapwatch.ingest.limits import ReadLimits
from gapwatch.ingest.metadata import file_metadata
from gapwatch.ingest.tables import (
    ParsedFile,
    Problems,
    RawTable,
    build_observations,
    normalise_header,
)

__all__ = [
    "FINGERTIPS_COLUMNS",
    "deprivation_rank",
    "fingertips_frame",
    "looks_like_fingertips",
    "read_fingertips",
    "suggest_mapping",
]

#: Fingertips export header -> gapwatch column (None: known but not imported).
FINGERTIPS_COLUMNS: dict[str, str | None] = {
    "Indicator ID": "indicator",
    "Indicator Name": "indicator_name",
    "Parent Code": "parent_code",
    "Parent Name": None,
    "Area Code": "area_code",
    "Area Name": "area_name",
    "Area Type": "area_type",
    "Sex": "sex",
    "Age": "age",
    "Category Type": "category_type",
    "Category": "category",
    "Time period": "period",
    "Value": "value",
    "Lower CI 95.0 limit": "lower_95",
    "Upper CI 95.0 limit": "upper_95",
    "Lower CI 99.8 limit": "lower_998",
    "Upper CI 99.8 limit": "upper_998",
    "Count": "numerator",
    "Denominator": "denominator",
    "Value note": "value_note",
    "Recent Trend": None,
    "Compared to England value or percentiles": None,
    "Compared to Region value or percentiles": None,
    "Compared to percentiles": None,
    "Compared to goal": None,
    "Time period Sortable": None,
    "Time period range": None,
    "New data": None,
    "Value type": "measure",
    "Unit": "unit",
    "Polarity": "polarity",
}
_REQUIRED = ("Indicator ID", "Area Code", "Time period", "Value")


def looks_like_fingertips(headers: list[str]) -> bool:
    """Whether headers are (loosely) those of a Fingertips export."""
    loose = {normalise_header(h) for h in headers}
    return all(normalise_header(c) in loose for c in ("Indicator ID", "Area Code", "Time period"))


def suggest_mapping(missing: list[str], headers: list[str]) -> list[str]:
    """``--map`` options that would rename near-miss headers to the missing ones."""
    loose = {normalise_header(h): h for h in headers}
    out = []
    for name in missing:
        found = loose.get(normalise_header(name))
        if found is not None and found != name:
            out.append(f'--map "{found}={name}"')
    return out


def fingertips_frame(raw: RawTable, mapping: dict[str, str] | None = None) -> pl.DataFrame:
    """Rename a Fingertips table's columns to gapwatch's (after the user's mapping); refuse missing ones."""
    frame = raw.frame
    mapping = dict(mapping or {})
    unknown = [src for src in mapping if src not in frame.columns]
    if unknown:
        raise InvalidInput(
            f"{raw.file}: the mapping names columns the file does not have: {', '.join(unknown)}",
            hint=f"The file's columns are: {', '.join(c for c in frame.columns if c != 'row')}",
        )
    clash = sorted(
        {t for s, t in mapping.items() if (t in frame.columns and t != s) or list(mapping.values()).count(t) > 1}
    )
    if clash:
        raise InvalidInput(
            f"{raw.file}: the mapping renames a column to {', '.join(repr(c) for c in clash)}, "
            "which the file already has (or which another column is renamed to)",
            hint="Map each of the file's columns to a different name.",
        )
    frame = frame.rename(mapping)
    by_lower = {c.lower(): c for c in frame.columns}
    renames: dict[str, str] = {}
    for header, target in FINGERTIPS_COLUMNS.items():
        actual = by_lower.get(header.lower())
        if actual is not None and target is not None:
            renames[actual] = target
    for target in set(FINGERTIPS_COLUMNS.values()) - {None}:  # a mapping may name gapwatch columns directly
        if target in frame.columns and target not in renames.values():
            renames[target] = target
    missing = [h for h in _REQUIRED if FINGERTIPS_COLUMNS[h] not in renames.values()]
    if missing:
        absent = [h for h, t in FINGERTIPS_COLUMNS.items() if t is not None and t not in renames.values()]
        hints = suggest_mapping(absent, frame.columns)
        raise InvalidInput(
            f"{raw.file}: not a Fingertips export: missing column(s) {', '.join(repr(m) for m in missing)}",
            problems=[Problem(f"column '{m}' is missing", file=raw.file, line=1, field=m) for m in missing],
            hint=("Map the renamed headers: " + " ".join(hints))
            if hints
            else "Use --map SOURCE=TARGET (or --mapping FILE) to name the file's columns.",
        )
    known = {h.lower() for h in FINGERTIPS_COLUMNS} | set(renames) | {"row"}
    ignored = [c for c in frame.columns if c.lower() not in known and c not in known]
    if ignored:
        near = suggest_mapping([h for h, t in FINGERTIPS_COLUMNS.items() if t and t not in renames.values()], ignored)
        raw.warnings.append(
            f"Column(s) not imported: {', '.join(ignored[:12])}{' …' if len(ignored) > 12 else ''}"
            + (f" (to import them: {' '.join(near)})" if near else "")
        )
    out = frame.select("row", *[pl.col(src).alias(dst) for src, dst in renames.items()])
    raw.frame = raw.frame.clear()  # release the columns not imported (a million-row file's text is large)
    return out


_NOTE_FLAGS = {
    "suppressed": r"suppress|disclosure",
    "estimated": r"estimat|modelled|synthetic",
    "provisional": r"provisional",
    "revised": r"revised",
}


def read_fingertips(
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    encoding: str = "auto",
    raw: RawTable | None = None,
    defer: bool = False,
    limits: ReadLimits | None = None,
) -> ParsedFile:
    """Read and validate a Fingertips export (every row checked before anything is written).

    With ``defer`` row problems are returned on the result instead of raised, so that the import can add
    the problems only the database can show and report them all at once.
    """
    raw = raw or read_csv_table(path, encoding=encoding, limits=limits)
    frame = fingertips_frame(raw, mapping)
    if "value_note" in frame.columns:
        note = pl.col("value_note").str.to_lowercase()
        frame = frame.with_columns(
            *[
                note.str.contains(pattern).fill_null(False).cast(pl.String).alias(flag)
                for flag, pattern in _NOTE_FLAGS.items()
            ],
            pl.col("value_note").alias("note"),
        ).drop("value_note")
    if "indicator_name" in frame.columns:
        frame = frame.with_columns(pl.col("indicator_name").str.replace_all(r"\s+", " ").str.strip_chars())
    if frame.is_empty():
        raise InvalidInput(f"{raw.file}: the file has a header but no data rows")
    problems = Problems(raw.file)
    ident = frame["indicator"].str.strip_chars()
    problems.add_rows(
        frame,
        ident.is_not_null() & (ident != "") & ~ident.str.contains(r"^[0-9]{1,12}$"),
        "indicator id '{value}' is not a Fingertips indicator number (digits 0-9)",
        field="Indicator ID",
        show="indicator",
    )
    built = build_observations(frame, problems, warnings=raw.warnings)
    meta = file_metadata(built, problems)
    if not defer:
        problems.raise_if_any()
    return ParsedFile(raw.file, built, raw.warnings, "fingertips", meta, problems)


def deprivation_rank(category: str | None) -> int | None:
    """The number of a Fingertips deprivation category: "Most deprived decile (IMD2015)" -> 1,
    "Third less deprived decile" -> 8, "Second least deprived quintile" -> 4; plain "1".."10" as is.

    The one reading of these labels is :func:`gapwatch.domain.groups.quantile_rank`, which the importers
    also use to land such rows on the framework's deprivation breakdowns.
    """
    return quantile_rank(category)
