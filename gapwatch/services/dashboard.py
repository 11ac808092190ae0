"""The dashboard: the state of the plan at a glance, per ambition and per board.

For each ambition and each board: indicators by target status (on track / at risk / off track / no
target / cannot be assessed yet), gaps narrowing / widening / no significant change, actions by RAG and
overdue, and the date of the latest data. Filters narrow everything to a board, a locality (an area:
indicators and gaps are then read for that area) or a priority.

Statistics come from the indicator and gap services (themselves thin over :mod:`gapwatch.stats`);
results per indicator and area are cached per framework revision and data version, because they change
only when a framework or a data file is loaded, while the dashboard is read far more often.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl
from sqlalchemy.orm import Session

from gapwatch.analysis.gaps import GapSeries
from gapwatch.analysis.series import SeriesPoint, headline_series, until
from gapwatch.analysis.targets import LevelTargetView, level_targets
from gapwatch.analysis.verdicts import GapVerdict
from gapwatch.domain.cycle import CycleWindow
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.targets import TargetKind
from gapwatch.errors import NotFound
from gapwatch.services._obsframe import headline_area, indicator_rows, observation_frame, with_intervals
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services.actions import (
    ActionFilters,
    ActionUpdateView,
    ActionView,
    history,
    list_actions,
    rag_counts,
    recent_updates,
)
from gapwatch.services.cache import StateKey, remember, state_key
from gapwatch.services.gaps_view import (
    GapTargetView,
    gap_target_view,
    remembered_gaps,
)

__all__ = [
    "GAP_VERDICTS",
    "STATUS_ORDER",
    "Dashboard",
    "DashboardFilters",
    "Highlight",
    "IndicatorStatus",
    "OverviewCell",
    "RecentChange",
    "Summary",
    "dashboard",
    "highlights",
    "indicator_statuses",
    "overview_cells",
    "recent_changes",
]

#: The dashboard's status columns, in order. "achieved"/"not achieved" count as on track / off track.
STATUS_ORDER: tuple[str, ...] = ("on track", "at risk", "off track", "no target", "cannot be assessed")
_STATUS_GROUP = {
    "on track": "on track",
    "achieved": "on track",
    "at risk": "at risk",
    "off track": "off track",
    "not achieved": "off track",
}
#: Every gap verdict the analysis core gives, in the order the dashboard lists them.
GAP_VERDICTS: tuple[str, ...] = tuple(v.value for v in GapVerdict)


@dataclass(frozen=True)
class DashboardFilters:
    """Board, locality (area id) and priority; None means all."""

    board: str | None = None
    locality: str | None = None
    priority: str | None = None


@dataclass(frozen=True)
class IndicatorStatus:
    """One indicator's headline state in one area."""

    indicator_id: str
    code: str
    title: str
    area: str | None
    status: str
    raw_statuses: tuple[str, ...]
    gaps: tuple[tuple[str, str], ...]  #: (label, verdict)
    latest_period: str | None
    latest_end: date | None
    illustrative: bool


@dataclass
class Summary:
    """One block of the dashboard (the whole plan, an ambition or a board)."""

    key: str
    title: str
    kind: str
    indicators: dict[str, int]
    gaps: dict[str, int]
    actions: dict[str, int]
    latest_period: str | None
    latest_end: date | None
    illustrative: bool
    indicator_ids: list[str] = field(default_factory=list)
    area: str | None = None
    with_data: int = 0  #: indicators with any value up to the cut-off (in ``area`` when set)

    @property
    def indicator_total(self) -> int:
        """How many indicators the block covers."""
        return sum(self.indicators.values())


@dataclass
class Dashboard:
    """The dashboard's content."""

    filters: DashboardFilters
    overall: Summary
    ambitions: list[Summary]
    boards: list[Summary]
    statuses: list[IndicatorStatus]
    options: dict[str, list[tuple[str, str]]]
    window: CycleWindow  #: the window actions are judged in (the open cycle's, or the default half-year's)
    notes: list[str] = field(default_factory=list)

    @property
    def cycle_start(self) -> date:
        """The day updates start counting for the window's cycle."""
        return self.window.start


