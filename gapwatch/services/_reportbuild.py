"""Compute one board's report content (:class:`ReportData`) for a cycle from the live data.

Used by :mod:`gapwatch.services.cycles` to show an open cycle's draft and to freeze each board's report
when the cycle closes. Every number is computed with :mod:`gapwatch.stats` through the same services the
web pages use (:mod:`gapwatch.services.gaps_view`, :mod:`gapwatch.services.indicator_view`), from the
observations of periods ending by the cycle's cut-off, so a board paper and the indicator page agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.analysis.frame import finite as _f
from gapwatch.analysis.frame import headline_area
from gapwatch.analysis.targets import level_targets
from gapwatch.domain.catalogue import partnership_county
from gapwatch.domain.cycle import CycleWindow, years_before
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.partnership import Board
from gapwatch.domain.targets import Target, TargetKind
from gapwatch.queries.scorecard import STALE_YEARS, scorecard
from gapwatch.services._obsframe import period_end
from gapwatch.services._plan import Plan
from gapwatch.services.actions import ActionFilters, list_actions
from gapwatch.services.cache import remember, state_key
from gapwatch.services.consultations import consultation_briefs
from gapwatch.services.evidence import (
    EvidenceContext,
    batches_of,
    evidence_context,
    series_points,
    trend_of,
)
from gapwatch.services.gaps_view import GapSeries, gap_target_view, remembered_gaps
from gapwatch.services.initiatives import initiative_briefs
from gapwatch.services.kpq import HISTORY_YEARS, area_answers
from gapwatch.services.report_data import (
    ActionRow,
    BatchInfo,
    BoardInfo,
    CommentaryEntry,
    CycleInfo,
    GapVerdict,
    IndicatorPage,
    ReportData,
    ReportKpq,
    RiskRow,
    SeriesPoint,
    TargetStatus,
)
from gapwatch.services.risks import RiskFilters, list_risks
from gapwatch.services.scope import board_indicators
from gapwatch.store.cycles import CommentaryRow, CycleRow
from gapwatch.store.observations import ImportBatchRow

__all__ = ["build_report"]


def _batch(value: Any) -> int | None:
    return int(value) if value is not None and str(value).isdigit() else None


def _points(rows: pl.DataFrame) -> list[SeriesPoint]:
    rows = rows.sort("period_end", "area", "category_type", "category", pl.col("batch").is_null(), nulls_last=True)
    rows = rows.unique(["period", "area", "category_type", "category"], keep="first", maintain_order=True)
    return [
        SeriesPoint(
            period=r["period"],
            period_end=r["period_end"],
            area=r["area"],
            category_type=r["category_type"] or "",
            category=r["category"] or "",
            value=_f(r["value"]),
            lower=_f(r["lower"]),
            upper=_f(r["upper"]),
            count=_f(r["count"]),
            denominator=_f(r["denominator"]),
            batch=_batch(r["batch"]),
            source=r["source"],
            illustrative=bool(r["illustrative"]),
        )
        for r in rows.iter_rows(named=True)
    ]


def _verdict(indicator: Indicator, measure: str, series: GapSeries, rows: pl.DataFrame) -> GapVerdict:
    used = [p for p in series.points if p.gap is not None]
    last = used[-1] if used else None
    verdict = "not enough data" if series.verdict == "could not be calculated" else series.verdict
    periods = sorted({p.period for p in used})
    label = "Slope index of inequality" if measure == "sii" else f"{series.subject_name} vs {series.comparator_name}"
    return GapVerdict(
        indicator=indicator.id,
        measure=measure,
        label=label,
        subject=series.subject,
        comparator=series.comparator,
        latest_gap=last.gap if last else None,
        latest_period=last.period if last else None,
        lower=last.lower if last else None,
        upper=last.upper if last else None,
        verdict=verdict,
        widening=verdict == "widening",
        # Short enough for a table cell: the test's level, p and periods, and the gap's sign and unit; the
        # indicator page carries the per-period notes.
        detail="; ".join(
            ([series.trend.detail] if series.trend and series.trend.detail else [])
            + ([f"gap = {series.direction}, in {series.unit}"] if series.direction else [])
        )
        or None,
        points=[
            SeriesPoint(
                period=p.period,
                area=series.area or "",
                value=p.gap,
                lower=p.lower,
                upper=p.upper,
                illustrative=p.illustrative,
            )
            for p in series.points
        ],
        batches=batches_of(rows.filter(pl.col("period").is_in(periods))) if periods else [],
        illustrative=series.illustrative,
    )


_MEASURE_OF_KIND = {"group": "group_gap", "area": "area_gap", "deprivation": "deprivation_gap", "sii": "sii"}


def _gaps(ctx: EvidenceContext, indicator: Indicator, area: str) -> list[GapVerdict]:
    """The gaps the paper shows: the same series the dashboard and the indicator page show for ``area``."""
    rows = ctx.rows(indicator)
    shown = remembered_gaps(ctx.state, ctx.plan, rows, indicator, area)
    return [_verdict(indicator, _MEASURE_OF_KIND[s.kind], s, rows) for s in shown]


_OFF = {"off track", "not achieved"}


def _historical(ctx: EvidenceContext, target: Target) -> bool:
    """A target whose deadline passed long before the cut-off is history, not an exception to report now."""
    end = period_end(target.target.period) if target.target else None
    return end is not None and end < years_before(ctx.cutoff, HISTORY_YEARS)


def _targets(ctx: EvidenceContext, indicator: Indicator, county: str | None) -> list[TargetStatus]:
    plan = ctx.plan
    rows = ctx.rows(indicator)
    targets = [t for t in plan.framework.targets if t.indicator == indicator.id]
    out: list[TargetStatus] = []
    illustrative = bool(rows.height) and bool(rows.get_column("illustrative").fill_null(False).any())
    for t in targets:
        if t.kind is TargetKind.LEVEL:
            area = t.area or county or ""
            series = series_points(rows.filter((pl.col("area") == area) & pl.col("category_type").is_null()))
            lv = level_targets(plan, indicator, [t], series)[0]
            used = rows.filter((pl.col("area") == area) & (pl.col("period") == (lv.status_period or "")))
            out.append(
                TargetStatus(
                    target=t.id,
                    title=t.title,
                    indicator=indicator.id,
                    kind="level",
                    baseline=lv.baseline_value,
                    baseline_period=lv.baseline_period,
                    target_value=lv.target_value,
                    target_period=lv.target_period,
                    latest=lv.status_value,
                    latest_period=lv.status_period,
                    status=lv.status,
                    off_track=lv.status in _OFF and not _historical(ctx, t),
                    detail=lv.summary or None,
                    batches=batches_of(used),
                    illustrative=_any_illustrative(used),
                )
            )
        else:
            gv = gap_target_view(plan, rows, t)
            out.append(
                TargetStatus(
                    target=t.id,
                    title=t.title,
                    indicator=indicator.id,
                    kind="gap_closing",
                    baseline=gv.baseline_gap,
                    baseline_period=gv.baseline_period,
                    target_value=None,
                    target_period=gv.target_period,
                    latest=gv.latest_gap,
                    latest_period=gv.status_period,
                    status=gv.status,
                    off_track=gv.status in _OFF and not _historical(ctx, t),
                    detail=gv.summary,
                    closed_share=gv.closed_share,
                    closed_lower=gv.closed_lower,
                    closed_upper=gv.closed_upper,
                    subject_name=gv.subject_name,
                    comparator_name=gv.comparator_name,
                    batches=batches_of(rows),
                    illustrative=illustrative,
                )
            )
    return out


def _any_illustrative(rows: pl.DataFrame) -> bool:
    return bool(rows.height) and bool(rows.get_column("illustrative").fill_null(False).any())


def _indicator_page(ctx: EvidenceContext, indicator: Indicator, area: str, county: str | None) -> IndicatorPage:
    rows = ctx.rows(indicator)
    trend = trend_of(ctx, indicator, area=area)
    headline = _points(rows.filter((pl.col("area") == area) & pl.col("category_type").is_null()))
    children = {a.id for a in ctx.plan.framework.areas if a.parent == area}
    breakdowns = _points(
        rows.filter(
            ((pl.col("area") == area) & pl.col("category_type").is_not_null())
            | (pl.col("area").is_in(sorted(children)) & pl.col("category_type").is_null())
        )
    )
    gaps = _gaps(ctx, indicator, area)
    targets = _targets(ctx, indicator, county)
    # The comparator lines of the trend chart: England and the region, in the periods the headline has.
    benchmarks = [a.id for a in ctx.plan.framework.areas if a.level.value in ("country", "region") and a.id != area]
    periods = sorted({p.period for p in headline if p.value is not None})
    comparators = _points(
        rows.filter(
            pl.col("area").is_in(benchmarks) & pl.col("category_type").is_null() & pl.col("period").is_in(periods)
        )
    )
    return IndicatorPage(
        id=indicator.id,
        code=indicator.code,
        title=indicator.title,
        unit=indicator.unit,
        measure=indicator.measure.value,
        polarity=indicator.polarity.value,
        suppression_threshold=indicator.suppression_threshold,
        area=area,
        headline=headline,
        breakdowns=breakdowns,
        comparators=comparators,
        trend=trend.assessment or trend.trend,
        trend_detail=trend.detail,
        gaps=gaps,
        targets=targets,
        illustrative=any(p.illustrative for p in headline + breakdowns)
        or any(g.illustrative for g in gaps)
        or any(t.illustrative for t in targets),
    )


def _actions(session: Session, board: Board, window: CycleWindow) -> list[ActionRow]:
    views = list_actions(session, ActionFilters(board=board.id), window=window)
    return [
        ActionRow(
            id=v.id,
            number=v.number,
            text=v.text,
            outcome=f"{v.outcome_code} {v.outcome_title}" if v.outcome_code else v.outcome_title,
            ambition=v.ambition_id,
            lead_officer=v.lead_officer,
            lead_organisation=v.lead_organisation,
            rag=v.rag,
            percent_complete=v.percent_complete,
            commentary=v.commentary,
            deadline=v.deadline,
            overdue=v.overdue,
            updated_this_cycle=v.updated_this_cycle,
            updated_at=v.updated_at,
            updated_by=v.updated_by,
        )
        for v in views
    ]


def _risks(session: Session, plan: Plan, board: Board, window: CycleWindow) -> list[RiskRow]:
    everything = set(board.ambitions) >= {a.id for a in plan.framework.ambitions}
    out = []
    for r in list_risks(session, RiskFilters(status=None), window=window):
        action = plan.actions.get(r.action_id or "")
        if action is not None:
            covered = plan.board_covers_action(board, action)
        elif r.outcome_id:
            covered = plan.ambition_of_outcome(r.outcome_id) in board.ambitions
        else:
            covered = everything
        if not covered:
            continue
        out.append(
            RiskRow(
                id=r.id,
                title=r.title,
                owner=r.owner,
                action=r.action_number,
                likelihood=r.likelihood,
                impact=r.impact,
                score=r.score,
                level=r.level,
                review_date=r.review_date,
                review_overdue=r.review_overdue,
                status=r.status,
                mitigations=list(r.mitigations),
                illustrative=r.illustrative,
            )
        )
    return out


def _commentary(
    rows: list[CommentaryRow],
    board: Board,
    indicators: set[str],
    outcomes: set[str],
    kpqs: set[str],
    actions: set[str] | None = None,
    risks: set[str] | None = None,
) -> list[CommentaryEntry]:
    scope = {
        "indicator": indicators,
        "outcome": outcomes,
        "kpq": kpqs,
        "report": {board.id},
        "action": actions or set(),
        "risk": risks or set(),
    }
    return [
        CommentaryEntry(
            id=r.pk,
            subject_kind=r.subject_kind,
            subject_id=r.subject_id,
            text=r.text,
            author=r.author,
            written_at=r.written_at,
            status=r.status,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
        )
        for r in rows
        if r.subject_id in scope.get(r.subject_kind, set())
    ]


def _batches(session: Session, ids: set[int]) -> list[BatchInfo]:
    if not ids:
        return []
    rows = session.scalars(select(ImportBatchRow).where(ImportBatchRow.pk.in_(sorted(ids))).order_by(ImportBatchRow.pk))
    return [
        BatchInfo(
            id=r.pk,
            name=r.name,
            file_name=r.file_name,
            loaded_at=r.loaded_at,
            loaded_by=r.loaded_by,
            illustrative=bool(r.illustrative),
        )
        for r in rows
    ]


def build_report(
    session: Session,
    plan: Plan,
    cycle: CycleRow,
    board: Board,
    *,
    commentary: list[CommentaryRow],
    frozen: bool,
    at: datetime | None = None,
    closed_by: str | None = None,
) -> ReportData:
    """One board's report for ``cycle`` from the data as they stand (observations up to the cut-off).

    Time is judged in the cycle's own window (:meth:`CycleWindow.for_cycle`), never by the day the report is
    built: an action is overdue if its deadline had passed at the cut-off, updated this cycle if updated since
    the cycle began. ``at`` only stamps when the report was generated (or frozen).
    """
    at = at or datetime.now(UTC)
    window = CycleWindow.for_cycle(cycle)
    county = partnership_county(plan.framework)
    own_area = plan.board_area(board)
    area = own_area if own_area in plan.areas else county
    indicators = board_indicators(plan, board)
    ctx = evidence_context(session, plan, window=window, area=area, indicators=[i.id for i in indicators])
    kpqs = [k for k in plan.framework.kpqs if k.ambition in board.ambitions]
    titles = {a.id: a.title for a in plan.framework.ambitions}
    # The board's questions answered for its area: the same (remembered) answers as the dashboard's and the
    # scorecard's for that area and window.
    by_id = {a.kpq: a for a in area_answers(session, plan, window=window, area=area)}
    answers = [by_id[k.id] for k in kpqs]
    # A board over an area reports that area; otherwise each indicator is given for the one headline area the
    # dashboard uses too (the county, or England for a figure published only nationally).
    # An indicator's page depends on its data up to the cut-off, its area and the window, not on the board:
    # closing a cycle builds it once for the county and once per locality, not once per board (19 in Kent).
    state = state_key(session, plan, cutoff=cycle.data_cutoff)

    def page_of(ind: Indicator) -> IndicatorPage:
        shown = (area if own_area in plan.areas else headline_area(plan, ctx.rows(ind)) or area) or ""
        question = ("report_indicator_page", ind.id, shown, county, window, area)
        return remember(state, question, lambda: _indicator_page(ctx, ind, shown, county))

    pages = [page_of(ind) for ind in indicators]
    outcomes = {
        o.id
        for o in plan.framework.outcomes
        if plan.ambition_of_outcome(o.id) in board.ambitions or o.plan in board.plans or o.priority in board.priorities
    }
    batch_ids: set[int] = set()
    for page in pages:
        batch_ids.update(p.batch for p in page.headline + page.breakdowns if p.batch is not None)
    for answer in answers:
        for finding in answer.reasons:
            batch_ids.update(finding.batches)
    batches = _batches(session, batch_ids)
    scope_note = plan.board_scope_note(board)
    notes = [scope_note] if scope_note else []
    # One count of everything: the scorecard (the summary page) decides which headline values are old, and
    # the note says how many of the same rows are.
    card = scorecard(session, window, board.id, answers=answers)
    old = [r for r in card.with_value if r.stale]
    if old:
        notes.append(
            f"{len(old)} of the {len(card.with_value)} indicator(s) with a headline value have a latest value from "
            f"over {STALE_YEARS} years before the cut-off {cycle.data_cutoff:%d %B %Y} (marked old in the summary)"
        )
    actions = _actions(session, board, window)
    risks = _risks(session, plan, board, window)
    illustrative = (
        any(p.illustrative for p in pages)
        or any(b.illustrative for b in batches)
        or any("illustrative" in f.verdict for a in answers for f in a.reasons)
    )
    if illustrative:
        notes.append("Some figures come from illustrative (generated) demo data, not real observations.")
    chair = plan.person_name(board.chair)
    return ReportData(
        framework_id=plan.framework.id,
        framework_revision=plan.revision,
        partnership=plan.framework.partnership,
        cycle=CycleInfo(
            name=cycle.name,
            data_cutoff=cycle.data_cutoff,
            action_deadline=cycle.action_deadline,
            status="closed" if frozen else cycle.status,
            opened_at=cycle.opened_at,
            closed_at=at if frozen else cycle.closed_at,
            closed_by=closed_by if frozen else cycle.closed_by,
        ),
        board=BoardInfo(
            id=board.id,
            name=board.name,
            kind=board.kind.value,
            ambitions=list(board.ambitions),
            priorities=list(board.priorities),
            plans=list(board.plans),
            area=board.area,
            area_name=plan.areas.get(board.area or "") if board.area else None,
            chair=chair,
        ),
        frozen=frozen,
        generated_at=at,
        kpqs=[
            ReportKpq(ambition=k.ambition, ambition_title=titles.get(k.ambition, k.ambition), answer=a)
            for k, a in zip(kpqs, answers, strict=True)
        ],
        indicators=pages,
        targets=[t for p in pages for t in p.targets],
        gaps=[g for p in pages for g in p.gaps],
        actions=actions,
        risks=risks,
        commentary=_commentary(
            commentary,
            board,
            {i.id for i in indicators},
            outcomes,
            {k.id for k in kpqs},
            {a.id for a in actions},
            {r.id for r in risks},
        ),
        scorecard=card,
        initiatives=initiative_briefs(
            session, plan, kpqs={k.id for k in kpqs}, outcomes=outcomes, cutoff=cycle.data_cutoff
        ),
        consultations=consultation_briefs(session, plan.framework, kpqs={k.id for k in kpqs}),
        batches=batches,
        illustrative=illustrative,
        notes=notes,
    )
