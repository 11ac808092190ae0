"""A seeded generator of damaged and hostile data files, made from real public files in ../shared/data, the
ways attackers broke gapwatch's importers: truncation, random bytes, wrong encodings, huge fields, missing
and repeated columns, impossible values (negative, NaN, ±1e308, counts above denominators, fractional
counts, zero denominators, the year 9999), empty files, oversized files (against small configured limits)
and Excel zip bombs (a declared A1:XFD1048576 range; a sheet whose XML decompresses to 768 MB).

Each case is named ``SOURCE/KIND`` (static, so tests can be parametrised without the data present) and is
made by :func:`make_variant` with a random generator seeded by its name, so every run builds the same bytes.
Nothing here writes outside the folder it is given.
"""

from __future__ import annotations

import csv
import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from gapwatch.ingest.limits import ReadLimits
from gapwatch.ingest.tidy import TableMapping

SEED = 20240611
REFUSED, ACCEPTED, ANY = "refused", "accepted", "any"

#: The Fingertips export: County & UA, Campylobacter incidence per 100,000, with deprivation deciles.
FINGERTIPS = "fingertips/indicators-CountyUA.data.csv"
#: A DfE file (Explore Education Statistics layout): EYFSP good level of development by district.
DFE = "dfe/eyfsp/eyfsp_headline_measures_kent_medway_lad_fsm_2022_2025.csv"
#: The DfE file's mapping (as a user would write it): one measure, a proportion with its counts.
DFE_MAPPING = TableMapping.model_validate(
    {
        "columns": {"lad_code": "area_code", "lad_name": "area_name", "time_period": "period"},
        "where": {"breakdown_topic": ["Total"]},
        "measures": [
            {
                "indicator": "DfE-EYFSP-GLD",
                "numerator": "gld_children_count",
                "denominator": "children_count",
                "value": "gld_children_percent",
                "name": "Early years: good level of development (%)",
                "measure": "proportion",
                "unit": "%",
                "polarity": "higher_is_better",
            }
        ],
    }
)
TIDY_HEADER = [
    "indicator",
    "indicator_name",
    "measure",
    "unit",
    "area_code",
    "area_name",
    "area_type",
    "sex",
    "age",
    "category_type",
    "category",
    "period",
    "value",
    "lower_95",
    "upper_95",
    "numerator",
    "denominator",
    "note",
]


@dataclass(frozen=True)
class Source:
    """A real file to corrupt: its name, the columns that hold each kind of cell, and how to import it."""

    name: str
    suffix: str
    columns: dict[str, str]  # value, numerator, denominator, period, area, text, lower, upper, indicator, title
    mapping: TableMapping | None = None
    picks: Callable[[dict[str, str]], bool] = lambda rec: True


SOURCES = {
    "fingertips": Source(
        "fingertips",
        ".csv",
        {
            "value": "Value",
            "numerator": "Count",
            "denominator": "Denominator",
            "period": "Time period",
            "area": "Area Code",
            "text": "Area Name",
            "lower": "Lower CI 95.0 limit",
            "upper": "Upper CI 95.0 limit",
            "indicator": "Indicator ID",
            "title": "Indicator Name",
        },
        picks=lambda rec: bool(rec["Value"] and rec["Count"] and rec["Lower CI 95.0 limit"]),
    ),
    "dfe": Source(
        "dfe",
        ".csv",
        {
            "value": "gld_children_percent",
            "numerator": "gld_children_count",
            "denominator": "children_count",
            "period": "time_period",
            "area": "lad_code",
            "text": "lad_name",
        },
        mapping=DFE_MAPPING,
        picks=lambda rec: rec["breakdown_topic"] == "Total",
    ),
    "tidy": Source(
        "tidy",
        ".csv",
        {
            "value": "value",
            "numerator": "numerator",
            "denominator": "denominator",
            "period": "period",
            "area": "area_code",
            "text": "area_name",
            "lower": "lower_95",
            "upper": "upper_95",
            "indicator": "indicator",
            "title": "indicator_name",
            "measure": "measure",
        },
        picks=lambda rec: bool(rec["value"] and rec["numerator"] and rec["lower_95"]),
    ),
    "xlsx": Source(
        "xlsx",
        ".xlsx",
        {
            "value": "value",
            "numerator": "numerator",
            "denominator": "denominator",
            "period": "period",
            "area": "area_code",
            "text": "area_name",
            "lower": "lower_95",
            "upper": "upper_95",
            "indicator": "indicator",
        },
        picks=lambda rec: bool(rec["value"] and rec["numerator"] and rec["lower_95"]),
    ),
}