def _status_of(state: StateKey, plan: Plan, rows: pl.DataFrame, ind: Indicator, area: str | None) -> IndicatorStatus:
    """``rows``: the indicator's observations up to the state's cut-off, with intervals."""
    chosen = area or headline_area(plan, rows)
    headline = rows.filter((pl.col("area") == chosen) & pl.col("category_type").is_null()).sort("period_end")
    series = headline_series(headline)
    targets = [t for t in plan.framework.targets if t.indicator == ind.id]
    raw = [v.status for v in level_targets(plan, ind, targets, series)]
    gap_views = []
    if any(t.kind is TargetKind.GAP_CLOSING for t in targets):
        gap_views = _gap_targets(plan, rows, ind.id)
        raw += [g.status for g in gap_views]
    grouped = [_STATUS_GROUP[s] for s in raw if s in _STATUS_GROUP]
    if not targets:
        status = "no target"
    elif not grouped:
        status = "cannot be assessed"
    else:  # the worst assessed target speaks for the indicator
        status = max(grouped, key=STATUS_ORDER.index)
    shown = remembered_gaps(state, plan, rows, ind, chosen) if chosen else []
    gaps = [(f"{s.subject_name} vs {s.comparator_name}", s.verdict) for s in shown]
    latest = rows.filter(pl.col("period_end").is_not_null()).sort("period_end") if rows.height else rows
    last = latest.row(-1, named=True) if latest.height else None
    return IndicatorStatus(
        indicator_id=ind.id,
        code=ind.code,
        title=ind.title,
        area=chosen,
        status=status,
        raw_statuses=tuple(raw),
        gaps=tuple(gaps),
        latest_period=last["period"] if last else None,
        latest_end=last["period_end"] if last else None,
        illustrative=bool(rows.select(pl.col("illustrative").any()).item()) if rows.height else False,
    )


def _gap_targets(plan: Plan, rows: pl.DataFrame, indicator_id: str) -> list[GapTargetView]:
    return [
        gap_target_view(plan, rows, t)
        for t in plan.framework.targets
        if t.kind is TargetKind.GAP_CLOSING and t.indicator == indicator_id
    ]


def indicator_statuses(
    session: Session, indicators: list[Indicator], area: str | None, cutoff: date | None = None
) -> list[IndicatorStatus]:
    """Headline status of each indicator in ``area`` (None: each indicator's own headline area) from the data
    of periods ending by ``cutoff`` (all data when None), remembered in :mod:`gapwatch.services.cache`."""
    plan = current_plan(session)
    if area is not None and area not in plan.areas:
        raise NotFound(f"There is no area '{area}'")
    state = state_key(session, plan, cutoff=cutoff)
    frame: list[pl.DataFrame] = []

    def rows() -> pl.DataFrame:  # read once, and only when some indicator is not remembered
        if not frame:
            frame.append(until(observation_frame(session, plan, [ind.id for ind in indicators]), cutoff))
        return frame[0]

    def status(ind: Indicator) -> IndicatorStatus:
        return remember(
            state,
            ("indicator_status", ind.id, area),
            lambda: _status_of(state, plan, indicator_rows(state, rows, ind), ind, area),
        )

    return [status(ind) for ind in indicators]


def _summary(
    key: str, title: str, kind: str, statuses: list[IndicatorStatus], actions: list[ActionView], area: str | None = None
) -> Summary:
    indicator_counts = Counter(s.status for s in statuses)
    gap_counts = Counter(verdict for s in statuses for _, verdict in s.gaps)
    dated = [s for s in statuses if s.latest_end is not None]
    newest = max(dated, key=lambda s: s.latest_end or date.min) if dated else None
    return Summary(
        key=key,
        title=title,
        kind=kind,
        indicators={k: indicator_counts.get(k, 0) for k in STATUS_ORDER},
        gaps={k: gap_counts.get(k, 0) for k in GAP_VERDICTS},
        actions=rag_counts(actions),
        latest_period=newest.latest_period if newest else None,
        latest_end=newest.latest_end if newest else None,
        illustrative=any(s.illustrative for s in statuses),
        indicator_ids=[s.indicator_id for s in statuses],
        area=area,
        with_data=len(dated),
    )


