"""The board report as the renderers lay it out: sections in reading order, each with its charts and tables.

:func:`gapwatch.reports.build.assemble` makes a :class:`BoardReport` from a board's
:class:`~gapwatch.services.report_data.ReportData` (the frozen snapshot of a closed cycle, or the live
draft of an open one). The HTML, PDF and Word renderers only lay this model out, so the three outputs
say the same thing. Numbers stay as numbers here (formatting is the renderer's job); a missing number is
``None`` and every renderer says "no data" for it, never a made-up value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gapwatch.queries.scorecard import ScorecardRow
from gapwatch.reports.charts import Chart
from gapwatch.reports.paper import Cover, ExceptionItem
from gapwatch.services.report_data import (
    ActionRow,
    BatchInfo,
    CommentaryEntry,
    GapVerdict,
    IndicatorPage,
    ReportData,
    RiskRow,
    TargetStatus,
)

__all__ = [
    "ActionException",
    "ActionGroup",
    "BoardReport",
    "BreakdownRow",
    "Exceptions",
    "FindingRow",
    "IndicatorSection",
    "KpqRow",
    "OverviewRow",
    "RiskSummary",
    "ValueRow",
]


@dataclass(frozen=True)
class ValueRow:
    """One value in a table, with its interval and its lineage note (batch, plan document, illustrative)."""

    period: str
    value: float | None
    lower: float | None
    upper: float | None
    count: float | None
    denominator: float | None
    lineage: str
    illustrative: bool


@dataclass(frozen=True)
class BreakdownRow:
    """A group's or sub-area's value in the breakdown table."""

    label: str
    kind: str
    row: ValueRow


@dataclass(frozen=True)
class FindingRow:
    """One piece of evidence behind a KPQ answer."""

    label: str
    measure: str
    direction: str
    verdict: str
    detail: str | None
    weight: float
    lineage: str
    illustrative: bool


@dataclass(frozen=True)
class KpqRow:
    """A KPQ with its answer, the combination rule that gave it and the evidence."""

    id: str
    ambition: str
    ambition_title: str
    question: str
    answer: str
    rule: str
    findings: list[FindingRow]
    commentary: list[CommentaryEntry] = field(default_factory=list)

    @property
    def illustrative(self) -> bool:
        """Whether any evidence behind the answer is illustrative demo data."""
        return any(f.illustrative for f in self.findings)

    @property
    def with_data(self) -> list[FindingRow]:
        """The evidence that could be assessed (it pointed some way, or showed no significant change)."""
        return [f for f in self.findings if f.direction != "missing"]

    @property
    def missing(self) -> list[FindingRow]:
        """The evidence that could not be assessed (no data, too few points, a study not judged)."""
        return [f for f in self.findings if f.direction == "missing"]


@dataclass(frozen=True)
class ActionException:
    """A red or overdue action, with why it is an exception."""

    action: ActionRow
    reason: str


@dataclass(frozen=True)
class Exceptions:
    """What the board should look at first."""

    targets: list[TargetStatus]
    gaps: list[GapVerdict]
    actions: list[ActionException]
    risks: list[RiskRow]

    @property
    def count(self) -> int:
        """How many exceptions there are in all."""
        return len(self.targets) + len(self.gaps) + len(self.actions) + len(self.risks)


@dataclass
class IndicatorSection:
    """An indicator page: summary, charts, and the tables behind them."""

    page: IndicatorPage
    anchor: str
    area_name: str
    headline: list[ValueRow]
    breakdowns: list[BreakdownRow]
    charts: list[Chart]
    commentary: list[CommentaryEntry]

    @property
    def latest(self) -> ValueRow | None:
        """The latest headline value (None when there is none)."""
        with_value = [r for r in self.headline if r.value is not None]
        return with_value[-1] if with_value else None

    @property
    def illustrative(self) -> bool:
        """Whether the page shows illustrative demo data anywhere."""
        return self.page.illustrative or any(c.illustrative for c in self.charts)


@dataclass(frozen=True)
class OverviewRow:
    """One indicator in a locality annex's overview: the area's latest value, trend and gap to the rest."""

    code: str
    title: str
    unit: str
    latest: ValueRow | None
    trend: str
    area_gap: GapVerdict | None
    illustrative: bool


@dataclass(frozen=True)
class ActionGroup:
    """The actions of one outcome."""

    outcome: str
    actions: list[ActionRow]


@dataclass(frozen=True)
class RiskSummary:
    """The risk register for the board: counts by level, the heat map and the risks by score."""

    risks: list[RiskRow]
    grid: list[list[int]]
    by_level: dict[str, int]
    overdue_reviews: int
    chart: Chart | None

    @property
    def illustrative(self) -> bool:
        """Whether any risk shown is illustrative demo data."""
        return any(r.illustrative for r in self.risks)


@dataclass
class BoardReport:
    """Everything one board report shows, in reading order; locality annexes hang off a county report."""

    data: ReportData
    title: str
    status: str
    approval: str
    kpqs: list[KpqRow]
    exceptions: Exceptions
    sections: list[IndicatorSection]
    without_data: list[IndicatorPage]
    action_groups: list[ActionGroup]
    rag_counts: dict[str, int]
    rag_chart: Chart | None
    risks: RiskSummary
    commentary: list[CommentaryEntry]
    batches: list[BatchInfo]
    notes: list[str]
    anchor: str = "report"
    annex_label: str | None = None
    overview: list[OverviewRow] = field(default_factory=list)
    overview_charts: list[Chart] = field(default_factory=list)
    annexes: list[BoardReport] = field(default_factory=list)
    cover: Cover | None = None
    exception_items: list[ExceptionItem] = field(default_factory=list)
    summary: list[ScorecardRow] = field(default_factory=list)

    @property
    def gap_targets(self) -> list[TargetStatus]:
        """The gap-closing targets (a locality's gaps to the rest of the county), with the share closed."""
        return [t for t in self.data.targets if t.kind == "gap_closing"]

    @property
    def stale_ids(self) -> set[str]:
        """Indicators whose latest headline value is old at the cut-off (the scorecard says which)."""
        return {r.indicator for r in self.summary if r.stale}

    @property
    def awaiting(self) -> list[str]:
        """Everyone asked for commentary on an exception who has not written it yet."""
        return sorted({who for item in self.exception_items for who in item.awaiting})

    @property
    def compact(self) -> bool:
        """An annex is compact: an overview of its indicators instead of a page for each."""
        return self.annex_label is not None

    @property
    def illustrative(self) -> bool:
        """Whether any number in the report (or its annexes) comes from illustrative demo data."""
        return self.data.illustrative or any(a.illustrative for a in self.annexes)

    @property
    def own_charts(self) -> list[Chart]:
        """This report's charts, without the annexes'."""
        charts = list(self.overview_charts) + [c for s in self.sections for c in s.charts]
        charts += [c for c in (self.rag_chart, self.risks.chart) if c is not None]
        return charts

    @property
    def charts(self) -> list[Chart]:
        """Every chart, the annexes' included, in reading order."""
        return self.own_charts + [c for a in self.annexes for c in a.charts]