@dataclass
class Variant:
    """One damaged file: its bytes, the import options to use, and whether it must be refused."""

    case: str
    filename: str
    data: bytes
    expect: str
    options: dict[str, Any] = field(default_factory=dict)


# --- the clean sources -------------------------------------------------------------------------------------


def tidy_rows(shared: Path) -> list[list[str]]:
    """The Fingertips export's real rows in gapwatch's tidy layout, stating their measure and unit."""
    with (shared / FINGERTIPS).open(newline="", encoding="utf-8-sig") as handle:
        records = list(csv.DictReader(handle))
    rows = [TIDY_HEADER]
    for rec in records:
        rows.append(
            [
                "CAMPY",
                " ".join(rec["Indicator Name"].split()),
                "rate",
                "per 100,000",
                rec["Area Code"],
                rec["Area Name"],
                rec["Area Type"],
                rec["Sex"],
                rec["Age"],
                rec["Category Type"],
                rec["Category"],
                rec["Time period"],
                rec["Value"],
                rec["Lower CI 95.0 limit"],
                rec["Upper CI 95.0 limit"],
                rec["Count"],
                rec["Denominator"],
                rec["Value note"],
            ]
        )
    return rows


def source_rows(shared: Path, source: str) -> list[list[str]]:
    """The header and records of a source, as text cells."""
    if source in ("tidy", "xlsx"):
        return tidy_rows(shared)
    path = shared / (FINGERTIPS if source == "fingertips" else DFE)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [list(r) for r in csv.reader(handle)]
    width = len(rows[0])  # the export leaves its last (empty) column off every data row
    return [r + [""] * (width - len(r)) for r in rows]


def to_csv(rows: list[list[str]], *, newline: str = "\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    return out.getvalue().encode("utf-8")


def _cell(text: str) -> Any:
    """A cell as a spreadsheet holds it: numbers as numbers."""
    try:
        number = float(text)
    except ValueError:
        return text or None
    if number != number or abs(number) == float("inf"):
        return text  # a spreadsheet cannot hold NaN or infinity as a number: it is text there
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def to_xlsx(rows: list[list[str]], *, numbers: bool = True) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    notes = book.create_sheet("Notes")
    notes.append(["Campylobacter incidence (OHID Fingertips), in gapwatch's tidy layout"])
    sheet = book.create_sheet("Data")
    for row in rows:
        sheet.append([_cell(c) if numbers else (c or None) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def clean(shared: Path, source: str) -> bytes:
    """The source file as gapwatch should accept it."""
    if source == "fingertips":
        return (shared / FINGERTIPS).read_bytes()
    if source == "dfe":
        return (shared / DFE).read_bytes()
    rows = tidy_rows(shared)
    return to_csv(rows) if source == "tidy" else to_xlsx(rows)


# --- zip surgery for workbooks -----------------------------------------------------------------------------


def rewrite_zip(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The workbook with each part passed through ``change(name, content)``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))
    return out.getvalue()


def _data_sheet(name: str) -> bool:
    return name == "xl/worksheets/sheet2.xml"


def deflate_pieces(pieces: list[tuple[bytes, int]]) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``pieces`` (bytes, times repeated), with its CRC-32 and uncompressed size.

    Each piece is compressed once, independently (a full flush), and repeated as compressed bytes: a
    gigabyte of blanks costs a megabyte and a millisecond to make, as a zip bomb's author knows.
    """
    out, crc, size = [], 0, 0
    for piece, times in pieces:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = packer.compress(piece) + packer.flush(zlib.Z_FULL_FLUSH)
        out.append(block * times)
        for _ in range(times):
            crc = zlib.crc32(piece, crc)
        size += len(piece) * times
    return b"".join(out) + b"\x03\x00", crc, size


def raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive from already-deflated members (name, deflated bytes, CRC-32, uncompressed size)."""
    body, central = io.BytesIO(), io.BytesIO()
    for name, deflated, crc, size in members:
        offset = body.tell()
        encoded = name.encode()
        body.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated), size, len(encoded), 0))
        body.write(encoded + deflated)
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(deflated),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = body.tell()
    cd = central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd), start, 0)
    return body.getvalue() + cd + end