def dashboard(session: Session, filters: DashboardFilters | None = None, *, window: CycleWindow) -> Dashboard:
    """The dashboard for the filters (board, locality, priority); unknown filter values are :class:`NotFound`.

    Actions are judged in ``window`` (overdue at its as-of date, updated since its start), as the report of
    the window's cycle judges them.
    """
    f = filters or DashboardFilters()
    plan = current_plan(session)
    if f.board and f.board not in plan.boards:
        raise NotFound(f"There is no board '{f.board}'")
    if f.priority and f.priority not in plan.priorities:
        raise NotFound(f"There is no priority '{f.priority}'")
    if f.locality and f.locality not in plan.areas:
        raise NotFound(f"There is no area '{f.locality}'")
    board = plan.boards.get(f.board or "")
    indicators = [
        i
        for i in plan.framework.indicators
        if (board is None or plan.board_covers_indicator(board, i))
        and (f.priority is None or f.priority in plan.indicator_priorities(i))
    ]
    locality = f.locality or (board.area if board is not None and board.area in plan.areas else None)
    statuses = indicator_statuses(session, indicators, locality, window.cutoff)
    actions = list_actions(session, ActionFilters(board=f.board, priority=f.priority), window=window)
    by_id = {s.indicator_id: s for s in statuses}
    overall = _summary("all", "Whole plan" if board is None else board.name, "all", statuses, actions, locality)
    ambitions = []
    for amb in plan.framework.ambitions:
        amb_ind = [by_id[i.id] for i in indicators if amb.id in plan.indicator_ambitions(i)]
        amb_act = [a for a in actions if a.ambition_id == amb.id]
        ambitions.append(
            _summary(amb.id, f"Ambition {amb.number}: {amb.title}", "ambition", amb_ind, amb_act, locality)
        )
    boards = []
    for b in plan.framework.boards:
        if board is not None and b.id != board.id:
            continue
        b_ind = [i for i in indicators if plan.board_covers_indicator(b, i)]
        b_act = [a for a in actions if plan.board_covers_action(b, plan.actions[a.id])]
        if not b_ind and not b_act:
            continue
        b_area = f.locality or (b.area if b.area in plan.areas else None)
        b_stat = (
            indicator_statuses(session, b_ind, b_area, window.cutoff)
            if b_area != locality
            else [by_id[i.id] for i in b_ind]
        )
        boards.append(_summary(b.id, b.name, "board", b_stat, b_act, b_area))
    notes = []
    if f.locality:
        notes.append("Actions are not held by area: the locality filter applies to indicators and gaps only.")
    if not any(s.latest_end for s in statuses):
        notes.append("No indicator data have been loaded for this selection yet.")
    options = {
        "boards": [(b.id, b.name) for b in plan.framework.boards],
        "localities": [(a.id, a.name) for a in plan.framework.areas if a.level.value in ("county", "district")],
        "priorities": [(p.id, f"{p.title}") for p in plan.framework.priorities],
    }
    return Dashboard(
        filters=f,
        overall=overall,
        ambitions=ambitions,
        boards=boards,
        statuses=statuses,
        options=options,
        window=window,
        notes=notes,
    )


# --- what the dashboard draws and lists (the views part) ------------------------------------------------------

#: How the dashboard ranks indicators for its small charts: what needs attention first.
_ATTENTION = {"off track": 0, "at risk": 1}


