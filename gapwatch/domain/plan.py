"""The plan itself: plans, vision, ambitions, KPQs, priorities, outcomes, actions and enablers.

A partnership's plan is a tree: ambition -> priority (area of focus) -> outcome (aim) -> actions, with
indicators monitoring outcomes and priorities, and Key Performance Questions asked of each ambition.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Model, Source, Text

__all__ = [
    "Action",
    "Ambition",
    "Deliverable",
    "Enabler",
    "EvidenceMeasure",
    "Horizon",
    "Kpq",
    "KpqEvidence",
    "Milestone",
    "Outcome",
    "Plan",
    "Principle",
    "Priority",
    "Vision",
]


class Horizon(StrEnum):
    """How far off an outcome is: the framework's long, medium and short-term aims."""

    LONG = "long"
    MEDIUM = "medium"
    SHORT = "short"


class Plan(Item):
    """A plan the partnership monitors in detail (e.g. a Children and Young People's Plan 2008-11)."""

    title: Text
    short_name: str | None = None
    owner: str | None = None
    start: date | None = None
    end: date | None = None
    description: str | None = None
    reward_total: float | None = Field(default=None, ge=0, description="Reward available, in pounds.")
    #: A local plan (an LCSP's) nests in the county plan it serves and covers one local area: its board sees
    #: the county plan's indicators disaggregated to that area, plus its own locally agreed measures.
    parent: ItemId | None = Field(default=None, description="The county plan a local plan is nested in.")
    area: ItemId | None = Field(default=None, description="The area (or local area grouping) a local plan covers.")

    @model_validator(mode="after")
    def _dates(self) -> Plan:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"plan ends ({self.end}) before it starts ({self.start})")
        return self


class Vision(Model):
    """The partnership's vision statement and why it matters."""

    statement: Text
    title: str | None = None
    why_it_matters: list[Text] = Field(default_factory=list)
    source: Source | None = None


class Principle(Item):
    """A performance-management principle the partners agreed."""

    number: int
    text: Text


class Ambition(Item):
    """A countywide ambition with what it means and the impact it should make."""

    number: int
    title: Text
    statement: str | None = None
    why_it_matters: list[Text] = Field(default_factory=list)
    impacts: list[Text] = Field(default_factory=list)


class EvidenceMeasure(StrEnum):
    """What a piece of KPQ evidence looks at."""

    TREND = "trend"  #: the indicator's own recent trend, getting better or worse
    TARGET = "target"  #: progress against its target(s)
    GROUP_GAP = "group_gap"  #: a group against its comparator (FSM vs non-FSM)
    AREA_GAP = "area_gap"  #: an area against the rest of its parent (Thanet vs rest of Kent)
    DEPRIVATION_GAP = "deprivation_gap"  #: most deprived quintile against the rest
    SII = "sii"  #: slope index of inequality across deprivation deciles
    ACTIONS = "actions"  #: RAG status of a set of actions
    STUDY = "study"  #: findings of evaluation studies
    #: an initiative's areas against comparison areas (difference-in-differences)
    INITIATIVE_IMPACT = "initiative_impact"
    #: a consultation's or survey's share of respondents giving an answer, against a stated threshold
    CONSULTATION = "consultation"


