"""What the public site shows of a published report: plain-English answers, what improved and what did not.

A resident reading /public wants the answer first and the detail only on request. This read model turns a
*published* report (:class:`gapwatch.services.publishing.PublicReport`: disclosure control already applied, so
every figure here is one that was published, withheld ones carrying their GSS symbol) into:

* a summary — how many indicators are getting better, worse, not changing, or have too little data; the same
  for gaps; the KPQ answers;
* plain sentences in place of the analysis core's verdict words ("could not be calculated" becomes "Not enough
  years of data to say whether this is changing"): the verdicts themselves are decided once, in ``analysis/``
  and frozen in the report; this module only words them, so the page, its JSON and the board paper agree;
* per indicator, the published headline series (for a chart) and every published row (for the table beside it).

Nothing here reads live data: the published report is the only input, so nothing unpublished can leak.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from gapwatch.analysis.series import SeriesPoint as ChartPoint
from gapwatch.domain.framework import Framework
from gapwatch.domain.kpq import EvidenceFinding
from gapwatch.domain.periods import parse_period
from gapwatch.services.publishing import NOT_AVAILABLE, PublicReport, cell_id, gap_id
from gapwatch.services.report_data import GapVerdict, IndicatorPage, SeriesPoint

__all__ = [
    "GapLine",
    "IndicatorSummary",
    "KpqLine",
    "PublicPage",
    "Statement",
    "chart_points",
    "gap_sentence",
    "public_page",
    "trend_sentence",
]

#: How the analysis core's trend verdicts read to a resident (the verdicts are the keys, unchanged).
TREND_SENTENCES: dict[str, str] = {
    "getting better": "Getting better: a statistically significant improvement over recent years.",
    "getting worse": "Getting worse: a statistically significant decline over recent years.",
    "no significant change": "No clear change over recent years: any movement is within what chance could give.",
    "increasing": "Rising over recent years (higher is neither better nor worse for this measure).",
    "decreasing": "Falling over recent years (lower is neither better nor worse for this measure).",
}
NOT_ENOUGH_YEARS = "Not enough years of data to say whether this is changing."

#: Which way a verdict points for a resident: better, worse, same or unknown (too little data).
_TREND_DIRECTION = {"getting better": "better", "getting worse": "worse", "no significant change": "same"}
_GAP_DIRECTION = {"narrowing": "better", "closed": "better", "widening": "worse", "no significant change": "same"}

_SHORT = {
    "trend": {"better": "getting better", "worse": "getting worse"},
    "gap": {"better": "the gap is narrowing", "worse": "the gap is widening"},
}

_ANSWER_SENTENCES = {
    "Yes": "Yes: the evidence points this way.",
    "No": "No: the evidence points the other way.",
    "Partly": "Partly: some evidence points each way, or most of it shows no clear change.",
    "Not enough evidence": "We cannot say yet: there is not enough evidence with data to answer.",
}


class Statement(BaseModel):
    """One piece of evidence in plain words, with which way it points."""

    subject: str = Field(description="What it is about (an indicator's title, a study, a set of actions).")
    sentence: str
    direction: str = Field(description="better | worse | same | unknown")
    short: str = Field(default="", description="A few words for the 'what improved' lists.")
    indicator: str | None = None
    illustrative: bool = False


class KpqLine(BaseModel):
    """A Key Performance Question, its answer, the answer in words and the evidence in words."""

    kpq: str
    question: str
    ambition: str
    answer: str
    sentence: str
    coverage: str
    statements: list[Statement]
    indicator: str | None = Field(default=None, description="The first evidence indicator with published values.")


class IndicatorSummary(BaseModel):
    """One indicator as published: latest headline value, the trend in words, and every published row."""

    id: str
    code: str
    title: str
    unit: str
    area_name: str
    trend: str = Field(description="The analysis core's verdict, as frozen in the report.")
    sentence: str
    direction: str
    latest: str | None = Field(default=None, description="Latest headline value as shown, or its GSS symbol.")
    latest_period: str | None = None
    headline: list[SeriesPoint]
    rows: list[dict[str, str]] = Field(description="period, area, group, value, interval: as shown in the table.")
    illustrative: bool = False


class GapLine(BaseModel):
    """A gap in words: whether it is narrowing, and its latest published size (or symbol)."""

    indicator: str
    label: str
    sentence: str
    direction: str
    verdict: str
    latest: str
    latest_period: str | None = None
    illustrative: bool = False


class PublicPage(BaseModel):
    """Everything the public report page shows, in the order it shows it (summary first)."""

    board: str
    board_area: str | None
    cycle: str
    counts: dict[str, int] = Field(description="Indicators with data by direction: better, worse, same, unknown.")
    gap_counts: dict[str, int]
    answers: dict[str, int] = Field(description="KPQ answers by answer.")
    improved: list[Statement]
    not_improved: list[Statement]
    kpqs: list[KpqLine]
    indicators: list[IndicatorSummary] = Field(description="Indicators with at least one published row.")
    without_data: list[str] = Field(description="'code: title' of indicators with no published figure.")
    gaps: list[GapLine]
    actions: dict[str, int] = Field(description="Actions by RAG status ('none' = no update), and overdue.")


def _number(value: float | None, decimals: int = 1) -> str | None:
    if value is None:
        return None
    return f"{value:,.{decimals}f}"


def trend_sentence(verdict: str) -> str:
    """An indicator's trend verdict in plain words (too few points: "Not enough years of data …")."""
    return TREND_SENTENCES.get(verdict.removesuffix(" (illustrative demo data)"), NOT_ENOUGH_YEARS)


