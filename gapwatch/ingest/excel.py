"""Excel workbooks (.xlsx) read as text tables, streamed cell by cell within limits, so that one set of
checks serves CSV and Excel and no workbook can exhaust the server.

A workbook is a zip of XML parts. Before anything is unzipped, the parts' declared sizes are checked against
the limits (:class:`~gapwatch.ingest.limits.ReadLimits`): their total uncompressed size and how much each was
compressed (a zip bomb's ratio gives it away; Python's zip reader never yields more than a part declares).
Then openpyxl opens the workbook read-only and each sheet's XML is parsed one cell at a time, with every
cell dropped once read: the sheet's declared dimension (``A1:XFD1048576`` in a hostile file) is never
trusted, only the cells that hold something count, and rows, columns, cells and cell lengths are checked as
they stream.

Official workbooks open with a notes sheet and sometimes title rows above the header: the sheet is the one
named, or else the first whose header row has the columns the caller is looking for; the header row is the
first row (within the first 30) with at least two filled cells. Cells become text exactly as a person reads
them: 2015 not 2015.0, a date as 2004-03-31.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, iterparse

import polars as pl

from gapwatch.errors import GapwatchError, InvalidInput, Problem
from gapwatch.ingest.limits import MB, ReadLimits
from gapwatch.ingest.tables import RESERVED, RawTable

__all__ = ["cell_text", "check_archive", "read_excel_table", "sheet_names"]

HeaderTest = Callable[[list[str]], bool]
_HEADER_SEARCH = 30
_MAX_PARTS = 10_000
#: Parts smaller than this are not judged by their compression ratio (tiny parts compress enormously).
_RATIO_FLOOR = MB
_CHUNK = 50_000
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL = f"{_NS}row", f"{_NS}c"


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


def _unreadable(file: str, exc: BaseException | str) -> InvalidInput:
    detail = exc if isinstance(exc, str) else (str(exc) or type(exc).__name__)
    return InvalidInput(
        f"{file}: not a readable Excel workbook (.xlsx)",
        problems=[Problem(detail, file=file)],
        hint="Old .xls files must be saved as .xlsx or CSV first; a damaged file must be exported again.",
    )


def check_archive(path: Path, file: str, limits: ReadLimits) -> None:
    """Refuse a workbook too large, or one that would decompress beyond the limits, before unzipping it."""
    try:
        limits.check_size(file, path.stat().st_size)
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except GapwatchError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable(file, exc) from exc
    if len(parts) > _MAX_PARTS:
        raise _unreadable(file, f"the archive holds {len(parts):,} parts; a workbook has a few dozen")
    total = 0
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise limits.refuse(
                file,
                f"part {part.filename} is compressed {ratio:,.0f} to 1, beyond the limit of "
                f"{limits.max_compression_ratio:,} to 1: the workbook looks like a zip bomb",
                "import_max_compression_ratio",
            )
        total += part.file_size
        if total > limits.max_uncompressed_bytes:
            raise limits.refuse(
                file,
                f"the workbook decompresses to more than the limit of {limits.max_uncompressed_bytes / MB:,.0f} MB "
                f"(part {part.filename} alone is {part.file_size / MB:,.1f} MB)",
                "import_max_uncompressed_mb",
            )


@contextmanager
def _workbook(path: Path, file: str, limits: ReadLimits) -> Iterator[Any]:
    """The workbook opened read-only after its archive passed the limits; closed (file and all) afterwards."""
    import openpyxl

    check_archive(path, file, limits)
    # openpyxl leaves the file open when a damaged workbook fails half-way: the handle is ours to close.
    with path.open("rb") as handle:
        try:
            with warnings.catch_warnings():  # openpyxl warns of features it skips (extensions, default styles)
                warnings.simplefilter("ignore", UserWarning)
                book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # a damaged workbook fails in many ways inside openpyxl; none may escape
            raise _unreadable(file, exc) from exc
        try:
            yield book
        finally:
            book.close()


def sheet_names(path: Path, *, limits: ReadLimits | None = None) -> list[str]:
    """The workbook's sheet names."""
    with _workbook(path, path.name, limits or ReadLimits()) as book:
        return list(book.sheetnames)


