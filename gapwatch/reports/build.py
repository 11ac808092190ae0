"""Assemble a board's report: KPQ answers, exceptions first, indicator pages, actions, risks, commentary.

The content comes from the reporting cycle: :func:`load_report_data` returns the board's
:class:`~gapwatch.services.report_data.ReportData` — the snapshot frozen when the cycle closed, or, for
an open cycle, the draft computed now from the live data (observations up to the cut-off, the statistics
engine, the latest action and risk updates). That one function is the only place the renderers touch
the cycle service. :func:`assemble` is pure: it orders the content the way a board reads it and draws
the charts from the numbers in the snapshot, never from anything else.

Order of a report: cover (board, cycle, cut-off, draft/frozen, approval); exceptions (off-track
targets, widening gaps, red and overdue actions, overdue risk reviews); KPQ answers with their
evidence; one page per indicator with data (trend chart, gap chart, breakdowns, targets, commentary),
then a list of indicators with no data up to the cut-off; action progress by outcome; the risk register
summary and heat map; commentary; the lineage of every number (import batches). A county report can
carry an annex per locality board, each with its area's own data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from gapwatch.domain.catalogue import partnership_county
from gapwatch.errors import InvalidInput
from gapwatch.reports.charts import (
    area_gap_charts,
    breakdown_chart,
    gap_chart,
    heat_map_chart,
    period_order,
    rag_chart,
    trend_chart,
)
from gapwatch.reports.model import (
    ActionException,
    ActionGroup,
    BoardReport,
    BreakdownRow,
    Exceptions,
    FindingRow,
    IndicatorSection,
    KpqRow,
    OverviewRow,
    RiskSummary,
    ValueRow,
)
from gapwatch.reports.paper import CoverOptions, cover_of, exception_items, summary_rows
from gapwatch.services.cycles import snapshot
from gapwatch.services.plans import plan_of
from gapwatch.services.report_data import (
    ActionRow,
    CommentaryEntry,
    IndicatorPage,
    ReportData,
    RiskRow,
    SeriesPoint,
)

__all__ = [
    "RAG_ORDER",
    "Names",
    "assemble",
    "build_board_report",
    "load_report_data",
    "names_of",
]

#: The RAG ratings in the order tables and charts show them; actions never updated come last.
RAG_ORDER: tuple[str, ...] = ("red", "amber", "green", "not updated")

#: The KPQ engine tags a verdict computed from illustrative values with this phrase.
_ILLUSTRATIVE = "illustrative"


@dataclass(frozen=True)
class Names:
    """Readable names for the codes a snapshot holds (areas, groups, outcomes), from the framework."""

    areas: dict[str, str] = field(default_factory=dict)
    category_types: dict[str, str] = field(default_factory=dict)
    categories: dict[tuple[str, str], str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    county: str | None = None
    localities: tuple[str, ...] = ()

    def area(self, code: str | None) -> str:
        """An area's name, or its code when the framework does not name it."""
        if not code:
            return self.areas.get(self.county or "", "the whole area")
        return self.areas.get(code, code)

    def category(self, type_id: str, category_id: str) -> str:
        """A population group's name ("Eligible for free school meals (FSM)")."""
        return self.categories.get((type_id, category_id), category_id)


def names_of(engine: Engine) -> Names:
    """The names of the current framework's areas, groups and outcomes, and its locality boards."""
    fw = plan_of(engine).framework
    return Names(
        areas={a.id: a.name for a in fw.areas},
        category_types={ct.id: ct.name for ct in fw.groups},
        categories={(ct.id, c.id): c.name for ct in fw.groups for c in ct.categories},
        outcomes={o.id: f"{o.code} {o.title}" if o.code else o.title for o in fw.outcomes},
        county=partnership_county(fw),
        localities=tuple(b.id for b in fw.boards if b.kind.value == "locality" and b.area),
    )


def load_report_data(engine: Engine, board: str, cycle: str | None = None) -> ReportData:
    """A board's report content for ``cycle`` (the latest by default): frozen if closed, live if open."""
    return snapshot(engine, cycle, board)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _lineage(point: SeriesPoint) -> str:
    if point.batch is not None:
        text = f"batch {point.batch}"
    elif point.source and point.source.startswith("plan"):
        text = point.source
    else:
        text = point.source or "source not recorded"
    return f"{text}; illustrative" if point.illustrative else text


def _row(point: SeriesPoint) -> ValueRow:
    return ValueRow(
        period=point.period,
        value=point.value,
        lower=point.lower,
        upper=point.upper,
        count=point.count,
        denominator=point.denominator,
        lineage=_lineage(point),
        illustrative=point.illustrative,
    )