def gap_sentence(label: str, verdict: str) -> str:
    """A gap's verdict in plain words, naming the gap."""
    v = verdict.removesuffix(" (illustrative demo data)")
    if v == "narrowing":
        return f"The gap ({label}) is narrowing: a statistically significant change."
    if v == "widening":
        return f"The gap ({label}) is widening: a statistically significant change."
    if v == "closed":
        return f"The gap ({label}) has closed."
    if v == "reversed":
        return f"The gap ({label}) has reversed: the group that was behind is now significantly ahead."
    if v == "no significant change":
        return f"The gap ({label}) has not changed significantly."
    return f"Not enough data to say whether the gap ({label}) is changing."


#: The words for a finding that is not a trend or a gap, by its measure: (by direction, when no direction).
_SENTENCES: dict[str, tuple[dict[str, str], str]] = {
    "target": (
        {
            "better": "Its targets are met or on track.",
            "worse": "It is off track against its target.",
            "same": "It is at risk of missing its target.",
        },
        "It has no current target that can be assessed yet.",
    ),
    "actions": (
        {
            "better": "Most of these actions are on track (green).",
            "worse": "More than a quarter of these actions are behind (red or overdue).",
            "same": "These actions are making mixed progress.",
        },
        "These actions have not reported progress yet.",
    ),
    "study": (
        {
            "better": "Research found a positive result.",
            "worse": "Research found a negative result.",
            "same": "Research found no clear result either way.",
        },
        "Research is listed, but its finding has not been judged.",
    ),
}
_OTHER_SENTENCES = (
    {"better": "The evidence points the right way.", "worse": "The evidence points the wrong way."},
    "Not enough data to judge this yet.",
)


def _finding_statement(f: EvidenceFinding, subject: str, indicator: str | None) -> Statement:
    """One KPQ finding in words. Its direction was decided by the analysis core; only the words are chosen here."""
    direction = {"supports": "better", "against": "worse", "neutral": "same"}.get(f.direction.value, "unknown")
    verdict = f.verdict.removesuffix(" (illustrative demo data)")
    if f.measure == "trend":
        sentence = trend_sentence(verdict)
    elif f.measure in ("group_gap", "area_gap", "deprivation_gap", "sii"):
        _, _, name = f.label.rpartition(": ")
        sentence = gap_sentence(name.removeprefix("gap (").removesuffix(")"), verdict)
    else:
        sentences, otherwise = _SENTENCES.get(f.measure, _OTHER_SENTENCES)
        sentence = sentences.get(direction, otherwise)
    return Statement(
        subject=subject, sentence=sentence, direction=direction, indicator=indicator, illustrative=f.illustrative
    )


def _subject(f: EvidenceFinding, framework: Framework, indicator: str | None) -> str:
    if indicator is not None:
        ind = next((i for i in framework.indicators if i.id == indicator), None)
        if ind is not None:
            group = ""
            head = f.label.removesuffix(": recent trend")
            if head.endswith(")") and f.measure == "trend" and "(" in head:
                group = " (" + head.rpartition("(")[2]
            return ind.title + group
    return f.label.removeprefix("Study: ")


def _rows(page: IndicatorPage, public: PublicReport, areas: dict[str, str]) -> list[dict[str, str]]:
    """The table beside the chart: every published row, blanks shown by their GSS symbol."""
    out: list[dict[str, str]] = []
    for p in page.headline + page.breakdowns:
        marks = public.cells.get(cell_id(page.id, p.period, p.area, p.category_type, p.category), {})
        interval = (
            f"{_number(p.lower)} to {_number(p.upper)}"
            if p.lower is not None and p.upper is not None
            else marks.get("lower", NOT_AVAILABLE)
        )
        out.append(
            {
                "period": p.period,
                "area": areas.get(p.area, p.area),
                "group": p.category or "All",
                "value": _number(p.value) or marks.get("value", NOT_AVAILABLE),
                "interval": interval,
                "illustrative": "yes" if p.illustrative else "",
            }
        )
    return out


