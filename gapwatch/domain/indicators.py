"""Indicators: what is measured, how, and which way is better.

The measure type decides the statistics (Wilson for proportions, Byar's for rates, Dobson for
standardised rates); the polarity decides whether a change is "better" or "worse".
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from gapwatch.domain._base import Item, ItemId, Model, Text
from gapwatch.domain.areas import AreaLevel

__all__ = [
    "DisclosureControl",
    "Disaggregation",
    "Frequency",
    "GapDirection",
    "Indicator",
    "MeasureType",
    "Polarity",
]


class MeasureType(StrEnum):
    """How an indicator's value is formed from its numerator and denominator."""

    PROPORTION = "proportion"
    RATE = "rate"
    COUNT = "count"
    MEAN = "mean"
    SCORE = "score"
    STANDARDISED_RATE = "standardised_rate"
    RATIO = "ratio"
    #: a gap between a group and its comparator, in points (e.g. NI 102, the FSM attainment gap): its
    #: intervals come from the two groups' counts, never from a proportion interval on the gap itself.
    GAP = "gap"


class Polarity(StrEnum):
    """Which direction is good (Fingertips' polarity)."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    NO_JUDGEMENT = "no_judgement"


class GapDirection(StrEnum):
    """Which way round an indicator's gaps are taken, so the sign means what the indicator defines.

    NI 102 defines the FSM attainment gap as non-FSM % minus FSM % (a positive number of points to
    close); a crime gap between an area and the rest is usually the area minus the rest. Verdicts
    (narrowing, widening, closed, reversed) are judged on the size of the gap either way.
    """

    SUBJECT_MINUS_COMPARATOR = "subject_minus_comparator"
    COMPARATOR_MINUS_SUBJECT = "comparator_minus_subject"


class Frequency(StrEnum):
    """How often new values arrive."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    TERMLY = "termly"
    ANNUAL = "annual"
    BIENNIAL = "biennial"
    TRIENNIAL = "triennial"
    ONE_OFF = "one_off"


class DisclosureControl(StrEnum):
    """How an indicator's small numbers are protected on publication (the two GSS disciplines)."""

    #: counts below the threshold withheld, plus secondary (consequential) suppression of other cells
    THRESHOLD = "threshold"
    #: every count and denominator rounded to the nearest 5, counts of 1 to 7 withheld (NHS England's rule)
    ROUNDING = "rounding"


class Disaggregation(Model):
    """The breakdowns an indicator supports: area levels and population groups (category type ids)."""

    area_levels: list[AreaLevel] = Field(default_factory=list)
    groups: list[ItemId] = Field(default_factory=list)


class Indicator(Item):
    """A performance indicator (NI 102, or a local survey measure)."""

    code: Text
    title: Text
    description: str | None = None
    measure: MeasureType = MeasureType.PROPORTION
    unit: str = "%"
    multiplier: float = Field(default=100, gt=0, description="100 for %, 1000 for per 1,000 …")
    polarity: Polarity = Polarity.NO_JUDGEMENT
    frequency: Frequency = Frequency.ANNUAL
    data_source: str | None = None
    laa: bool = Field(default=False, description="In the Local Area Agreement / Kent Agreement.")
    statutory: bool = Field(default=False, description="A statutory (national) indicator.")
    disaggregation: Disaggregation = Field(default_factory=Disaggregation)
    outcomes: list[ItemId] = Field(default_factory=list)
    priorities: list[ItemId] = Field(default_factory=list)
    gap_direction: GapDirection = Field(
        default=GapDirection.SUBJECT_MINUS_COMPARATOR,
        description="How gaps are signed: subject minus comparator (default) or comparator minus subject (NI 102).",
    )
    suppression_threshold: int | None = Field(
        default=None,
        ge=1,
        description="Counts below this are suppressed on publication; default from settings.",
    )
    disclosure_control: DisclosureControl = Field(
        default=DisclosureControl.THRESHOLD,
        description="How small numbers are protected on publication: threshold (withhold small counts and the "
        "cells they could be worked out from) or rounding (counts to the nearest 5, 1-7 withheld).",
    )
