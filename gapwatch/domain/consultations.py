"""Consultations and surveys: what a partnership asked, who answered, and what they said.

A consultation is evidence of the third kind the seeds name ("results from research, intelligence and
evaluation studies") and answers perception KPQs such as Ambition 2 KPQ5, "Are people in Kent confident that they
can achieve good quality of life?". It can arrive two ways: as its **published summary** (the counts and
percentages a covering paper prints — Kent's Vision for Kent consultation, 793 responses, ships this way) or as
**responses**, one row per respondent, imported from a file and checked against the :class:`Question` s here (a
"choose two" question accepts at most two of its options). Free-text suggestions are coded to the themes of an
editable :class:`Theme` codebook (keywords and phrases), then reviewed by an officer.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Model, Source, Text

__all__ = ["Consultation", "Option", "PublishedFigure", "Question", "QuestionKind", "RespondentType", "Theme"]


class QuestionKind(StrEnum):
    """How a question is answered."""

    SINGLE = "single"  #: one option
    CHOOSE = "choose"  #: up to ``max_choices`` options ("choose the two most important")
    FREE_TEXT = "free_text"  #: words, coded to themes


class Option(Model):
    """One answer a closed question offers."""

    id: ItemId
    label: Text


class Question(Model):
    """A question of the consultation, with its options (closed) or none (free text)."""

    id: ItemId
    text: Text
    kind: QuestionKind = QuestionKind.SINGLE
    options: list[Option] = Field(default_factory=list)
    max_choices: int | None = Field(default=None, ge=1, description="Most options one respondent may choose.")
    kpqs: list[ItemId] = Field(default_factory=list, description="KPQs its answers are evidence for.")
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Question:
        if self.kind is QuestionKind.FREE_TEXT and self.options:
            raise ValueError(f"question '{self.id}': a free-text question has no options")
        if self.kind is not QuestionKind.FREE_TEXT and not self.options:
            raise ValueError(f"question '{self.id}': a closed question needs its options")
        if self.kind is QuestionKind.CHOOSE and self.max_choices is None:
            raise ValueError(f"question '{self.id}': a 'choose' question needs 'max_choices'")
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question '{self.id}': duplicate option ids")
        return self


class RespondentType(Model):
    """A kind of respondent (member of the public, parish council …)."""

    id: ItemId
    label: Text


class PublishedFigure(Model):
    """One figure of a published summary: how many (or what share of) respondents gave an answer.

    ``question`` and ``option`` name what was answered (``question: respondent_type`` with the type as ``option``
    counts respondents by type); ``respondent_type`` restricts the base to one type. ``percent`` or ``count`` is
    what the source prints; ``base`` the respondents it is a share of, when known (``base_note`` says where the
    base comes from when the source does not print it).
    """

    question: ItemId
    option: ItemId | None = None
    respondent_type: ItemId | None = None
    percent: float | None = Field(default=None, ge=0, le=100)
    count: int | None = Field(default=None, ge=0)
    base: int | None = Field(default=None, gt=0)
    base_note: str | None = None
    text: str | None = Field(default=None, description="The figure's wording in the source.")
    source: Source | None = None

    @model_validator(mode="after")
    def _check(self) -> PublishedFigure:
        if self.percent is None and self.count is None:
            raise ValueError(f"published figure for '{self.question}': give 'percent' or 'count'")
        if self.count is not None and self.base is not None and self.count > self.base:
            raise ValueError(f"published figure for '{self.question}': 'count' exceeds 'base'")
        return self


class Theme(Model):
    """A theme of the codebook: a free-text answer mentioning any keyword (a whole word) or phrase is coded to it."""

    id: ItemId
    label: Text
    keywords: list[str] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Theme:
        if not any(k.strip() for k in [*self.keywords, *self.phrases]):
            raise ValueError(f"theme '{self.id}' needs at least one keyword or phrase")
        return self


class Consultation(Item):
    """A consultation or survey: its questions, respondent types, published figures, codebook and KPQs."""

    name: Text
    description: str | None = None
    opened: date | None = None
    closed: date | None = None
    responses: int | None = Field(default=None, ge=0, description="Responses received, as published.")
    respondent_types: list[RespondentType] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    published: list[PublishedFigure] = Field(default_factory=list)
    codebook: list[Theme] = Field(default_factory=list)
    kpqs: list[ItemId] = Field(default_factory=list)
    illustrative: bool = Field(default=False, description="Made up (generated), not a real consultation.")

    @model_validator(mode="after")
    def _check(self) -> Consultation:
        if self.opened and self.closed and self.closed < self.opened:
            raise ValueError(f"'closed' ({self.closed}) is before 'opened' ({self.opened})")
        questions = {q.id: q for q in self.questions}
        types = {t.id for t in self.respondent_types}
        for i, f in enumerate(self.published):
            where = f"published[{i}]"
            if f.question == "respondent_type":
                if f.option not in types:
                    raise ValueError(f"{where}: unknown respondent type '{f.option}'")
                continue
            q = questions.get(f.question)
            if q is None:
                raise ValueError(f"{where}: unknown question '{f.question}'")
            if f.option is not None and f.option not in {o.id for o in q.options}:
                raise ValueError(f"{where}: '{f.option}' is not an option of question '{q.id}'")
            if f.respondent_type is not None and f.respondent_type not in types:
                raise ValueError(f"{where}: unknown respondent type '{f.respondent_type}'")
        ids = [t.id for t in self.codebook]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate theme ids in 'codebook'")
        return self
