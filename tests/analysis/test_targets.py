"""Targets judged at their date, and gap-closing progress shown every period (constructed data)."""

from __future__ import annotations

import pytest

from gapwatch.analysis.gaps import area_gap
from gapwatch.analysis.series import SeriesPoint
from gapwatch.analysis.targets import assess_gap_target, assess_level_target
from gapwatch.domain.catalogue import Plan, build_plan
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.plan import Plan as DeliveryPlan
from gapwatch.domain.targets import Target
from tests.analysis.conftest import frame


def _point(period: str, value: float) -> SeriesPoint:
    from gapwatch.analysis.frame import period_index

    return SeriesPoint(period, period_index(period), value, None, None, None, None, False, None, None)


@pytest.fixture
def psa(plan: Plan) -> tuple[Plan, Indicator, Target]:
    indicator = Indicator.model_validate(
        {
            "id": "CIC",
            "code": "CIC",
            "title": "Children in care",
            "measure": "count",
            "unit": "children",
            "multiplier": 1,
            "polarity": "lower_is_better",
        }
    )
    target = Target.model_validate(
        {
            "id": "T-CIC",
            "title": "Reduce children in care from 1,553 to 1,200 by March 2004",
            "indicator": "CIC",
            "plan": "psa",
            "baseline": {"value": 1553, "period": "March 2000"},
            "target": {"value": 1200, "period": "March 2004"},
            "outturns": [{"value": 1163, "period": "March 2004"}, {"value": 1144, "period": "2009"}],
            "reward_share": 0.25,
            "achieved": True,
        }
    )
    psa_plan = DeliveryPlan.model_validate({"id": "psa", "title": "PSA 1", "reward_total": 21_600_000})
    fw = plan.framework.model_copy(
        update={
            "indicators": [*plan.framework.indicators, indicator],
            "plans": [*plan.framework.plans, psa_plan],
            "targets": [target],
        }
    )
    return build_plan(fw), indicator, target


def test_a_level_target_is_judged_at_its_target_date_not_on_a_later_value(
    psa: tuple[Plan, Indicator, Target],
) -> None:
    plan, ind, target = psa
    before = assess_level_target(plan, ind, target, [])
    assert (before.status, before.status_period, before.status_value) == ("achieved", "March 2004", 1163)
    assert before.headline == "Achieved (March 2004)" and before.judged_at_target
    assert (before.since_period, before.since_value, before.since_meets_target) == ("2009", 1144, True)
    assert before.reward_amount == pytest.approx(5_400_000) and before.plan_title == "PSA 1"
    # A worse later value does not change the verdict at the target date; it shows as "since then".
    after = assess_level_target(plan, ind, target, [_point("2010", 1300)])
    assert after.headline == "Achieved (March 2004)"
    assert (after.since_period, after.since_value, after.since_meets_target) == ("2010", 1300, False)


def test_before_the_target_date_progress_is_judged_on_the_trajectory(psa: tuple[Plan, Indicator, Target]) -> None:
    plan, ind, target = psa
    target = target.model_copy(update={"outturns": []})
    on_track = assess_level_target(plan, ind, target, [_point("March 2002", 1300)])
    assert on_track.status == "on track" and not on_track.judged_at_target
    assert on_track.expected == pytest.approx(1553 - (1553 - 1200) * 0.5, abs=2)
    off = assess_level_target(plan, ind, target, [_point("March 2002", 1500)])
    assert off.status == "off track"


def _gap_target(plan: Plan, **extra: object) -> Target:
    data = {
        "id": "T2",
        "title": "Close the gap by 40%",
        "kind": "gap_closing",
        "indicator": "ATT1",
        "gap": {"subject": "N1", "comparator": "rest-of-riverton", "percent_min": 40},
    }
    data.update(extra)
    return Target.model_validate(data)


def _rows() -> list[dict]:  # type: ignore[type-arg]
    out = []
    for year, north in (("2016/17 AY", 500), ("2017/18 AY", 560), ("2018/19 AY", 620)):
        for area, x, n in (("X0", 8000 + north, 11000), ("N1", north, 1000)):
            out.append({"area": area, "period": year, "value": 100 * x / n, "count": x, "denominator": n})
    return out


def test_gap_closing_progress_is_shown_every_period_even_without_a_date(plan: Plan) -> None:
    ind = plan.indicators["ATT1"]
    series = area_gap(frame(_rows()), ind, plan, "N1", "rest-of-riverton")
    view = assess_gap_target(plan, _gap_target(plan), series, ind)
    assert view.status == "not assessed" and "no target date" in " ".join(view.notes)
    assert [p.period for p in view.progress] == ["2016/17 AY", "2017/18 AY", "2018/19 AY"]
    base = view.baseline_gap
    assert base == pytest.approx(50 - 80)
    last = view.progress[-1]
    assert last.closed_share == pytest.approx(1 - (62 - 80) / base)  # 40% of the gap closed
    assert last.lower is not None and last.upper is not None and last.lower < last.closed_share < last.upper
    assert view.progress[0].closed_share == pytest.approx(0.0)


def test_gap_closing_status_against_an_assumed_date_says_it_is_assumed(plan: Plan) -> None:
    ind = plan.indicators["ATT1"]
    series = area_gap(frame(_rows()), ind, plan, "N1", "rest-of-riverton")
    target = _gap_target(plan, assumed_target={"period": "2018/19 AY", "note": "the plan's end"})
    view = assess_gap_target(plan, target, series, ind)
    assert view.target_date_assumed and view.target_period == "2018/19 AY"
    assert view.status == "achieved" and view.status_period == "2018/19 AY"
    assert any("assumed: the plan's end" in n for n in view.notes)
    stricter = assess_gap_target(
        plan, target.model_copy(update={"gap": target.gap.model_copy(update={"percent_min": 60})}), series, ind
    )  # type: ignore[union-attr]
    assert stricter.status == "not achieved"


def test_the_papers_sentence_says_when_since_and_the_reward(psa: tuple[Plan, Indicator, Target]) -> None:
    plan, ind, target = psa
    view = assess_level_target(plan, ind, target, [_point("2010", 1300)])
    assert view.summary == (
        "achieved at the target date March 2004: 1,163; since then 1,300 (2010), no longer within the target; "
        "reward £21,600,000 for PSA 1, this target's share £5,400,000"
    )
