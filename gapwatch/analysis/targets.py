"""Targets, judged once: level targets at their target date, gap-closing targets by the share of the
baseline gap closed.

* A **level target** is judged at its target period — on the value for that period, or the outturn the
  plan records for it — never on whatever value happens to be latest. What happened since is shown
  separately ("since then: 1,144 in 2009, still within the target"). Before the target date, progress is
  judged on the latest value against the straight-line (or stated) trajectory
  (:func:`~gapwatch.stats.targets.level_target_status`). The plan's reward and the target's share of it go
  with the assessment.
* A **gap-closing target** shows, for every period, the share of the baseline gap closed with its 95%
  interval (from the gap's interval; the baseline is the plan's figure, or the first period with a gap),
  even when the plan gives no target date. With a date — stated, or assumed by the partnership with its
  reason — the status against the required straight-line path comes from
  :func:`~gapwatch.stats.targets.gap_closing_status`, judged at the target period when data reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from gapwatch.analysis.frame import finite, period_index
from gapwatch.analysis.gaps import GapSeries, category_name
from gapwatch.analysis.series import SeriesPoint
from gapwatch.analysis.verdicts import LEVELS, TestKind
from gapwatch.domain.catalogue import Plan
from gapwatch.domain.indicators import Indicator, Polarity
from gapwatch.domain.targets import Target, TargetKind, ValueAt
from gapwatch.stats.targets import gap_closing_status, level_target_status

__all__ = [
    "GapProgressPoint",
    "GapTargetView",
    "LevelTargetView",
    "assess_gap_target",
    "assess_level_target",
    "level_targets",
]


@dataclass(frozen=True)
class LevelTargetView:
    """A level target: its trajectory, its status at the target date (or progress before it), since then."""

    id: str
    title: str
    baseline_period: str | None
    baseline_value: float | None
    target_period: str | None
    target_value: float | None
    trajectory: tuple[tuple[str, float, float], ...]
    outturns: tuple[tuple[str, float | None, str | None], ...]
    status: str
    status_period: str | None = None
    status_value: float | None = None
    expected: float | None = None
    achieved_reported: bool | None = None
    notes: tuple[str, ...] = ()
    judged_at_target: bool = False
    since_period: str | None = None
    since_value: float | None = None
    since_meets_target: bool | None = None
    plan_title: str | None = None
    reward_total: float | None = None
    reward_share: float | None = None
    level: float = LEVELS[TestKind.TARGET]

    @property
    def reward_amount(self) -> float | None:
        """The target's share of the plan's reward, in pounds, when both are known."""
        if self.reward_total is None or self.reward_share is None:
            return None
        return self.reward_total * self.reward_share

    @property
    def headline(self) -> str:
        """The status and the period it was judged on: "Achieved (March 2004)", "Not assessed"."""
        text = self.status.capitalize()
        return f"{text} ({self.status_period})" if self.status_period else text

    @property
    def summary(self) -> str:
        """One sentence for papers: the verdict and when, what happened since, and the reward."""
        parts = [self.status]
        if self.status_period and self.status_value is not None:
            when = "at the target date" if self.judged_at_target else "latest"
            parts = [f"{self.status} {when} {self.status_period}: {self.status_value:,g}"]
        if self.since_period and self.since_value is not None:
            kept = "still within the target" if self.since_meets_target else "no longer within the target"
            parts.append(f"since then {self.since_value:,g} ({self.since_period}), {kept}")
        if self.reward_total:
            share = f", this target's share £{self.reward_amount:,.0f}" if self.reward_amount is not None else ""
            parts.append(f"reward £{self.reward_total:,.0f} for {self.plan_title}{share}")
        return "; ".join(parts + list(self.notes))


@dataclass(frozen=True)
class GapProgressPoint:
    """The share of the baseline gap closed at one period, with its 95% interval."""

    period: str
    gap: float
    closed_share: float
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class GapTargetView:
    """A gap-closing target with its progress every period, and its status where a date allows."""

    id: str
    title: str
    indicator_id: str | None
    indicator_title: str | None
    subject_name: str
    comparator_name: str
    reduction: str
    baseline_period: str | None
    baseline_gap: float | None
    target_period: str | None
    status: str
    status_period: str | None = None
    latest_gap: float | None = None
    closed_share: float | None = None
    required_now: float | None = None
    achieved_reported: bool | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    series: GapSeries | None = None
    progress: tuple[GapProgressPoint, ...] = ()
    target_date_assumed: bool = False
    target_date_reason: str | None = None
    closed_lower: float | None = None
    closed_upper: float | None = None
    unit: str = ""
    reward_total: float | None = None
    reward_share: float | None = None

    @property
    def latest_progress(self) -> GapProgressPoint | None:
        """The latest period's share closed."""
        return self.progress[-1] if self.progress else None

    @property
    def summary(self) -> str:
        """One sentence for papers: what is asked, the share of the gap closed with its interval, the date."""
        parts = [f"close the gap between {self.subject_name} and {self.comparator_name} by {self.reduction}"]
        if self.closed_share is not None:
            band = (
                f" (95% interval {100 * self.closed_lower:.0f}% to {100 * self.closed_upper:.0f}%)"
                if self.closed_lower is not None and self.closed_upper is not None
                else ""
            )
            since = f" since {self.baseline_period}" if self.baseline_period else ""
            parts.append(f"{100 * self.closed_share:.0f}% of the gap closed{since} by {self.status_period}{band}")
        return "; ".join(parts + list(self.notes))


