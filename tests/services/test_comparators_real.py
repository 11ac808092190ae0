"""Kent against its ten DfE statistical neighbours on the real figures the default demo loads: the group's value
is the members' summed numerators over their summed denominators (computed here, independently, from the shipped
extract CSV), at the latest period and at every period of the trend line, and Kent's rank is where its value
falls among the eleven."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from gapwatch.services.comparators import comparator_view
from gapwatch.services.demo_data import EXTRACT
from gapwatch.store.engine import session_scope

KENT = "E10000016"
GROUP = "kent-statistical-neighbours"
#: Kent's ten neighbours (DfE, April 2021), as frameworks/kent/comparators.yaml transcribes them.
NEIGHBOURS = [
    "E10000012", "E10000011", "E06000030", "E10000034", "E10000017",
    "E06000062", "E10000024", "E10000031", "E10000029", "E10000028",
]  # fmt: skip


@pytest.fixture(scope="module")
def demo(kent_demo: tuple[Engine, Path]) -> Engine:
    return kent_demo[0]


def _extract(indicator: str) -> pl.DataFrame:
    """Whole-population rows of one indicator straight from the shipped CSV (no gapwatch code in between)."""
    frame = pl.read_csv(Path(EXTRACT), infer_schema_length=0)
    return frame.filter(
        (pl.col("indicator") == indicator)
        & (pl.col("category_type").fill_null("") == "")
        & pl.col("sex").fill_null("Persons").str.to_lowercase().is_in(["persons", "all", ""])
    ).with_columns(pl.col("value", "numerator", "denominator").cast(pl.Float64))


def _wilson(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    p = x / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_ni80_group_value_is_the_members_summed_counts_and_kent_ranks_sixth(demo: Engine) -> None:
    rows = _extract("NI80")
    latest = "2021/22 AY"
    members = rows.filter(pl.col("period") == latest, pl.col("area_code").is_in(NEIGHBOURS))
    assert members.height == 10 and members["numerator"].null_count() == 0
    x, n = members["numerator"].sum(), members["denominator"].sum()
    with session_scope(demo) as session:
        result = comparator_view(session, "NI80", area=KENT, group=GROUP).result
    assert result.period == latest
    group = result.benchmark("group")
    assert group is not None and group.members_used == 10
    assert (group.count, group.denominator) == (x, n) == (42623.0, 72048.0)
    assert group.value == pytest.approx(100 * x / n, rel=1e-12)
    lower, upper = _wilson(x, n)
    assert (group.lower, group.upper) == (pytest.approx(100 * lower, rel=1e-9), pytest.approx(100 * upper, rel=1e-9))
    # not the mean of the members' rates (which would weight Swindon like Essex)
    assert abs(group.value - members["value"].mean()) > 0.1  # type: ignore[operator]
    kent = rows.filter(pl.col("period") == latest, pl.col("area_code") == KENT)["value"][0]
    everyone = rows.filter(pl.col("period") == latest, pl.col("area_code").is_in([KENT, *NEIGHBOURS]))["value"]
    assert result.rank == 1 + sum(v > kent for v in everyone.to_list()) == 6
    assert result.rank_of == 11 and not result.tied
    assert [m.area for m in result.members][:2] == ["E10000031", "E10000012"]  # Warwickshire, Essex
    assert group.comparison == "worse"  # the group's 59.16 lies above Kent's interval (57.45 to 58.99)


def test_the_trend_lines_group_value_is_summed_at_every_period(demo: Engine) -> None:
    """Children looked after per 10,000 (DfE): the group's line, England's and the South East's at each period."""
    rows = _extract("PSA1-looked-after-children")
    with session_scope(demo) as session:
        result = comparator_view(session, "PSA1-looked-after-children", area=KENT, group=GROUP).result
    group_line = {p.period: p for p in result.series if p.kind == "group"}
    periods = sorted(set(rows.filter(pl.col("area_code") == KENT)["period"]))
    assert periods and set(group_line) == set(periods)
    for period in periods:
        members = rows.filter(
            pl.col("period") == period, pl.col("area_code").is_in(NEIGHBOURS), pl.col("numerator").is_not_null()
        )
        point = group_line[period]
        assert point.members_used == members.height
        assert point.value == pytest.approx(1e4 * members["numerator"].sum() / members["denominator"].sum())
    assert group_line["March 2021"].members_used == 9  # one neighbour published no count that year
    for kind, code in (("england", "E92000001"), ("region", "E12000008")):
        line = {p.period: p.value for p in result.series if p.kind == kind}
        published = dict(rows.filter(pl.col("area_code") == code).select("period", "value").iter_rows())
        assert line == {p: published[p] for p in periods}
