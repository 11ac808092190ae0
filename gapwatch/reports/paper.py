"""The parts that make a report a board paper: the cover sheet, the one-page summary and the exceptions.

A council tables a paper with a cover sheet (board, meeting date, author, purpose, "the board is asked to
note / agree …"), a one-page summary (the scorecard: :mod:`gapwatch.queries.scorecard`, the same query the
dashboard shows, frozen with the report) and exceptions derived from the data — significantly worse than a
comparator, targets off track or at risk, gaps widening significantly, red or overdue actions and overdue
risk reviews — each with its "story behind the curve" (Clear Impact's turn-the-curve: what is happening
and why, partners, what works, what we propose), written by the owner asked for it and approved by the
chair; a slot still awaiting its owner says "awaiting commentary from …".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gapwatch.queries.scorecard import Scorecard, ScorecardRow
from gapwatch.services.report_data import CommentaryEntry, ReportData, TargetStatus

__all__ = [
    "DEFAULT_ASKS",
    "Cover",
    "CoverOptions",
    "ExceptionItem",
    "cover_of",
    "exception_items",
    "summary_rows",
]

#: What the board is asked to do when the author does not say (a performance report's usual recommendations).
DEFAULT_ASKS: tuple[str, ...] = (
    "note the summary of performance against the plan's indicators, targets and actions",
    "agree the responses proposed to the exceptions",
    "approve the report for publication on the partnership's public site",
)


@dataclass(frozen=True)
class CoverOptions:
    """What the author sets on the cover; anything left None takes a sensible default from the cycle."""

    meeting_date: date | None = None
    author: str | None = None
    purpose: str | None = None
    asks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cover:
    """The cover sheet as printed."""

    board: str
    meeting: str
    author: str
    purpose: str
    asks: tuple[str, ...]


def cover_of(data: ReportData, options: CoverOptions | None = None) -> Cover:
    """The cover sheet: the author's options, else defaults from the board, the cycle and its deadlines."""
    o = options or CoverOptions()
    meeting = (
        f"{o.meeting_date:%d %B %Y}"
        if o.meeting_date
        else f"next meeting after {data.cycle.action_deadline:%d %B %Y} (date not set)"
    )
    purpose = o.purpose or (
        f"To report progress against the plan for {data.cycle.name}: indicators with data to "
        f"{data.cycle.data_cutoff:%d %B %Y}, and actions and risks as updated by {data.cycle.action_deadline:%d %B %Y}."
    )
    return Cover(
        board=data.board.name + (f" (chair: {data.board.chair})" if data.board.chair else ""),
        meeting=meeting,
        author=o.author or f"Performance officer, {data.partnership}",
        purpose=purpose,
        asks=tuple(o.asks) or DEFAULT_ASKS,
    )


@dataclass
class ExceptionItem:
    """One exception with its commentary slot."""

    kind: str  #: e.g. "significantly worse than England", "target off track", "gap widening"
    subject_kind: str  #: what commentary on it is attached to: indicator | action | risk
    subject_id: str
    title: str
    detail: str
    illustrative: bool = False
    commentary: list[CommentaryEntry] = field(default_factory=list)
    awaiting: list[str] = field(default_factory=list)  #: owners asked who have not written yet

    @property
    def key(self) -> str:
        """The exception's subject as the commentary workflow names it ("indicator:NI-75")."""
        return f"{self.subject_kind}:{self.subject_id}"


def _fmt(value: float | None) -> str:
    if value is None:
        return "no value"
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


def _target_detail(t: TargetStatus) -> str:
    if t.kind == "gap_closing" and t.closed_share is not None:
        return f"{100 * t.closed_share:.0f}% of the gap closed since {t.baseline_period or 'the baseline'}" + (
            f" (latest {t.latest_period})" if t.latest_period else ""
        )
    latest = f"latest {_fmt(t.latest)} ({t.latest_period})" if t.latest_period else "no latest value"
    goal = f"target {_fmt(t.target_value)} by {t.target_period}" if t.target_value is not None else ""
    return "; ".join(x for x in (latest, goal) if x)


def _slot(item: ExceptionItem, commentary: list[CommentaryEntry]) -> ExceptionItem:
    mine = [c for c in commentary if c.subject_kind == item.subject_kind and c.subject_id == item.subject_id]
    item.commentary = [c for c in mine if c.status in ("draft", "approved")]
    item.awaiting = sorted({c.author for c in mine if c.status == "requested"})
    return item


def exception_items(data: ReportData, *, with_actions: bool) -> list[ExceptionItem]:
    """The exceptions, derived from the data, in the order the board reads them (indicators, then delivery)."""
    titles = {p.id: f"{p.code}: {p.title}" for p in data.indicators}
    out: list[ExceptionItem] = []
    for row in data.scorecard.rows if data.scorecard else []:
        for c in row.worse_than:
            out.append(
                ExceptionItem(
                    kind=f"significantly worse than {c.benchmark}",
                    subject_kind="indicator",
                    subject_id=row.indicator,
                    title=titles.get(row.indicator, row.title),
                    detail=f"{_fmt(row.value)} in {row.latest_period} against {c.benchmark} {_fmt(c.value)}",
                    illustrative=row.illustrative,
                )
            )
    for t in data.targets:
        if t.off_track or t.status == "at risk":
            kind = "target at risk" if t.status == "at risk" else f"target {t.status}"
            out.append(
                ExceptionItem(
                    kind=kind,
                    subject_kind="indicator",
                    subject_id=t.indicator or t.target,
                    title=t.title,
                    detail=_target_detail(t),
                    illustrative=t.illustrative,
                )
            )
    for g in data.gaps:
        if g.widening:
            out.append(
                ExceptionItem(
                    kind="gap widening significantly",
                    subject_kind="indicator",
                    subject_id=g.indicator,
                    title=f"{titles.get(g.indicator, g.indicator)} — {g.label}",
                    detail=f"gap {_fmt(g.latest_gap)} in {g.latest_period}" + (f"; {g.detail}" if g.detail else ""),
                    illustrative=g.illustrative,
                )
            )
    if with_actions:
        for a in data.actions:
            reasons = (["rated red"] if a.rag == "red" else []) + (["overdue"] if a.overdue else [])
            if reasons:
                out.append(
                    ExceptionItem(
                        kind=" and ".join(reasons),
                        subject_kind="action",
                        subject_id=a.id,
                        title=f"Action {a.number}: {a.text}",
                        detail=f"lead {a.lead_officer or 'not assigned'}"
                        + (f"; deadline {a.deadline:%d %B %Y}" if a.deadline else ""),
                    )
                )
        for r in sorted(data.risks, key=lambda r: (-r.score, r.id)):
            if r.review_overdue and r.status == "open":
                out.append(
                    ExceptionItem(
                        kind="risk review overdue",
                        subject_kind="risk",
                        subject_id=r.id,
                        title=f"Risk {r.id}: {r.title}",
                        detail=f"score {r.score} ({r.level}); review was due "
                        + (f"{r.review_date:%d %B %Y}" if r.review_date else "(no date)"),
                        illustrative=r.illustrative,
                    )
                )
    return [_slot(item, data.commentary) for item in out]


def summary_rows(card: Scorecard | None) -> list[ScorecardRow]:
    """The scorecard rows the one-page summary lists: those with a value up to the cut-off, worst first."""
    if card is None:
        return []
    order = {"off track": 0, "at risk": 1, "on track": 2, "cannot be assessed": 3, "no target": 4}
    return sorted(card.with_value, key=lambda r: (order.get(r.target_status, 5), r.stale, r.code))
