"""Gaps for the pages: the analysis core's gap series and gap-closing targets, read from the store.

The rules (which comparator, per-period intervals, sign, verdicts) live in :mod:`gapwatch.analysis.gaps`
and :mod:`gapwatch.analysis.targets`; this module only fetches observations and caches the results.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy.orm import Session

from gapwatch.analysis.frame import headline_area, with_intervals
from gapwatch.analysis.gaps import (
    COMPARISONS,
    GapPoint,
    GapSeries,
    area_gap,
    deprivation_category_types,
    deprivation_gap,
    group_gap_series,
    indicator_gaps,
    sii_series,
)
from gapwatch.analysis.targets import GapTargetView, assess_gap_target
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.targets import Target, TargetKind
from gapwatch.errors import NotFound
from gapwatch.services._obsframe import cached, observation_frame
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services.cache import StateKey, remember

__all__ = [
    "COMPARISONS",
    "GapPoint",
    "GapSeries",
    "GapTargetView",
    "area_gap",
    "deprivation_category_types",
    "deprivation_gap",
    "gap_target_series",
    "gap_target_view",
    "gap_targets",
    "group_gap_series",
    "remembered_gaps",
    "shown_gaps",
    "sii_series",
]


def gap_target_series(plan: Plan, df: pl.DataFrame, target: Target) -> GapSeries | None:
    """The one gap series a gap-closing target is judged on (group gap in the headline area, or area gap)."""
    assert target.gap is not None
    indicator = plan.indicators.get(target.indicator or "")
    if indicator is None:
        return None
    groups = {c.id: ct.id for ct in plan.framework.groups for c in ct.categories}
    rows = with_intervals(df.filter(pl.col("indicator") == indicator.id), indicator)
    if target.gap.subject in groups:
        county = headline_area(plan, rows)
        return group_gap_series(
            rows, indicator, plan, county or "", groups[target.gap.subject], target.gap.subject, target.gap.comparator
        )
    return area_gap(rows, indicator, plan, target.gap.subject, target.gap.comparator)


def shown_gaps(plan: Plan, rows: pl.DataFrame, indicator: Indicator, area: str) -> list[GapSeries]:
    """The gaps an indicator shows in ``area`` — page, dashboard and paper alike — with its gap targets' own.

    ``rows`` are the indicator's observations with intervals (every area: a rest is formed from them).
    """
    targets = [t for t in plan.framework.targets if t.kind is TargetKind.GAP_CLOSING and t.indicator == indicator.id]
    extra = [s for t in targets if (s := gap_target_series(plan, rows, t)) is not None]
    return indicator_gaps(rows, indicator, plan, area, extra=extra)


def remembered_gaps(
    state: StateKey | None, plan: Plan, rows: pl.DataFrame, indicator: Indicator, area: str
) -> list[GapSeries]:
    """:func:`shown_gaps`, computed once per ``state`` (framework revision, data version, cut-off), indicator and
    area, whoever asks first: the dashboard's status of an indicator and the board paper's page of it show the
    same gaps, and closing a cycle (19 boards in Kent, each with its dashboard scorecard and its paper) works
    them out once instead of twice. ``rows`` must be the indicator's observations up to the state's cut-off with
    intervals, as both callers give them. The result is shared: treat it as read-only. (No ``state``: worked
    out here and not remembered.)"""
    if state is None:
        return shown_gaps(plan, rows, indicator, area)
    return remember(state, ("shown_gaps", indicator.id, area), lambda: shown_gaps(plan, rows, indicator, area))


def gap_target_view(plan: Plan, df: pl.DataFrame, target: Target) -> GapTargetView:
    """A gap-closing target's progress from observations ``df``."""
    indicator = plan.indicators.get(target.indicator or "")
    return assess_gap_target(plan, target, gap_target_series(plan, df, target), indicator)


def gap_targets(session: Session, indicator_id: str | None = None) -> list[GapTargetView]:
    """Every gap-closing target (or those of one indicator) with its progress from the data."""
    plan = current_plan(session)
    targets = [
        t
        for t in plan.framework.targets
        if t.kind is TargetKind.GAP_CLOSING and (indicator_id is None or t.indicator == indicator_id)
    ]
    if indicator_id is not None and indicator_id not in plan.indicators:
        raise NotFound(f"There is no indicator '{indicator_id}'")
    ids = {t.indicator for t in targets if t.indicator}

    def compute() -> list[GapTargetView]:
        df = observation_frame(session, plan, ids)
        return [gap_target_view(plan, df, t) for t in targets]

    return list(cached(session, plan, ("gap_targets", indicator_id), compute))
