"""The gap rules, each on constructed data whose right answer is known by hand."""

from __future__ import annotations

import pytest

from gapwatch.analysis.gaps import NO_COUNT, area_gap, gap_unit, group_gap_series, sii_series
from gapwatch.analysis.verdicts import SII_SIMULATION, GapVerdict
from gapwatch.domain.catalogue import Plan
from gapwatch.domain.indicators import GapDirection
from tests.analysis.conftest import frame

YEARS = ["2015/16 AY", "2016/17 AY", "2017/18 AY", "2018/19 AY", "2019/20 AY"]


def _fsm_rows(shares: list[tuple[float, float]], *, without_counts: set[str] = frozenset()) -> list[dict]:  # type: ignore[assignment]
    rows = []
    for year, (fsm, other) in zip(YEARS, shares, strict=True):
        for cat, share, n in (("fsm", fsm, 2000), ("non-fsm", other, 8000)):
            counted = year not in without_counts
            rows.append(
                {
                    "area": "X0",
                    "category_type": "fsm",
                    "category": cat,
                    "period": year,
                    "value": 100 * share,
                    "count": share * n if counted else None,
                    "denominator": n if counted else None,
                }
            )
    return rows


def test_a_period_without_counts_keeps_its_value_and_the_others_keep_their_intervals(plan: Plan) -> None:
    ind = plan.indicators["ATT1"]
    shares = [(0.40, 0.70), (0.43, 0.70), (0.46, 0.71), (0.50, 0.71), (0.53, 0.72)]
    df = frame(_fsm_rows(shares, without_counts={YEARS[0]}))
    s = group_gap_series(df, ind, plan, "X0", "fsm", "fsm", "non-fsm")
    first, *rest = s.points
    assert first.gap == pytest.approx(-30.0) and first.lower is None and first.interval_note == NO_COUNT
    assert all(p.lower is not None and p.upper is not None and p.lower < p.gap < p.upper for p in rest)  # type: ignore[operator]
    assert s.trend is not None and s.trend.periods_used == 4 and s.trend.periods_total == 5
    assert s.verdict == GapVerdict.NARROWING
    assert "no count published" in " ".join(s.notes) and "the data have no counts" not in " ".join(s.notes)


def test_gaps_are_signed_as_the_indicator_defines_and_in_percentage_points(plan: Plan) -> None:
    ind = plan.indicators["ATT1"].model_copy(update={"gap_direction": GapDirection.COMPARATOR_MINUS_SUBJECT})
    df = frame(_fsm_rows([(0.54, 0.80)] * 5))
    s = group_gap_series(df, ind, plan, "X0", "fsm", "fsm", "non-fsm")
    assert s.points[-1].gap == pytest.approx(26.0)  # NI 102: non-FSM minus FSM
    assert s.points[-1].lower > 0 and s.points[-1].significance == "higher"  # type: ignore[operator]
    assert s.direction == "Not FSM minus FSM" and s.unit == "percentage points" == gap_unit(ind)
    assert s.verdict == GapVerdict.NO_SIGNIFICANT_CHANGE
    assert "at the 95% level" in s.verdict_text and "5 of 5 periods" in s.verdict_text


@pytest.mark.parametrize(
    ("shares", "verdict"),
    [
        # -5 -> +3 points with an interval that includes 0 at the end: the gap has closed, not "narrowed".
        ([(0.45, 0.50), (0.47, 0.50), (0.49, 0.50), (0.51, 0.50), (0.53, 0.50)], GapVerdict.CLOSED),
        # -4 -> +4 and significant the other way: reversed, not "widening".
        ([(0.46, 0.50), (0.48, 0.50), (0.50, 0.50), (0.52, 0.50), (0.54, 0.50)], GapVerdict.REVERSED),
        # -30 -> -10: narrowing.
        ([(0.40, 0.70), (0.45, 0.70), (0.50, 0.70), (0.55, 0.70), (0.60, 0.70)], GapVerdict.NARROWING),
        # -10 -> -30: widening.
        ([(0.60, 0.70), (0.55, 0.70), (0.50, 0.70), (0.45, 0.70), (0.40, 0.70)], GapVerdict.WIDENING),
    ],
)
def test_verdicts_judge_the_size_of_the_gap_not_its_sign(
    plan: Plan, shares: list[tuple[float, float]], verdict: GapVerdict
) -> None:
    ind = plan.indicators["ATT1"]
    rows = _fsm_rows(shares)
    if verdict is GapVerdict.CLOSED:  # a small final year: +3 points is within the noise
        for r in rows:
            if r["period"] == YEARS[-1]:
                r["denominator"] = 100 if r["category"] == "fsm" else 8000
                r["count"] = r["value"] / 100 * r["denominator"]
    s = group_gap_series(frame(rows), ind, plan, "X0", "fsm", "fsm", "non-fsm")
    assert s.verdict == verdict
    flipped = ind.model_copy(update={"gap_direction": GapDirection.COMPARATOR_MINUS_SUBJECT})
    assert group_gap_series(frame(rows), flipped, plan, "X0", "fsm", "fsm", "non-fsm").verdict == verdict