@dataclass(frozen=True)
class Highlight:
    """An indicator the dashboard draws: its status, its headline series and the gap it shows (if any).

    Everything comes from the indicator page's analysis (:func:`~gapwatch.services.indicator_view.indicator_page`)
    and the dashboard's own status, so the small charts and the counts above them cannot disagree.
    """

    status: IndicatorStatus
    series: tuple[SeriesPoint, ...]
    targets: tuple[LevelTargetView, ...]
    unit: str
    trend: str
    gap: GapSeries | None
    reason: str  #: why it is on the dashboard ("off track", "gap widening", …)

    @property
    def rows(self) -> list[dict[str, object]]:
        """The figures behind both charts, one row per period of either (the charts' text alternative)."""
        out: dict[str, dict[str, object]] = {}
        for p in self.series:
            if p.value is not None:
                out[p.period] = {
                    "period": p.period,
                    "index": p.period_index,
                    "value": p.value,
                    "lower": p.lower,
                    "upper": p.upper,
                    "gap": None,
                    "gap_lower": None,
                    "gap_upper": None,
                }
        for g in self.gap.points if self.gap else ():
            if g.gap is not None:
                row = out.setdefault(
                    g.period, {"period": g.period, "index": g.period_index, "value": None, "lower": None, "upper": None}
                )
                row.update(gap=g.gap, gap_lower=g.lower, gap_upper=g.upper)
        return sorted(out.values(), key=lambda r: (r["index"] is None, r["index"] or 0.0))


def _rank(s: IndicatorStatus) -> tuple[int, int, int]:
    widening = any(v == GapVerdict.WIDENING.value for _, v in s.gaps)
    return (_ATTENTION.get(s.status, 2), 0 if widening else 1, 0 if s.latest_end else 1)


def highlights(session: Session, view: Dashboard, *, limit: int = 6) -> list[Highlight]:
    """The indicators that matter most on ``view``, needing attention first: off track, at risk, then a widening
    gap, then any with data — each with its series and the gap it shows, judged at the view's data cut-off."""
    from gapwatch.services.indicator_view import indicator_page  # the page's analysis, cached per data version

    candidates = [s for s in sorted(view.statuses, key=_rank) if s.latest_end is not None][: limit * 2]
    out = []
    for s in candidates:
        page = indicator_page(session, s.indicator_id, area=s.area, cutoff=view.window.cutoff)
        labels = {label: verdict for label, verdict in s.gaps}
        gaps = [g for g in page.gap_series if f"{g.subject_name} vs {g.comparator_name}" in labels]
        gaps.sort(key=lambda g: 0 if g.verdict == GapVerdict.WIDENING.value else 1)
        widening = any(v == GapVerdict.WIDENING.value for v in labels.values())
        reason = s.status if s.status in _ATTENTION else ("gap widening" if widening else "latest data")
        out.append(
            Highlight(
                status=s,
                series=tuple(page.series),
                targets=tuple(page.level_targets),
                unit=page.indicator.unit,
                trend=page.trend_assessment or page.trend,
                gap=gaps[0] if gaps else None,
                reason=reason,
            )
        )
    # Within the same urgency, an indicator with a trend to read (two or more values) comes first.
    out.sort(key=lambda h: (_rank(h.status)[:2], -min(2, sum(p.value is not None for p in h.series))))
    return out[:limit]


@dataclass(frozen=True)
class RecentChange:
    """One action update as the dashboard lists it: which action (reference and title) and what changed."""

    action_id: str
    title: str
    changes: tuple[str, ...]
    rag: str | None
    by: str
    at: datetime


