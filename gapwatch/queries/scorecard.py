"""``scorecard``: a board's one-page summary — each indicator's latest value with its interval, direction of
travel, comparison with England and the region, target status and gap trend; actions by RAG and overdue; the
KPQ answers — as the dashboard and the board paper both show it.

Why one query: the board paper (frozen when the cycle closes) and the dashboard (live, in the open cycle's
window) must not disagree. Both call :func:`scorecard`; it is built only from what the dashboard itself uses —
:func:`gapwatch.services.dashboard.dashboard` for target status, gaps and action counts, the analysis core's
:func:`~gapwatch.analysis.series.headline_series` and :func:`~gapwatch.analysis.series.recent_trend_result`
for the latest value and direction of travel (chi-squared test for trend over the last five points,
Fingertips' trend markers), and :func:`~gapwatch.stats.comparison.compare_to_benchmark` for the comparison
with a benchmark (a difference only when the benchmark lies outside the 95% interval; Fingertips technical
guidance, "Comparing to a benchmark"). Results are remembered per data state in
:mod:`gapwatch.services.cache`, as the dashboard's are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gapwatch.analysis.frame import with_intervals
from gapwatch.analysis.series import headline_series, recent_trend_result, until
from gapwatch.domain.cycle import CycleWindow, years_before
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.kpq import KpqAnswer
from gapwatch.services.cache import remember, state_key
from gapwatch.services.dashboard import DashboardFilters, IndicatorStatus, dashboard
from gapwatch.services.evidence import observations_until
from gapwatch.services.kpq import area_answers, dashboard_answers
from gapwatch.services.plans import Plan, current_plan
from gapwatch.stats.comparison import compare_to_benchmark

__all__ = [
    "STALE_YEARS",
    "Comparison",
    "Scorecard",
    "ScorecardKpq",
    "ScorecardRow",
    "scorecard",
]

#: A latest value whose period ended more than this many years before the cut-off is flagged as old.
STALE_YEARS = 3

#: Benchmarks, by area level: the partnership's country and region, when the data hold values for them.
_BENCHMARK_LEVELS: tuple[str, ...] = ("country", "region")


class Comparison(BaseModel):
    """The latest value against one benchmark area in the same period."""

    benchmark: str = Field(description="The benchmark area's name (England, South East).")
    benchmark_area: str
    value: float | None = None
    verdict: str = Field(description="better | similar | worse | higher | lower | not compared")


class ScorecardRow(BaseModel):
    """One indicator on the scorecard."""

    indicator: str
    code: str
    title: str
    unit: str
    area: str | None = None
    area_name: str | None = None
    latest_period: str | None = None
    latest_end: date | None = None
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    stale: bool = Field(default=False, description=f"The latest value is over {STALE_YEARS} years old.")
    trend: str = Field(default="not enough data", description="getting better | getting worse | no change | …")
    comparisons: list[Comparison] = Field(default_factory=list)
    target_status: str = Field(description="The dashboard's status: on track | at risk | off track | …")
    gaps: list[tuple[str, str]] = Field(default_factory=list, description="(gap, verdict) as the dashboard.")
    illustrative: bool = False

    @property
    def worse_than(self) -> list[Comparison]:
        """The benchmarks this indicator is significantly worse than (an exception)."""
        return [c for c in self.comparisons if c.verdict == "worse"]

    @property
    def gap_trend(self) -> str:
        """The gaps in one phrase: widening when any widens, else narrowing when any narrows, …"""
        verdicts = [v for _, v in self.gaps]
        for v in ("widening", "narrowing", "no significant change"):
            if v in verdicts:
                return v
        return "no gap measured" if not verdicts else "not enough data"


class ScorecardKpq(BaseModel):
    """A KPQ answer on the scorecard."""

    ambition: str
    kpq: str
    question: str
    answer: str


class Scorecard(BaseModel):
    """A board's scorecard for one window (a reporting cycle's)."""

    board: str | None = None
    area: str | None = None
    cutoff: date | None = None
    as_of: date
    rows: list[ScorecardRow] = Field(default_factory=list)
    actions: dict[str, int] = Field(default_factory=dict, description="red, amber, green, none, overdue, total.")
    kpqs: list[ScorecardKpq] = Field(default_factory=list)

    @property
    def with_value(self) -> list[ScorecardRow]:
        """The rows with a latest value up to the cut-off."""
        return [r for r in self.rows if r.value is not None]

    @property
    def status_counts(self) -> dict[str, int]:
        """How many indicators have each target status (the dashboard's columns)."""
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.target_status] = out.get(r.target_status, 0) + 1
        return out


def _benchmarks(plan: Plan) -> list[tuple[str, str]]:
    return [(a.id, a.name) for level in _BENCHMARK_LEVELS for a in plan.framework.areas if a.level.value == level]


