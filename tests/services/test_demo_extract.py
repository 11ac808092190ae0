"""The Kent demo on real public data: the shipped extract is what the script makes from ../shared/data (same
bytes), carries its licence and sources, loads by default, keeps the plan's own figures, lands deprivation
deciles on the framework's groups, and the README's count of indicators with real values is the demo's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from gapwatch.services.database import open_database
from gapwatch.services.demo_data import EXTRACT, LATER_PUBLICATION
from gapwatch.services.frameworks import bundled_framework_path, validate_framework
from gapwatch.services.imports import batches
from gapwatch.services.observations import observations_frame
from gapwatch.settings import Settings
from tests.conftest import copy_database

REPO = Path(__file__).resolve().parents[2]
KENT = "E10000016"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, kent_demo_file: Path) -> Engine:
    """A copy of what `gapwatch demo` builds (built once per run, tests/conftest.py)."""
    path = copy_database(kent_demo_file, tmp_path_factory.mktemp("demo") / "demo.db")
    return open_database(Settings(database_url=f"sqlite:///{path}"), migrate=False)


def real_value_counts(engine: Engine) -> tuple[int, int, int]:
    """(plan indicators, those with a real value, those with a value from the public-data extract)."""
    plan = [i.id for i in validate_framework(bundled_framework_path("kent")).framework.indicators if i.source]
    frame = observations_frame(engine, include_illustrative=False).filter(pl.col("indicator_id").is_in(plan))
    extract = [b.pk for b in batches(engine) if b.name.startswith("Public data: ")]
    public = frame.filter(pl.col("batch_pk").is_in(extract))
    return len(plan), frame["indicator_id"].n_unique(), public["indicator_id"].n_unique()


def test_the_script_rebuilds_the_shipped_extract_byte_for_byte(shared_data: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_demo_extract.py"), str(shared_data), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "rows" in done.stdout
    assert (tmp_path / EXTRACT.name).read_bytes() == EXTRACT.read_bytes()
    assert (tmp_path / "DATA-LICENCE.md").read_text() == (EXTRACT.parent / "DATA-LICENCE.md").read_text()


def test_the_extract_is_small_licensed_and_names_the_source_of_every_row() -> None:
    assert EXTRACT.stat().st_size < 3_000_000
    frame = pl.read_csv(EXTRACT, infer_schema_length=0)
    assert frame["source"].null_count() == 0
    areas = set(frame["area_code"])
    assert {KENT, "E12000008", "E92000001", *(f"E07000{n}" for n in range(105, 117))} <= areas
    # Kent's ten DfE statistical neighbours (April 2021), Essex first.
    assert {"E10000012", "E10000011", "E06000030", "E10000034", "E10000017"} <= areas
    assert not any(a.startswith("E01") for a in frame.filter(pl.col("indicator") != "IoD2019-IDACI")["area_code"])
    licence = (EXTRACT.parent / "DATA-LICENCE.md").read_text()
    assert "Open Government Licence v3.0" in licence
    for source in frame["source"].unique():
        assert source in licence, source


def test_plan_figures_stay_and_the_later_publication_is_kept_beside_them(demo: Engine) -> None:
    ni80 = observations_frame(demo, indicator_ids=["NI80"], include_illustrative=False).filter(
        (pl.col("area_code") == KENT) & (pl.col("period") == "2006/07 AY")
    )
    plan = ni80.filter(pl.col("value_type") == "value")
    later = ni80.filter(pl.col("value_type") == LATER_PUBLICATION)
    assert sorted(plan["value"].to_list()) == [18.0, 47.0, 50.0]  # the plan's Narrowing the Gap row
    assert later.height == 3 and 46.0 < later.filter(pl.col("category") == "")["value"][0] < 46.1
    assert later["note"].str.contains("Source: DfE").all()


def test_real_series_land_on_the_plan_indicators_and_deprivation_groups(demo: Engine) -> None:
    frame = observations_frame(demo, include_illustrative=False)
    ni55 = frame.filter(pl.col("indicator_id") == "NI55")
    assert set(ni55["category_type"].drop_nulls()) == {"imd-decile-national"}
    assert set(ni55["category"].drop_nulls()) == {f"d{d}" for d in range(1, 11)}
    le = frame.filter(pl.col("indicator_id") == "PHE-LE-local-decile")
    assert set(le["category_type"].drop_nulls()) == {"imd-decile-local"}
    ni81 = frame.filter((pl.col("indicator_id") == "NI81") & (pl.col("area_code") == KENT))
    assert ni81.height >= 15 and ni81["value"].min() > 20  # type: ignore[operator]
    looked_after = frame.filter(
        (pl.col("indicator_id") == "PSA1-looked-after-children") & (pl.col("area_code") == KENT)
    )
    assert looked_after["period"].to_list()[:1] and looked_after["illustrative"].sum() == 0


def test_the_readme_states_the_measured_count(demo: Engine) -> None:
    total, real, public = real_value_counts(demo)
    first_screen = (REPO / "README.md").read_text().split("---")[0]
    found = re.search(
        r"(\d+) of (\d+) indicators show real values \((\d+) of them from the public-data extract\)", first_screen
    )
    assert found is not None, "README's first screen must say 'N of 89 indicators show real values (M of them …)'"
    assert (int(found[1]), int(found[2]), int(found[3])) == (real, total, public)