def sheet_bomb(workbook: bytes, megabytes: int = 768) -> bytes:
    """The workbook with ``megabytes`` of blanks inside its data sheet's XML (about 1 kB compressed per MB)."""
    src = zipfile.ZipFile(io.BytesIO(workbook))
    members = []
    for info in src.infolist():
        content = src.read(info.filename)
        if _data_sheet(info.filename):
            head, tail = content.split(b"<sheetData>", 1)
            pieces = [(head + b"<sheetData>", 1), (b" " * (1 << 20), megabytes), (tail, 1)]
        else:
            pieces = [(content, 1)]
        members.append((info.filename, *deflate_pieces(pieces)))
    return raw_zip(members)


def declare_dimension(workbook: bytes, ref: str = "A1:XFD1048576", extra_cell: str | None = None) -> bytes:
    """The workbook with its data sheet declaring ``ref`` (and, optionally, a filled cell out there)."""

    def change(name: str, content: bytes) -> bytes:
        if not _data_sheet(name):
            return content
        text = content.decode()
        text = re.sub(r"<dimension ref=\"[^\"]*\"\s*/>", "", text)
        text = text.replace("<sheetViews>", f'<dimension ref="{ref}"/><sheetViews>', 1)
        if "<dimension" not in text:
            text = text.replace("<sheetData>", f'<dimension ref="{ref}"/><sheetData>', 1)
        if extra_cell:
            number = re.sub(r"^[A-Z]+", "", extra_cell)
            text = text.replace(
                "</sheetData>",
                f'<row r="{number}"><c r="{extra_cell}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
            )
        return text.encode()

    return rewrite_zip(workbook, change)


def sheet_xml(workbook: bytes, edit: Callable[[str], str]) -> bytes:
    """The workbook with its data sheet's XML text edited."""
    return rewrite_zip(workbook, lambda n, c: edit(c.decode()).encode() if _data_sheet(n) else c)


# --- the corruptions ---------------------------------------------------------------------------------------


def _pick(rows: list[list[str]], source: Source, rng: random.Random, n: int = 3) -> list[int]:
    header = rows[0]
    candidates = [
        i
        for i, r in enumerate(rows[1:], start=1)
        if len(r) == len(header) and source.picks(dict(zip(header, r, strict=True)))
    ]
    assert candidates, f"no row of {source.name} to corrupt"
    return rng.sample(candidates, min(n, len(candidates)))


def _set(
    rows: list[list[str]], source: Source, rng: random.Random, kind: str, text: str | Callable[[str], str], n: int = 3
) -> list[list[str]]:
    rows = [list(r) for r in rows]
    column = rows[0].index(source.columns[kind])
    for i in _pick(rows, source, rng, n):
        rows[i][column] = text(rows[i][column]) if callable(text) else text
    return rows


def _drop(rows: list[list[str]], column: str) -> list[list[str]]:
    j = rows[0].index(column)
    return [r[:j] + r[j + 1 :] for r in rows]


