"""Gaps between a subject and a comparator (gapwatch.stats.gaps)."""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from gapwatch.stats.gaps import Measure, area_vs_rest, deprived_vs_rest, gap_statistics, group_gap

# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score), 95% limits.
NEWCOMBE_TABLE_II = [
    # x1, n1, x2, n2, lower, upper
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


def test_difference_of_proportions_reproduces_newcombe_table_ii() -> None:
    x1, n1, x2, n2, lower, upper = (np.array(col, dtype=float) for col in zip(*NEWCOMBE_TABLE_II, strict=True))
    got = gap_statistics(x1, n1, x2, n2, measure="proportion", level=0.95)
    np.testing.assert_allclose(got["gap"], x1 / n1 - x2 / n2)
    np.testing.assert_allclose(np.round(got["gap_lower"], 4), lower, atol=1e-12)
    np.testing.assert_allclose(np.round(got["gap_upper"], 4), upper, atol=1e-12)


def test_ratio_of_proportions_is_katz_log_interval() -> None:
    x1, n1, x2, n2 = 30.0, 120.0, 45.0, 300.0
    got = gap_statistics([x1], [n1], [x2], [n2], measure="proportion", level=0.95)
    rr = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = sps.norm.ppf(0.975)
    np.testing.assert_allclose(got["ratio"], [rr])
    np.testing.assert_allclose(got["ratio_lower"], [rr * math.exp(-z * se)])
    np.testing.assert_allclose(got["ratio_upper"], [rr * math.exp(z * se)])


def test_ratio_of_proportions_with_a_zero_count_is_null() -> None:
    got = gap_statistics([0, 4], [50, 50], [5, 0], [50, 50], measure="proportion")
    assert np.isnan(got["ratio"]).all()
    assert np.isnan(got["ratio_lower"]).all()
    assert np.isfinite(got["gap"]).all()


def test_rate_ratio_small_counts_use_exact_conditional_binomial() -> None:
    x1, n1, x2, n2 = 4.0, 1000.0, 9.0, 3000.0
    got = gap_statistics([x1], [n1], [x2], [n2], measure="rate", level=0.95)
    ci = sps.binomtest(int(x1), int(x1 + x2)).proportion_ci(confidence_level=0.95, method="exact")

    def to_ratio(share: float) -> float:
        return share / (1 - share) * n2 / n1

    np.testing.assert_allclose(got["ratio"], [(x1 / n1) / (x2 / n2)])
    np.testing.assert_allclose(got["ratio_lower"], [to_ratio(ci.low)], rtol=1e-9)
    np.testing.assert_allclose(got["ratio_upper"], [to_ratio(ci.high)], rtol=1e-9)


def test_rate_ratio_and_difference_for_large_counts() -> None:
    x1, n1, x2, n2 = 120.0, 50_000.0, 300.0, 200_000.0
    got = gap_statistics([x1], [n1], [x2], [n2], measure="rate", level=0.95, multiplier=100_000)
    z = sps.norm.ppf(0.975)
    rr = (x1 / n1) / (x2 / n2)
    se_log = math.sqrt(1 / x1 + 1 / x2)
    np.testing.assert_allclose(got["ratio_lower"], [rr * math.exp(-z * se_log)])
    diff = (x1 / n1 - x2 / n2) * 100_000
    se = math.sqrt(x1 / n1**2 + x2 / n2**2) * 100_000
    np.testing.assert_allclose(got["gap"], [diff])
    np.testing.assert_allclose(got["gap_lower"], [diff - z * se])
    np.testing.assert_allclose(got["gap_se"], [se])


def test_zero_rate_in_subject_gives_zero_ratio_with_exact_upper_limit() -> None:
    got = gap_statistics([0], [1000], [20], [1000], measure="rate")
    assert got["ratio"][0] == 0
    assert got["ratio_lower"][0] == 0
    assert 0 < got["ratio_upper"][0] < 1


@pytest.fixture()
def fsm() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "indicator": ["gcse"] * 6 + ["ks2"] * 4,
            "period": [2010, 2010, 2010, 2011, 2011, 2011, 2010, 2010, 2011, 2011],
            "group": ["FSM", "FSM", "non-FSM", "FSM", "non-FSM", "non-FSM", "FSM", "non-FSM", "FSM", "other"],
            "x": [10, 5, 300, 20, 150, 160, 8, 90, 7, 50],
            "n": [40, 20, 500, 50, 250, 260, 30, 120, 25, 60],
        }
    )


