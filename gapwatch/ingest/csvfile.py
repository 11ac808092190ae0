"""Reading a CSV file as a text table, within limits, refusing what is not a CSV table.

The file's size is checked before it is opened and its header's width before it is parsed; Polars then reads
at most the rows the limits allow (it stops there, it does not load the rest), and every cell's length is
checked column-wise. UTF-8 (with or without a byte-order mark) is parsed straight from the file; other
encodings (Windows-1252, Excel's "CSV" on Windows) are recoded into a temporary file block by block, so a
large file is never held in memory twice. Every refusal is an :class:`~gapwatch.errors.InvalidInput` naming
the file and, where there is one, the line, row and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from gapwatch.errors import InvalidInput, Problem
from gapwatch.ingest.limits import MB, ReadLimits
from gapwatch.ingest.tables import RawTable, tidy_headers

__all__ = ["read_csv_table"]

_BOM = b"\xef\xbb\xbf"
_BLOCK = 1 << 20
#: The header row must end within this many bytes (a real header of 1,000 long names is under 100 kB).
_HEADER_BYTES = 1 << 20
_SHOWN = 50


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from iter(lambda: handle.read(_BLOCK), b"")


def read_csv_table(
    path: Path, *, encoding: str = "auto", name: str | None = None, limits: ReadLimits | None = None
) -> RawTable:
    """Read a CSV file with every cell as text, refusing what is not a CSV table or is beyond ``limits``.

    Copes with a UTF-8 byte-order mark and with Windows-1252 (with ``auto`` it is used, with a warning, when
    the file is not valid UTF-8); refuses empty, binary, UTF-16 and truncated files with a located message.
    """
    limits = limits or ReadLimits()
    file = name or path.name
    try:
        size = path.stat().st_size
        limits.check_size(file, size)
        with path.open("rb") as handle:
            head = handle.read(_HEADER_BYTES)
            handle.seek(max(size - 65536, 0))
            tail = handle.read()
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read the file ({exc.strerror or exc})") from exc
    if not head.strip() and size <= len(head):
        raise InvalidInput(f"{file}: the file is empty", problems=[Problem("the file is empty", file=file)])
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput(f"{file}: the file is UTF-16 text", hint="Save it as 'CSV UTF-8' and import it again.")
    if head.startswith(b"PK\x03\x04"):
        raise InvalidInput(f"{file}: this is an Excel workbook, not a CSV file", hint="Import it with --format excel.")
    if b"\x00" in head[:65536]:
        raise InvalidInput(f"{file}: the file is binary, not a CSV text file")
    enc = encoding.lower().replace("_", "-")
    utf8 = enc in ("auto", "utf-8", "utf8")
    if not utf8:
        try:
            codecs.lookup(enc)
        except LookupError as exc:
            raise InvalidInput(f"Unknown encoding '{encoding}'", hint="Use auto, utf-8 or cp1252.") from exc
    width = _header_width(head, size, "utf-8" if utf8 else enc, file, limits)
    allowed = limits.rows_allowed(width)
    warnings: list[str] = []
    recoded: Path | None = None
    try:
        if not utf8:
            recoded = _recode(path, enc, file, errors="strict")
        try:
            frame = _parse_csv(recoded or path, allowed)
        except pl.exceptions.PolarsError as exc:
            if "utf-8" not in str(exc).lower() or not utf8:
                raise _csv_error(recoded or path, exc, file) from exc
            bad = _first_bad_utf8(path)
            if bad is not None and enc != "auto":
                raise _decode_problem(bad[0], bad[1], "UTF-8", file) from exc
            recoded = _recode(path, "cp1252", file, errors="replace")
            warnings.append("The file is not UTF-8; it was read as Windows-1252 (cp1252).")
            try:
                frame = _parse_csv(recoded, allowed)
            except pl.exceptions.PolarsError as again:
                raise _csv_error(recoded, again, file) from again
    finally:
        if recoded is not None:
            recoded.unlink(missing_ok=True)
    limits.check_columns(file, frame.width)
    if frame.height > allowed:
        raise limits.too_many_rows(file, frame.width, row=allowed + 2)
    frame = tidy_headers(frame, file)
    _check_lengths(frame, file, limits)
    # Strip surrounding blanks only in the columns that have some (a scan, where a strip would copy).
    padded = frame.select([pl.col(c).str.contains(r"^\s|\s$").any().alias(c) for c in frame.columns]).row(0)
    frame = frame.with_columns(
        [pl.col(c).str.strip_chars() for c, pad in zip(frame.columns, padded, strict=True) if pad]
    )
    frame = frame.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    _check_tail(tail, frame, file)
    return RawTable(file=file, frame=frame, warnings=warnings)


def _header_width(head: bytes, size: int, encoding: str, file: str, limits: ReadLimits) -> int:
    """The number of fields of the header row, read from the file's first megabyte only."""
    complete = size <= len(head)
    if not complete:
        cut = head.rfind(b"\n")
        if cut < 0:
            raise limits.refuse(
                file,
                f"the first line is longer than {_HEADER_BYTES // MB} MB: this is not the header of a CSV table",
                "import_max_field_chars",
                line=1,
            )
        head = head[: cut + 1]
    text = head.removeprefix(_BOM).decode(encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise limits.too_long(file, len(text), row=1) from exc
        raise InvalidInput(
            f"{file}: the header row is not a CSV row ({exc})", problems=[Problem(str(exc), file=file, line=1)]
        ) from exc
    limits.check_columns(file, len(header))
    longest = max((len(h) for h in header), default=0)
    if longest > limits.max_field_chars:
        raise limits.too_long(file, longest, row=1)
    return max(len(header), 1)


def _parse_csv(source: Path, rows: int) -> pl.DataFrame:
    # One row more than allowed, so that a longer file is seen to be longer without reading the rest.
    return pl.read_csv(source, infer_schema=False, truncate_ragged_lines=False, n_rows=rows + 1)


def _decode_problem(byte: int, line: int, encoding: str, file: str) -> InvalidInput:
    return InvalidInput(
        f"{file}: the file is not valid {encoding} (byte 0x{byte:02x} on line {line})",
        problems=[Problem(f"cannot be read as {encoding}", file=file, line=line)],
        hint="Files saved by Excel on Windows are often Windows-1252: try --encoding cp1252, or save as 'CSV UTF-8'.",
    )


def _first_bad_utf8(path: Path) -> tuple[int, int] | None:
    """The first byte that is not UTF-8 and its line, read block by block (``None`` if all is UTF-8)."""
    carry = b""
    lines = 0
    first = True
    for block in _blocks(path):
        data = carry + (block.removeprefix(_BOM) if first else block)
        first = False
        try:
            data.decode("utf-8")
            carry = b""
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data" and len(data) - exc.start < 4:
                carry = data[exc.start :]  # a character cut by the block boundary: complete it with the next
                lines += data[: exc.start].count(b"\n")
                continue
            return data[exc.start], lines + data[: exc.start].count(b"\n") + 1
        lines += data.count(b"\n")
    return (carry[0], lines + 1) if carry else None


def _recode(path: Path, encoding: str, file: str, *, errors: str) -> Path:
    """The file recoded to UTF-8 in a temporary file, block by block (the caller deletes it)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    handle, name = tempfile.mkstemp(prefix="gapwatch-", suffix=".csv")
    out = Path(name)
    lines = 0
    try:
        with os.fdopen(handle, "wb") as sink:
            for block in _blocks(path):
                try:
                    sink.write(decoder.decode(block).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    line = lines + block[: max(exc.start, 0)].count(b"\n") + 1
                    bad = block[exc.start] if 0 <= exc.start < len(block) else 0
                    raise _decode_problem(bad, line, encoding, file) from exc
                lines += block.count(b"\n")
            sink.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return out


def _csv_error(source: Path, exc: Exception, file: str) -> InvalidInput:
    """A located message for a file Polars could not parse: extra fields by row, or a quote never closed."""
    text = str(exc)
    if "more fields" in text:
        problems: list[Problem] = []
        reader = csv.reader(_text_lines(source))
        row, header = 1, []
        # No field can be longer than the file (already within its size limit): let the csv module read them.
        previous = csv.field_size_limit(max(csv.field_size_limit(), source.stat().st_size + 1))
        try:
            header = next(reader, [])
            for row, record in enumerate(reader, start=2):
                if len(record) > len(header):
                    problems.append(
                        Problem(
                            f"has {len(record)} fields but the header has {len(header)}",
                            file=file,
                            row=row,
                            field=f"field {len(header) + 1} (no header)",
                        )
                    )
                    if len(problems) >= _SHOWN:
                        break
        except csv.Error as bad:  # a NUL byte, a stray quote …
            problems.append(Problem(f"cannot be read as CSV ({bad})", file=file, row=row + 1))
        finally:
            csv.field_size_limit(previous)
        return InvalidInput(f"{file}: some rows have more fields than the header", problems=problems)
    quotes = sum(block.count(b'"') for block in _blocks(source))
    if quotes % 2:
        lines = sum(block.count(b"\n") for block in _blocks(source))
        return InvalidInput(
            f"{file}: a quoted field is never closed: the file looks truncated or damaged",
            problems=[Problem("unbalanced quotes", file=file, line=lines + 1)],
        )
    first = text.splitlines()[0] if text else type(exc).__name__
    return InvalidInput(f"{file}: not a readable CSV table ({first})", problems=[Problem(first, file=file)])


def _text_lines(source: Path) -> Iterator[str]:
    with source.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        yield from handle


def _check_lengths(frame: pl.DataFrame, file: str, limits: ReadLimits) -> None:
    """Refuse a cell longer than the limit, naming its row and column (bytes first: a cheap upper bound)."""
    if frame.is_empty():
        return
    longest = frame.select(pl.all().str.len_bytes().max()).row(0)
    for column, most in zip(frame.columns, longest, strict=True):
        if most is None or most <= limits.max_field_chars:
            continue
        chars = frame[column].str.len_chars()
        over = chars > limits.max_field_chars
        if over.any():
            index = int(over.arg_true()[0])
            raise limits.too_long(file, int(chars[index]), row=index + 2, field=column)


def _check_tail(data: bytes, frame: pl.DataFrame, file: str) -> None:
    """A file that stops mid-row (no final newline, too few fields on its last line) was truncated."""
    if data.endswith((b"\n", b"\r")) or frame.is_empty():
        return
    last_line = data.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    try:
        fields = next(csv.reader([last_line]), [])
    except csv.Error:
        fields = []
    expected = len(frame.columns) - 1
    if len(fields) < expected:
        row = int(frame["row"][-1])
        raise InvalidInput(
            f"{file}: the last row stops after {len(fields)} of {expected} fields: the file looks truncated",
            problems=[Problem(f"incomplete row ({len(fields)} of {expected} fields)", file=file, row=row)],
            hint="Download or export the file again.",
        )
