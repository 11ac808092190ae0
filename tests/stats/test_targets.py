"""Target status, gap-closing targets and reward shares (gapwatch.stats.targets)."""

from __future__ import annotations

import polars as pl
import pytest

from gapwatch.stats.targets import gap_closing_status, level_target_status, parse_reduction, reward_share


@pytest.fixture()
def care() -> pl.DataFrame:
    # PSA 1: reduce children in care from 1,553 (2000) to 1,200 by 2004 (low is good).
    return pl.DataFrame(
        {
            "period": [2000, 2001, 2002, 2003, 2003, 2004, 2005],
            "value": [1553.0, 1440, 1420, 1250, 1330, 1163, 1230],
            "lower": [1500.0, 1400, 1390, 1200, 1300, 1100, 1180],
            "upper": [1600.0, 1480, 1450, 1300, 1370, 1200, 1280],
        }
    )


def _care_status(data: pl.DataFrame, **kwargs: object) -> pl.DataFrame:
    args: dict[str, object] = {
        "value": "value",
        "lower": "lower",
        "upper": "upper",
        "period_index": "period",
        "baseline_value": 1553,
        "baseline_period_index": 2000,
        "target_value": 1200,
        "target_period_index": 2004,
    }
    args.update(kwargs)
    return level_target_status(data, **args)  # type: ignore[arg-type]


def test_linear_trajectory_and_statuses(care: pl.DataFrame) -> None:
    got = _care_status(care)
    step = (1200 - 1553) / 4
    assert got["trajectory"].to_list() == pytest.approx(
        [1553, 1553 + step, 1553 + 2 * step, 1553 + 3 * step, 1553 + 3 * step, 1200, 1200]
    )
    assert got["status"].to_list() == [
        "on track",  # at the baseline
        "on track",  # 1440 is below the trajectory 1464.75
        "off track",  # 1390-1450 lies wholly above the trajectory 1376.5
        "on track",
        "off track",  # 1300-1370 lies wholly above 1288.25
        "achieved",  # at the deadline, 1163 <= 1200
        "not achieved",  # after the deadline, 1230 > 1200
    ]


def test_interval_including_trajectory_is_never_off_track(care: pl.DataFrame) -> None:
    data = care.with_columns(pl.when(pl.col("period") == 2002).then(1370.0).otherwise(pl.col("lower")).alias("lower"))
    got = _care_status(data)
    assert got.filter(pl.col("period") == 2002)["status"].item() == "at risk"
    no_interval = _care_status(care, lower=None, upper=None)
    assert no_interval.filter(pl.col("period") == 2002)["status"].item() == "off track"


def test_polarity_is_inferred_or_given(care: pl.DataFrame) -> None:
    inferred = _care_status(care)
    given = _care_status(care, polarity="Low is good")
    assert inferred["status"].to_list() == given["status"].to_list()
    maintain = care.with_columns(pl.lit(1553.0).alias("target"))
    with pytest.raises(ValueError, match="polarity: cannot tell which way is better"):
        _care_status(maintain, target_value="target")
    held = _care_status(maintain, target_value="target", polarity="low is good")
    assert held.filter(pl.col("period") == 2005)["status"].item() == "achieved"


def test_given_trajectory_points_are_interpolated(care: pl.DataFrame) -> None:
    data = care.with_columns(pl.lit("care").alias("target"))
    trajectory = pl.DataFrame({"target": ["care"], "period": [2002], "trajectory": [1300.0]})
    got = _care_status(data, trajectory=trajectory, trajectory_on=["target"])
    assert got["trajectory"].to_list() == pytest.approx([1553, 1426.5, 1300, 1250, 1250, 1200, 1200])
    assert got.filter(pl.col("period") == 2001)["status"].item() == "at risk"  # 1440 (1400-1480) vs 1426.5


def test_missing_value_and_bad_periods(care: pl.DataFrame) -> None:
    data = care.with_columns(pl.when(pl.col("period") == 2001).then(None).otherwise(pl.col("value")).alias("value"))
    assert _care_status(data).filter(pl.col("period") == 2001)["status"].item() == "no data"
    with pytest.raises(ValueError, match="target_period_index: must come after the baseline"):
        _care_status(care, target_period_index=1999)


@pytest.mark.parametrize(
    ("spec", "low", "high"),
    [
        ("40%", 0.4, 0.4),
        ("by 15-30%", 0.15, 0.3),
        ("15 to 30%", 0.15, 0.3),
        ("100%", 1.0, 1.0),
        (0.35, 0.35, 0.35),
        (41, 0.41, 0.41),
        (1, 1.0, 1.0),
    ],
)
def test_parse_reduction(spec: object, low: float, high: float) -> None:
    low_expr, high_expr = parse_reduction(pl.lit(spec))
    got = pl.select(low_expr.alias("low"), high_expr.alias("high")).row(0)
    assert got == pytest.approx((low, high))