def test_group_gap_sums_rows_within_category_and_keeps_group_order(fsm: pl.DataFrame) -> None:
    got = group_gap(
        fsm,
        category_col="group",
        subject="FSM",
        comparator="non-FSM",
        x="x",
        n="n",
        group_by=["indicator", "period"],
    )
    assert got.select("indicator", "period").rows() == [
        ("gcse", 2010),
        ("gcse", 2011),
        ("ks2", 2010),
        ("ks2", 2011),
    ]
    first = got.row(0, named=True)
    assert (first["subject_x"], first["subject_n"], first["comparator_x"], first["comparator_n"]) == (
        15,
        60,
        300,
        500,
    )
    assert first["gap"] == pytest.approx((15 / 60 - 300 / 500) * 100)
    assert first["significance"] == "lower"
    second = got.row(1, named=True)
    assert (second["comparator_x"], second["comparator_n"]) == (310, 510)
    missing = got.row(3, named=True)  # ks2 2011 has no non-FSM row
    assert missing["comparator_x"] is None
    assert missing["gap"] is None and missing["ratio"] is None and missing["significance"] is None


def test_group_gap_null_count_makes_the_side_null(fsm: pl.DataFrame) -> None:
    data = fsm.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col("x")).alias("x"))
    got = group_gap(
        data,
        category_col="group",
        subject="FSM",
        comparator="non-FSM",
        x="x",
        n="n",
        group_by=["indicator", "period"],
    )
    assert got.row(0, named=True)["subject_x"] is None


def test_group_gap_several_levels_name_columns_by_level(fsm: pl.DataFrame) -> None:
    got = group_gap(
        fsm,
        category_col="group",
        subject="FSM",
        comparator="non-FSM",
        x="x",
        n="n",
        group_by=["indicator", "period"],
        confidence=[0.95, 0.998],
        multiplier=1,
    )
    for prefix in ("subject", "comparator", "gap", "ratio"):
        for name in ("lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"):
            assert f"{prefix}_{name}" in got.columns
    row = got.row(0, named=True)
    assert row["gap_lower99_8cl"] < row["gap_lower95_0cl"] < row["gap"] < row["gap_upper95_0cl"]
    assert row["confidence"] == "95%, 99.8%"