def _area_rows(period: str, values: dict[str, tuple[int, int]]) -> list[dict]:  # type: ignore[type-arg]
    return [
        {"area": a, "period": period, "value": 100 * x / n, "count": x, "denominator": n}
        for a, (x, n) in values.items()
    ]


def test_rest_of_parent_is_the_parent_minus_the_area_even_when_a_member_is_missing(plan: Plan) -> None:
    ind = plan.indicators["ATT1"]
    # East Riverton (the largest) has no row; the county's own row is there and gives the right rest.
    df = frame(_area_rows("2019/20 AY", {"X0": (9000, 10000), "N1": (700, 1000), "S1": (1800, 2000)}))
    s = area_gap(df, ind, plan, "N1", "rest-of-riverton")
    (p,) = s.points
    assert p.comparator_value == pytest.approx(100 * 8300 / 9000)
    assert p.gap == pytest.approx(70 - 100 * 8300 / 9000) and p.lower is not None
    assert "minus North Riverton" in (s.method or "")


def test_rest_of_parent_sums_members_only_when_all_are_present(plan: Plan) -> None:
    ind = plan.indicators["ATT1"]
    complete = _area_rows("2018/19 AY", {"N1": (700, 1000), "S1": (1800, 2000), "E1": (6000, 7000)})
    partial = _area_rows("2019/20 AY", {"N1": (700, 1000), "S1": (1800, 2000)})
    s = area_gap(frame(complete + partial), ind, plan, "N1", "rest-of-riverton")
    done, missing = s.points
    assert done.comparator_value == pytest.approx(100 * 7800 / 9000) and done.lower is not None
    assert missing.gap is None and missing.comparator_value is None
    assert missing.incomplete == ("East Riverton",) and "East Riverton" in (missing.interval_note or "")
    assert any("East Riverton" in n for n in s.notes)


def test_sii_uses_one_simulation_setting(plan: Plan) -> None:
    from dataclasses import replace

    from gapwatch.domain.groups import CategoryType

    ct = CategoryType.model_validate(
        {
            "id": "imd",
            "name": "IMD quintile",
            "kind": "ordinal",
            "categories": [{"id": f"q{i}", "name": f"Quintile {i}", "order": i} for i in range(1, 6)],
        }
    )
    rows = []
    for year in YEARS:
        for i in range(1, 6):
            n = 1000
            rows.append(
                {
                    "area": "X0",
                    "category_type": "imd",
                    "category": f"q{i}",
                    "period": year,
                    "value": 100 * (0.4 + 0.05 * i),
                    "count": (0.4 + 0.05 * i) * n,
                    "denominator": n,
                }
            )
    ind = plan.indicators["ATT1"]
    a = sii_series(frame(rows), ind, plan, "X0", ct)
    b = sii_series(frame(rows), ind, plan, "X0", ct)
    assert [(p.lower, p.upper) for p in a.points] == [(p.lower, p.upper) for p in b.points]
    other = sii_series(frame(rows), ind, plan, "X0", ct, simulation=replace(SII_SIMULATION, seed=1))
    assert [(p.lower, p.upper) for p in other.points] != [(p.lower, p.upper) for p in a.points]
    assert f"{SII_SIMULATION.repetitions:,} simulations" in (a.method or "")
