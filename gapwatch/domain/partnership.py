"""Who does what: organisations, people, boards and the delivery plans that feed the ambitions."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Text

__all__ = ["Board", "BoardKind", "DeliveryPlan", "Organisation", "Person", "ReportingCycle"]


class Organisation(Item):
    """A partner organisation (county council, district council, police, health, voluntary sector…)."""

    name: Text
    kind: str | None = None
    website: str | None = None


class Person(Item):
    """A named officer: lead officer of actions, owner of risks, chair of a board."""

    name: Text
    role: str | None = None
    organisation: ItemId | None = None
    email: str | None = None
    phone: str | None = None


class BoardKind(StrEnum):
    """The kinds of board in a partnership structure."""

    FORUM = "forum"
    CHIEFS = "chiefs"
    AMBITION = "ambition"
    LOCALITY = "locality"
    TRUST = "trust"
    LCSP = "lcsp"
    OTHER = "other"


class ReportingCycle(StrEnum):
    """How often a board receives performance reports."""

    QUARTERLY = "quarterly"
    TWICE_YEARLY = "twice_yearly"
    ANNUAL = "annual"


class Board(Item):
    """A board, its roles and the parts of the framework it oversees."""

    name: Text
    kind: BoardKind = BoardKind.OTHER
    roles: list[Text] = Field(default_factory=list)
    ambitions: list[ItemId] = Field(default_factory=list)
    plans: list[ItemId] = Field(default_factory=list)
    priorities: list[ItemId] = Field(default_factory=list)
    area: ItemId | None = Field(default=None, description="The area a locality board covers.")
    chair: ItemId | None = None
    members: list[ItemId] = Field(default_factory=list, description="Member organisations.")
    reporting_cycle: ReportingCycle = ReportingCycle.TWICE_YEARLY


class DeliveryPlan(Item):
    """A partner's delivery plan and the ambitions it contributes to (one of them primary)."""

    title: Text
    owner: str | None = None
    sector: str | None = None
    ambitions: list[ItemId] = Field(min_length=1)
    primary_ambition: ItemId | None = None

    @model_validator(mode="after")
    def _primary(self) -> DeliveryPlan:
        if self.primary_ambition is not None and self.primary_ambition not in self.ambitions:
            raise ValueError(f"primary ambition '{self.primary_ambition}' is not among its ambitions")
        return self