#: kind -> (what it does, expectation). Row kinds change cells; byte kinds change the file; limit kinds import
#: the clean file under small limits. Sources a kind does not apply to are left out of CASES.
KINDS: dict[str, str] = {
    "empty": REFUSED,
    "header-only": REFUSED,
    "bom-only": REFUSED,
    "truncate-10": ANY,
    "truncate-50": ANY,
    "truncate-90": ANY,
    "truncate-mid-row": ANY,
    "random-bytes-1": ANY,
    "random-bytes-2": ANY,
    "random-bytes-3": ANY,
    "binary-start": REFUSED,
    "utf16": REFUSED,
    "cp1252": ACCEPTED,
    "cp1252-forced-utf8": REFUSED,
    "huge-field": REFUSED,
    "huge-extra-field": REFUSED,
    "huge-line": REFUSED,
    "missing-value-column": REFUSED,
    "missing-area-column": REFUSED,
    "missing-period-column": REFUSED,
    "duplicated-value-column": REFUSED,
    "duplicated-row": REFUSED,
    "negative-value": REFUSED,
    "negative-count": REFUSED,
    "nan-value": ANY,
    "values-all-empty": REFUSED,
    "inf-value": REFUSED,
    "huge-value": REFUSED,
    "huge-negative-value": REFUSED,
    "count-above-denominator": REFUSED,
    "fractional-count": REFUSED,
    "zero-denominator": REFUSED,
    "period-9999": REFUSED,
    "period-1066": REFUSED,
    "period-ambiguous-month": REFUSED,
    "period-garbage": REFUSED,
    "limits-reversed": REFUSED,
    "non-ascii-digit-id": REFUSED,
    "empty-indicator-name": ACCEPTED,
    "unknown-measure": REFUSED,
    "text-in-number": REFUSED,
    "ragged-short-row": ANY,
    "crlf": ACCEPTED,
    "clean": ACCEPTED,
    "large-file-limit": REFUSED,
    "row-limit": REFUSED,
    "column-limit": REFUSED,
    "cell-limit": REFUSED,
    "field-limit": REFUSED,
    # Excel only
    "not-a-zip": REFUSED,
    "zip-without-workbook": REFUSED,
    "dimension-bomb": ACCEPTED,
    "dimension-bomb-far-cell": REFUSED,
    "sheet-xml-bomb": REFUSED,
    "uncompressed-limit": REFUSED,
    "wide-row": REFUSED,
    "bad-shared-string": REFUSED,
    "malformed-sheet-xml": REFUSED,
    "error-cell": REFUSED,
}
_CSV_ONLY = {
    "bom-only",
    "binary-start",
    "utf16",
    "cp1252",
    "cp1252-forced-utf8",
    "huge-extra-field",
    "huge-line",
    "ragged-short-row",
    "crlf",
    "truncate-mid-row",
    "duplicated-value-column",
}
_XLSX_ONLY = {
    "not-a-zip",
    "zip-without-workbook",
    "dimension-bomb",
    "dimension-bomb-far-cell",
    "sheet-xml-bomb",
    "uncompressed-limit",
    "wide-row",
    "bad-shared-string",
    "malformed-sheet-xml",
    "error-cell",
}
#: Where a source's own rules make a kind acceptable: a tidy file may give counts without a value column.
_EXPECT = {("tidy", "missing-value-column"): ACCEPTED, ("xlsx", "missing-value-column"): ACCEPTED}
_NEEDS = {
    "limits-reversed": "lower",
    "non-ascii-digit-id": "indicator",
    "empty-indicator-name": "title",
    "unknown-measure": "measure",
}


def applies(source: str, kind: str) -> bool:
    if kind in _XLSX_ONLY:
        return source == "xlsx"
    if kind in _CSV_ONLY and source == "xlsx":
        return False
    needed = _NEEDS.get(kind)
    if needed is not None and needed not in SOURCES[source].columns:
        return False
    return not (kind == "non-ascii-digit-id" and source != "fingertips")


CASES = [f"{s}/{k}" for s in SOURCES for k in KINDS if applies(s, k)]


