"""Evidence for KPQs and reports: observations up to a cut-off, recent trends, gaps, action status.

The building blocks :mod:`gapwatch.services.kpq` assesses evidence with and the board reports
(:mod:`gapwatch.services.cycles`) show: an :class:`EvidenceContext` holding the observations of periods
ending by the cycle's cut-off (with 95% limits filled from counts) and each consultation's figures, the
recent trend of a series (:func:`trend_of`, Fingertips trend markers) and the gap series a rule names
(:func:`gap_for`, through the same :mod:`gapwatch.services.gaps_view` the gap pages use), each
carrying its import batches and whether any value is illustrative.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

import polars as pl
from sqlalchemy.orm import Session

from gapwatch.analysis.consultations import ConsultationResult, published_results
from gapwatch.analysis.series import SeriesPoint, headline_series, recent_trend_result
from gapwatch.domain.catalogue import partnership_county
from gapwatch.domain.consultations import Consultation
from gapwatch.domain.cycle import CycleWindow
from gapwatch.domain.groups import CategoryType
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.plan import EvidenceMeasure, KpqEvidence
from gapwatch.services._obsframe import indicator_rows, observation_frame
from gapwatch.services._plan import Plan
from gapwatch.services.actions import list_actions
from gapwatch.services.cache import StateKey, state_key
from gapwatch.services.consultations import evidence_results
from gapwatch.services.gaps_view import (
    GapSeries,
    area_gap,
    deprivation_category_types,
    deprivation_gap,
    group_gap_series,
    sii_series,
)

__all__ = [
    "ILLUSTRATIVE",
    "ActionStatus",
    "EvidenceContext",
    "TrendResult",
    "any_illustrative",
    "batches_of",
    "category_type_of",
    "county_of",
    "evidence_context",
    "format_number",
    "gap_for",
    "observations_until",
    "series_points",
    "tag_illustrative",
    "trend_of",
]

ILLUSTRATIVE = "illustrative demo data"


@dataclass(frozen=True)
class ActionStatus:
    """What the ``actions`` evidence needs of one action: its latest RAG and whether it is overdue."""

    rag: str | None
    overdue: bool


@dataclass
class EvidenceContext:
    """Everything evidence is assessed against: the plan, observations up to the cut-off, the area."""

    plan: Plan
    frame: pl.DataFrame
    area: str | None
    cutoff: date
    actions: dict[str, ActionStatus] = field(default_factory=dict)
    consultations: dict[str, list[ConsultationResult]] = field(default_factory=dict)
    #: The state (framework revision, data version, cut-off) ``frame`` was read in: each indicator's rows with
    #: intervals are then shared by every context of that state (a cycle's 19 papers and their KPQ answers).
    state: StateKey | None = None
    _rows: dict[str, pl.DataFrame] = field(default_factory=dict)
    _gaps: dict[tuple[str, ...], GapSeries] = field(default_factory=dict)

    def rows(self, indicator: Indicator) -> pl.DataFrame:
        """The indicator's observations with 95% limits filled from counts (cached).

        ``frame`` holds every row of each indicator it holds up to the cut-off (never a part of one), so the
        rows of an indicator are the same in every context of one state.
        """
        if indicator.id not in self._rows:
            self._rows[indicator.id] = indicator_rows(self.state, lambda: self.frame, indicator)
        return self._rows[indicator.id]

    def consultation_results(self, consultation: Consultation) -> list[ConsultationResult]:
        """The consultation's figures the evidence rests on (imported responses', else published), as loaded."""
        found = self.consultations.get(consultation.id)
        return found if found is not None else published_results(consultation)


@dataclass(frozen=True)
class TrendResult:
    """An indicator's recent trend: the test's verdict, its assessment against polarity, the series."""

    trend: str
    assessment: str | None
    detail: str
    points: list[SeriesPoint]
    illustrative: bool
    batches: list[int]


def observations_until(
    session: Session, plan: Plan, cutoff: date, indicators: Collection[str] | None = None
) -> pl.DataFrame:
    """Observations of periods ending on or before ``cutoff`` (a cycle reports the data it had)."""
    df = observation_frame(session, plan, indicators)
    return df.filter(pl.col("period_end").is_not_null() & (pl.col("period_end") <= cutoff))


def batches_of(rows: pl.DataFrame) -> list[int]:
    """The import batch ids behind some rows (plan-stated values have none)."""
    if rows.height == 0 or "batch" not in rows.columns:
        return []
    out: set[int] = set()
    for value in rows.get_column("batch").drop_nulls().unique().to_list():
        text = str(value)
        if text.isdigit():
            out.add(int(text))
    return sorted(out)


def any_illustrative(rows: pl.DataFrame) -> bool:
    return bool(rows.height) and bool(rows.get_column("illustrative").fill_null(False).any())


def tag_illustrative(verdict: str, illustrative: bool) -> str:
    return f"{verdict} ({ILLUSTRATIVE})" if illustrative else verdict


def series_points(rows: pl.DataFrame) -> list[SeriesPoint]:
    """One point per period, oldest first: the analysis core's headline series."""
    return headline_series(rows)