def _findings(data: ReportData) -> list[KpqRow]:
    out = []
    for item in data.kpqs:
        answer = item.answer
        findings = [
            FindingRow(
                label=f.label,
                measure=f.measure,
                direction=f.direction.value,
                verdict=f.verdict,
                detail=f.detail,
                weight=f.weight,
                lineage=", ".join(f"batch {b}" for b in f.batches) or "—",
                illustrative=_ILLUSTRATIVE in f.verdict,
            )
            for f in answer.reasons
        ]
        out.append(
            KpqRow(
                id=answer.kpq,
                ambition=item.ambition,
                ambition_title=item.ambition_title,
                question=answer.question,
                answer=answer.answer.value,
                rule=answer.rule,
                findings=findings,
                commentary=[c for c in data.commentary if c.subject_kind == "kpq" and c.subject_id == answer.kpq],
            )
        )
    return out


def _action_reason(action: ActionRow) -> str | None:
    reasons = []
    if action.rag == "red":
        reasons.append("rated red")
    if action.overdue:
        reasons.append(f"overdue (deadline {action.deadline:%d %B %Y})" if action.deadline else "overdue")
    return "; ".join(reasons) or None


def _exceptions(data: ReportData, with_actions: bool) -> Exceptions:
    actions = []
    if with_actions:
        for action in data.actions:
            reason = _action_reason(action)
            if reason:
                actions.append(ActionException(action, reason))
    risks = [r for r in data.risks if r.review_overdue and r.status == "open"] if with_actions else []
    return Exceptions(
        targets=[t for t in data.targets if t.off_track],
        gaps=[g for g in data.gaps if g.widening],
        actions=actions,
        risks=sorted(risks, key=lambda r: (-r.score, r.id)),
    )


def _has_data(page: IndicatorPage) -> bool:
    return (
        any(p.value is not None for p in page.headline + page.breakdowns)
        or any(g.latest_gap is not None for g in page.gaps)
        or any(t.latest is not None for t in page.targets)
    )


def _label(point: SeriesPoint, names: Names) -> str:
    if point.category_type:
        return names.category(point.category_type, point.category)
    return names.area(point.area)


def _latest_breakdowns(page: IndicatorPage) -> list[tuple[str, str, list[SeriesPoint]]]:
    """Per kind (groups, areas): the latest period with values and its points (what chart and table show)."""
    out = []
    for kind in ("groups", "areas"):
        points = [p for p in page.breakdowns if bool(p.category_type) == (kind == "groups") and p.value is not None]
        if points:
            latest = period_order(points)[-1]
            out.append(
                (
                    kind,
                    latest,
                    [p for p in page.breakdowns if p.period == latest and bool(p.category_type) == (kind == "groups")],
                )
            )
    return out


def _section(page: IndicatorPage, names: Names, commentary: list[CommentaryEntry], prefix: str) -> IndicatorSection:
    anchor = f"{prefix}ind-{_slug(page.id)}"
    area_name = names.area(page.area)
    charts = []
    trend = trend_chart(page, area_name, chart_id=f"{anchor}-trend", names=names.areas)
    if trend is not None:
        charts.append(trend)
    gaps = gap_chart(page, page.gaps, chart_id=f"{anchor}-gaps")
    if gaps is not None:
        charts.append(gaps)
    breakdowns = []
    for kind, period, points in _latest_breakdowns(page):
        several_types = len({p.category_type for p in points}) > 1
        labelled = [
            (
                f"{names.category_types.get(p.category_type, p.category_type)}: {_label(p, names)}"
                if several_types
                else _label(p, names),
                p,
            )
            for p in points
        ]
        chart = breakdown_chart(page, kind, period, labelled, chart_id=f"{anchor}-{kind}")
        if chart is not None:
            charts.append(chart)
        breakdowns += [BreakdownRow(label=label, kind=kind, row=_row(p)) for label, p in labelled]
    return IndicatorSection(
        page=page,
        anchor=anchor,
        area_name=area_name,
        headline=[_row(p) for p in page.headline],
        breakdowns=breakdowns,
        charts=charts,
        commentary=[c for c in commentary if c.subject_kind == "indicator" and c.subject_id == page.id],
    )


def _overview(pages: list[IndicatorPage]) -> list[OverviewRow]:
    out = []
    for page in pages:
        values = [p for p in page.headline if p.value is not None]
        area_gap = next((g for g in page.gaps if g.measure == "area_gap"), None)
        out.append(
            OverviewRow(
                code=page.code,
                title=page.title,
                unit=page.unit,
                latest=_row(values[-1]) if values else None,
                trend=page.trend,
                area_gap=area_gap,
                illustrative=page.illustrative,
            )
        )
    return out


def _rag_counts(actions: Iterable[ActionRow]) -> dict[str, int]:
    counts = dict.fromkeys(RAG_ORDER, 0)
    for a in actions:
        counts[a.rag if a.rag in counts else "not updated"] += 1
    return counts


def _action_groups(actions: list[ActionRow]) -> list[ActionGroup]:
    groups: dict[str, list[ActionRow]] = {}
    for a in actions:
        groups.setdefault(a.outcome or "Actions not under an outcome", []).append(a)
    return [ActionGroup(outcome=k, actions=v) for k, v in groups.items()]


