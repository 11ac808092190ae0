"""The seeds' own figures come out right when computed by the statistics engine from the bundled framework."""

from __future__ import annotations

import polars as pl

from gapwatch.domain.framework import Framework
from gapwatch.domain.periods import parse_period
from gapwatch.domain.targets import TargetKind
from gapwatch.ingest.framework_yaml import read_framework
from gapwatch.services.frameworks import bundled_framework_path
from gapwatch.stats.targets import level_target_status, reward_share


def kent() -> Framework:
    return read_framework(bundled_framework_path("kent")).framework


def test_narrowing_the_gap_ks2_english_fsm_gap_is_26_points() -> None:
    fw = kent()
    rows = pl.DataFrame(
        [
            {
                "indicator": o.indicator,
                "area": o.area,
                "group": o.category_type,
                "category": o.category,
                "value": o.value,
            }
            for o in fw.observations
            if o.category_type == "fsm"
        ]
    )
    groups = {g.id: g for g in fw.groups}
    comparator = {c.id: c.comparator for c in groups["fsm"].categories}
    subject = rows.filter(pl.col("category") == "fsm")
    other = rows.filter(pl.col("category") == comparator["fsm"]).select(
        "indicator", "area", pl.col("value").alias("comparator_value")
    )
    gaps = subject.join(other, on=["indicator", "area"]).with_columns(
        (pl.col("value") - pl.col("comparator_value")).alias("gap")
    )
    english = [i.id for i in fw.indicators if "English" in i.title and "Key Stage 2" in i.title]
    assert english, "no KS2 English indicator in the bundled framework"
    ks2 = gaps.filter(pl.col("indicator").is_in(english))
    assert ks2.height == 1
    assert ks2["value"][0] == 54 and ks2["comparator_value"][0] == 80
    assert ks2["gap"][0] == -26
    # On every row with a polarity, FSM pupils fare worse than their comparator: the gaps the plan
    # sets out to narrow (lower attainment; more bullying and smoking).
    polarity = {i.id: i.polarity.value for i in fw.indicators}
    judged = gaps.with_columns(pl.col("indicator").replace_strict(polarity).alias("polarity")).filter(
        pl.col("polarity") != "no_judgement"
    )
    worse = pl.when(pl.col("polarity") == "higher_is_better").then(pl.col("gap") < 0).otherwise(pl.col("gap") > 0)
    assert judged.height >= 5
    assert judged.select(worse.all()).item()


def test_psa1_headline_targets_all_met_and_reward_earned() -> None:
    fw = kent()
    indicators = fw.index("indicators")
    headline = [t for t in fw.targets if t.plan == "psa1-kent-agreement" and t.kind is TargetKind.LEVEL and t.outturns]
    assert len(headline) == 3
    rows = []
    for t in headline:
        assert t.baseline is not None and t.target is not None
        outturn = t.outturns[0]
        rows.append(
            {
                "target": t.id,
                "value": outturn.value,
                "period_index": parse_period(outturn.period).end.toordinal(),
                "baseline_value": t.baseline.value,
                "baseline_period_index": parse_period(t.baseline.period).end.toordinal(),
                "target_value": t.target.value,
                "target_period_index": parse_period(t.target.period).end.toordinal(),
                "polarity": indicators[t.indicator].polarity.value,
            }
        )
    frame = pl.DataFrame(rows)
    status = level_target_status(
        frame,
        value="value",
        period_index="period_index",
        baseline_value="baseline_value",
        baseline_period_index="baseline_period_index",
        target_value="target_value",
        target_period_index="target_period_index",
    )
    assert status["status"].to_list() == ["achieved"] * 3
    plan = fw.index("plans")["psa1-kent-agreement"]
    earned = reward_share(
        status.with_columns((pl.col("status") == "achieved").alias("met"), pl.lit(1.0).alias("share")),
        achieved_col="met",
        share_col="share",
        total_reward=plan.reward_total,
    )
    assert plan.reward_total == 21_600_000
    assert earned["reward_earned"].sum() == plan.reward_total
