"""What a board report is made of: the frozen (or live) content of one board's report in one cycle.

:class:`ReportData` is the contract between the reporting cycle (which computes and freezes it) and the
renderers (HTML, PDF, Word), which only lay it out. Every number carries its lineage: the import batch
that supplied it (``batch``) or, for values the plan itself states, the document (``source``), and whether
it is illustrative (generated demo data, which every renderer must label as such). The model is plain
pydantic, so a snapshot is stored as JSON when a cycle closes and read back identically later, even
after the underlying data are revised.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from pydantic import BaseModel, Field

from gapwatch.domain.kpq import KpqAnswer
from gapwatch.queries.scorecard import Scorecard
from gapwatch.services.consultations import ConsultationBrief
from gapwatch.services.initiatives import InitiativeBrief

__all__ = [
    "ActionRow",
    "ApprovalInfo",
    "BatchInfo",
    "BoardInfo",
    "CommentaryEntry",
    "CycleInfo",
    "GapVerdict",
    "IndicatorPage",
    "ReportData",
    "ReportKpq",
    "RiskRow",
    "STORY_PARTS",
    "SeriesPoint",
    "TargetStatus",
    "story_parts",
]


class CycleInfo(BaseModel):
    """The reporting cycle a report belongs to."""

    name: str = Field(description="e.g. '2011 H2'.")
    data_cutoff: date = Field(description="Observations for periods ending after this date are left out.")
    action_deadline: date = Field(description="Deadline for lead officers' action updates.")
    status: str = Field(description="'open' or 'closed'.")
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None


class BoardInfo(BaseModel):
    """The board the report is for and the part of the framework it oversees (its scope)."""

    id: str
    name: str
    kind: str
    ambitions: list[str] = Field(default_factory=list)
    priorities: list[str] = Field(default_factory=list)
    plans: list[str] = Field(default_factory=list)
    area: str | None = Field(default=None, description="Area code of a locality board; None = whole county.")
    area_name: str | None = None
    chair: str | None = Field(default=None, description="The chair's name.")


class SeriesPoint(BaseModel):
    """One observed value with its interval and lineage."""

    period: str
    period_end: date | None = None
    area: str
    category_type: str = Field(default="", description="'' for the whole population.")
    category: str = ""
    value: float | None = None
    lower: float | None = Field(default=None, description="Lower 95% confidence limit.")
    upper: float | None = Field(default=None, description="Upper 95% confidence limit.")
    count: float | None = Field(default=None, description="Numerator (count), when known.")
    denominator: float | None = None
    batch: int | None = Field(default=None, description="Import batch id; None for values stated in the plan.")
    source: str | None = Field(default=None, description="'plan: <document>' or 'import'.")
    illustrative: bool = False


class TargetStatus(BaseModel):
    """A target's status at the cycle's cut-off."""

    target: str = Field(description="Target id.")
    title: str
    indicator: str | None = None
    kind: str = Field(description="'level' or 'gap_closing'.")
    baseline: float | None = None
    baseline_period: str | None = None
    target_value: float | None = None
    target_period: str | None = None
    latest: float | None = None
    latest_period: str | None = None
    status: str = Field(description="achieved | on track | at risk | off track | not achieved | no data")
    off_track: bool = Field(default=False, description="True for 'off track' and 'not achieved' (exceptions).")
    detail: str | None = None
    closed_share: float | None = Field(default=None, description="Gap-closing: share of the baseline gap closed.")
    closed_lower: float | None = None
    closed_upper: float | None = None
    subject_name: str | None = Field(default=None, description="Gap-closing: the area or group (Thanet).")
    comparator_name: str | None = None
    batches: list[int] = Field(default_factory=list)
    illustrative: bool = False


class GapVerdict(BaseModel):
    """A gap (group, area, deprivation, or the SII) and whether it is narrowing, with its test."""

    indicator: str
    measure: str = Field(description="group_gap | area_gap | deprivation_gap | sii")
    label: str = Field(description="e.g. 'FSM vs non-FSM pupils' or 'Thanet vs rest of Kent'.")
    subject: str | None = None
    comparator: str | None = None
    latest_gap: float | None = None
    latest_period: str | None = None
    lower: float | None = None
    upper: float | None = None
    verdict: str = Field(description="narrowing | widening | no significant change | not enough data")
    widening: bool = Field(default=False, description="True when the gap widens (an exception).")
    detail: str | None = None
    points: list[SeriesPoint] = Field(default_factory=list, description="The gap over time (value = gap).")
    batches: list[int] = Field(default_factory=list)
    illustrative: bool = False


class IndicatorPage(BaseModel):
    """An indicator with its series (for the trend chart), trend verdict, gaps, targets and commentary."""

    id: str
    code: str
    title: str
    unit: str
    measure: str
    polarity: str
    suppression_threshold: int | None = None
    area: str | None = Field(default=None, description="The area whose series is headline (locality reports).")
    headline: list[SeriesPoint] = Field(default_factory=list, description="Whole population, report area.")
    breakdowns: list[SeriesPoint] = Field(
        default_factory=list, description="Group and sub-area values behind the gap charts."
    )
    comparators: list[SeriesPoint] = Field(
        default_factory=list,
        description="England's and the region's values in the headline's periods (whole population).",
    )
    trend: str = Field(default="not enough data", description="getting better | getting worse | …")
    trend_detail: str | None = None
    gaps: list[GapVerdict] = Field(default_factory=list)
    targets: list[TargetStatus] = Field(default_factory=list)
    illustrative: bool = False


class ActionRow(BaseModel):
    """An action's progress as the board reads it."""

    id: str
    number: str
    text: str
    outcome: str | None = Field(default=None, description="Outcome code and title.")
    ambition: str | None = None
    lead_officer: str | None = None
    lead_organisation: str | None = None
    rag: str | None = Field(default=None, description="red | amber | green | None (never updated)")
    percent_complete: int | None = None
    commentary: str | None = None
    deadline: date | None = None
    overdue: bool = False
    updated_this_cycle: bool = False
    updated_at: datetime | None = None
    updated_by: str | None = None


