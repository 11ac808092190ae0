"""Targets: level targets with a trajectory, and gap-closing targets ("close the gap by 40%").

A gap-closing target names what is compared (a subject area or group and its comparator) and the share
of the baseline gap to close; shares can be ranges ("by 15-30%"), kept as ranges.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Model, Text
from gapwatch.domain.periods import PeriodLabel, parse_period

__all__ = ["GapReduction", "Target", "TargetKind", "ValueAt"]


class TargetKind(StrEnum):
    """Level targets reach a value; gap-closing targets narrow a gap by a share of its baseline."""

    LEVEL = "level"
    GAP_CLOSING = "gap_closing"


class ValueAt(Model):
    """A value at a period (baseline, target, trajectory point or outturn)."""

    value: float | None = None
    period: PeriodLabel
    note: str | None = None


class GapReduction(Model):
    """What a gap-closing target compares and by how much the gap must close (percent, maybe a range)."""

    subject: ItemId = Field(description="Subject area id or category id (e.g. Thanet).")
    comparator: ItemId = Field(description="Comparator grouping or category id (e.g. rest of Kent).")
    percent_min: float = Field(gt=0, le=100)
    percent_max: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _range(self) -> GapReduction:
        if self.percent_max is not None and self.percent_max < self.percent_min:
            raise ValueError(f"reduction range {self.percent_min}-{self.percent_max}% runs backwards")
        return self


class Target(Item):
    """A target on an indicator (or on a measure named only in words, until an indicator exists)."""

    title: Text
    kind: TargetKind = TargetKind.LEVEL
    indicator: ItemId | None = None
    plan: ItemId | None = None
    area: ItemId | None = Field(default=None, description="The area a level target is for (e.g. the county).")
    baseline: ValueAt | None = None
    target: ValueAt | None = None
    assumed_target: ValueAt | None = Field(
        default=None,
        description=(
            "A target date the plan does not state but the partnership assumes from its context; the note gives"
            " the reason and its source. Progress is judged against it and every page says it is assumed."
        ),
    )
    trajectory: list[ValueAt] = Field(default_factory=list)
    gap: GapReduction | None = None
    outturns: list[ValueAt] = Field(default_factory=list)
    reward_share: float | None = Field(default=None, ge=0, le=1, description="Share of the plan's reward.")
    achieved: bool | None = Field(default=None, description="As reported by the partnership, when known.")

    @model_validator(mode="after")
    def _shape(self) -> Target:
        if self.kind is TargetKind.GAP_CLOSING and self.gap is None:
            raise ValueError("a gap-closing target needs a 'gap' naming its subject, comparator and percent")
        if self.kind is TargetKind.LEVEL and self.gap is not None:
            raise ValueError("a level target has no 'gap'; set kind: gap_closing")
        if self.baseline and self.target:
            b, t = parse_period(self.baseline.period), parse_period(self.target.period)
            if t.end < b.end:
                raise ValueError(
                    f"target period {self.target.period} ends before its baseline period {self.baseline.period}"
                )
        return self