class KpqEvidence(Model):
    """One piece of evidence a KPQ is answered from."""

    measure: EvidenceMeasure
    indicator: ItemId | None = None
    category_type: ItemId | None = None
    subject: ItemId | None = Field(default=None, description="Category or area compared.")
    comparator: ItemId | None = Field(default=None, description="Category or grouping compared with.")
    actions: list[ItemId] = Field(default_factory=list, description="Action ids, or outcome ids for all their actions.")
    study: ItemId | None = None
    initiative: ItemId | None = Field(default=None, description="The initiative whose impact is the evidence.")
    consultation: ItemId | None = Field(default=None, description="The consultation whose figure is the evidence.")
    question: ItemId | None = Field(default=None, description="The consultation's question.")
    option: ItemId | None = Field(default=None, description="The answer whose share of respondents is the evidence.")
    threshold: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Percent the share is judged against: its whole 95% interval above supports, below is against.",
    )
    weight: float = Field(default=1.0, gt=0)
    note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> KpqEvidence:
        m = self.measure
        if m in {EvidenceMeasure.ACTIONS}:
            if not self.actions:
                raise ValueError("'actions' evidence needs a list of action or outcome ids")
        elif m is EvidenceMeasure.STUDY:
            if not self.study:
                raise ValueError("'study' evidence needs a 'study' id")
        elif m is EvidenceMeasure.CONSULTATION:
            pass
        elif not self.indicator:
            raise ValueError(f"'{m.value}' evidence needs an 'indicator'")
        if m is EvidenceMeasure.GROUP_GAP and not (self.category_type and self.subject):
            raise ValueError("'group_gap' evidence needs a 'category_type' and a 'subject' category")
        if m is EvidenceMeasure.INITIATIVE_IMPACT and not self.initiative:
            raise ValueError(
                "'initiative_impact' evidence needs an 'initiative' id (and the 'indicator' to judge it on)"
            )
        if m is EvidenceMeasure.CONSULTATION and not (self.consultation and self.question and self.option):
            raise ValueError("'consultation' evidence needs a 'consultation', its 'question' and the 'option' counted")
        if m is EvidenceMeasure.AREA_GAP and not (self.subject and self.comparator):
            raise ValueError("'area_gap' evidence needs a 'subject' area and a 'comparator' grouping")
        return self


class Kpq(Item):
    """A Key Performance Question asked of an ambition, with the evidence that answers it."""

    ambition: ItemId
    number: int
    question: Text
    evidence: list[KpqEvidence] = Field(default_factory=list)


class Priority(Item):
    """A priority (or an area of focus) under a plan and, optionally, an ambition."""

    plan: ItemId
    number: int
    title: Text
    ambition: ItemId | None = None
    statement: str | None = None
    this_means: list[Text] = Field(default_factory=list)
    data_says: list[Text] = Field(default_factory=list, description="'What the data tells us' statements.")


class Outcome(Item):
    """An outcome or aim, with its horizon and the criteria that tell us it has been achieved."""

    plan: ItemId
    code: Text
    title: Text
    priority: ItemId | None = None
    horizon: Horizon = Horizon.MEDIUM
    success_criteria: list[Text] = Field(default_factory=list)
    laa: bool = Field(default=False, description="A Local Area Agreement outcome.")


class Deliverable(Model):
    """Something an action will produce, optionally by a deadline."""

    text: Text
    deadline: date | None = None
    deadline_text: str | None = Field(default=None, description="The deadline as the plan words it.")


class Milestone(Model):
    """A step towards an action's completion."""

    text: Text
    due: date | None = None
    done: bool = False


class Action(Item):
    """A numbered key action ("We will …") under an outcome or an enabler, with its lead."""

    plan: ItemId
    number: str
    text: Text
    outcome: ItemId | None = None
    enabler: ItemId | None = None
    lead_officer: ItemId | None = None
    lead_organisation: ItemId | None = None
    start: date | None = None
    deadline: date | None = None
    deliverables: list[Deliverable] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)

    @model_validator(mode="after")
    def _parent(self) -> Action:
        if (self.outcome is None) == (self.enabler is None):
            raise ValueError("an action belongs to exactly one parent: give an 'outcome' or an 'enabler'")
        if self.start and self.deadline and self.deadline < self.start:
            raise ValueError(f"deadline {self.deadline} is before the start {self.start}")
        return self


class Enabler(Item):
    """A cross-cutting enabler (integrated teams, workforce, processes, participation)."""

    plan: ItemId
    code: Text
    title: Text
    description: str | None = None