def _plan_reward(plan: Plan, target: Target) -> tuple[str | None, float | None]:
    for p in plan.framework.plans:
        if p.id == target.plan:
            return p.title, p.reward_total
    return None, None


def _better(indicator: Indicator, value: float, target: float, baseline: float | None) -> bool:
    if indicator.polarity is Polarity.LOWER_IS_BETTER:
        return value <= target
    if indicator.polarity is Polarity.HIGHER_IS_BETTER:
        return value >= target
    if baseline is not None and target < baseline:
        return value <= target
    return value >= target


def assess_level_target(plan: Plan, indicator: Indicator, target: Target, series: list[SeriesPoint]) -> LevelTargetView:
    """A level target judged at its target period, with what happened since (see the module docstring)."""
    plan_title, reward_total = _plan_reward(plan, target)
    base: dict[str, Any] = dict(
        id=target.id,
        title=target.title,
        baseline_period=target.baseline.period if target.baseline else None,
        baseline_value=target.baseline.value if target.baseline else None,
        target_period=target.target.period if target.target else None,
        target_value=target.target.value if target.target else None,
        outturns=tuple((o.period, o.value, o.note) for o in target.outturns),
        achieved_reported=target.achieved,
        plan_title=plan_title,
        reward_total=reward_total,
        reward_share=target.reward_share,
    )
    stated = [target.baseline] if target.baseline else []
    stated += list(target.trajectory) + ([target.target] if target.target else [])
    trajectory = tuple(
        (v.period, when, v.value)
        for v in stated
        if v.value is not None and (when := period_index(v.period)) is not None
    )
    base["trajectory"] = trajectory
    b = target.baseline.value if target.baseline else None
    t = target.target.value if target.target else None
    bp = period_index(target.baseline.period) if target.baseline else None
    tp = period_index(target.target.period) if target.target else None
    if b is None or t is None or bp is None or tp is None or tp <= bp:
        return LevelTargetView(
            **base, status="not assessed", notes=("The plan gives no baseline and target values with dates",)
        )
    if b == t and indicator.polarity is Polarity.NO_JUDGEMENT:
        return LevelTargetView(
            **base,
            status="not assessed",
            notes=("The target equals its baseline and the indicator has no polarity",),
        )
    # The plan's own outturn for a period wins over a data value for the same period: it is what the
    # partnership reported against the target.
    values: dict[str, tuple[float, float | None, float | None, float | None]] = {}
    for p in series:
        if p.value is not None and p.period_index is not None and p.period_index > bp:
            values[p.period] = (p.period_index, p.value, p.lower, p.upper)
    for o in target.outturns:
        oi = period_index(o.period)
        if o.value is not None and oi is not None and oi > bp:
            values[o.period] = (oi, o.value, None, None)
    if not values:
        return LevelTargetView(**base, status="no data", notes=("No value since the baseline",))
    ordered = sorted(values.items(), key=lambda kv: kv[1][0])
    eps = 1e-6
    at_target = [kv for kv in ordered if abs(kv[1][0] - tp) < eps]
    after = [kv for kv in ordered if kv[1][0] > tp + eps]
    before = [kv for kv in ordered if kv[1][0] < tp - eps]
    notes: list[str] = []
    if at_target:
        judged, judged_at_target = at_target[0], True
    elif after:
        judged, judged_at_target = after[0], True
        notes.append(
            f"No value for the target period {target.target.period if target.target else ''}: judged on"
            f" the first value after it ({judged[0]})"
        )
    else:
        judged, judged_at_target = before[-1], False
    period, (t_index, value, lower, upper) = judged
    frame = pl.DataFrame(
        {"v": [value], "t": [t_index], "lo": [lower], "hi": [upper]},
        schema={k: pl.Float64 for k in ("v", "t", "lo", "hi")},
    )
    trajectory_frame = None
    if target.trajectory:
        pts = [(period_index(p.period), p.value) for p in target.trajectory if p.value is not None]
        trajectory_frame = pl.DataFrame(
            {"t": [x for x, _ in pts], "trajectory": [y for _, y in pts]},
            schema={"t": pl.Float64, "trajectory": pl.Float64},
        )
    polarity = None if indicator.polarity is Polarity.NO_JUDGEMENT else indicator.polarity.value
    out = level_target_status(
        frame,
        value="v",
        period_index="t",
        baseline_value=b,
        baseline_period_index=bp,
        target_value=t,
        target_period_index=tp,
        lower="lo",
        upper="hi",
        polarity=polarity,
        trajectory=trajectory_frame,
        trajectory_on=[] if trajectory_frame is not None else None,
    ).row(0, named=True)
    since: dict[str, Any] = {}
    later = [kv for kv in ordered if kv[1][0] > t_index + eps] if judged_at_target else []
    if later:
        last_period, last_value = later[-1][0], later[-1][1][1]
        assert last_value is not None
        since = dict(
            since_period=last_period,
            since_value=last_value,
            since_meets_target=_better(indicator, last_value, t, b),
        )
    return LevelTargetView(
        **base,
        status=str(out["status"]),
        status_period=period,
        status_value=value,
        expected=None if judged_at_target else finite(out["trajectory"]),
        judged_at_target=judged_at_target,
        notes=tuple(notes),
        **since,
    )