def test_group_gap_lazy_in_lazy_out(fsm: pl.DataFrame) -> None:
    got = group_gap(
        fsm.lazy(),
        category_col="group",
        subject="FSM",
        comparator="non-FSM",
        x="x",
        n="n",
        group_by="indicator",
    )
    assert isinstance(got, pl.LazyFrame)
    assert got.collect().height == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            pl.when(pl.col("x") == 300).then(600).otherwise(pl.col("x")).alias("x"),
            "column 'x': values greater",
        ),
        (
            pl.when(pl.col("x") == 300).then(-1).otherwise(pl.col("x")).alias("x"),
            "column 'x': negative values in rows 2",
        ),
    ],
)
def test_group_gap_rejects_impossible_counts(fsm: pl.DataFrame, change: pl.Expr, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        group_gap(fsm.with_columns(change), category_col="group", subject="FSM", comparator="non-FSM", x="x", n="n")


def test_group_gap_rejects_unknown_measure_and_columns(fsm: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="measure"):
        group_gap(
            fsm,
            category_col="group",
            subject="FSM",
            comparator="non-FSM",
            x="x",
            n="n",
            measure=cast(Measure, "ratio"),
        )
    with pytest.raises(ValueError, match="column 'nope'"):
        group_gap(fsm, category_col="nope", subject="FSM", comparator="non-FSM", x="x", n="n")


@pytest.fixture()
def kent() -> pl.DataFrame:
    districts = {"Thanet": (90, 300), "Dover": (40, 250), "Swale": (60, 280), "Ashford": (30, 260)}
    rows = [(year, area, x + year - 2010, n) for year in (2010, 2011) for area, (x, n) in districts.items()]
    rows += [
        (
            year,
            "Kent",
            sum(x + year - 2010 for x, _ in districts.values()),
            sum(n for _, n in districts.values()),
        )
        for year in (2010, 2011)
    ]
    return pl.DataFrame(rows, schema=["year", "area", "x", "n"], orient="row")


def test_area_vs_rest_members_and_parent_agree(kent: pl.DataFrame) -> None:
    members = ["Thanet", "Dover", "Swale", "Ashford"]
    by_members = area_vs_rest(
        kent, area_col="area", subject_area="Thanet", x="x", n="n", members=members, group_by="year"
    )
    by_parent = area_vs_rest(
        kent, area_col="area", subject_area="Thanet", x="x", n="n", parent_area="Kent", group_by="year"
    )
    for col in ("comparator_x", "comparator_n", "gap", "gap_lowercl", "gap_uppercl", "ratio"):
        np.testing.assert_allclose(by_members[col].to_numpy(), by_parent[col].to_numpy())
    row = by_members.row(0, named=True)
    assert (row["comparator_x"], row["comparator_n"]) == (130, 790)
    assert row["comparator_areas"] == 3
    assert by_parent.row(0, named=True)["comparator"] == "rest of Kent"


def test_rest_is_built_from_counts_not_percentages(kent: pl.DataFrame) -> None:
    got = area_vs_rest(
        kent, area_col="area", subject_area="Thanet", x="x", n="n", parent_area="Kent", group_by="year"
    ).row(0, named=True)
    rest_from_counts = 130 / 790 * 100
    naive = (220 / 1090 - 90 / 300) * 100  # parent % minus district %: meaningless
    assert got["comparator_value"] == pytest.approx(rest_from_counts)
    assert got["comparator_value"] != pytest.approx(naive)
    assert got["gap"] == pytest.approx(90 / 300 * 100 - rest_from_counts)


def test_area_vs_rest_several_subjects_and_missing_member(kent: pl.DataFrame) -> None:
    data = kent.with_columns(
        pl.when((pl.col("area") == "Dover") & (pl.col("year") == 2011)).then(None).otherwise(pl.col("x")).alias("x")
    )
    got = area_vs_rest(
        data,
        area_col="area",
        subject_area=["Thanet", "Swale"],
        x="x",
        n="n",
        members=["Thanet", "Dover", "Swale", "Ashford"],
        group_by="year",
    )
    assert got.select("year", "subject").rows() == [
        (2010, "Thanet"),
        (2010, "Swale"),
        (2011, "Thanet"),
        (2011, "Swale"),
    ]
    assert got.filter(pl.col("year") == 2011)["comparator_x"].is_null().all()
    swale = got.row(1, named=True)
    assert swale["comparator_x"] == 90 + 40 + 30


def test_area_vs_rest_parent_smaller_than_subject_is_an_error(kent: pl.DataFrame) -> None:
    data = kent.with_columns(pl.when(pl.col("area") == "Kent").then(10).otherwise(pl.col("x")).alias("x"))
    with pytest.raises(ValueError, match="column 'x': the parent total is smaller"):
        area_vs_rest(data, area_col="area", subject_area="Thanet", x="x", n="n", parent_area="Kent", group_by="year")


def test_area_vs_rest_needs_exactly_one_way_to_form_the_rest(kent: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="exactly one of members or parent_area"):
        area_vs_rest(kent, area_col="area", subject_area="Thanet", x="x", n="n")


def test_deprived_vs_rest_aggregates_counts() -> None:
    data = pl.DataFrame(
        {
            "period": [1] * 10,
            "decile": list(range(1, 11)),
            "x": [50, 45, 40, 35, 30, 25, 20, 15, 10, 5],
            "n": [200] * 10,
        }
    )
    got = deprived_vs_rest(
        data,
        quantile_col="decile",
        deprived=[1, 2],
        x="x",
        n="n",
        group_by="period",
        measure="rate",
        multiplier=1000,
    )
    row = got.row(0, named=True)
    assert (row["subject_x"], row["subject_n"], row["comparator_x"], row["comparator_n"]) == (
        95,
        400,
        180,
        1600,
    )
    assert row["gap"] == pytest.approx((95 / 400 - 180 / 1600) * 1000)
    assert (row["subject"], row["comparator"]) == ("most deprived", "rest")
    assert row["significance"] == "higher"


def test_subject_and_comparator_must_differ(fsm: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="comparator: must differ from the subject"):
        group_gap(fsm, category_col="group", subject="FSM", comparator="FSM", x="x", n="n")
