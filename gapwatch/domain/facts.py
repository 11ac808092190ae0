"""Context facts about the partnership's area ("This is Kent"), transcribed from its plan with their source.

A plan states facts that frame its ambitions — Kent's gross disposable household income (£15,587) against the
South East's (£16,792), the 17-year gap in life expectancy between the best and worst wards, "if Kent were
100 people …". They are not indicator series (most are one-off figures from different sources and years), so
they are held as facts: the sentence as the document puts it, the number it states, its unit, what it is
compared with, the year, and where in which document it was found — so a reader can check it, and a test can
check the transcription against the seed text.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, Source, Text

__all__ = ["Fact"]


class Fact(Item):
    """One fact about the area as a plan states it, with its number, comparator and source."""

    topic: Text = Field(description="The heading it sits under, e.g. 'If Kent were 100 people'.")
    text: Text = Field(description="The fact in words, as the document gives it.")
    value: float | None = Field(default=None, description="The number it states, when it states one.")
    unit: str | None = Field(default=None, description="'%', '£', 'years', 'of 100 people', 'per 1,000' …")
    comparator: str | None = Field(default=None, description="What the value is compared with (South East …).")
    comparator_value: float | None = None
    year: str | None = Field(default=None, description="The year or date the figure is for, when stated.")
    source: Source = Field(description="Document and section the fact was transcribed from (required).")

    @model_validator(mode="after")
    def _comparator(self) -> Fact:
        if self.comparator_value is not None and self.value is None:
            raise ValueError("a comparator value needs the fact's own value")
        if self.comparator_value is not None and not self.comparator:
            raise ValueError("a comparator value needs 'comparator' to say what it is")
        return self