def level_targets(
    plan: Plan, indicator: Indicator, targets: list[Target], series: list[SeriesPoint]
) -> list[LevelTargetView]:
    """Every level target of an indicator, assessed."""
    return [assess_level_target(plan, indicator, t, series) for t in targets if t.kind is TargetKind.LEVEL]


def _target_date(target: Target) -> tuple[ValueAt | None, bool]:
    if target.target is not None:
        return target.target, False
    return target.assumed_target, target.assumed_target is not None


def _closed(gap: float, baseline: float) -> float:
    return 1.0 - gap / baseline


def assess_gap_target(
    plan: Plan, target: Target, series: GapSeries | None, indicator: Indicator | None
) -> GapTargetView:
    """A gap-closing target's progress from its gap series (see the module docstring)."""
    assert target.gap is not None
    gap = target.gap
    reduction = f"{gap.percent_min:g}%" if gap.percent_max is None else f"{gap.percent_min:g}-{gap.percent_max:g}%"
    groups = {c.id: ct.id for ct in plan.framework.groups for c in ct.categories}
    subject_name = plan.areas.get(gap.subject) or category_name(plan, groups.get(gap.subject, ""), gap.subject)
    comparator_name = plan.areas.get(gap.comparator) or category_name(
        plan, groups.get(gap.comparator, ""), gap.comparator
    )
    _, reward_total = _plan_reward(plan, target)
    date_at, assumed = _target_date(target)
    base: dict[str, Any] = dict(
        id=target.id,
        title=target.title,
        indicator_id=target.indicator,
        indicator_title=indicator.title if indicator else None,
        subject_name=subject_name,
        comparator_name=comparator_name,
        reduction=reduction,
        achieved_reported=target.achieved,
        target_period=date_at.period if date_at else None,
        target_date_assumed=assumed,
        target_date_reason=(date_at.note if assumed and date_at else None),
        unit=series.unit if series else "",
        reward_total=reward_total,
        reward_share=target.reward_share,
    )
    if indicator is None or series is None:
        return GapTargetView(
            **base, baseline_period=None, baseline_gap=None, status="no data", notes=("The target names no indicator",)
        )
    notes = list(series.notes)
    if assumed and date_at is not None:
        notes.append(f"Target date {date_at.period} is assumed: {date_at.note or 'no reason recorded'}")
    usable = [p for p in series.points if p.gap is not None and p.period_index is not None]
    baseline_period = target.baseline.period if target.baseline else (usable[0].period if usable else None)
    baseline_gap = target.baseline.value if target.baseline and target.baseline.value is not None else None
    if baseline_gap is None and baseline_period is not None:
        match = [p for p in usable if p.period == baseline_period]
        baseline_gap = match[0].gap if match else None
        if match and not target.baseline:
            notes.append(f"The plan gives no baseline: the first period with a gap ({baseline_period}) is used")
    view: dict[str, Any] = dict(base, baseline_period=baseline_period, baseline_gap=baseline_gap, series=series)
    if not usable:
        return GapTargetView(**view, status="no data", notes=tuple(notes + ["No gap can be formed from the data yet"]))
    if baseline_gap is None or baseline_gap == 0:
        why = "there is no baseline gap" if baseline_gap is None else "the baseline gap is zero"
        return GapTargetView(
            **view,
            status="not assessed",
            latest_gap=usable[-1].gap,
            notes=tuple(notes + [f"Progress cannot be measured: {why}"]),
        )
    bp = period_index(baseline_period or "")
    progress = []
    for p in usable:
        if bp is not None and p.period_index is not None and p.period_index < bp - 1e-6:
            continue
        assert p.gap is not None
        lo = hi = None
        if p.lower is not None and p.upper is not None:
            a, b = _closed(p.upper, baseline_gap), _closed(p.lower, baseline_gap)
            lo, hi = min(a, b), max(a, b)
        progress.append(GapProgressPoint(p.period, p.gap, _closed(p.gap, baseline_gap), lo, hi))
    latest = usable[-1]
    latest_progress = progress[-1] if progress else None
    view.update(
        progress=tuple(progress),
        latest_gap=latest.gap,
        closed_share=latest_progress.closed_share if latest_progress else None,
        closed_lower=latest_progress.lower if latest_progress else None,
        closed_upper=latest_progress.upper if latest_progress else None,
        status_period=latest.period,
    )
    tp = period_index(date_at.period) if date_at else None
    if tp is None or bp is None or tp <= bp:
        if date_at is None:
            why = "the plan gives no target date"
        else:
            why = (
                f"the target date ({date_at.period}{', assumed' if assumed else ''}) is not after the baseline"
                f" ({baseline_period})"
            )
        return GapTargetView(
            **view,
            status="not assessed",
            notes=tuple(
                notes + [f"No status against a path: {why}; the share of the gap closed is shown for every period"]
            ),
        )
    eps = 1e-6
    at_or_after = [p for p in usable if p.period_index is not None and p.period_index >= tp - eps]
    judged = at_or_after[0] if at_or_after else latest
    frame = pl.DataFrame(
        {"gap": [judged.gap], "t": [judged.period_index], "lo": [judged.lower], "hi": [judged.upper]},
        schema={"gap": pl.Float64, "t": pl.Float64, "lo": pl.Float64, "hi": pl.Float64},
    )
    out = gap_closing_status(
        frame,
        gap="gap",
        period_index="t",
        baseline_gap=baseline_gap,
        baseline_period_index=bp,
        target_period_index=tp,
        reduction=reduction,
        lower="lo",
        upper="hi",
    ).row(0, named=True)
    if at_or_after and judged is not latest:
        notes.append(f"Judged at the target period ({judged.period}); latest gap {latest.gap:.2f} ({latest.period})")
    view.update(
        status_period=judged.period,
        closed_share=finite(out["gap_closed_share"]),
        required_now=finite(out["required_share_now"]),
    )
    judged_progress = next((g for g in progress if g.period == judged.period), None)
    if judged_progress is not None:
        view.update(closed_lower=judged_progress.lower, closed_upper=judged_progress.upper)
    return GapTargetView(**view, status=str(out["status"]), notes=tuple(notes))