def _compare(
    ind: Indicator, rows: pl.DataFrame, period: str, value: float, lower: float | None, upper: float | None, plan: Plan
) -> list[Comparison]:
    out = []
    for area_id, name in _benchmarks(plan):
        bench = rows.filter(
            (pl.col("area") == area_id) & pl.col("category_type").is_null() & (pl.col("period") == period)
        )
        bench_value = bench.get_column("value").drop_nulls()
        if not bench_value.len():
            continue
        frame = pl.DataFrame(
            {"value": [value], "lo": [lower], "hi": [upper], "b": [float(bench_value[0])]},
            schema={"value": pl.Float64, "lo": pl.Float64, "hi": pl.Float64, "b": pl.Float64},
        )
        verdict = compare_to_benchmark(frame, benchmark="b", polarity=ind.polarity.value, lower="lo", upper="hi")
        out.append(
            Comparison(
                benchmark=name,
                benchmark_area=area_id,
                value=float(bench_value[0]),
                verdict=str(verdict.get_column("comparison")[0]),
            )
        )
    return out


def _row(plan: Plan, ind: Indicator, status: IndicatorStatus, rows: pl.DataFrame, cutoff: date | None) -> ScorecardRow:
    area = status.area
    rows = with_intervals(rows, ind) if rows.height else rows
    series = headline_series(rows.filter((pl.col("area") == (area or "")) & pl.col("category_type").is_null()))
    valued = [p for p in series if p.value is not None]
    last = valued[-1] if valued else None
    result, assessment = recent_trend_result(ind, series)
    end_rows = rows.filter(pl.col("period") == last.period) if last else rows.clear()
    end = end_rows.get_column("period_end").drop_nulls() if end_rows.height else None
    latest_end = end[0] if end is not None and end.len() else None
    stale = latest_end is not None and cutoff is not None and latest_end < years_before(cutoff, STALE_YEARS)
    comparisons = (
        _compare(ind, rows, last.period, last.value, last.lower, last.upper, plan)
        if last is not None and last.value is not None
        else []
    )
    trend = assessment or ("not enough data" if result.verdict == "could not be calculated" else result.verdict)
    return ScorecardRow(
        indicator=ind.id,
        code=ind.code,
        title=ind.title,
        unit=ind.unit,
        area=area,
        area_name=plan.areas.get(area or ""),
        latest_period=last.period if last else None,
        latest_end=latest_end,
        value=last.value if last else None,
        lower=last.lower if last else None,
        upper=last.upper if last else None,
        stale=stale,
        trend=trend,
        comparisons=comparisons,
        target_status=status.status,
        gaps=list(status.gaps),
        illustrative=status.illustrative,
    )


def _kpqs(
    session: Session, plan: Plan, window: CycleWindow, ambitions: set[str], area: str | None
) -> list[ScorecardKpq]:
    kpqs = [k for k in plan.framework.kpqs if k.ambition in ambitions]
    if area is None:  # the county: the dashboard's own answers
        answers = dashboard_answers(session, plan, window=window)
        pairs = [(k.ambition, a) for k in kpqs for a in answers.get(k.ambition, []) if a.kpq == k.id]
    else:  # a locality: the same engine on the locality's own data, as its paper answers them
        by_id = {a.kpq: a for a in area_answers(session, plan, window=window, area=area)}
        pairs = [(k.ambition, by_id[k.id]) for k in kpqs if k.id in by_id]
    return [ScorecardKpq(ambition=amb, kpq=a.kpq, question=a.question, answer=a.answer.value) for amb, a in pairs]


def scorecard(
    session: Session, window: CycleWindow, board: str | None = None, *, answers: Sequence[KpqAnswer] | None = None
) -> Scorecard:
    """The scorecard of ``board`` (the whole plan when None) in ``window``: data up to its cut-off, actions
    judged at its as-of date — what the dashboard shows in that window and the cycle's paper freezes.

    ``answers``: the board's KPQ answers when the caller has just computed them with the same engine on the
    same area and window (the paper does, as it is built), so they are not computed twice; the tests check
    that they equal the dashboard's."""
    plan = current_plan(session)
    view = dashboard(session, DashboardFilters(board=board), window=window)
    ids = [s.indicator_id for s in view.statuses]
    state = state_key(session, plan, cutoff=window.cutoff)
    frame: list[pl.DataFrame] = []

    def rows(ind_id: str) -> pl.DataFrame:  # read once, and only when some row is not remembered
        if not frame:
            frame.append(until(observations_until(session, plan, window.cutoff, ids), window.cutoff))
        return frame[0].filter(pl.col("indicator") == ind_id)

    out = [
        remember(
            state,
            ("scorecard_row", s.indicator_id, s.area),
            lambda s=s: _row(plan, plan.indicators[s.indicator_id], s, rows(s.indicator_id), window.cutoff),  # type: ignore[misc]
        )
        for s in view.statuses
    ]
    found = plan.boards.get(board or "")
    ambitions = set(found.ambitions) if found else {a.id for a in plan.framework.ambitions}
    area = found.area if found is not None and found.area in plan.areas else None
    return Scorecard(
        board=board,
        area=area,
        cutoff=window.cutoff,
        as_of=window.as_of,
        rows=out,
        actions=dict(view.overall.actions),
        kpqs=_kpqs(session, plan, window, ambitions, area) if answers is None else _given(plan, ambitions, answers),
    )


def _given(plan: Plan, ambitions: set[str], answers: Sequence[KpqAnswer]) -> list[ScorecardKpq]:
    by_id = {a.kpq: a for a in answers}
    return [
        ScorecardKpq(ambition=k.ambition, kpq=k.id, question=by_id[k.id].question, answer=by_id[k.id].answer.value)
        for k in plan.framework.kpqs
        if k.ambition in ambitions and k.id in by_id
    ]
