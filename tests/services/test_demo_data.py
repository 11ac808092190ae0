"""The demo's data: the framework's own figures as one batch, and illustrative series that are seeded,
shaped by the seed figures, complete enough for gaps and intervals, flagged everywhere, and never mixed
with (or put in place of) a real figure."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from gapwatch.services.database import open_database
from gapwatch.services.demo import build_demo
from gapwatch.services.demo_data import (
    DISTRICT_PROFILE,
    FIGURES_BATCH,
    ILLUSTRATIVE_BATCH,
    figures_frame,
    illustrative_frame,
    partnership_area,
)
from gapwatch.services.frameworks import bundled_framework_path, load_framework, stored_framework, validate_framework
from gapwatch.services.imports import batches
from gapwatch.services.observations import observations_frame
from gapwatch.settings import Settings

KENT = "E10000016"
KEYS = ["indicator", "area_code", "period", "category_type", "category"]


@pytest.fixture(scope="module")
def kent_framework():  # type: ignore[no-untyped-def]
    return validate_framework(bundled_framework_path("kent")).framework


def test_figures_include_plan_observations_and_level_target_points(kent_framework) -> None:  # type: ignore[no-untyped-def]
    figures = figures_frame(kent_framework)
    assert partnership_area(kent_framework) == KENT
    assert figures.select(KEYS).is_duplicated().sum() == 0
    care = figures.filter(pl.col("indicator") == "PSA1-children-in-care").sort("period")
    # PSA 1 (002): 1,553 in March 2000, outturn 1163 (March 2004), 1144 in 2009 — for the KCC area.
    assert dict(care.select("period", "value").iter_rows()) == {"March 2000": 1553, "March 2004": 1163, "2009": 1144}
    assert set(care["area_code"]) == {KENT}
    plan = {(o.indicator, o.area, o.category or "") for o in kent_framework.observations}
    assert plan <= set(figures.select("indicator", "area_code", "category").iter_rows())
    assert not figures["illustrative"].any()


def test_illustrative_series_are_seeded_flagged_and_shaped(kent_framework) -> None:  # type: ignore[no-untyped-def]
    frame = illustrative_frame(kent_framework, seed=2008)
    assert frame.equals(illustrative_frame(kent_framework, seed=2008))
    assert not frame.equals(illustrative_frame(kent_framework, seed=7))
    assert frame["illustrative"].all() and frame["note"].str.starts_with("ILLUSTRATIVE").all()
    assert frame.select(KEYS).is_duplicated().sum() == 0
    gcse = frame.filter(pl.col("indicator") == "PSA1-gcse-5ac")
    assert set(gcse["area_code"]) == set(DISTRICT_PROFILE) | {KENT}
    assert sorted(gcse["period"].unique()) == [str(y) for y in range(2004, 2013)]
    assert (gcse["numerator"] <= gcse["denominator"]).all()
    assert (gcse["value"] - gcse["numerator"] / gcse["denominator"] * 100).abs().max() < 1e-9
    # The county total is the sum of its districts, so "rest of Kent" can be formed from counts.
    sums = gcse.filter(pl.col("area_code") != KENT).group_by("period").agg(pl.col("numerator").sum())
    totals = gcse.filter(pl.col("area_code") == KENT).select("period", pl.col("numerator").alias("kent"))
    assert sums.join(totals, on="period").filter(pl.col("numerator") != pl.col("kent")).is_empty()
    # More deprived districts do worse on a higher-is-better measure (Thanet vs Tunbridge Wells).
    mean = dict(gcse.group_by("area_code").agg(pl.col("value").mean()).iter_rows())
    assert mean["E07000114"] < mean["E07000116"]


def test_group_series_sit_around_the_seed_figures(kent_framework) -> None:  # type: ignore[no-untyped-def]
    frame = illustrative_frame(kent_framework)
    figures = figures_frame(kent_framework)
    fsm = figures.filter((pl.col("indicator") == "NI80") & (pl.col("category") == "fsm"))["value"][0]
    series = frame.filter((pl.col("indicator") == "NI80") & (pl.col("category") == "fsm"))
    assert series.height >= 8 and abs(series["value"].mean() - fsm) < 10  # type: ignore[operator]
    # Illustrative values never take the place of a real figure.
    kept = illustrative_frame(kent_framework, skip=figures.select(KEYS))
    assert kept.join(figures.select(KEYS), on=KEYS, how="semi").is_empty()


def test_build_demo_loads_labelled_batches_once(tmp_path: Path) -> None:
    engine: Engine = open_database(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}"))
    lines = build_demo(engine)
    assert any(line.startswith(f"{FIGURES_BATCH}:") for line in lines)
    assert any(line.startswith(f"{ILLUSTRATIVE_BATCH}:") and "flagged illustrative" in line for line in lines)
    found = {b.name: b for b in batches(engine)}
    public = {name for name in found if name.startswith("Public data: ")}
    # Kent's shipped LSOA -> ward -> district lookups (2011 and 2021 LSOAs), loaded before the extract.
    lookups = {name for name in found if name.startswith("Areas: ")}
    assert lookups == {
        "Areas: LSOA11_WD20_LAD20_E10000016.csv.gz",
        "Areas: lookup_lsoa21_ward24_ltla24_E10000016.csv.gz",
    }
    assert set(found) == {FIGURES_BATCH, ILLUSTRATIVE_BATCH, *public, *lookups} and len(public) >= 10
    assert found[ILLUSTRATIVE_BATCH].illustrative and not found[FIGURES_BATCH].illustrative
    frame = observations_frame(engine)
    by_batch = frame.group_by("batch_pk").agg(
        pl.col("illustrative").all().alias("all"), pl.col("illustrative").any().alias("any")
    )
    flags = {b.pk: (b.illustrative, b.illustrative) for b in found.values() if b.name not in lookups}
    assert {r[0]: (r[1], r[2]) for r in by_batch.iter_rows()} == flags
    again = build_demo(engine)
    assert "already loaded" in again[1] and "already loaded" in again[-1]
    assert all("already loaded" in line for line in again if line.startswith("Public data: "))
    assert len(batches(engine)) == len(found)
    real = observations_frame(engine, include_illustrative=False)
    assert real.height > figures_frame(stored_framework(engine)).height + 4000


def test_other_frameworks_get_group_series_without_districts(tmp_path: Path) -> None:
    mini = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
    engine = open_database(Settings(database_url=f"sqlite:///{tmp_path / 'mini.db'}"))
    framework = load_framework(engine, mini).framework
    frame = illustrative_frame(framework)
    assert set(frame["area_code"]) == {"X0"} and set(frame["category"]) == {"fsm", "non-fsm"}
    means = dict(frame.group_by("category").agg(pl.col("value").mean()).iter_rows())
    assert means["fsm"] < means["non-fsm"]  # around the stated 54 vs 80
