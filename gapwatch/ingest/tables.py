"""Shared machinery of the data importers: collecting located problems, parsing numbers, flags and periods
column-wise with Polars, and the canonical observation frame every importer produces (files are read by
:mod:`gapwatch.ingest.csvfile` and :mod:`gapwatch.ingest.excel`, within :mod:`gapwatch.ingest.limits`).

Every check runs over whole columns, so a million-row file is validated in seconds, and every problem
names its row (numbered as in a spreadsheet: the header is row 1) and column. Nothing here touches the
database: the services decide what to do with a validated frame.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from gapwatch.domain.periods import parse_period
from gapwatch.errors import InvalidInput, Problem

__all__ = [
    "CANONICAL",
    "RESERVED",
    "MISSING_TOKENS",
    "SUPPRESSION_CODES",
    "WITHHELD_CODES",
    "ParsedFile",
    "Problems",
    "RawTable",
    "build_observations",
    "file_sha256",
    "normalise_header",
    "parse_booleans",
    "parse_numbers",
    "tidy_headers",
]

#: Cells that mean "no value" and carry no reason.
MISSING_TOKENS = frozenset({"", "na", "n/a", "null", "none", "nan", "-"})
#: Published symbols for a withheld value (DfE/ONS conventions), with what they mean.
WITHHELD_CODES: dict[str, str] = {
    "c": "confidential (suppressed)",
    "low": "low: rounds to zero but is not zero (suppressed)",
    "k": "low: rounds to zero but is not zero (suppressed)",
    "*": "suppressed",
    "~": "suppressed (small number)",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
    ":": "not available",
    "..": "not available",
}
#: The codes that mean the value exists but is hidden to protect small numbers.
SUPPRESSION_CODES = frozenset({"c", "low", "k", "*", "~"})

#: Columns of the canonical observation frame every importer returns (before the services add pks).
CANONICAL: dict[str, Any] = {
    "row": pl.Int64,
    "indicator": pl.String,
    "indicator_name": pl.String,
    "area_code": pl.String,
    "area_name": pl.String,
    "area_type": pl.String,
    "parent_code": pl.String,
    "sex": pl.String,
    "age": pl.String,
    "category_type": pl.String,
    "category": pl.String,
    "value_type": pl.String,
    "period": pl.String,
    "period_kind": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "lower_95": pl.Float64,
    "upper_95": pl.Float64,
    "lower_998": pl.Float64,
    "upper_998": pl.Float64,
    "provisional": pl.Boolean,
    "estimated": pl.Boolean,
    "suppressed": pl.Boolean,
    "revised": pl.Boolean,
    "illustrative": pl.Boolean,
    "value_code": pl.String,
    "note": pl.String,
    "unit": pl.String,
    "measure": pl.String,
    "multiplier": pl.String,
    "polarity": pl.String,
}
_NUMBERS = ("value", "numerator", "denominator", "lower_95", "upper_95", "lower_998", "upper_998")
_BOOLEANS = ("provisional", "estimated", "suppressed", "revised", "illustrative")
_DEFAULTS = {"sex": "Persons", "age": "All ages", "category_type": "", "category": "", "value_type": "value"}
_KEY = ("indicator", "area_code", "sex", "age", "category_type", "category", "value_type", "period")
_SHOWN = 50
_TWO_YEARS = re.compile(r"\s*\d{4}\s*[-–—]\s*\d{2}(\d{2})?\s*")
#: gapwatch numbers every row in a column called "row": a file's own column of that name would clash.
RESERVED = "a column is named 'row', which gapwatch keeps for row numbers: rename it"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (the lineage of a batch names exactly what was loaded)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def normalise_header(name: str) -> str:
    """A header compared loosely: lower case, no spaces, underscores, dots or BOM."""
    return re.sub(r"[\s_.\-\ufeff]+", "", name).lower()


class Problems:
    """Collects located problems; keeps the first 50 of each check but counts them all."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []
        self.total = 0
        #: What the user can do about these problems beyond fixing the file (e.g. waive a rule).
        self.hints: list[str] = []

    def add(self, message: str, *, row: int | None = None, field: str | None = None, line: int | None = None) -> None:
        """One problem."""
        self.total += 1
        self.items.append(Problem(message, file=self.file, row=row, field=field, line=line))

    def add_rows(
        self,
        frame: pl.DataFrame,
        mask: pl.Series | pl.Expr,
        message: str,
        *,
        field: str | None = None,
        show: str | None = None,
    ) -> int:
        """A problem for each row where ``mask`` holds; ``{value}`` in the message is the ``show`` column's cell."""
        bad = frame.filter(mask)
        if bad.is_empty():
            return 0
        self.total += bad.height
        columns = ["row", show] if show else ["row"]
        for row in bad.head(_SHOWN).select(columns).iter_rows(named=True):
            shown = row[show] if show else None
            self.items.append(Problem(message.format(value=shown), file=self.file, row=row["row"], field=field))
        return bad.height

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self, what: str = "Nothing was written.") -> None:
        """Raise :class:`InvalidInput` listing the first 50 problems (by row) and the total count."""
        if not self.total:
            return
        unique = list(dict.fromkeys(self.items))  # a wide file's measures can repeat one row's problem
        shown = sorted(unique, key=lambda p: (p.row or 0, p.line or 0))[:_SHOWN]
        listed = f" (the first {_SHOWN} are listed)" if self.total > _SHOWN else ""
        raise InvalidInput(
            f"{self.file}: {self.total:,} problem(s) found{listed}. {what}",
            problems=shown,
            hint=" ".join(
                [
                    "Fix the file (rows are numbered as in a spreadsheet, the header is row 1) and import it again.",
                    *dict.fromkeys(self.hints),
                ]
            ),
        )


