"""Shared machinery of the data importers: reading CSV bytes safely, collecting located problems, parsing
numbers, flags and periods column-wise with Polars, and the canonical observation frame every importer
produces.

Every check runs over whole columns, so a million-row file is validated in seconds, and every problem
names its row (numbered as in a spreadsheet: the header is row 1) and column. Nothing here touches the
database: the services decide what to do with a validated frame.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from gapwatch.domain.periods import parse_period
from gapwatch.errors import InvalidInput, Problem

__all__ = [
    "CANONICAL",
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
    "read_csv_table",
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
}
_NUMBERS = ("value", "numerator", "denominator", "lower_95", "upper_95", "lower_998", "upper_998")
_BOOLEANS = ("provisional", "estimated", "suppressed", "revised", "illustrative")
_DEFAULTS = {"sex": "Persons", "age": "All ages", "category_type": "", "category": "", "value_type": "value"}
_KEY = ("indicator", "area_code", "sex", "age", "category_type", "category", "value_type", "period")
_SHOWN = 50


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
            hint="Fix the file (rows are numbered as in a spreadsheet, the header is row 1) and import it again.",
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


def _decode_problem(data: bytes, exc: UnicodeDecodeError, encoding: str, file: str) -> InvalidInput:
    line = data[: exc.start].count(b"\n") + 1
    return InvalidInput(
        f"{file}: the file is not valid {encoding} (byte 0x{data[exc.start]:02x} on line {line})",
        problems=[Problem(f"cannot be read as {encoding}", file=file, line=line)],
        hint="Files saved by Excel on Windows are often Windows-1252: try --encoding cp1252, or save as 'CSV UTF-8'.",
    )


def read_csv_table(path: Path, *, encoding: str = "auto", name: str | None = None) -> RawTable:
    """Read a CSV file with every cell as text, refusing what is not a CSV table.

    Copes with a UTF-8 byte-order mark and with Windows-1252 (Excel's "CSV" on Windows: with ``auto``
    it is used, with a warning, when the file is not valid UTF-8); refuses empty, binary, UTF-16 and
    truncated files with a located message.
    """
    file = name or path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(65536)
            handle.seek(max(size - 65536, 0))
            tail = handle.read()
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read the file ({exc.strerror or exc})") from exc
    warnings: list[str] = []
    if not head.strip() and size <= len(head):
        raise InvalidInput(f"{file}: the file is empty", problems=[Problem("the file is empty", file=file)])
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput(f"{file}: the file is UTF-16 text", hint="Save it as 'CSV UTF-8' and import it again.")
    if head.startswith(b"PK\x03\x04"):
        raise InvalidInput(f"{file}: this is an Excel workbook, not a CSV file", hint="Import it with --format excel.")
    if b"\x00" in head:
        raise InvalidInput(f"{file}: the file is binary, not a CSV text file")
    enc = encoding.lower().replace("_", "-")
    utf8 = enc in ("auto", "utf-8", "utf8")
    try:
        # UTF-8 (with or without a byte-order mark) is parsed straight from the file, and checked by Polars:
        # a million-row file is never held twice in memory.
        frame = _parse_csv(path if utf8 else _recode(path.read_bytes(), enc, encoding, file))
    except pl.exceptions.PolarsError as exc:
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
        if "utf-8" not in str(exc).lower() or not utf8:
            raise _csv_error(data, exc, file) from exc
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            if enc != "auto":
                raise _decode_problem(data, bad, "UTF-8", file) from bad
        data = data.decode("cp1252", errors="replace").encode("utf-8")
        warnings.append("The file is not UTF-8; it was read as Windows-1252 (cp1252).")
        try:
            frame = _parse_csv(data)
        except pl.exceptions.PolarsError as again:
            raise _csv_error(data, again, file) from again
    frame = _tidy_headers(frame, file)
    # Strip surrounding blanks only in the columns that have some (a scan, where a strip would copy).
    padded = frame.select([pl.col(c).str.contains(r"^\s|\s$").any().alias(c) for c in frame.columns]).row(0)
    frame = frame.with_columns(
        [pl.col(c).str.strip_chars() for c, pad in zip(frame.columns, padded, strict=True) if pad]
    )
    frame = frame.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    _check_tail(tail, frame, file)
    return RawTable(file=file, frame=frame, warnings=warnings)


def _recode(data: bytes, enc: str, encoding: str, file: str) -> bytes:
    try:
        return data.decode(enc).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise _decode_problem(data, exc, encoding, file) from exc
    except LookupError as exc:
        raise InvalidInput(f"Unknown encoding '{encoding}'", hint="Use auto, utf-8 or cp1252.") from exc


def _parse_csv(source: Path | bytes) -> pl.DataFrame:
    return pl.read_csv(
        io.BytesIO(source) if isinstance(source, bytes) else source, infer_schema=False, truncate_ragged_lines=False
    )


def _csv_error(data: bytes, exc: Exception, file: str) -> InvalidInput:
    text = str(exc)
    if "more fields" in text:
        reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")))
        header = next(reader, [])
        problems = [
            Problem(f"has {len(rec)} fields but the header has {len(header)}", file=file, row=i)
            for i, rec in enumerate(reader, start=2)
            if len(rec) > len(header)
        ][:_SHOWN]
        return InvalidInput(f"{file}: some rows have more fields than the header", problems=problems)
    if data.count(b'"') % 2:
        return InvalidInput(
            f"{file}: a quoted field is never closed: the file looks truncated or damaged",
            problems=[Problem("unbalanced quotes", file=file, line=data.count(b"\n") + 1)],
        )
    return InvalidInput(f"{file}: not a readable CSV table ({text.splitlines()[0]})")


def _tidy_headers(frame: pl.DataFrame, file: str) -> pl.DataFrame:
    renames, problems = {}, []
    for col in frame.columns:
        clean = col.replace("\ufeff", "").strip()
        m = re.fullmatch(r"(.*)_duplicated_\d+", clean)
        if m:
            problems.append(Problem(f"column '{m[1]}' appears more than once", file=file, line=1, field=m[1]))
        if clean != col:
            renames[col] = clean
        if not clean:
            problems.append(Problem("a column has no header", file=file, line=1))
    if problems:
        raise InvalidInput(f"{file}: the header row is not valid", problems=problems)
    return frame.rename(renames) if renames else frame


def _check_tail(data: bytes, frame: pl.DataFrame, file: str) -> None:
    """A file that stops mid-row (no final newline, too few fields on its last line) was truncated."""
    if data.endswith((b"\n", b"\r")) or frame.is_empty():
        return
    last_line = data.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    fields = next(csv.reader([last_line]), [])
    expected = len(frame.columns) - 1
    if len(fields) < expected:
        row = int(frame["row"][-1])
        raise InvalidInput(
            f"{file}: the last row stops after {len(fields)} of {expected} fields: the file looks truncated",
            problems=[Problem(f"incomplete row ({len(fields)} of {expected} fields)", file=file, row=row)],
            hint="Download or export the file again.",
        )


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


def _periods(frame: pl.DataFrame, problems: Problems, academic: bool) -> pl.DataFrame:
    raw = frame["period"]
    parsed: dict[str, tuple[str, str, Any, Any] | None] = {}
    for label in raw.drop_nulls().unique().to_list():
        text = label
        if academic and re.fullmatch(r"\d{4}\s*[/-]\s*\d{2}", label.strip()):
            text = label + " AY"
        try:
            p = parse_period(text)
            parsed[label] = (p.label, p.kind.value, p.start, p.end)
        except ValueError:
            parsed[label] = None
    bad = [k for k, v in parsed.items() if v is None]
    if bad:
        problems.add_rows(
            frame,
            raw.is_in(bad),
            "'{value}' is not a period gapwatch understands (e.g. 2007, "
            "2007/08, 2006/07 AY, 2017-19, 2011 H2, 2008 Q1, March 2004)",
            field="period",
            show="period",
        )
    good = {k: v for k, v in parsed.items() if v is not None}
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


def build_observations(frame: pl.DataFrame, problems: Problems, *, academic_years: bool = False) -> pl.DataFrame:
    """Turn a frame of text columns named as in :data:`CANONICAL` into the typed canonical frame.

    Checks every row: required cells present, numbers and yes/no flags parse, periods parse, counts are
    not negative, interval limits are in order, and no two rows share a key. Rows with neither a value
    nor a count nor a withheld-value code carry nothing and are dropped (the caller reports how many).
    """
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
    for col in ("numerator", "denominator"):
        problems.add_rows(frame, pl.col(col) < 0, f"the {col} is negative ({{value}})", field=col, show=col)
    problems.add_rows(
        frame, pl.col("lower_95") > pl.col("upper_95"), "the lower 95% limit is above the upper", field="lower_95"
    )
    frame = _periods(frame, problems, academic_years)
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
