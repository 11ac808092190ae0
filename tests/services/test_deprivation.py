"""Deprivation and comparison groups from the real public files in ../shared/data: Kent's districts carry
IMD-derived deprivation (2019 and, through old codes such as 29UN, 2007); Thanet has the most LSOAs in
England's most deprived decile; and "most deprived quintile vs the rest", "Thanet vs the rest of Kent" and
Kent's FSM gap at 19 are all formed from real numerators and denominators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from gapwatch.services.areas import area_table, district_deprivation, grouping_members, lsoa_deprivation
from gapwatch.services.database import open_database
from gapwatch.services.demo_data import load_public_data
from gapwatch.services.frameworks import bundled_framework_path, load_framework, stored_framework
from gapwatch.services.observations import aggregate_areas, observations_frame, with_category_rank
from gapwatch.settings import Settings
from gapwatch.stats.gaps import area_vs_rest, deprived_vs_rest, group_gap

pytestmark = pytest.mark.slow

KENT = "E10000016"
THANET = "E07000114"
FILES = [
    "lookups/LSOA11_WD20_LAD20_EW_LU.csv",
    "lookups/lookup_ltla21_utla21.csv",
    "lookups/lookup_ltla16_to_ltla24_names_codes.csv",
    "imd/imd2007_lsoa01_england.csv",
    "imd/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv",
    "imd/imd2019_lsoa11_score_decile.csv",
    "imd/File_6_-_IoD2019_Population_Denominators.csv",
    "imd/imd2019_lsoa11_underlying_indicators.csv",
    "fingertips/indicators-CountyUA.data.csv",
    "dfe/attainment_age19/LA_Dashboard_2022_without_Scilly.csv",
    "dfe/eyfsp/eyfsp_headline_measures_kent_medway_lad_fsm_2022_2025.csv",
]
# PROVENANCE.md: Kent LSOAs per district in the 2019 files.
KENT_LSOAS = {
    "E07000105": 78,
    "E07000106": 90,
    "E07000107": 58,
    "E07000108": 67,
    "E07000112": 67,
    "E07000109": 64,
    "E07000110": 95,
    "E07000111": 74,
    "E07000113": 85,
    "E07000114": 84,
    "E07000115": 72,
    "E07000116": 68,
}


@pytest.fixture(scope="module")
def kent(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("public")
    for rel in FILES:  # a folder holding some of the public files (links, not copies)
        (folder / Path(rel).name).symlink_to(shared_data / rel)
    engine = open_database(Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('db') / 'kent.db'}"))
    load_framework(engine, bundled_framework_path("kent"))
    done = load_public_data(engine, folder)
    assert not [line for line in done if "not loaded" in line], done
    yield engine
    engine.dispose()


def test_kent_districts_carry_imd_2019_deprivation(kent: Engine) -> None:
    districts = district_deprivation(kent, "IMD2019", county=KENT)
    assert dict(districts.select("district_code", "lsoas").iter_rows()) == KENT_LSOAS
    decile1 = dict(districts.select("district_code", "lsoas_in_most_deprived_decile").iter_rows())
    assert max(decile1, key=decile1.__getitem__) == THANET
    assert (decile1[THANET], decile1["E07000113"], decile1["E07000116"]) == (18, 16, 0)  # PROVENANCE.md
    thanet = districts.filter(pl.col("district_code") == THANET).row(0, named=True)
    assert round(thanet["unweighted_mean_lsoa_score"], 1) == 30.3 and thanet["population"] > 100_000
    # IoD2019 File 10: average score 31.314, rank of average score 30 of 317 (population-weighted, File 6)
    assert round(thanet["average_score"], 3) == 31.314 and thanet["rank_of_average_score"] == 30
    assert thanet["rank_of_average_rank"] == 34 and thanet["districts_ranked"] == 317


def test_imd_2007_on_old_district_codes_resolves_to_kent_districts(kent: Engine) -> None:
    districts = district_deprivation(kent, "IMD2007", county=KENT)
    assert set(districts["district_code"]) == set(KENT_LSOAS)
    assert districts.filter(pl.col("district_code") == THANET)["lsoas"].to_list() == [84]
    with kent.connect() as conn:
        areas = area_table(conn)
    assert "29UN" in areas.filter(pl.col("code") == THANET)["former_codes"][0].to_list()
    assert "Shepway" in areas.filter(pl.col("code") == "E07000112")["former_names"][0].to_list()


def test_deciles_within_kent(kent: Engine) -> None:
    lsoas = lsoa_deprivation(kent, "IMD2019", county=KENT)
    assert lsoas.height == 902
    sizes = lsoas.group_by("county_decile").len().sort("county_decile")
    assert sizes["county_decile"].to_list() == list(range(1, 11)) and set(sizes["len"]) <= {90, 91}
    assert (
        lsoas.filter(pl.col("county_decile") == 1)["rank"].max()
        < lsoas.filter(pl.col("county_decile") == 2)["rank"].min()
    )
    assert (lsoas["quintile"] == (lsoas["decile"] + 1) // 2).all()


def test_most_deprived_quintile_vs_the_rest_from_real_lsoa_counts(kent: Engine) -> None:
    lsoas = lsoa_deprivation(kent, "IMD2019")
    idaci = observations_frame(kent, indicator_ids=["IoD2019-IDACI"])
    assert idaci.height == 32844 and idaci["suppressed"].sum() > 0
    for column, scope in (("quintile", None), ("county_quintile", KENT)):
        members = lsoas if scope is None else lsoas.filter(pl.col("county_code") == scope)
        groups = aggregate_areas(
            idaci.filter(~pl.col("suppressed")),
            members.select(pl.col("lsoa_code").alias("area_code"), pl.col(column).cast(pl.String).alias("q")),
            group_column="q",
        ).with_columns(pl.col("q").cast(pl.Int64))
        assert groups.height == 5 and groups["numerator"].null_count() == 0
        gap = deprived_vs_rest(groups, quantile_col="q", x="numerator", n="denominator", deprived=(1,))
        row = gap.row(0, named=True)
        assert row["subject_value"] > row["comparator_value"] and row["gap_lowercl"] > 0


def test_most_deprived_deciles_vs_rest_from_a_fingertips_export(kent: Engine) -> None:
    frame = observations_frame(kent, indicator_ids=["fingertips-93356"], area_ids=["E92000001"])
    # The export's "County & UA deprivation deciles in England (IMD2015, 4/19 geography)" land on the framework's
    # breakdown of that name (its alias), categories d1 (most deprived) to d10.
    deciles = with_category_rank(frame.filter(pl.col("category_type") == "imd2015-decile-county-ua"))
    assert sorted(deciles["category_rank"].unique()) == list(range(1, 11))
    gap = deprived_vs_rest(
        deciles,
        quantile_col="category_rank",
        x="numerator",
        n="denominator",
        deprived=(1, 2),
        measure="rate",
        group_by="period",
    )
    assert gap.height == 3 and gap["gap"].null_count() == 0  # one comparison per year, 2015-2017


def test_thanet_vs_rest_of_kent_from_real_counts(kent: Engine) -> None:
    framework = stored_framework(kent)
    with kent.connect() as conn:
        areas = area_table(conn, framework)
    rest = grouping_members(framework, areas, "rest-of-kent")
    assert len(rest) == 11 and THANET not in rest
    lsoas = lsoa_deprivation(kent, "IMD2019", county=KENT)
    idaci = observations_frame(kent, indicator_ids=["IoD2019-IDACI"]).filter(~pl.col("suppressed"))
    by_district = aggregate_areas(
        idaci,
        lsoas.select(pl.col("lsoa_code").alias("area_code"), pl.col("district_code").alias("district")),
        group_column="district",
    )
    gap = area_vs_rest(
        by_district, area_col="district", subject_area=THANET, members=[THANET, *rest], x="numerator", n="denominator"
    )
    row = gap.row(0, named=True)
    assert row["comparator_areas"] == 11 and row["subject_value"] > row["comparator_value"] and row["gap_lowercl"] > 0
    gld = observations_frame(kent, indicator_ids=["DfE-EYFSP-GLD"]).filter(pl.col("category") == "")
    eyfs = area_vs_rest(
        gld,
        area_col="area_code",
        subject_area=THANET,
        members=[THANET, *rest],
        x="numerator",
        n="denominator",
        group_by="period",
    )
    assert eyfs.height == 4 and (eyfs["subject_value"] < eyfs["comparator_value"]).all()


def test_kent_fsm_gap_at_19_for_every_cohort(kent: Engine) -> None:
    frame = observations_frame(kent, indicator_ids=["DfE-L2EM-by-19", "NI80"], area_ids=[KENT]).filter(
        pl.col("category_type") == "fsm"
    )
    gap = group_gap(
        frame,
        category_col="category",
        subject="fsm",
        comparator="non-fsm",
        x="numerator",
        n="denominator",
        group_by=["indicator_id", "period"],
    )
    for indicator in ("DfE-L2EM-by-19", "NI80"):
        series = gap.filter(pl.col("indicator_id") == indicator)
        assert series.height == 18 and series["gap"].null_count() == 0 and (series["gap"] < 0).all()
    em = gap.filter(pl.col("indicator_id") == "DfE-L2EM-by-19")
    values = {
        r["period"]: (round(r["subject_value"], 1), round(r["comparator_value"], 1)) for r in em.iter_rows(named=True)
    }
    # PROVENANCE.md: Kent, L2 with English and maths by 19, FSM vs non-FSM (cohorts aged 19 in 2008, 2012, 2022).
    assert values["2007/08 AY"] == (19.8, 55.5) and values["2011/12 AY"] == (27.3, 61.1)
    assert values["2021/22 AY"] == (41.4, 73.8)
