"""District summaries of the IMD computed the official way from LSOA data and denominators, checked against
the published File 10 for every district (IoD2019: File 1 ranks, File 7 scores, File 6 mid-2015 populations;
IoD2025 on 2021 LSOAs), the CLI printing the same numbers, and the LSOA 2011 -> 2021 bridge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from gapwatch.services.areas import district_deprivation, load_areas_file, load_imd_file
from gapwatch.services.database import open_database
from gapwatch.settings import Settings
from gapwatch.store.areas import read_bridge_2021
from tests.clirunner import run_cli

pytestmark = pytest.mark.slow

THANET = "E07000114"


@pytest.fixture(scope="module")
def db_path(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("summaries") / "imd.db"
    engine = open_database(Settings(database_url=f"sqlite:///{path}"))
    for rel in (
        "imd/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv",
        "imd/imd2019_lsoa11_score_decile.csv",
        "imd/File_6_-_IoD2019_Population_Denominators.csv",
        "imd2025/imd2025_england_lsoa21.csv",
        "imd2025/imd2025_england_lsoa21_indicators.csv",
    ):
        load_imd_file(engine, shared_data / rel)
    load_areas_file(engine, shared_data / "lookups/lookup_lsoa21_ward24_ltla24.csv")
    engine.dispose()
    yield path


@pytest.fixture(scope="module")
def engine(db_path: Path) -> Iterator[Engine]:
    engine = open_database(Settings(database_url=f"sqlite:///{db_path}"))
    yield engine
    engine.dispose()


def test_imd2019_matches_the_official_file_10_for_every_district(engine: Engine, shared_data: Path) -> None:
    ours = district_deprivation(engine, "IMD2019")
    assert ours.height == 317 and set(ours["districts_ranked"]) == {317}
    assert set(ours["denominators"]) == {"mid-2015 denominators"} and set(ours["lsoa_geography"]) == {"2011 LSOAs"}
    official = pl.read_csv(shared_data / "imd_lad_history/trafford_IoD2019_lad19_file10_official.csv").filter(
        pl.col("index_domain") == "Index of Multiple Deprivation"
    )
    extent = pl.read_csv(shared_data / "imd/imd2019_lad19_summary_measures.csv")
    both = ours.join(official, left_on="district_code", right_on="lad19cd").join(
        extent, left_on="district_code", right_on="lad_code"
    )
    assert both.height == 317
    assert (both["average_score_right"] - both["average_score"]).abs().max() < 0.001  # type: ignore[operator]
    assert (both["rank_of_average_score"] == both["rank_average_score"]).all()
    assert (both["rank_of_average_rank"] == both["rank_average_rank"]).all()
    assert (both["average_rank_right"] - both["average_rank"]).abs().max() < 0.2  # type: ignore[operator]
    assert (both["extent"] - both["Extent"]).abs().max() < 0.0001  # type: ignore[operator]
    thanet = ours.filter(pl.col("district_code") == THANET).row(0, named=True)
    assert round(thanet["average_score"], 3) == 31.314 and thanet["rank_of_average_score"] == 30


def test_iod2025_on_2021_lsoas(engine: Engine, shared_data: Path) -> None:
    ours = district_deprivation(engine, "IMD2025")
    assert ours.height == 296 and set(ours["lsoa_geography"]) == {"2021 LSOAs"}
    assert ours["denominators"][0].startswith("estimated")  # these files carry no File 7 denominators
    official = pl.read_csv(shared_data / "imd2025/imd2025_england_ltla24_file10_v2.csv")
    both = ours.join(official, left_on="district_code", right_on="ltla24_code")
    assert both.height == 296
    thanet = both.filter(pl.col("district_code") == THANET).row(0, named=True)
    assert thanet["imd_average_score"] == 32.017 and thanet["imd_rank_of_average_score"] == 26
    assert thanet["rank_of_average_score"] == 26 and abs(thanet["average_score"] - 32.017) < 0.1
    # estimated denominators: every district within 2 places of the official rank, scores within 0.25
    diff = (both["rank_of_average_score"] - both["imd_rank_of_average_score"]).abs()
    assert diff.null_count() == 0 and diff.max() <= 2  # type: ignore[operator]
    assert (diff == 0).sum() >= 200  # 215 of 296 exactly
    assert (both["average_score"] - both["imd_average_score"]).abs().max() < 0.25  # type: ignore[operator]


def test_cli_prints_what_the_service_computes(engine: Engine, db_path: Path) -> None:
    result = run_cli(
        "data", "imd", "districts", "--edition", "IMD2019", "--county", "E10000016", "--json", "--db", str(db_path)
    )
    assert result.exit_code == 0, result.output
    printed = {r["district_code"]: r for r in json.loads(result.stdout)}
    ours = district_deprivation(engine, "IMD2019", county="E10000016")
    assert set(printed) == set(ours["district_code"]) and len(printed) == 12
    for row in ours.iter_rows(named=True):
        assert printed[row["district_code"]]["average_score"] == pytest.approx(row["average_score"])
        assert printed[row["district_code"]]["rank_of_average_score"] == row["rank_of_average_score"]
    table = run_cli("data", "imd", "districts", "--edition", "IMD2019", "--county", "E10000016", "--db", str(db_path))
    assert "Thanet" in table.stdout and "31.314" in table.stdout and "mid-2015 denominators" in table.stdout


def test_lsoa_2011_to_2021_bridge(engine: Engine, shared_data: Path) -> None:
    report = load_areas_file(engine, shared_data / "lookups/lookup_lsoa11_lsoa21_ltla22.csv")
    assert report.kind == "lsoa_bridge_2021" and report.rows == 35_795
    with engine.connect() as conn:
        bridge = read_bridge_2021(conn)
    counts = dict(bridge.group_by("change_code").len().iter_rows())
    assert counts == {"U": 33_647, "S": 1_900, "M": 239, "X": 9}  # PROVENANCE.md
    kent = bridge.filter(pl.col("district_code").is_in([f"E07000{n}" for n in range(105, 117)]))
    assert kent["lsoa11_code"].n_unique() == 902 and kent["lsoa21_code"].n_unique() == 938
