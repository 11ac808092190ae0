"""England's geography shipped with gapwatch: loaded once, in any order with the ONS lookups and the IMD files,
the same areas result; old codes (29UN, 00AA, Shepway's E07000112 under its old name) map to current areas; and
the national Fingertips files import without --add-unknown-areas."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from gapwatch.services.areas import area_table, load_areas_file, load_imd_file

LONDON, CITY = "E12000007", "E09000001"


def _imd2007_extract(shared_data: Path, folder: Path) -> Path:
    """The IMD 2007 file's rows for City of London (00AA) and Thanet (29UN): real rows, a quick load."""
    frame = pl.read_csv(shared_data / "imd/imd2007_lsoa01_england.csv", infer_schema=False)
    out = folder / "imd2007_lsoa01_england.csv"
    frame.filter(pl.col("lad07_code").is_in(["00AA", "29UN"])).write_csv(out)
    return out


def _districts_and_regions(engine: Engine) -> pl.DataFrame:
    with engine.connect() as conn:
        areas = area_table(conn)
    return (
        areas.filter(pl.col("level").is_in(["country", "region", "county", "district"]))
        .select("code", "name", "level", "parent_code", pl.col("former_codes").list.sort(), "end_year")
        .sort("code")
    )


def test_imd2007_before_the_ons_lookups_leaves_london_a_region(
    sqlite_engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    imd = _imd2007_extract(shared_data, tmp_path)
    load_imd_file(sqlite_engine, imd)
    areas = _districts_and_regions(sqlite_engine)
    london = areas.filter(pl.col("code") == LONDON).row(0, named=True)
    assert london["level"] == "region"
    assert "00AA" not in london["former_codes"]
    city = areas.filter(pl.col("code") == CITY).row(0, named=True)
    assert city["level"] == "district" and "00AA" in city["former_codes"]
    assert "29UN" in areas.filter(pl.col("code") == "E07000114")["former_codes"][0].to_list()


def test_lookups_in_any_order_give_the_same_areas(shared_data: Path, tmp_path: Path) -> None:
    from gapwatch.services.database import open_database
    from gapwatch.settings import Settings

    imd = _imd2007_extract(shared_data, tmp_path)
    lookups = [
        shared_data / "lookups/lookup_ltla21_utla21.csv",
        shared_data / "lookups/lookup_ltla16_to_ltla24_names_codes.csv",
    ]
    results = []
    for i, order in enumerate([[imd, *lookups], [*lookups, imd], [lookups[1], imd, lookups[0]]]):
        engine = open_database(Settings(database_url=f"sqlite:///{tmp_path / f'order{i}.db'}"))
        for path in order:
            (load_imd_file if path == imd else load_areas_file)(engine, path)
        results.append(_districts_and_regions(engine))
        engine.dispose()
    assert results[0].equals(results[1]) and results[0].equals(results[2])
    thanet = results[0].filter(pl.col("code") == "E07000114").row(0, named=True)
    assert thanet["parent_code"] == "E10000016" and "29UN" in thanet["former_codes"]
    london = results[0].filter(pl.col("code") == LONDON).row(0, named=True)
    assert london["level"] == "region" and london["former_codes"] == []
