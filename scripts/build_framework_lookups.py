"""Build the small-area lookups of a framework's districts, shipped beside its data so that `gapwatch demo` can
build local areas from wards and LSOAs without the user loading ONS files.

Usage: python scripts/build_framework_lookups.py [DATA_DIR] [--out FOLDER] [--county CODE]
(defaults: /work/shared/data or $GAPWATCH_PUBLIC_DATA; gapwatch/frameworks/kent/data/lookups; E10000016 Kent)

A sibling of ``scripts/build_geography.py`` (which builds England's districts, counties and regions): this
cuts the two ONS LSOA -> ward -> district lookups down to the current districts of one county, as listed in
the built-in geography (``gapwatch/geography/england_areas.csv``):

- ``LSOA11_WD20_LAD20_EW_LU.csv`` — LSOA 2011 -> ward (December 2020) -> district (ONS, OGL v3.0);
- ``lookup_lsoa21_ward24_ltla24.csv`` — LSOA 2021 -> ward (May 2024) -> district (ONS, OGL v3.0).

Each output keeps the ONS columns (so gapwatch's lookup reader recognises it, as it would the full file) and
is gzipped with mtime 0: the same bytes on every run (a test rebuilds and compares them).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GEOGRAPHY = REPO / "gapwatch" / "geography" / "england_areas.csv"
DEFAULT_DATA = Path(os.environ.get("GAPWATCH_PUBLIC_DATA", "/work/shared/data"))
DEFAULT_OUT = REPO / "gapwatch" / "frameworks" / "kent" / "data" / "lookups"
KENT = "E10000016"
#: ONS file -> (district column, columns kept, shipped name)
LOOKUPS = {
    "LSOA11_WD20_LAD20_EW_LU.csv": (
        "LAD20CD",
        ["LSOA11CD", "LSOA11NM", "WD20CD", "WD20NM", "LAD20CD", "LAD20NM"],
        "LSOA11_WD20_LAD20_{county}.csv.gz",
    ),
    "lookup_lsoa21_ward24_ltla24.csv": (
        "ltla24_code",
        ["lsoa21_name", "lsoa21_code", "ward24_name", "ward24_code", "ltla24_name", "ltla24_code"],
        "lookup_lsoa21_ward24_ltla24_{county}.csv.gz",
    ),
}


def districts_of(county: str) -> set[str]:
    """The current districts of a county in the built-in geography (abolished ones have an end year)."""
    with GEOGRAPHY.open(encoding="utf-8", newline="") as f:
        return {r["code"] for r in csv.DictReader(f) if r["parent_code"] == county and not r["end_year"]}


def cut(source: Path, district_column: str, columns: list[str], districts: set[str]) -> bytes:
    """The rows of ``source`` in ``districts``, in the ONS columns, sorted by district then LSOA, as CSV bytes."""
    with source.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r[district_column] in districts]
    rows.sort(key=lambda r: (r[district_column], r[columns[0]], r[columns[1]]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([r[c] for c in columns] for r in rows)
    return out.getvalue().encode("utf-8")


def write_gz(path: Path, data: bytes) -> None:
    """Gzip with no file name and mtime 0, so the bytes do not change between runs."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(data)


def build(folder: Path, out: Path, county: str = KENT) -> list[tuple[Path, int]]:
    """Write each lookup cut down to the county's districts; return (file, rows) for each."""
    districts = districts_of(county)
    if not districts:
        raise SystemExit(f"{county}: no current districts in {GEOGRAPHY.name}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (column, columns, target) in LOOKUPS.items():
        source = next(iter(sorted(folder.rglob(name))), None)
        if source is None:
            raise SystemExit(f"{name} not found under {folder}")
        data = cut(source, column, columns, districts)
        path = out / target.format(county=county)
        write_gz(path, data)
        written.append((path, data.count(b"\n") - 1))
    return written


def main(argv: list[str]) -> int:
    args = list(argv)
    options = {"--out": str(DEFAULT_OUT), "--county": KENT}
    for flag in options:
        if flag in args:
            i = args.index(flag)
            options[flag] = args[i + 1]
            del args[i : i + 2]
    folder = Path(args[0]) if args else DEFAULT_DATA
    if not folder.is_dir():
        print(f"{folder}: no such folder of public data", file=sys.stderr)
        return 1
    for path, rows in build(folder, Path(options["--out"]), options["--county"]):
        print(f"{path}: {rows:,} rows, {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