class ParsedFile:
    """A validated file: the canonical frame, its warnings and how many rows carried nothing."""

    def __init__(
        self,
        file: str,
        frame: pl.DataFrame,
        warnings: list[str],
        fmt: str,
        indicator_meta: dict[str, dict[str, Any]] | None = None,
        problems: Problems | None = None,
    ) -> None:
        self.file = file
        self.frame = frame.filter(~pl.col("_empty")).drop("_empty")
        self.skipped = frame.height - self.frame.height
        self.rows_read = frame.height
        self.warnings = list(warnings)
        self.format = fmt
        #: What the file (or its mapping) says about each indicator: name, measure, unit, multiplier, polarity.
        self.indicator_meta = dict(indicator_meta or {})
        #: Row problems found in the file itself, when the caller asked to defer them (to report them
        #: together with the problems only the database can show).
        self.problems = problems if problems is not None else Problems(file)
        if self.skipped:
            self.warnings.append(
                f"{self.skipped:,} row(s) have no value, count or withheld-value code and were skipped."
            )


@dataclass
class RawTable:
    """A table as read: every cell a string (or null), headers stripped, a ``row`` column added."""

    file: str
    frame: pl.DataFrame
    warnings: list[str] = field(default_factory=list)
    sheet: str | None = None


def tidy_headers(frame: pl.DataFrame, file: str) -> pl.DataFrame:
    """Headers without a byte-order mark or surrounding blanks; a blank or repeated header is refused."""
    renames, problems, seen = {}, [], set()
    for col in frame.columns:
        clean = col.replace("\ufeff", "").strip()
        m = re.fullmatch(r"(.*)_duplicated_\d+", clean)
        if m or (clean and clean in seen):
            name = m[1] if m else clean
            problems.append(Problem(f"column '{name}' appears more than once", file=file, line=1, field=name))
        seen.add(clean)
        if clean != col:
            renames[col] = clean
        if not clean:
            problems.append(Problem("a column has no header", file=file, line=1))
        if clean == "row":
            problems.append(Problem(RESERVED, file=file, line=1, field="row"))
    if problems:
        raise InvalidInput(f"{file}: the header row is not valid", problems=problems)
    return frame.rename(renames) if renames else frame


_THOUSANDS = r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$"


def parse_numbers(
    frame: pl.DataFrame, column: str, problems: Problems, *, label: str | None = None
) -> tuple[pl.Series, pl.Series]:
    """A text column as floats, and the withheld-value code of each cell (``c``, ``x``, ``low`` …).

    Accepts "29,199" (thousands separators), a trailing "%", blanks and "NA" as missing; DfE/ONS
    symbols become codes, never numbers; anything else is a located problem.
    """
    text = frame[column].str.strip_chars()
    low = text.str.to_lowercase()
    code = pl.select(pl.when(low.is_in(list(WITHHELD_CODES))).then(low).otherwise(None)).to_series()
    cleaned = pl.select(
        pl.when(text.str.contains(_THOUSANDS))
        .then(text.str.replace_all(",", ""))
        .otherwise(text)
        .str.strip_suffix("%")
        .str.strip_chars()
    ).to_series()
    number = cleaned.cast(pl.Float64, strict=False)
    blank = low.is_null() | low.is_in(list(MISSING_TOKENS))
    bad = number.is_null() & ~blank & code.is_null()
    if bad.any():
        problems.add_rows(frame, bad, "'{value}' is not a number", field=label or column, show=column)
    finite = number.is_finite().fill_null(True)
    if (~finite).any():
        problems.add_rows(frame, ~finite, "'{value}' is not a finite number", field=label or column, show=column)
    return number.alias(column), code.alias(column)


_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}


def parse_booleans(frame: pl.DataFrame, column: str, problems: Problems) -> pl.Series:
    """A yes/no column (true/false, yes/no, y/n, 1/0; blank is no) as booleans."""
    low = frame[column].str.strip_chars().str.to_lowercase()
    bad = low.is_not_null() & ~low.is_in(list(_TRUE | _FALSE))
    if bad.any():
        problems.add_rows(
            frame, bad, "'{value}' is not yes/no (use true/false, yes/no or 1/0)", field=column, show=column
        )
    return low.is_in(list(_TRUE)).fill_null(False).alias(column)


