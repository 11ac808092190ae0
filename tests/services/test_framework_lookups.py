"""Kent's LSOA/ward lookups ship with the package: the shipped files are what
scripts/build_framework_lookups.py makes from the ONS lookups (same bytes), `gapwatch demo`'s loader puts
Kent's 2024 wards and 2021 LSOAs under their districts (once), and a local area is then built from Kent's
wards — with its rate from the members' summed counts — without the user loading any ONS file."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from gapwatch.services.areas import area_table
from gapwatch.services.demo_data import LOOKUPS, load_framework_lookups
from gapwatch.services.frameworks import bundled_framework_path, load_framework
from gapwatch.services.imports import import_file
from gapwatch.services.indicator_view import indicator_page
from gapwatch.services.local_areas import load_local_areas
from gapwatch.store.engine import session_scope

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_framework_lookups.py"
THANET = "E07000114"
KENT_DISTRICTS = {f"E07000{n}" for n in range(105, 117)}
MARGATE = {"E05005093": (14, 310), "E05005088": (19, 402)}  # Margate Central, Cliftonville West (made-up counts)


def test_the_script_rebuilds_the_shipped_lookups_byte_for_byte(shared_data: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "build_framework_lookups.py"),
            str(shared_data),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "902 rows" in done.stdout  # Kent's 2011 LSOAs (PROVENANCE.md: 902 in the 2019 files)
    shipped = sorted(LOOKUPS.glob("*.csv.gz"))
    assert [p.name for p in shipped] == sorted(p.name for p in tmp_path.glob("*.csv.gz")) and len(shipped) == 2
    for path in shipped:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
        assert path.stat().st_size < 50_000
        rows = pl.read_csv(gzip.decompress(path.read_bytes()), infer_schema_length=0)
        district = "LAD20CD" if "LAD20CD" in rows.columns else "ltla24_code"
        assert set(rows[district]) == KENT_DISTRICTS


def test_the_demo_loader_puts_kents_wards_and_lsoas_under_their_districts(sqlite_engine: Engine) -> None:
    load_framework(sqlite_engine, bundled_framework_path("kent"))
    first = load_framework_lookups(sqlite_engine)
    assert len(first) == 2 and not [line for line in first if "not loaded" in line], first
    again = load_framework_lookups(sqlite_engine)
    assert all(line.endswith("already loaded") for line in again), again
    with sqlite_engine.connect() as conn:
        areas = area_table(conn)
    wards = areas.filter(pl.col("level") == "ward")
    assert set(wards["parent_code"]) == KENT_DISTRICTS
    margate = wards.filter(pl.col("code") == "E05005093").row(0, named=True)
    assert (margate["name"], margate["parent_code"]) == ("Margate Central", THANET)
    lsoas = areas.filter(pl.col("level") == "lsoa")
    assert lsoas.height >= 938 and set(lsoas["parent_code"]) <= set(wards["code"])


def test_a_local_area_from_kents_shipped_wards(sqlite_engine: Engine, tmp_path: Path) -> None:
    load_framework(sqlite_engine, bundled_framework_path("kent"))
    load_framework_lookups(sqlite_engine)
    local = tmp_path / "local.csv"
    local.write_text(
        "area_code,area_name,parent_code,member_code,member_level\n"
        + "".join(f"example-margate,Example: two Margate wards,{THANET},{w},ward24\n" for w in MARGATE),
        encoding="utf-8",
    )
    assert load_local_areas(sqlite_engine, local, actor="tester").members == 2
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "indicator,area_code,period,numerator,denominator\n"
        + "".join(f"NI112,{w},2019,{x},{n}\n" for w, (x, n) in MARGATE.items()),
        encoding="utf-8",
    )
    import_file(sqlite_engine, counts, actor="tester")
    with session_scope(sqlite_engine) as session:
        page = indicator_page(session, "NI112", area="example-margate")
    point = next(p for p in page.series if p.period == "2019")
    assert (point.count, point.denominator) == (33, 712)
    assert point.value == pytest.approx(33 / 712 * 1000)
