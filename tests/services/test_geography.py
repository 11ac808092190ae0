"""England's geography shipped with gapwatch: loaded once, in any order with the ONS lookups and the IMD files,
the same areas result; old codes (29UN, 00AA, Shepway's E07000112 under its old name) map to current areas; and
the national Fingertips files import without --add-unknown-areas."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from gapwatch.services.areas import area_table, load_areas_file, load_imd_file
from tests.clirunner import run_cli

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


MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"


@pytest.mark.parametrize("name", ["indicators-DistrictUApre419.data.csv", "indicators-CountyUA.data.csv"])
def test_national_fingertips_files_import_without_adding_areas(
    sqlite_engine: Engine, shared_data: Path, name: str
) -> None:
    from gapwatch.services.frameworks import load_framework
    from gapwatch.services.imports import import_file
    from gapwatch.services.observations import observations_frame

    load_framework(sqlite_engine, MINI)
    report = import_file(sqlite_engine, shared_data / "fingertips" / name, add_unknown_indicators=True, actor="tester")
    assert report.added_areas == []
    stored = set(observations_frame(sqlite_engine)["area_code"].unique().to_list())
    if "District" in name:
        # 12 Kent districts under their codes; Christchurch (merged into BCP in 2019) keeps its own code
        assert {f"E07000{n}" for n in range(105, 117)} | {"E07000048", "E06000028", "E06000029"} <= stored
        assert len(stored) == 325  # 324 districts and England; the region rows have no values (skipped)
    else:
        assert {"E10000016", "E06000035", "E12000008", "E92000001", "E10000002"} <= stored


def test_old_codes_in_a_data_file_map_to_current_areas(
    sqlite_engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    """Thanet's 2009 code 29UN and Kent's districts under their pre-2011 codes are stored under today's codes."""
    from gapwatch.services.frameworks import load_framework
    from gapwatch.services.imports import import_file
    from gapwatch.services.observations import observations_frame

    load_framework(sqlite_engine, MINI)
    frame = pl.read_csv(shared_data / "fingertips/indicators-DistrictUApre419.data.csv", infer_schema=False)
    frame = frame.filter(pl.col("Area Code") == "E07000114").with_columns(pl.lit("29UN").alias("Area Code"))
    path = tmp_path / "old-codes.csv"
    frame.write_csv(path)
    report = import_file(sqlite_engine, path, add_unknown_indicators=True, actor="tester")
    assert report.added_areas == [] and any("29UN -> E07000114" in w for w in report.warnings)
    assert observations_frame(sqlite_engine)["area_code"].unique().to_list() == ["E07000114"]


def _count_areas(engine: Engine) -> int:
    with engine.connect() as conn:
        return area_table(conn).height


BAD_AREAS = {
    "parent cycle": (
        "code,name,level,parent_code\nLCSP-A,Alpha,other,LCSP-B\nLCSP-B,Beta,other,LCSP-C\nLCSP-C,Gamma,other,LCSP-A\n",
        2,
        "parent_code",
        "loop",
    ),
    "unknown parent": (
        "code,name,level,parent_code\nLCSP-A,Alpha,other,E10000016\nLCSP-B,Beta,other,E10099999\n",
        3,
        "parent_code",
        "parent 'E10099999' is not a known area",
    ),
    "duplicate code": (
        "code,name,level,parent_code\nLCSP-A,Alpha,other,E10000016\nLCSP-A,Alpha again,other,E10000016\n",
        2,
        "code",
        "appears more than once",
    ),
    "old code to two areas": (
        "code,name,level,parent_code,former_codes\nLCSP-A,Alpha,other,E10000016,OLD-1\n"
        "LCSP-B,Beta,other,E10000016,OLD-1\n",
        3,
        "former_codes",
        "former code OLD-1 is claimed by 2 areas",
    ),
    "old code already another area's": (
        "code,name,level,parent_code,former_codes\nLCSP-A,Alpha,other,E10000016,29UN\n",
        2,
        "former_codes",
        "former code 29UN already maps to E07000114",
    ),
    "malformed GSS code": (
        "code,name,level,parent_code\nE0700011,Short code,district,E10000016\n",
        2,
        "code",
        "not a GSS area code",
    ),
}


@pytest.mark.parametrize("case", list(BAD_AREAS))
def test_bad_area_files_are_refused_whole(sqlite_engine: Engine, tmp_path: Path, case: str) -> None:
    from gapwatch.errors import InvalidInput
    from gapwatch.services.areas import load_england_geography

    text, row, field, message = BAD_AREAS[case]
    path = tmp_path / "areas.csv"
    path.write_text(text)
    load_england_geography(sqlite_engine)
    before = _count_areas(sqlite_engine)
    with pytest.raises(InvalidInput) as err:
        load_areas_file(sqlite_engine, path)
    problems = [(p.file, p.row, p.field, p.message) for p in err.value.problems]
    assert any(f == "areas.csv" and r == row and fld == field and message in m for f, r, fld, m in problems), problems
    assert _count_areas(sqlite_engine) == before


def test_england_geography_is_whole(sqlite_engine: Engine) -> None:
    from gapwatch.services.areas import load_england_geography

    assert load_england_geography(sqlite_engine) == 373 and load_england_geography(sqlite_engine) == 0
    areas = _districts_and_regions(sqlite_engine)
    current = areas.filter(pl.col("end_year").is_null())
    counts = dict(current.group_by("level").len().iter_rows())
    assert counts == {"country": 1, "region": 9, "county": 21, "district": 296}
    kent = current.filter(pl.col("parent_code") == "E10000016")["code"].to_list()
    assert sorted(kent) == [f"E07000{n}" for n in range(105, 117)]
    fh = current.filter(pl.col("code") == "E07000112").row(0, named=True)
    assert fh["name"] == "Folkestone and Hythe"
    with sqlite_engine.connect() as conn:
        full = area_table(conn)
    assert "Shepway" in full.filter(pl.col("code") == "E07000112")["former_names"][0].to_list()
    christchurch = full.filter(pl.col("code") == "E07000048").row(0, named=True)
    assert (christchurch["end_year"], christchurch["successor_code"]) == (2019, "E06000058")
    assert "E10000023" in full.filter(pl.col("code") == "E06000065")["former_codes"][0].to_list()  # N Yorks


def test_kent_rank_history_2007_to_2010(sqlite_engine: Engine, shared_data: Path) -> None:
    """The seeds: "8 out of 12 Districts rank higher in the Indices of Deprivation in 2010 than in 2007"."""
    from gapwatch.services.imd_history import district_rank_history

    history = district_rank_history(sqlite_engine, "E10000016", shared_data / "imd_lad_history")
    assert history.districts.height == 12 and history.more_deprived_later == 8
    assert not history.earlier.official and "NOT official" in history.statement()
    assert "imd2007_england_ltla21_reaggregated.csv" in history.statement()
    thanet = history.districts.filter(pl.col("district_code") == "E07000114").row(0, named=True)
    assert (thanet["rank_earlier"], thanet["rank_later"], thanet["districts_earlier"]) == (60, 48, 309)
    result = run_cli(
        "data",
        "imd",
        "history",
        "--area",
        "E10000016",
        "--from",
        str(shared_data / "imd_lad_history"),
        "--json",
        "--db",
        str(sqlite_engine.url.database),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["more_deprived_later"] == history.more_deprived_later