def _changes(new: ActionUpdateView, old: ActionUpdateView | None) -> list[str]:
    changed = []
    if new.lead_officer_id and (old is None or old.lead_officer_id != new.lead_officer_id):
        changed.append(f"lead officer assigned: {new.lead_officer or new.lead_officer_id}")
    if new.rag != (old.rag if old else None):
        changed.append(f"RAG {new.rag}" if new.rag else "RAG cleared")
    if new.percent_complete is not None and new.percent_complete != (old.percent_complete if old else None):
        changed.append(f"{new.percent_complete}% complete")
    done = set(new.milestones_done) - set(old.milestones_done if old else ())
    if done:
        changed.append(f"{len(done)} milestone{'s' if len(done) > 1 else ''} done")
    if new.new_deadline and new.new_deadline != (old.new_deadline if old else None):
        changed.append(f"deadline moved to {new.new_deadline:%-d %B %Y}")
    note = new.commentary or ""
    if note and not note.startswith("Lead officer assigned") and note != (old.commentary if old else None):
        changed.append(f"commentary: “{note[:80]}{'…' if len(note) > 80 else ''}”")
    return changed or ["no change to RAG, progress or lead"]


def recent_changes(session: Session, *, limit: int = 8) -> list[RecentChange]:
    """The latest action updates, newest first, each saying which action and what changed since its previous
    update (lead assigned to whom, RAG, % complete, milestones, deadline, commentary)."""
    plan = current_plan(session)
    out = []
    for row in recent_updates(session, limit=limit):
        updates = history(session, row.action_id)
        new = next((u for u in updates if u.version == row.version), None)
        if new is None:
            continue
        old = next((u for u in updates if u.version < row.version), None)
        action = plan.actions.get(row.action_id)
        out.append(
            RecentChange(
                action_id=row.action_id,
                title=action.text if action else row.action_id,
                changes=tuple(_changes(new, old)),
                rag=new.rag,
                by=new.by,
                at=new.at,
            )
        )
    return out


# --- the overview grid ("tartan rug") --------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewCell:
    """One area × indicator cell: the area's latest value, interval and significance against the benchmark."""

    indicator_id: str
    area: str
    period: str | None
    value: float | None
    lower: float | None
    upper: float | None
    benchmark: str | None  #: the benchmark's area code
    benchmark_value: float | None
    comparison: str  #: better / similar / worse, higher / lower, or "not compared"
    reason: str | None = None
    illustrative: bool = False


def overview_cells(
    session: Session,
    indicator_ids: list[str],
    areas: dict[str, str | None],
    benchmarks: dict[str, str | None],
    *,
    cutoff: date | None,
) -> list[OverviewCell]:
    """Each area (with its benchmark area code) against that benchmark for each indicator, at the area's latest
    period up to ``cutoff``, by :func:`~gapwatch.analysis.comparators.compare_with_comparators` — the rule the
    indicator page's comparators use (a difference only when the benchmark lies outside the area's 95% interval)."""
    from gapwatch.analysis.comparators import compare_with_comparators

    plan = current_plan(session)
    state = state_key(session, plan, cutoff=cutoff)
    key = (
        "overview",
        tuple(indicator_ids),
        tuple(sorted(areas.items(), key=str)),
        tuple(sorted(benchmarks.items(), key=str)),
    )

    def compute() -> list[OverviewCell]:
        frame = until(observation_frame(session, plan, indicator_ids), cutoff)
        cells = []
        for ind_id in indicator_ids:
            ind = plan.indicators[ind_id]
            df = with_intervals(frame.filter(pl.col("indicator") == ind_id), ind)
            for area in areas:
                bench = benchmarks.get(area)
                result = compare_with_comparators(
                    df, ind, area, group=None, england=None, region=bench, names=plan.areas
                )
                b = result.benchmark("region")
                cells.append(
                    OverviewCell(
                        indicator_id=ind_id,
                        area=area,
                        period=result.period,
                        value=result.value,
                        lower=result.lower,
                        upper=result.upper,
                        benchmark=bench,
                        benchmark_value=b.value if b else None,
                        comparison=b.comparison if b else "not compared",
                        reason=(b.reason if b else None) or (result.notes[0] if result.notes else None),
                        illustrative=any(m.illustrative for m in result.members if m.area == area),
                    )
                )
        return cells

    return remember(state, key, compute)
