"""An initiative's impact on constructed areas x periods whose answers are known by hand."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from gapwatch.analysis.impact import (
    ImpactVerdict,
    TrendCheck,
    baseline_levels,
    initiative_impact,
    match_comparison,
)
from gapwatch.errors import InsufficientData, InvalidInput

START = date(2005, 4, 1)
YEARS = list(range(2001, 2011))  # periods ending 31 March 2001 .. 2010: 5 before the start, 5 from it


def frame(rates: dict[str, object], n: float = 10_000) -> pl.DataFrame:
    """One row per area and year; ``rates[area](year)`` gives the proportion (counts are exact)."""
    rows = []
    for area, fn in rates.items():
        for year in YEARS:
            p = fn(year)  # type: ignore[operator]
            rows.append(
                {
                    "area": area,
                    "period": f"{year - 1}/{str(year)[2:]}",
                    "period_end": date(year, 3, 31),
                    "count": round(p * n),
                    "denominator": n,
                }
            )
    return pl.DataFrame(rows)


def step(before: float, after: float) -> object:
    return lambda y: before if y < 2006 else after


def test_a_true_effect_is_detected_with_the_right_interval() -> None:
    # Two target wards rise 20% -> 25%; three comparison wards 20% -> 21%: DiD = +4 points.
    df = frame(
        {
            "T1": step(0.2, 0.25),
            "T2": step(0.2, 0.25),
            "C1": step(0.2, 0.21),
            "C2": step(0.2, 0.21),
            "C3": step(0.2, 0.21),
        }
    )
    r = initiative_impact(
        df, treated=["T1", "T2"], comparison=["C1", "C2", "C3"], start=START, initiative="sip", indicator="EXIT"
    )
    assert r.did is not None
    assert r.did.value == pytest.approx(4.0)
    nt0, nt1, nc0, nc1 = 2 * 5 * 1e4, 2 * 5 * 1e4, 3 * 5 * 1e4, 3 * 5 * 1e4
    se = 100 * math.sqrt(0.16 / nt0 + 0.25 * 0.75 / nt1 + 0.16 / nc0 + 0.21 * 0.79 / nc1)
    assert r.did.se == pytest.approx(se)
    assert r.did.lower == pytest.approx(4.0 - 1.959964 * se, abs=1e-4)
    assert r.did.upper == pytest.approx(4.0 + 1.959964 * se, abs=1e-4)
    assert r.verdict is ImpactVerdict.IMPROVED
    assert r.pre_trends.check is TrendCheck.PARALLEL
    assert r.its.level_change is not None and r.its.level_change.value == pytest.approx(5.0)
    assert r.treated.periods_before == ["2000/01", "2001/02", "2002/03", "2003/04", "2004/05"]
    assert "improved at the 95% level" in r.verdict_text


def test_no_effect_gives_an_interval_covering_zero() -> None:
    df = frame({"T1": step(0.2, 0.21), "C1": step(0.3, 0.31), "C2": step(0.3, 0.31)})
    r = initiative_impact(df, treated=["T1"], comparison=["C1", "C2"], start=START)
    assert r.did is not None and r.did.value == pytest.approx(0.0, abs=1e-9)
    assert r.did.lower < 0 < r.did.upper
    assert r.verdict is ImpactVerdict.NO_SIGNIFICANT_EFFECT
    assert r.closes_gap is False


def test_a_pre_trend_violation_is_reported() -> None:
    # The target wards were already rising 2 points a year before the start; the comparison was flat.
    df = frame({"T1": lambda y: 0.1 + 0.02 * (y - 2001), "C1": step(0.2, 0.2)})
    r = initiative_impact(df, treated=["T1"], comparison=["C1"], start=START, initiative="sip")
    assert r.pre_trends.check is TrendCheck.DIVERGING
    assert r.pre_trends.slope_difference is not None
    assert r.pre_trends.slope_difference.value == pytest.approx(2.0, rel=0.01)
    assert r.verdict is ImpactVerdict.NOT_CREDIBLE
    assert "not on parallel trends" in r.verdict_text


def test_too_few_pre_periods_is_said_not_guessed() -> None:
    df = frame({"T1": step(0.2, 0.25), "C1": step(0.2, 0.2)})
    late = date(2002, 4, 1)  # only the periods ending March 2001 and 2002 come before it
    r = initiative_impact(df, treated=["T1"], comparison=["C1"], start=late, initiative="sip")
    assert r.pre_trends.check is TrendCheck.NOT_TESTED
    assert r.pre_trends.reason is not None
    assert "initiative 'sip' ('start' 2002-04-01)" in r.pre_trends.reason
    assert "only 2 periods before the start" in r.pre_trends.reason
    assert r.its.reason is not None and "2 before" in r.its.reason


def test_relative_chance_recovers_a_risk_ratio_of_1_29() -> None:
    df = frame({"T1": step(0.10, 0.129), "C1": step(0.10, 0.10)})
    r = initiative_impact(df, treated=["T1"], comparison=["C1"], start=START)
    rr = r.relative_chance
    assert rr is not None
    assert rr.ratio == pytest.approx(1.29)
    assert rr.percent_different == pytest.approx(29.0)
    x1 = x2 = 5 * 1e4
    se = math.sqrt(1 / (0.129 * x1) - 1 / x1 + 1 / (0.1 * x2) - 1 / x2)
    assert rr.lower == pytest.approx(1.29 * math.exp(-1.959964 * se), rel=1e-6)
    assert rr.upper == pytest.approx(1.29 * math.exp(1.959964 * se), rel=1e-6)
    assert r.relative_chance_before is not None and r.relative_chance_before.ratio == pytest.approx(1.0)


def test_lower_is_better_and_closing_a_gap() -> None:
    # A deprived area with more benefit claimants (30%) falls to 24%; the comparison 20% -> 19%.
    df = frame({"T1": step(0.30, 0.24), "C1": step(0.20, 0.19)})
    r = initiative_impact(df, treated=["T1"], comparison=["C1"], start=START, polarity="lower_is_better")
    assert r.verdict is ImpactVerdict.IMPROVED and r.closes_gap is True


def test_overlapping_comparison_is_refused_naming_the_field() -> None:
    df = frame({"T1": step(0.2, 0.2), "C1": step(0.2, 0.2)})
    with pytest.raises(InvalidInput) as err:
        initiative_impact(df, treated=["T1"], comparison=["T1", "C1"], start=START, initiative="sip")
    assert "initiative 'sip'" in err.value.message and "T1" in err.value.message
    assert err.value.problems[0].field == "comparison_areas"


def test_no_data_for_the_comparison_is_insufficient() -> None:
    df = frame({"T1": step(0.2, 0.2)})
    with pytest.raises(InsufficientData):
        initiative_impact(df, treated=["T1"], comparison=["C9"], start=START, initiative="sip")


def test_matched_comparison_areas_are_balanced_on_deprivation() -> None:
    # Two deprived target wards (scores 45, 50); candidates spread from 5 to 60.
    scores = {
        "T1": 45.0,
        "T2": 50.0,
        **{f"C{i}": float(s) for i, s in enumerate([5, 10, 15, 20, 25, 30, 44, 46, 49, 51, 60])},
    }
    df = frame({a: step(0.1 + s / 500, 0.1 + s / 500) for a, s in scores.items()})
    cov = pl.DataFrame({"area": list(scores), "deprivation": list(scores.values())}).join(
        baseline_levels(df, START), on="area"
    )
    m = match_comparison(cov, treated=["T1", "T2"], candidates=[a for a in scores if a.startswith("C")], n=4)
    assert sorted(m.chosen) == ["C6", "C7", "C8", "C9"]
    dep = next(b for b in m.balance if b.covariate == "deprivation")
    assert dep.treated_mean == pytest.approx(47.5)
    assert dep.comparison_mean == pytest.approx((44 + 46 + 49 + 51) / 4)
    assert dep.balanced is True and abs(dep.smd or 0) < 0.25
    assert "nearest-neighbour" in m.method and m.covariates == ["deprivation", "baseline"]
    r = initiative_impact(df, treated=["T1", "T2"], comparison=m.chosen, start=START, matching=m)
    assert r.matching is m


def test_matching_without_deprivation_says_so() -> None:
    df = frame({"T1": step(0.3, 0.3), "C1": step(0.3, 0.3), "C2": step(0.1, 0.1)})
    cov = baseline_levels(df, START).with_columns(pl.lit(None, pl.Float64).alias("deprivation"))
    m = match_comparison(cov, treated=["T1"], candidates=["C1", "C2"], n=1)
    assert m.chosen == ["C1"]
    assert any("not matched on deprivation" in n for n in m.notes)