class RiskRow(BaseModel):
    """A risk in the register summary (likelihood x impact, 1-5 each)."""

    id: str
    title: str
    owner: str | None = None
    action: str | None = None
    likelihood: int
    impact: int
    score: int
    level: str = Field(description="low | medium | high")
    review_date: date | None = None
    review_overdue: bool = False
    status: str = "open"
    mitigations: list[str] = Field(default_factory=list)
    illustrative: bool = False


#: The structured "story behind the curve" (Clear Impact's turn-the-curve): the parts, in order, and headings.
STORY_PARTS: tuple[tuple[str, str], ...] = (
    ("story", "What is happening and why"),
    ("partners", "Partners with a role to play"),
    ("what_works", "What works"),
    ("proposal", "What we propose"),
)


class CommentaryEntry(BaseModel):
    """Commentary on an exception (indicator, action, risk), an outcome, a KPQ or the report as a whole.

    ``status`` is "requested" (asked of ``author``, the named owner, not yet written), "draft" (written,
    awaiting the chair's approval), "approved" or "rejected". Structured commentary keeps its parts as JSON
    in ``text`` (see :data:`STORY_PARTS`); plain text is read as the story.
    """

    id: int
    subject_kind: str = Field(description="indicator | outcome | kpq | report")
    subject_id: str
    text: str
    author: str
    written_at: datetime
    status: str = Field(description="draft | approved | rejected")
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def parts(self) -> list[tuple[str, str]]:
        """The structured parts that were written, as (heading, text), in :data:`STORY_PARTS` order."""
        return story_parts(self.text)


def story_values(text: str) -> dict[str, str]:
    """The written parts by key, in :data:`STORY_PARTS` order; plain (non-JSON) text — commentary written before
    it was structured — is the story on its own."""
    stripped = text.strip()
    if not stripped:
        return {}
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            found = {key: str(data.get(key) or "").strip() for key, _ in STORY_PARTS}
            return {key: value for key, value in found.items() if value}
    return {STORY_PARTS[0][0]: stripped}


def story_parts(text: str) -> list[tuple[str, str]]:
    """(heading, text) of each part written; plain (non-JSON) text is the story on its own."""
    values = story_values(text)
    return [(head, values[key]) for key, head in STORY_PARTS if key in values]


class ApprovalInfo(BaseModel):
    """Whether the board's chair (or a delegate) has approved the report."""

    status: str = Field(description="not submitted | approved | rejected")
    approved_by: str | None = None
    approved_at: datetime | None = None
    note: str | None = None


class BatchInfo(BaseModel):
    """An import batch named by the report's numbers (the lineage note)."""

    id: int
    name: str
    file_name: str | None = None
    loaded_at: datetime | None = None
    loaded_by: str | None = None
    illustrative: bool = False


class ReportKpq(BaseModel):
    """A KPQ answer with the ambition it belongs to."""

    ambition: str
    ambition_title: str
    answer: KpqAnswer


class ReportData(BaseModel):
    """Everything one board's report shows for one cycle; identical when rebuilt from a frozen snapshot."""

    framework_id: str
    framework_revision: int
    partnership: str
    cycle: CycleInfo
    board: BoardInfo
    frozen: bool = Field(description="True when read from the snapshot stored at the cycle's close.")
    generated_at: datetime
    kpqs: list[ReportKpq] = Field(default_factory=list)
    indicators: list[IndicatorPage] = Field(default_factory=list)
    targets: list[TargetStatus] = Field(default_factory=list, description="Every target in scope.")
    gaps: list[GapVerdict] = Field(default_factory=list, description="Every gap verdict in scope.")
    actions: list[ActionRow] = Field(default_factory=list)
    risks: list[RiskRow] = Field(default_factory=list)
    commentary: list[CommentaryEntry] = Field(default_factory=list)
    approval: ApprovalInfo = Field(default_factory=lambda: ApprovalInfo(status="not submitted"))
    batches: list[BatchInfo] = Field(default_factory=list, description="Lineage: every batch a number came from.")
    illustrative: bool = Field(default=False, description="Some numbers come from illustrative demo data.")
    notes: list[str] = Field(default_factory=list, description="Caveats: stale indicators, missing updates.")
    scorecard: Scorecard | None = Field(
        default=None, description="The one-page summary, from the dashboard's own query (queries.scorecard)."
    )
    initiatives: list[InitiativeBrief] = Field(
        default_factory=list, description="The board's initiatives: impact (or why none), spend, caseload, scenarios."
    )
    consultations: list[ConsultationBrief] = Field(
        default_factory=list, description="The board's consultations: shares of respondents with Wilson intervals."
    )
