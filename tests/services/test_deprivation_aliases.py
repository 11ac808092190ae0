"""Deprivation breakdowns real data maps onto by name: each IMD edition's national and within-area deciles and
quintiles, and Fingertips' deciles of local authorities, named by their aliases (case and runs of spaces
ignored), land on the framework's groups in every importer, so the gaps explorer and `gapwatch gap show` find a
deprivation gap in the real Fingertips County & UA file."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from gapwatch.domain.framework import reference_problems
from gapwatch.domain.groups import CategoryType, match_category_type, quantile_rank
from gapwatch.queries.reading import reading
from gapwatch.services.database import open_database
from gapwatch.services.frameworks import bundled_framework_path, load_framework, validate_framework
from gapwatch.services.gaps_explorer import explore
from gapwatch.services.imports import import_file
from gapwatch.services.observations import observations_frame
from gapwatch.settings import Settings
from tests.clirunner import run_cli

KENT_GROUPS = validate_framework(bundled_framework_path("kent")).framework.groups
ENGLAND = "E92000001"
INDICATOR = "fingertips-93356"  # Campylobacter incidence, the County & UA file's one indicator


@pytest.mark.parametrize(
    ("label", "group"),
    [
        ("County & UA deprivation deciles in England (IMD2019, 4/21 geography)", "imd2019-decile-county-ua"),
        ("county & ua DEPRIVATION deciles in england (imd2015)", "imd2015-decile-county-ua"),
        ("District & UA deprivation deciles in England (IMD2015, 4/19 geography)", "imd2015-decile-district-ua"),
        ("District & UA (pre Apr2019)  deprivation deciles in England (IMD2015)", "imd2015-decile-district-ua"),
        ("Deprivation deciles (IMD2010)", "imd2010-decile"),
        ("LSOA11 deprivation deciles in England (IMD2019)", "imd2019-decile"),
        ("LSOA11 deprivation deciles within area (IMD2015)", "imd2015-decile-local"),
        ("LSOA21 deprivation quintiles in England (IMD2025)", "imd2025-quintile"),
        ("Deprivation quintiles within area (IMD2007)", "imd2007-quintile-local"),
        ("imd2019-quintile", "imd2019-quintile"),
        ("Deprivation decile (IMD 2019)", "imd2019-decile"),
    ],
)
def test_publishers_names_find_the_frameworks_group(label: str, group: str) -> None:
    found = match_category_type(KENT_GROUPS, label)
    assert found is not None and found.id == group


def test_every_edition_has_national_and_local_deciles_and_quintiles() -> None:
    ids = {g.id: g for g in KENT_GROUPS}
    for edition in ("2007", "2010", "2015", "2019", "2025"):
        for kind, n in (("decile", 10), ("quintile", 5)):
            for local in ("", "-local"):
                ct = ids[f"imd{edition}-{kind}{local}"]
                assert ct.edition == f"IMD{edition}" and len(ct.categories) == n
                assert ct.within_area is (local == "-local")
                first = ct.categories[0]
                assert (first.order, first.comparator) == (1, ct.categories[-1].id)
    assert ids["imd2025-decile"].geography == "LSOA 2021" and ids["imd2010-decile"].geography == "LSOA 2001"


def test_labels_of_categories_and_unknown_names() -> None:
    decile = next(g for g in KENT_GROUPS if g.id == "imd2015-decile-county-ua")
    assert decile.category_for("Most deprived decile (IMD2015)") == "d1"
    assert decile.category_for("Third less deprived decile (IMD2015)") == "d8"
    assert decile.category_for("Second most deprived quintile (IMD2015)") is None  # a quintile is not a decile
    quintile = next(g for g in KENT_GROUPS if g.id == "imd2019-quintile")
    assert quintile.category_for("Second least deprived quintile (IMD2019)") == "q4"
    assert quintile.category_for("Quintile 5 (least deprived)") == "q5"
    assert match_category_type(KENT_GROUPS, "Deprivation deciles (IMD2004)") is None
    assert (quantile_rank("Middle quintile"), quantile_rank("d10"), quantile_rank("Sex")) == (3, 10, None)


def test_quantiles_are_5_or_10_and_one_alias_names_one_group() -> None:
    with pytest.raises(ValidationError, match="quantiles must be 10"):
        CategoryType(id="x", name="X", quantiles=4)
    a = CategoryType(id="a", name="A", quantiles=10, aliases=["Shared name"])
    b = CategoryType(id="b", name="B", quantiles=5, aliases=["shared  NAME"])
    kent = validate_framework(bundled_framework_path("kent")).framework
    assert not [m for _, m in reference_problems(kent) if "alias" in m]
    problems = reference_problems(kent.model_copy(update={"groups": [*kent.groups, a, b]}))
    assert any(path == ("groups", len(kent.groups) + 1, "aliases") and "shared name" in msg for path, msg in problems)


@pytest.fixture(scope="module")
def county_ua(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("aliases") / "t.db"
    engine = open_database(Settings(database_url=f"sqlite:///{db}"))
    load_framework(engine, bundled_framework_path("kent"))
    report = import_file(
        engine,
        shared_data / "fingertips" / "indicators-CountyUA.data.csv",
        actor="tester",
        add_unknown_indicators=True,
    )
    assert report.inserted == 842
    engine.dispose()
    return db


def _engine(db: Path) -> Engine:
    return open_database(Settings(database_url=f"sqlite:///{db}"))


def test_the_fingertips_county_ua_file_lands_on_the_groups(county_ua: Path) -> None:
    engine = _engine(county_ua)
    rows = observations_frame(engine, indicator_ids=[INDICATOR]).filter(pl.col("category_type") != "")
    engine.dispose()
    by_type = rows.group_by("category_type").agg(pl.col("category").unique().sort(), pl.len())
    assert set(by_type["category_type"]) == {"imd2015-decile-county-ua", "imd2015-decile-district-ua"}
    for cats in by_type["category"]:
        assert sorted(cats) == sorted(f"d{i}" for i in range(1, 11))
    assert set(rows["area_code"]) == {ENGLAND}


def test_the_explorer_and_gap_show_report_the_same_deprivation_gap(county_ua: Path) -> None:
    engine = _engine(county_ua)
    with reading(engine) as session:
        found = explore(session, INDICATOR, "deprivation", area=ENGLAND)
    engine.dispose()
    assert found.category_type == "imd2015-decile-county-ua"
    assert ("imd2015-decile-district-ua", "Deprivation decile of the district & UA (IMD 2015)") in found.category_types
    assert found.series is not None and [p.period for p in found.series.points] == ["2015", "2016", "2017"]
    done = run_cli(
        "gap", "show", INDICATOR, "--by", "imd2015-decile-county-ua", "--area", ENGLAND,
        "--format", "json", "--db", str(county_ua),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    doc = json.loads(done.output)
    assert doc["comparison"] == "deprivation"
    gaps = [p["gap"] for p in doc["series"]["points"]]
    assert gaps == [p.gap for p in found.series.points]
    # Campylobacter is reported less often in the most deprived fifth of counties: the gap is real and negative.
    assert all(g is not None and g < -25 for g in gaps)