def _indicator(page: IndicatorPage, public: PublicReport, areas: dict[str, str], area: str) -> IndicatorSummary:
    trend = page.trend.removesuffix(" (illustrative demo data)")
    last = page.headline[-1] if page.headline else None
    latest = None
    if last is not None:
        marks = public.cells.get(cell_id(page.id, last.period, last.area, last.category_type, last.category), {})
        latest = _number(last.value) or marks.get("value", NOT_AVAILABLE)
    return IndicatorSummary(
        id=page.id,
        code=page.code,
        title=page.title,
        unit=page.unit,
        area_name=areas.get(page.area or area, page.area or area),
        trend=page.trend,
        sentence=trend_sentence(trend),
        direction=_TREND_DIRECTION.get(trend, "unknown"),
        latest=latest,
        latest_period=last.period if last else None,
        headline=page.headline,
        rows=_rows(page, public, areas),
        illustrative=page.illustrative,
    )


def _gap(g: GapVerdict, public: PublicReport) -> GapLine:
    verdict = g.verdict.removesuffix(" (illustrative demo data)")
    latest = _number(g.latest_gap, 2) or public.gap_latest.get(gap_id(g), NOT_AVAILABLE)
    return GapLine(
        indicator=g.indicator,
        label=g.label,
        sentence=gap_sentence(g.label, verdict),
        direction=_GAP_DIRECTION.get(verdict, "unknown"),
        verdict=g.verdict,
        latest=latest,
        latest_period=g.latest_period,
        illustrative=g.illustrative,
    )


def chart_points(points: list[SeriesPoint]) -> list[ChartPoint]:
    """A published headline series as the chart module's points (values as published, nothing recomputed)."""
    out: list[ChartPoint] = []
    for p in points:
        try:
            index: float | None = float(parse_period(p.period).start.toordinal())
        except (ValueError, TypeError):
            index = None
        out.append(
            ChartPoint(p.period, index, p.value, p.lower, p.upper, p.count, p.denominator, p.illustrative, None, None)
        )
    return out


def _moved(subject: str, kind: str, indicator: str, line: IndicatorSummary | GapLine) -> Statement:
    """An indicator's trend or a gap for the 'what improved / what did not' lists (``kind``: trend or gap)."""
    return Statement(
        subject=subject,
        sentence=line.sentence,
        direction=line.direction,
        short=_SHORT[kind].get(line.direction, ""),
        indicator=indicator,
        illustrative=line.illustrative,
    )


def public_page(public: PublicReport, framework: Framework, areas: dict[str, str]) -> PublicPage:
    """The public report page's content from the published report (and the framework, for names only)."""
    report = public.report
    area = report.board.area or next((a.id for a in framework.areas if a.level.value == "county"), "")
    indicators = [_indicator(p, public, areas, area) for p in report.indicators]
    with_data = [i for i in indicators if i.rows]
    charted = {i.id for i in with_data if sum(1 for p in i.headline if p.value is not None) >= 2}
    evidence = {k.id: k.evidence for k in framework.kpqs}
    kpqs: list[KpqLine] = []
    for k in report.kpqs:
        evs = evidence.get(k.answer.kpq, [])
        statements = []
        for i, f in enumerate(k.answer.reasons):
            ind = evs[i].indicator if i < len(evs) and len(evs) == len(k.answer.reasons) else None
            statements.append(_finding_statement(f, _subject(f, framework, ind), ind))
        kpqs.append(
            KpqLine(
                kpq=k.answer.kpq,
                question=k.answer.question,
                ambition=k.ambition_title,
                answer=k.answer.answer.value,
                sentence=_ANSWER_SENTENCES.get(k.answer.answer.value, k.answer.answer.value),
                coverage=k.answer.coverage,
                statements=statements,
                indicator=next((s.indicator for s in statements if s.indicator in charted), None),
            )
        )
    gaps = [_gap(g, public) for g in report.gaps]
    codes = {i.id: i.code for i in indicators}
    moved = [_moved(i.title, "trend", i.id, i) for i in with_data] + [
        _moved(f"{g.label} ({codes.get(g.indicator, g.indicator)})", "gap", g.indicator, g) for g in gaps
    ]
    actions: dict[str, int] = {"green": 0, "amber": 0, "red": 0, "none": 0, "overdue": 0}
    for a in report.actions:
        actions[a.rag or "none"] = actions.get(a.rag or "none", 0) + 1
        actions["overdue"] += int(a.overdue)
    answers: dict[str, int] = {}
    for line in kpqs:
        answers[line.answer] = answers.get(line.answer, 0) + 1
    return PublicPage(
        board=report.board.name,
        board_area=report.board.area_name,
        cycle=report.cycle.name,
        counts={d: sum(1 for i in with_data if i.direction == d) for d in ("better", "worse", "same", "unknown")},
        gap_counts={d: sum(1 for g in gaps if g.direction == d) for d in ("better", "worse", "same", "unknown")},
        answers=answers,
        improved=[s for s in moved if s.direction == "better"],
        not_improved=[s for s in moved if s.direction == "worse"],
        kpqs=kpqs,
        indicators=with_data,
        without_data=[f"{i.code}: {i.title}" for i in indicators if not i.rows],
        gaps=gaps,
        actions=actions,
    )
