"""Constructed plans and observation frames where the right answer is known by hand."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from gapwatch.analysis.frame import SCHEMA, period_end, period_index
from gapwatch.domain.areas import Area
from gapwatch.domain.catalogue import Plan, build_plan
from gapwatch.ingest.framework_yaml import read_framework

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"


@pytest.fixture(scope="session")
def plan() -> Plan:
    """The Riverton fixture with a third district, so a rest-of-parent can be incomplete."""
    framework = read_framework(MINI).framework
    areas = [
        *framework.areas,
        Area.model_validate({"id": "E1", "name": "East Riverton", "level": "district", "parent": "X0"}),
    ]
    return build_plan(framework.model_copy(update={"areas": areas}))


def frame(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """An observation frame from partial rows (missing columns are null; period end and index added)."""
    full = []
    for r in rows:
        row: dict[str, Any] = {k: None for k in SCHEMA}
        row.update({"illustrative": False, "indicator": "ATT1"})
        row.update(r)
        full.append(row)
    df = pl.DataFrame(full, schema=SCHEMA)
    return df.with_columns(
        pl.col("period").map_elements(period_end, return_dtype=pl.Date).alias("period_end"),
        pl.col("period").map_elements(period_index, return_dtype=pl.Float64).alias("period_index"),
    )