def make_variant(shared: Path, case: str) -> Variant:
    """The damaged file of ``case`` ("SOURCE/KIND"), the same bytes on every run."""
    name, kind = case.split("/")
    source = SOURCES[name]
    rng = random.Random(f"{SEED}/{case}")
    rows = source_rows(shared, name)
    base = clean(shared, name)
    expect = _EXPECT.get((name, kind), KINDS[kind])
    options: dict[str, Any] = {"mapping": source.mapping} if source.mapping else {}
    filename = f"{name}-{kind}{source.suffix}"
    excel = name == "xlsx"

    def made(data: bytes, **extra: Any) -> Variant:
        return Variant(case, filename, data, expect, {**options, **extra})

    def table(changed: list[list[str]]) -> Variant:
        return made(to_xlsx(changed) if excel else to_csv(changed))

    cols = source.columns
    if kind == "clean":
        return made(base)
    if kind == "empty":
        return made(b"")
    if kind == "header-only":
        return table(rows[:1])
    if kind == "bom-only":
        return made(b"\xef\xbb\xbf")
    if kind.startswith("truncate-"):
        if kind == "truncate-mid-row":
            last = base.rstrip(b"\n").rfind(b"\n")
            return made(base[: last + 1 + rng.randrange(1, 12)])
        cut = int(len(base) * int(kind.rsplit("-", 1)[1]) / 100) + rng.randrange(-50, 50)
        return made(base[:cut])
    if kind.startswith("random-bytes"):
        data = bytearray(base)
        for _ in range(20):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return made(bytes(data))
    if kind == "binary-start":
        return made(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + base)
    if kind == "utf16":
        return made(base.decode("utf-8-sig").encode("utf-16"))
    if kind in ("cp1252", "cp1252-forced-utf8"):
        changed = _set(rows, source, rng, "text", lambda t: t + " (Café £)")
        data = to_csv(changed).decode("utf-8").encode("cp1252")
        return made(data, encoding="utf-8") if kind.endswith("utf8") else made(data)
    if kind == "huge-field":
        if excel:  # openpyxl cuts strings at Excel's 32,767 characters: write the long cell into the XML
            long = "x" * 200_000
            return made(sheet_xml(base, lambda x: re.sub(r'(<c r="F3" t="inlineStr"><is><t>)', rf"\g<1>{long}", x)))
        return table(_set(rows, source, rng, "text", lambda t: t + "x" * 200_000, n=1))
    if kind == "huge-extra-field":
        changed = [list(r) for r in rows]
        changed[_pick(rows, source, rng, 1)[0]].append("y" * 300_000)
        return made(to_csv(changed))
    if kind == "huge-line":
        return made(base + b"z" * (3 << 20) + b"\n")
    if kind == "missing-value-column":
        return table(_drop(rows, cols["value"]))
    if kind == "missing-area-column":
        return table(_drop(rows, cols["area"]))
    if kind == "missing-period-column":
        return table(_drop(rows, cols["period"]))
    if kind == "duplicated-value-column":
        j = rows[0].index(cols["value"])
        return table([r + [r[j]] for r in rows])
    if kind == "duplicated-row":
        changed = [list(r) for r in rows]
        i = _pick(rows, source, rng, 1)[0]
        changed.insert(i + 1, list(changed[i]))
        return table(changed)
    if kind == "negative-value":
        return table(_set(rows, source, rng, "value", lambda t: f"-{t}"))
    if kind == "negative-count":
        return table(_set(rows, source, rng, "numerator", "-3"))
    if kind == "nan-value":
        return table(_set(rows, source, rng, "value", "NaN"))
    if kind == "values-all-empty":  # every row carries nothing (once a polars SchemaError)
        blanked = [list(r) for r in rows]
        for kind_ in ("value", "numerator"):
            j = rows[0].index(cols[kind_])
            for r in blanked[1:]:
                r[j] = ""
        return table(blanked)
    if kind == "inf-value":
        return table(_set(rows, source, rng, "value", "inf"))
    if kind == "huge-value":
        return table(_set(rows, source, rng, "value", "1e308"))
    if kind == "huge-negative-value":
        return table(_set(rows, source, rng, "value", "-1e308"))
    if kind == "count-above-denominator":
        return table(_set(rows, source, rng, "numerator", "999999999", n=len(rows)))
    if kind == "fractional-count":
        return table(_set(rows, source, rng, "numerator", lambda t: f"{t}.5"))
    if kind == "zero-denominator":
        return table(_set(rows, source, rng, "denominator", "0"))
    if kind == "period-9999":
        return table(_set(rows, source, rng, "period", "9999"))
    if kind == "period-1066":
        return table(_set(rows, source, rng, "period", "1066"))
    if kind == "period-ambiguous-month":
        return table(_set(rows, source, rng, "period", "2016-05"))
    if kind == "period-garbage":
        return table(_set(rows, source, rng, "period", "Spring"))
    if kind == "limits-reversed":
        changed = [list(r) for r in rows]
        lo, hi = rows[0].index(cols["lower"]), rows[0].index(cols["upper"])
        for i in _pick(rows, source, rng):
            changed[i][lo], changed[i][hi] = changed[i][hi], changed[i][lo]
        return table(changed)
    if kind == "non-ascii-digit-id":
        return table(_set(rows, source, rng, "indicator", "\u0669\u0663\u0663\u0665\u0666", n=1))
    if kind == "empty-indicator-name":
        return table(_set(rows, source, rng, "title", "   ", n=len(rows)))
    if kind == "unknown-measure":
        return table(_set(rows, source, rng, "measure", "vibes", n=1))
    if kind == "text-in-number":
        return table(_set(rows, source, rng, "value", lambda t: f"{t}abc"))
    if kind == "ragged-short-row":
        changed = [list(r) for r in rows]
        i = _pick(rows, source, rng, 1)[0]
        changed[i] = changed[i][: len(changed[i]) // 2]
        return made(to_csv(changed))
    if kind == "crlf":
        return made(to_csv(rows, newline="\r\n"))
    if kind == "large-file-limit":
        body = b"".join(base.split(b"\n", 1)[1:]) if not excel else b""
        big = base + body * 40 if not excel else base
        return made(big, limits=ReadLimits(max_file_bytes=len(big) // 2))
    if kind == "row-limit":
        return made(base, limits=ReadLimits(max_rows=50))
    if kind == "column-limit":
        return made(base, limits=ReadLimits(max_columns=5))
    if kind == "cell-limit":
        return made(base, limits=ReadLimits(max_cells=500))
    if kind == "field-limit":
        return made(base, limits=ReadLimits(max_field_chars=5))
    # Excel only
    if kind == "not-a-zip":
        return made(to_csv(rows))
    if kind == "zip-without-workbook":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("readme.txt", "not a workbook")
        return made(out.getvalue())
    if kind == "dimension-bomb":
        return made(declare_dimension(base))
    if kind == "dimension-bomb-far-cell":
        return made(declare_dimension(base, extra_cell="XFD1048576"))
    if kind == "sheet-xml-bomb":
        return made(sheet_bomb(base))
    if kind == "uncompressed-limit":
        return made(base, limits=ReadLimits(max_uncompressed_bytes=64 * 1024))
    if kind == "wide-row":
        return table([*rows, ["w"] * 2_000])
    if kind == "bad-shared-string":  # a cell pointing past the end of the shared strings (there are none)
        return made(
            sheet_xml(
                base,
                lambda x: re.sub(
                    r'<c r="F3" t="inlineStr"><is><t>[^<]*</t></is></c>', '<c r="F3" t="s"><v>999999</v></c>', x
                ),
            )
        )
    if kind == "malformed-sheet-xml":
        return made(sheet_xml(base, lambda x: x[: len(x) * 2 // 3]))
    if kind == "error-cell":
        return made(
            sheet_xml(
                base, lambda x: re.sub(r'<c r="M5"[^>]*>.*?</c>', '<c r="M5" t="e"><v>#DIV/0!</v></c>', x, count=1)
            )
        )
    raise ValueError(f"unknown corruption {kind}")