def trend_of(
    ctx: EvidenceContext,
    indicator: Indicator,
    *,
    area: str | None = None,
    category_type: str | None = None,
    category: str | None = None,
) -> TrendResult:
    """The recent trend of one series (Fingertips trend markers; see :func:`recent_trend`).

    Proportions and rates with counts use the chi-squared test for trend (Cochran 1954; Armitage 1955)
    or its Poisson analogue; other values with 95% limits use weighted least squares (weights 1/SE^2).
    Fewer than five points, or points without counts or limits, give "could not be calculated".
    """
    rows = ctx.rows(indicator)
    where = pl.col("area") == (area or ctx.area or "")
    if category_type is None:
        where = where & pl.col("category_type").is_null()
    else:
        where = where & (pl.col("category_type") == category_type) & (pl.col("category") == category)
    series = series_points(rows.filter(where))
    used = [p for p in series if p.value is not None and p.period_index is not None][-5:]
    illustrative = any(p.illustrative for p in used)
    batches = sorted({int(p.batch) for p in used if p.batch and str(p.batch).isdigit()})
    result, assessment = recent_trend_result(indicator, series)
    if result.reason:
        return TrendResult(result.verdict, None, result.reason, series, illustrative, batches)
    first, last = format_number(used[0].value), format_number(used[-1].value)
    # "%" sits on the number; every other unit ("per 10,000", "years") after a space.
    unit = indicator.unit if indicator.unit in ("", "%") else f" {indicator.unit}"
    detail = f"{used[0].period} to {used[-1].period}: {first} to {last}{unit}; {result.method}; " + (
        result.describe().removeprefix(result.verdict).strip()
    )
    return TrendResult(result.verdict, assessment, detail, series, illustrative, batches)


def format_number(value: float | None) -> str:
    return "–" if value is None else f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"


def category_type_of(plan: Plan, type_id: str | None) -> CategoryType | None:
    return next((ct for ct in plan.framework.groups if ct.id == type_id), None)


def gap_for(ctx: EvidenceContext, ev: KpqEvidence, indicator: Indicator) -> GapSeries | None:
    """The gap series a gap or SII rule asks for (None when the rule cannot be formed)."""
    key = (
        ev.measure.value,
        indicator.id,
        ev.category_type or "",
        ev.subject or "",
        ev.comparator or "",
        ctx.area or "",
    )
    if key in ctx._gaps:
        return ctx._gaps[key]
    rows = ctx.rows(indicator)
    plan = ctx.plan
    series: GapSeries | None = None
    if ev.measure is EvidenceMeasure.GROUP_GAP:
        ct = category_type_of(plan, ev.category_type)
        cat = next((c for c in ct.categories if c.id == ev.subject), None) if ct else None
        comparator = ev.comparator or (cat.comparator if cat else None)
        if ct is not None and ev.subject and comparator:
            series = group_gap_series(rows, indicator, plan, ctx.area or "", ct.id, ev.subject, comparator)
    elif ev.measure is EvidenceMeasure.AREA_GAP:
        if ev.subject and ev.comparator:
            series = area_gap(rows, indicator, plan, ev.subject, ev.comparator)
    else:
        candidates = deprivation_category_types(plan)
        if ev.category_type:
            candidates = [ct for ct in candidates if ct.id == ev.category_type]
        present = set(rows.get_column("category_type").drop_nulls().unique().to_list())
        chosen = next((ct for ct in candidates if ct.id in present), candidates[0] if candidates else None)
        # A deprivation rule may name its area as ``subject`` (e.g. England, where data by decile are national only).
        where = ev.subject or ctx.area or ""
        if chosen is not None:
            if ev.measure is EvidenceMeasure.SII:
                series = sii_series(rows, indicator, plan, where, chosen)
            else:
                series = deprivation_gap(rows, indicator, plan, where, chosen)
    if series is not None:
        ctx._gaps[key] = series
    return series


def county_of(plan: Plan) -> str | None:
    """The area evidence is judged for when none is named: the partnership's county (as the dashboard chooses
    it, :func:`~gapwatch.domain.catalogue.partnership_county`), else its region, else its country."""
    county = partnership_county(plan.framework)
    if county is not None:
        return county
    for level in ("region", "country"):
        for a in plan.framework.areas:
            if a.level.value == level:
                return a.id
    return None


def evidence_context(
    session: Session, plan: Plan, *, window: CycleWindow, area: str | None = None, indicators: Collection[str] = ()
) -> EvidenceContext:
    """The context to assess evidence in, for one cycle's ``window`` (with the rows of ``indicators`` too, besides
    those the KPQs' evidence names: a board paper's own indicators).

    Observations of periods ending by the window's data cut-off (nothing later reaches a cycle's answers),
    and each action's latest RAG with whether it is overdue at the window's as-of date — judged exactly as
    the action pages and the cycle's report judge it (:func:`~gapwatch.services.actions.list_actions`).
    Targets whose deadline passed long before the cut-off are history (see :mod:`gapwatch.services.kpq`).
    """
    statuses = {v.id: ActionStatus(rag=v.rag, overdue=v.overdue) for v in list_actions(session, window=window)}
    ids = {ev.indicator for k in plan.framework.kpqs for ev in k.evidence if ev.indicator} | set(indicators)
    frame = observations_until(session, plan, window.cutoff, ids or None)
    consultations = {c.id: evidence_results(session, c) for c in plan.framework.consultations}
    return EvidenceContext(
        plan=plan,
        frame=frame,
        area=area or county_of(plan),
        cutoff=window.cutoff,
        actions=statuses,
        consultations=consultations,
        state=state_key(session, plan, cutoff=window.cutoff),
    )
