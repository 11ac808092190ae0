"""Evidence beyond indicators: the three sources of performance information, evaluation studies,
risks, and reference observations transcribed from the plan's own tables."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Text
from gapwatch.domain.periods import PeriodLabel

__all__ = ["InformationSource", "PlanObservation", "Risk", "Study", "SourceKind"]


class SourceKind(StrEnum):
    """The three sources of performance information."""

    ACTIONS = "actions"  #: short-term: action milestones
    INDICATORS = "indicators"  #: longer-term: indicators
    RESEARCH = "research"  #: long-term: research and evaluation


class InformationSource(Item):
    """One of the sources of performance information and the time horizon it speaks to."""

    kind: SourceKind
    name: Text
    horizon: Text
    description: str | None = None


class Study(Item):
    """An evaluation study or piece of research, first-class evidence for KPQs and outcomes."""

    title: Text
    published: str | None = Field(default=None, description="Date or year of publication.")
    publisher: str | None = None
    finding: str | None = None
    link: str | None = None
    kpqs: list[ItemId] = Field(default_factory=list)
    outcomes: list[ItemId] = Field(default_factory=list)


class Risk(Item):
    """A risk register entry: likelihood and impact on 1-5 scales, with owner and mitigations."""

    title: Text
    description: str | None = None
    action: ItemId | None = None
    outcome: ItemId | None = None
    owner: ItemId | None = None
    owner_organisation: ItemId | None = None
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    mitigations: list[Text] = Field(default_factory=list)
    review_date: date | None = None
    illustrative: bool = Field(default=False, description="Made up for the demo, not a real risk.")


class PlanObservation(Item):
    """A value stated in the plan itself (e.g. its "Narrowing the Gap" table), kept with its source."""

    indicator: ItemId
    area: ItemId
    period: PeriodLabel
    value: float
    category_type: ItemId | None = None
    category: ItemId | None = None
    numerator: float | None = None
    denominator: float | None = None
    value_text: str | None = Field(default=None, description="The value as the document prints it.")

    @model_validator(mode="after")
    def _breakdown(self) -> PlanObservation:
        if (self.category_type is None) != (self.category is None):
            raise ValueError("give both 'category_type' and 'category', or neither")
        return self