def _risk_summary(risks: list[RiskRow], anchor: str) -> RiskSummary:
    open_risks = [r for r in risks if r.status == "open"]
    grid = [[0] * 5 for _ in range(5)]
    for r in open_risks:
        if 1 <= r.likelihood <= 5 and 1 <= r.impact <= 5:
            grid[r.likelihood - 1][r.impact - 1] += 1
    by_level = {level: sum(1 for r in open_risks if r.level == level) for level in ("high", "medium", "low")}
    chart = (
        heat_map_chart(grid, chart_id=f"{anchor}-heat-map", illustrative=any(r.illustrative for r in open_risks))
        if open_risks
        else None
    )
    return RiskSummary(
        risks=sorted(risks, key=lambda r: (r.status != "open", -r.score, r.id)),
        grid=grid,
        by_level=by_level,
        overdue_reviews=sum(1 for r in open_risks if r.review_overdue),
        chart=chart,
    )


def _status(data: ReportData) -> str:
    cutoff = f"data to {data.cycle.data_cutoff:%d %B %Y}"
    if data.frozen:
        closed = f" on {data.cycle.closed_at:%d %B %Y}" if data.cycle.closed_at else ""
        return f"Final: frozen when cycle {data.cycle.name} closed{closed} ({cutoff})"
    return f"Draft: cycle {data.cycle.name} is open, figures may change until it closes ({cutoff})"


def _approval(data: ReportData) -> str:
    a = data.approval
    if a.status == "approved":
        when = f" on {a.approved_at:%d %B %Y}" if a.approved_at else ""
        return f"Approved by {a.approved_by or 'the chair'}{when}"
    if a.status == "rejected":
        return f"Not approved: returned by {a.approved_by or 'the chair'}" + (f" ({a.note})" if a.note else "")
    if a.status == "awaiting approval":
        chair = data.board.chair or "the board's chair"
        return f"Awaiting approval by {chair} or a delegate"
    return "Not yet submitted for approval: the cycle is still open"


def assemble(
    data: ReportData, names: Names, *, annex_label: str | None = None, cover: CoverOptions | None = None
) -> BoardReport:
    """Lay one board's report content out in reading order, with its charts.

    An annex (``annex_label`` set, e.g. "Annex A") is compact: its KPQ answers, target and gap
    exceptions, and an overview of its indicators (a table of the area's latest values, trends and
    gaps to the rest of the county, and a chart of those gaps) instead of a page per indicator; actions
    and risks are left to the main report, which already lists every action and risk in scope.
    """
    anchor = "report" if annex_label is None else _slug(annex_label)
    prefix = "" if annex_label is None else f"{anchor}-"
    full = annex_label is None
    with_data = [p for p in data.indicators if _has_data(p)]
    own_commentary = [c for c in data.commentary if c.subject_kind in ("report", "outcome")]
    area_name = names.area(data.board.area)
    overview = [] if full else _overview(with_data)
    gaps = [(row.code, row.area_gap) for row in overview if row.area_gap is not None]
    return BoardReport(
        data=data,
        title=f"{data.board.name}: performance report, {data.cycle.name}",
        status=_status(data),
        approval=_approval(data),
        kpqs=_findings(data),
        exceptions=_exceptions(data, with_actions=full),
        sections=[_section(p, names, data.commentary, prefix) for p in with_data] if full else [],
        without_data=[p for p in data.indicators if not _has_data(p)],
        action_groups=_action_groups(data.actions) if full else [],
        rag_counts=_rag_counts(data.actions) if full else {},
        rag_chart=rag_chart(_rag_counts(data.actions), chart_id=f"{prefix}action-rag") if full else None,
        risks=_risk_summary(data.risks if full else [], anchor),
        commentary=[c for c in own_commentary if full or c.subject_kind == "report"],
        batches=list(data.batches),
        notes=list(data.notes),
        anchor=anchor,
        annex_label=annex_label,
        overview=overview,
        overview_charts=area_gap_charts(gaps, area_name, prefix=anchor) if gaps else [],
        cover=cover_of(data, cover) if full else None,
        exception_items=exception_items(data, with_actions=full),
        summary=summary_rows(data.scorecard),
    )


def _annex_label(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return f"Annex {letters}"


def build_board_report(
    engine: Engine,
    board: str,
    cycle: str | None = None,
    *,
    annexes: bool = False,
    cover: CoverOptions | None = None,
) -> BoardReport:
    """A board's report for ``cycle`` (the latest by default), optionally with its locality annexes.

    ``annexes`` applies to a county-wide board (one without an area of its own): each locality board
    in the cycle's scope adds an annex built from its own snapshot (its area's data). A locality board
    outside the cycle's scope is listed in the notes rather than silently left out.
    """
    data = load_report_data(engine, board, cycle)
    names = names_of(engine)
    report = assemble(data, names, cover=cover)
    if annexes and data.board.area is None:
        left_out = []
        for board_id in names.localities:
            try:
                annex_data = load_report_data(engine, board_id, data.cycle.name)
            except InvalidInput:
                left_out.append(board_id)
                continue
            report.annexes.append(assemble(annex_data, names, annex_label=_annex_label(len(report.annexes))))
        if left_out:
            report.notes.append("No annex for locality board(s) outside this cycle's scope: " + ", ".join(left_out))
    return report
