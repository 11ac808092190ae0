"""Excel workbooks (.xlsx) read as text tables with openpyxl, so one set of checks serves CSV and Excel.

Official workbooks open with a notes sheet and sometimes title rows above the header: the sheet is the one
named, or else the first whose header row has the columns the caller is looking for; the header row is the
first row with at least two filled cells. Cells become text exactly as a person reads them: 2015 not
2015.0, a date as 2004-03-31.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from gapwatch.errors import InvalidInput, Problem
from gapwatch.ingest.tables import RawTable

__all__ = ["cell_text", "read_excel_table", "sheet_names"]

HeaderTest = Callable[[list[str]], bool]
_HEADER_SEARCH = 30


def cell_text(value: Any) -> str | None:
    """A cell as text: integers without ".0", dates as ISO dates, blanks as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _open(path: Path, file: str) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidInput(
            f"{file}: not a readable Excel workbook (.xlsx)",
            problems=[Problem(str(exc) or type(exc).__name__, file=file)],
            hint="Old .xls files must be saved as .xlsx or CSV first.",
        ) from exc


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names."""
    book = _open(path, path.name)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _header_index(rows: list[tuple[Any, ...]]) -> int | None:
    for i, row in enumerate(rows[:_HEADER_SEARCH]):
        if sum(1 for v in row if cell_text(v) is not None) >= 2:
            return i
    return None


def read_excel_table(
    path: Path, *, sheet: str | None = None, wanted: HeaderTest | None = None, name: str | None = None
) -> RawTable:
    """Read one sheet of a workbook as a text table with spreadsheet row numbers."""
    file = name or path.name
    book = _open(path, file)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidInput(f"{file}: there is no sheet '{sheet}'", hint=f"Sheets: {', '.join(book.sheetnames)}")
        candidates = [sheet] if sheet is not None else list(book.sheetnames)
        fallback: tuple[str, list[tuple[Any, ...]], int] | None = None
        for title in candidates:
            rows = list(book[title].iter_rows(values_only=True))
            index = _header_index(rows)
            if index is None:
                continue
            headers = [cell_text(v) or "" for v in rows[index]]
            if wanted is None or wanted(headers) or sheet is not None:
                return _table(file, title, rows, index)
            fallback = fallback or (title, rows, index)
        if fallback is not None and wanted is None:
            return _table(file, *fallback)
        what = f"sheet '{sheet}'" if sheet else "any sheet"
        raise InvalidInput(
            f"{file}: {what} has no table gapwatch recognises",
            hint=f"Sheets: {', '.join(book.sheetnames)}. Name one with --sheet.",
        )
    finally:
        book.close()


def _table(file: str, title: str, rows: list[tuple[Any, ...]], index: int) -> RawTable:
    header = [cell_text(v) or "" for v in rows[index]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    seen: dict[str, int] = {}
    problems = []
    for i, h in enumerate(header):
        if not h:
            problems.append(Problem(f"column {i + 1} has no header", file=file, line=index + 1))
        elif h in seen:
            problems.append(Problem(f"column '{h}' appears more than once", file=file, line=index + 1, field=h))
        seen[h] = i
    if problems:
        raise InvalidInput(f"{file}: the header row of sheet '{title}' is not valid", problems=problems)
    body = rows[index + 1 :]
    while body and all(cell_text(v) is None for v in body[-1]):
        body.pop()
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for row in body:
        cells = list(row[:width]) + [None] * (width - len(row))
        for j in range(width):
            columns[j].append(cell_text(cells[j]))
    frame = pl.DataFrame({h: pl.Series(h, col, dtype=pl.String) for h, col in zip(header, columns, strict=True)})
    frame = frame.with_row_index("row", offset=index + 2).with_columns(pl.col("row").cast(pl.Int64))
    frame = frame.filter(~pl.all_horizontal(pl.exclude("row").is_null()))  # blank rows in the middle
    return RawTable(file=file, frame=frame, sheet=title)