def _periods(frame: pl.DataFrame, problems: Problems, academic: bool, warnings: list[str]) -> pl.DataFrame:
    raw = frame["period"]
    parsed: dict[str, tuple[str, str, Any, Any] | str] = {}
    for label in raw.drop_nulls().unique().to_list():
        text = label
        if academic and re.fullmatch(r"\d{4}\s*[/-]\s*\d{2}", label.strip()):
            text = label + " AY"
        try:
            p = parse_period(text)
            parsed[label] = (p.label, p.kind.value, p.start, p.end)
        except ValueError as exc:
            parsed[label] = str(exc)
    bad = {k: v for k, v in parsed.items() if isinstance(v, str)}
    for label, message in list(bad.items())[:_SHOWN]:
        problems.add_rows(frame, raw == label, message.replace("{", "{{").replace("}", "}}"), field="period")
    if len(bad) > _SHOWN:
        problems.add_rows(
            frame,
            raw.is_in(list(bad)[_SHOWN:]),
            "'{value}' is not a period gapwatch understands",
            field="period",
            show="period",
        )
    pooled = sorted(
        k
        for k, v in parsed.items()
        if not isinstance(v, str) and v[1] == "rolling" and v[3].year == v[2].year + 1 and _TWO_YEARS.fullmatch(k)
    )
    if pooled:
        warnings.append(
            f"Period(s) {', '.join(pooled[:5])} were read as two calendar years pooled (e.g. {pooled[0]} is "
            "January to December of both years), as Fingertips writes them; a financial year is written "
            "with a slash (2019/20) and an academic year with AY (2019/20 AY)."
        )
    good = {k: v for k, v in parsed.items() if not isinstance(v, str)}
    lookup = pl.DataFrame(
        {
            "period": list(good),
            "_label": [v[0] for v in good.values()],
            "period_kind": [v[1] for v in good.values()],
            "period_start": [v[2] for v in good.values()],
            "period_end": [v[3] for v in good.values()],
        },
        schema={
            "period": pl.String,
            "_label": pl.String,
            "period_kind": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
        },
    )
    out = frame.join(lookup, on="period", how="left", maintain_order="left")
    return out.with_columns(pl.col("_label").alias("period")).drop("_label")


def build_observations(
    frame: pl.DataFrame, problems: Problems, *, academic_years: bool = False, warnings: list[str] | None = None
) -> pl.DataFrame:
    """Turn a frame of text columns named as in :data:`CANONICAL` into the typed canonical frame.

    Checks every row: required cells present, numbers and yes/no flags parse, periods parse (by the rules
    of :func:`~gapwatch.domain.periods.parse_period`), measure types and polarities are known words, and no
    two rows share a key. Rows with neither a value nor a count nor a withheld-value code carry nothing and
    are dropped (the caller reports how many). Whether the values are plausible (counts whole, proportions
    within range, periods in a sane window) is judged by :mod:`gapwatch.ingest.plausibility`, once each
    row's indicator is known. Notes on how the file was read are added to ``warnings``.
    """
    from gapwatch.ingest.metadata import normalise_measures

    warnings = warnings if warnings is not None else []
    for col, default in _DEFAULTS.items():
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(default).alias(col))
        else:
            frame = frame.with_columns(pl.col(col).fill_null(default))
    for col in CANONICAL:
        if col not in frame.columns and col not in ("period_kind", "period_start", "period_end"):
            frame = frame.with_columns(pl.lit(None, pl.String).alias(col))
    for col in ("indicator", "area_code", "period"):
        problems.add_rows(
            frame, frame[col].is_null() | (frame[col] == ""), f"the {col.replace('_', ' ')} is missing", field=col
        )
    codes: list[pl.Series] = []
    numbers: dict[str, pl.Series] = {}
    for col in _NUMBERS:
        numbers[col], code = parse_numbers(frame, col, problems)
        codes.append(code)
    flags = {col: parse_booleans(frame, col, problems) for col in _BOOLEANS}
    first_code = pl.select(pl.coalesce([frame["value_code"].str.to_lowercase(), *codes])).to_series()
    frame = frame.with_columns(*numbers.values(), *flags.values(), first_code.alias("value_code"))
    frame = frame.with_columns(
        (pl.col("suppressed") | pl.col("value_code").is_in(list(SUPPRESSION_CODES)).fill_null(False)).alias(
            "suppressed"
        )
    )
    frame = normalise_measures(frame, problems)
    frame = _periods(frame, problems, academic_years, warnings)
    empty = (
        pl.col("value").is_null()
        & pl.col("numerator").is_null()
        & pl.col("value_code").is_null()
        & ~pl.col("suppressed")
    )
    frame = frame.with_columns(_empty=empty)
    keyed = frame.filter(~pl.col("_empty") & pl.col("period").is_not_null())
    dupes = keyed.filter(keyed.select(_KEY).is_duplicated())
    if not dupes.is_empty():
        first = dupes.group_by(list(_KEY)).agg(pl.col("row").min().alias("_first"))
        dupes = dupes.join(first, on=list(_KEY)).filter(pl.col("row") != pl.col("_first"))
        problems.add_rows(
            dupes,
            pl.lit(True),
            "repeats the key of row {value} (same indicator, area, breakdown and period)",
            field="period",
            show="_first",
        )
    return frame.select(*CANONICAL, "_empty")
