"""The board paper's own parts in Word: cover sheet, one-page summary, exceptions with their commentary slots,
the gap targets of a locality and the annex of every action — the same content the HTML/PDF paper shows."""

from __future__ import annotations

from typing import Any

from gapwatch.queries.scorecard import STALE_YEARS
from gapwatch.reports._format import fmt_date, fmt_interval, fmt_num, fmt_signed
from gapwatch.reports.model import BoardReport

__all__ = ["write_all_actions", "write_cover", "write_exceptions", "write_gap_targets", "write_summary"]


_NOT_REQUESTED = (
    "No commentary has been requested yet: what is happening and why, partners, what works, what we propose."
)


def _pct(value: float | None) -> str:
    return "not measured" if value is None else f"{100 * value:.0f}%"


def write_cover(w: Any, r: BoardReport) -> None:
    """The cover sheet as a two-column table."""
    c = r.cover
    if c is None:
        return
    w.table(
        "Cover sheet",
        ("Item", "Detail"),
        [
            ("Board", c.board),
            ("Meeting date", c.meeting),
            ("Author", c.author),
            ("Purpose", c.purpose),
            ("Recommendations", "The board is asked to: " + "; ".join(c.asks) + "."),
        ],
    )


def write_summary(w: Any, r: BoardReport, level: int) -> None:
    """The one-page summary: the scorecard, the actions, the KPQ answers (a page of its own)."""
    card = r.data.scorecard
    if card is None:
        return
    w.doc.add_page_break()
    w.doc.add_heading("Summary", level)
    headline = {row.indicator for row in r.summary}
    other = len([s for s in r.sections if s.page.id not in headline])
    w.para(
        f"{len(card.rows)} indicator(s) in scope: {len(r.summary)} with a headline value up to "
        f"{fmt_date(r.data.cycle.data_cutoff)}"
        + (f", {other} with group, area or gap data only" if other else "")
        + f", {len(r.without_data)} with no data. {len(r.exception_items)} exception(s) in section 2"
        + (f"; awaiting commentary from {', '.join(r.awaiting)}" if r.awaiting else "")
        + "."
    )
    if r.summary:
        w.table(
            "Scorecard: latest value, direction of travel, comparison, target and gap",
            ("Indicator", "Latest (95% CI)", "Period", "Direction of travel", "Compared with", "Target", "Gaps"),
            [
                (
                    row.code if row.code == row.title else f"{row.code}: {row.title}",
                    fmt_num(row.value) + (f" ({fmt_interval(row.lower, row.upper)})" if row.lower is not None else ""),
                    (row.latest_period or "") + (" old" if row.stale else ""),
                    row.trend,
                    "; ".join(f"{c.benchmark}: {c.verdict}" for c in row.comparisons) or "no benchmark data",
                    row.target_status,
                    row.gap_trend,
                )
                for row in r.summary
            ],
            illustrative=any(row.illustrative for row in r.summary),
        )
        if r.stale_ids:
            w.para(f'"old": the latest value is from a period that ended over {STALE_YEARS} years before the cut-off.')
    a = card.actions
    w.para(
        f"Actions ({a.get('total', 0)}): {a.get('red', 0)} red, {a.get('amber', 0)} amber, {a.get('green', 0)} "
        f"green, {a.get('none', 0)} not yet rated; {a.get('overdue', 0)} overdue; "
        f"{a.get('no_update_this_cycle', 0)} not updated this cycle.",
        bold=True,
    )
    if card.kpqs:
        w.table(
            "Key Performance Questions: the answers (evidence in section 3)",
            ("KPQ", "Question", "Answer"),
            [(k.kpq, k.question, k.answer) for k in card.kpqs],
        )
    w.doc.add_page_break()


def write_gap_targets(w: Any, r: BoardReport) -> None:
    """A locality's gap-closing targets with the share of each gap closed."""
    targets = r.gap_targets
    if not targets or not r.data.board.area:
        return
    area = r.data.board.area_name or "the area"
    w.table(
        f"Gaps between {area} and the rest of the county: how much of each gap has closed",
        ("Gap target", "Baseline gap", "Latest gap", "% of gap closed", "Status"),
        [
            (
                t.title,
                fmt_signed(t.baseline) + (f" ({t.baseline_period})" if t.baseline_period else ""),
                fmt_signed(t.latest) + (f" ({t.latest_period})" if t.latest_period else ""),
                _pct(t.closed_share)
                + (
                    f" ({_pct(t.closed_lower)} to {_pct(t.closed_upper)})"
                    if t.closed_lower is not None and t.closed_upper is not None
                    else ""
                ),
                t.status,
            )
            for t in targets
        ],
        illustrative=any(t.illustrative for t in targets),
    )


def write_exceptions(w: Any, r: BoardReport, level: int) -> None:
    """Each exception with its story behind the curve (or who it is awaited from)."""
    items = r.exception_items
    w.doc.add_heading("Exceptions: what needs the board's attention", level)
    if not items:
        w.para(
            "No exceptions: no indicator is significantly worse than its benchmark, no target is off track or "
            "at risk, no gap is widening"
            + ("" if r.annex_label else ", no action is red or overdue and no risk review is overdue")
            + "."
        )
    else:
        kinds: dict[str, int] = {}
        for item in items:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        w.para(
            f"{len(items)} exception(s), derived from the data: "
            + "; ".join(f"{k}: {n}" for k, n in sorted(kinds.items()))
        )
    write_gap_targets(w, r)
    for n, item in enumerate(items, start=1):
        w.doc.add_heading(f"{n}. {item.title}", level + 1)
        w.para(f"{item.kind}: {item.detail}" + (" (illustrative)" if item.illustrative else ""))
        w.para("The story behind the curve", bold=True, size=8.5)
        for entry in item.commentary:
            for head, text in entry.parts:
                w.para(f"{head}: {text}")
            state = "approved" if entry.status == "approved" else "awaiting approval"
            w.para(f"{entry.author}, {fmt_date(entry.written_at)} · commentary {state}", size=8)
        if item.awaiting:
            w.para(f"Awaiting commentary from {', '.join(item.awaiting)}.", red=True)
        if not item.commentary and not item.awaiting:
            w.para(_NOT_REQUESTED)


def write_all_actions(w: Any, r: BoardReport, level: int, fills: dict[str, str]) -> None:
    """The annex of every action in scope, by outcome."""
    if r.annex_label or not r.action_groups:
        return
    w.doc.add_page_break()
    w.doc.add_heading("Annex: every action in scope", level)
    for g in r.action_groups:
        w.table(
            g.outcome,
            ("No.", "Action", "Lead", "RAG", "% done", "Deadline", "Latest commentary"),
            [
                (
                    a.number,
                    a.text,
                    (a.lead_officer or "no lead officer")
                    + (f" ({a.lead_organisation})" if a.lead_organisation else ""),
                    a.rag or "not updated",
                    fmt_num(a.percent_complete, "—"),
                    fmt_date(a.deadline, "none set") + (" overdue" if a.overdue else ""),
                    a.commentary or "no update",
                )
                for a in g.actions
            ],
            fills={(i, 3): fills[a.rag] for i, a in enumerate(g.actions) if a.rag in fills},
        )