@pytest.fixture()
def thanet() -> pl.DataFrame:
    # Gap = Thanet minus the rest of Kent (GCSE %: negative, Thanet behind); baseline -10 in year 0.
    return pl.DataFrame(
        {
            "target": ["gcse"] * 5 + ["crime"] * 4,
            "year": [0, 1, 2, 3, 4, 0, 1, 2, 4],
            "gap": [-10.0, -9.0, -9.5, -7.0, -6.5, 20.0, 19.8, 16.0, 16.5],
            "lower": [-12.0, -10.0, -11.0, -8.0, -8.0, 15.0, 19.6, 12.0, 12.0],
            "upper": [-8.0, -8.0, -8.0, -6.0, -5.0, 25.0, 22.0, 20.0, 21.0],
            "baseline": [-10.0] * 5 + [20.0] * 4,
            "reduction": ["40%"] * 5 + ["15-30%"] * 4,
        }
    )


def test_gap_closing_status(thanet: pl.DataFrame) -> None:
    got = gap_closing_status(
        thanet,
        gap="gap",
        lower="lower",
        upper="upper",
        period_index="year",
        baseline_gap="baseline",
        baseline_period_index=0,
        target_period_index=4,
        reduction="reduction",
    )
    gcse = got.filter(pl.col("target") == "gcse")
    assert gcse["gap_closed_share"].to_list() == pytest.approx([0.0, 0.1, 0.05, 0.3, 0.35])
    assert gcse["required_share_now"].to_list() == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert gcse["status"].to_list() == ["on track", "on track", "at risk", "on track", "not achieved"]
    crime = got.filter(pl.col("target") == "crime")
    assert crime["reduction_range"].to_list() == ["15-30%"] * 4
    assert crime["required_share"].to_list() == pytest.approx([0.15] * 4)
    assert crime["status"].to_list() == ["on track", "off track", "on track", "achieved"]


def test_gap_closing_single_reduction_and_no_baseline(thanet: pl.DataFrame) -> None:
    data = thanet.with_columns(
        pl.when(pl.col("target") == "crime").then(0.0).otherwise(pl.col("baseline")).alias("baseline")
    )
    got = gap_closing_status(
        data,
        gap="gap",
        period_index="year",
        baseline_gap="baseline",
        baseline_period_index=0,
        target_period_index=4,
        reduction=0.4,
    )
    assert got.filter(pl.col("target") == "crime")["status"].unique().to_list() == ["no data"]
    assert got["reduction_range"].unique().to_list() == ["40%"]
    assert got.filter(pl.col("target") == "gcse")["status"].to_list()[2] == "off track"  # no interval given


def test_gap_closing_unreadable_reduction(thanet: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="reduction: could not read a percentage in rows 0"):
        gap_closing_status(
            thanet.with_columns(pl.lit("a lot").alias("reduction")),
            gap="gap",
            period_index="year",
            baseline_gap="baseline",
            baseline_period_index=0,
            target_period_index=4,
            reduction="reduction",
        )


def test_reward_share_splits_a_grant_by_weights() -> None:
    data = pl.DataFrame(
        {
            "agreement": ["PSA1"] * 4 + ["PSA2"] * 2,
            "target": ["care", "admissions", "adoption", "thanet", "a", "b"],
            "achieved": [1.0, 1.0, 0.5, 0.0, 1.0, 0.0],
            "share": [25.0, 25.0, 25.0, 25.0, 1.0, 3.0],
        }
    )
    got = reward_share(
        data.lazy(), achieved_col="achieved", share_col="share", total_reward=21.6e6, group_by="agreement"
    ).collect()
    psa1 = got.filter(pl.col("agreement") == "PSA1")
    assert psa1["reward_available"].to_list() == pytest.approx([5.4e6] * 4)
    assert psa1["reward_earned"].sum() == pytest.approx(5.4e6 * 2.5)
    assert psa1["reward_share_earned"].to_list() == pytest.approx([0.625] * 4)
    assert got.filter(pl.col("agreement") == "PSA2")["reward_share_earned"].to_list() == pytest.approx([0.25] * 2)


def test_reward_share_rejects_bad_input() -> None:
    data = pl.DataFrame({"achieved": [True, None], "share": [1.0, 1.0]})
    with pytest.raises(ValueError, match="column 'achieved': missing values in rows 1"):
        reward_share(data, achieved_col="achieved", share_col="share", total_reward=100.0)
    data = pl.DataFrame({"achieved": [1.5, 0.0], "share": [1.0, 1.0]})
    with pytest.raises(ValueError, match="achievement must be true/false or between 0 and 1"):
        reward_share(data, achieved_col="achieved", share_col="share", total_reward=100.0)
    data = pl.DataFrame({"achieved": [True, False], "share": [1.0, 3.0]})
    got = reward_share(data, achieved_col="achieved", share_col="share", total_reward=100.0)
    assert got["reward_earned"].to_list() == pytest.approx([25.0, 0.0])