class _Sheet:
    """One worksheet streamed as (row number, {column: value}) for the rows that hold something."""

    def __init__(self, book: Any, title: str, file: str, limits: ReadLimits) -> None:
        from openpyxl.worksheet._reader import WorkSheetParser

        self.sheet = book[title]
        self.title = title
        self.file = file
        self.limits = limits
        self.cells = 0
        self.parser = WorkSheetParser(
            None,
            self.sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )

    def _where(self, row: int, column: int | None = None) -> str:
        if column is None:
            return f"sheet '{self.title}', row {row:,}"
        from openpyxl.utils import get_column_letter

        letter = get_column_letter(column) if 1 <= column <= 18278 else f"column {column:,}"
        return f"sheet '{self.title}', cell {letter}{row}"

    def _cell(self, element: Element, row: int) -> None | tuple[int, Any]:
        try:
            cell = self.parser.parse_cell(element)
        except Exception as exc:  # a damaged cell: bad reference, number, string index or date
            raise InvalidInput(
                f"{self.file}: {self._where(row)} has a damaged cell ({exc or type(exc).__name__})",
                problems=[Problem(f"damaged cell in sheet '{self.title}'", file=self.file, row=row)],
            ) from exc
        value, column = cell["value"], int(cell["column"])
        if value is None or value == "":
            return None
        limits = self.limits
        if column > limits.max_columns:
            raise limits.refuse(
                self.file,
                f"{self._where(row, column)} is beyond the limit of {limits.max_columns:,} columns",
                "import_max_columns",
                row=row,
            )
        self.cells += 1
        if self.cells > limits.max_cells:
            raise limits.refuse(
                self.file,
                f"sheet '{self.title}' has more than the limit of {limits.max_cells:,} filled cells",
                "import_max_cells",
                row=row,
            )
        if isinstance(value, str) and len(value) > limits.max_field_chars:
            raise limits.too_long(self.file, len(value), row=row, field=self._where(row, column))
        return column, value

    def rows(self) -> Generator[tuple[int, dict[int, Any]], None, None]:
        """Rows in order, each element dropped once read (memory stays flat however long the sheet)."""
        try:
            source = self.sheet._get_source()
        except Exception as exc:
            raise _unreadable(self.file, exc) from exc
        stack: list[Element] = []
        in_cell = 0
        number = 0
        values: dict[int, Any] = {}
        try:
            with source:
                for event, element in iterparse(source, events=("start", "end")):
                    if event == "start":
                        stack.append(element)
                        if element.tag == _CELL:
                            in_cell += 1
                        elif element.tag == _ROW and not in_cell:
                            number = _row_number(element.get("r"), number, self.file, self.title)
                            self.parser.row_counter, self.parser.col_counter = number, 0
                            values = {}
                        continue
                    stack.pop()
                    if element.tag == _CELL:
                        in_cell -= 1
                        if not in_cell:
                            found = self._cell(element, number)
                            if found is not None:
                                values[found[0]] = found[1]
                    elif in_cell:
                        continue  # a cell's own parts (<v>, <is>) are read with the cell
                    elif element.tag == _ROW and values:
                        yield number, values
                    if stack:
                        stack[-1].remove(element)  # drop what has been read: the parent holds nothing more
        except (ParseError, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise InvalidInput(
                f"{self.file}: sheet '{self.title}' is damaged near row {number:,} ({exc})",
                problems=[Problem(f"damaged sheet '{self.title}'", file=self.file, row=number or None)],
                hint="Open the workbook in Excel and save it again, or export the sheet as CSV.",
            ) from exc


def _row_number(text: str | None, previous: int, file: str, title: str) -> int:
    if text is None:
        return previous + 1
    try:
        number = int(float(text))
    except ValueError:
        number = 0
    if number < 1:
        raise InvalidInput(f"{file}: sheet '{title}' has a row numbered '{text}' (after row {previous:,})")
    return number


def _header(rows: Iterator[tuple[int, dict[int, Any]]]) -> tuple[int, list[str]] | None:
    """The header row: the first of the first 30 rows with at least two filled cells."""
    for number, values in rows:
        if number > _HEADER_SEARCH:
            return None
        if sum(1 for v in values.values() if cell_text(v) is not None) >= 2:
            width = max(values)
            header = [cell_text(values.get(j)) or "" for j in range(1, width + 1)]
            while header and not header[-1]:
                header.pop()
            return number, header
    return None


def read_excel_table(
    path: Path,
    *,
    sheet: str | None = None,
    wanted: HeaderTest | None = None,
    name: str | None = None,
    limits: ReadLimits | None = None,
) -> RawTable:
    """Read one sheet of a workbook as a text table with spreadsheet row numbers, within ``limits``."""
    limits = limits or ReadLimits()
    file = name or path.name
    with _workbook(path, file, limits) as book:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidInput(f"{file}: there is no sheet '{sheet}'", hint=f"Sheets: {', '.join(book.sheetnames)}")
        candidates = [sheet] if sheet is not None else list(book.sheetnames)
        for title in candidates:
            reader = _Sheet(book, title, file, limits)
            rows = reader.rows()
            try:
                found = _header(rows)
                if found is not None and (wanted is None or wanted(found[1]) or sheet is not None):
                    return _table(reader, rows, *found)
            finally:
                rows.close()
        what = f"sheet '{sheet}'" if sheet else "any sheet"
        raise InvalidInput(
            f"{file}: {what} has no table gapwatch recognises",
            hint=f"Sheets: {', '.join(book.sheetnames)}. Name one with --sheet.",
        )


def _table(reader: _Sheet, rows: Iterator[tuple[int, dict[int, Any]]], index: int, header: list[str]) -> RawTable:
    file, title, limits = reader.file, reader.title, reader.limits
    width = len(header)
    limits.check_columns(file, width, line=index)
    seen: dict[str, int] = {}
    problems = []
    for i, h in enumerate(header):
        if not h:
            problems.append(Problem(f"column {i + 1} has no header", file=file, line=index))
        elif h in seen:
            problems.append(Problem(f"column '{h}' appears more than once", file=file, line=index, field=h))
        seen[h] = i
    if "row" in seen:
        problems.append(Problem(RESERVED, file=file, line=index, field="row"))
    if problems:
        raise InvalidInput(f"{file}: the header row of sheet '{title}' is not valid", problems=problems)
    allowed = limits.rows_allowed(width)
    parts: list[pl.DataFrame] = []
    numbers: list[int] = []
    columns: list[list[str | None]] = [[] for _ in range(width)]
    count = 0

    def flush() -> None:
        # Python strings cost ten times a Polars column's: move each chunk of rows into Polars as it fills.
        parts.append(
            pl.DataFrame(
                {"row": pl.Series("row", numbers, dtype=pl.Int64)}
                | {h: pl.Series(h, col, dtype=pl.String) for h, col in zip(header, columns, strict=True)}
            )
        )
        numbers.clear()
        for col in columns:
            col.clear()

    for number, values in rows:
        cells = [cell_text(values.get(j)) for j in range(1, width + 1)]
        if all(c is None for c in cells):
            continue  # blank rows (or cells only beyond the header's columns) carry nothing
        count += 1
        if count > allowed:
            raise limits.too_many_rows(file, width, row=number)
        numbers.append(number)
        for j, text in enumerate(cells):
            columns[j].append(text)
        if len(numbers) >= _CHUNK:
            flush()
    flush()
    frame = pl.concat(parts) if len(parts) > 1 else parts[0]
    return RawTable(file=file, frame=frame, sheet=title)
