"""ONS lookups recognised by their columns: LSOA -> ward -> district, district -> county, renames, the bridge."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from gapwatch.errors import InvalidInput
from gapwatch.ingest.lookups import level_for_code, read_lookup


def area(frame: pl.DataFrame, code: str) -> dict[str, object]:
    return frame.filter(pl.col("code") == code).row(0, named=True)


def test_lsoa_ward_district(shared_data: Path) -> None:
    lookup = read_lookup(shared_data / "lookups" / "LSOA11_WD20_LAD20_EW_LU.csv")
    assert lookup.kind == "lsoa_ward_district"
    ward = area(lookup.areas, "E05005088")
    assert (ward["name"], ward["level"], ward["parent_code"]) == ("Cliftonville West", "ward", "E07000114")
    thanet_lsoas = lookup.areas.filter(pl.col("parent_code") == "E05005088")
    assert thanet_lsoas.height == 5 and set(thanet_lsoas["level"]) == {"lsoa"}  # PROVENANCE.md: 5 LSOAs


def test_district_county(shared_data: Path) -> None:
    lookup = read_lookup(shared_data / "lookups" / "lookup_ltla21_utla21.csv")
    kent = lookup.areas.filter(pl.col("parent_code") == "E10000016")
    assert kent.height == 12 and area(lookup.areas, "E10000016")["level"] == "county"
    assert area(lookup.areas, "E06000035")["parent_code"] is None  # Medway is its own upper tier


def test_renames_become_former_names(shared_data: Path) -> None:
    lookup = read_lookup(shared_data / "lookups" / "lookup_ltla16_to_ltla24_names_codes.csv")
    fh = area(lookup.areas, "E07000112")
    assert fh["name"] == "Folkestone and Hythe" and fh["former_names"] == ["Shepway"]


def test_lsoa_bridge(shared_data: Path) -> None:
    lookup = read_lookup(shared_data / "lookups" / "lookup_lsoa01_lsoa11.csv")
    assert lookup.bridge is not None and lookup.bridge.height == 34917
    assert set(lookup.bridge["change_code"]) <= {"U", "S", "M", "X"}


def test_gapwatch_areas_file_and_its_problems(tmp_path: Path) -> None:
    path = tmp_path / "areas.csv"
    path.write_text(
        "code,name,level,parent_code,former_names\nX1,Riverside,district,X0,Old Riverside; Riverton West\n"
        "X2,Hillside,,X0,\n"
    )
    lookup = read_lookup(path)
    assert area(lookup.areas, "X1")["former_names"] == ["Old Riverside", "Riverton West"]
    assert area(lookup.areas, "X2")["level"] == "other"
    path.write_text("code,name,level\nX1,Riverside,town\nX1,Again,district\n")
    with pytest.raises(InvalidInput) as err:
        read_lookup(path)
    messages = [p.message for p in err.value.problems]
    assert any("'town' is not an area level" in m for m in messages)
    assert any("appears more than once" in m for m in messages)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("E07000114", "district"),
        ("E01024000", "lsoa"),
        ("E05005088", "ward"),
        ("E10000016", "county"),
        ("E92000001", "country"),
        ("29UN", "other"),
    ],
)
def test_level_for_code(code: str, level: str) -> None:
    assert level_for_code(code) == level
