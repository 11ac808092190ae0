"""Population groups: category types (FSM eligibility, SEN, looked after, sex…) with their categories.

Each category may name its comparator (FSM -> non-FSM), because every gap the partnership monitors is
a group measured against its comparator.

Publishers name the same breakdown in their own words: OHID Fingertips calls the national deciles of the
IMD 2019 "LSOA11 deprivation deciles in England (IMD2019)" and labels a category "Second most deprived decile
(IMD2019)". A category type lists those names as ``aliases``, matched ignoring case and runs of spaces
(:func:`match_category_type`), and an ordinal type reads a quantile's place from its label
(:func:`quantile_rank`), so every importer (tidy, Fingertips, mapped DfE files) lands such rows on the
framework's own breakdown by name, with no per-file recoding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Model, Text

__all__ = [
    "Category",
    "CategoryType",
    "CategoryTypeKind",
    "match_category_type",
    "normalise_label",
    "quantile_rank",
]


class CategoryTypeKind(StrEnum):
    """The shape of a breakdown."""

    BINARY = "binary"  #: a group and its complement (FSM / non-FSM)
    NOMINAL = "nominal"  #: unordered categories (ethnic groups)
    ORDINAL = "ordinal"  #: ordered categories (age bands, deprivation deciles: 1 = most deprived)


def normalise_label(label: str) -> str:
    """A label as compared with names and aliases: lower case, runs of white space as one space, trimmed
    (Fingertips writes "District & UA (pre Apr2019)  deprivation deciles" with two spaces)."""
    return re.sub(r"\s+", " ", label).strip().lower()


#: Fingertips' ordinal words for deciles and quintiles (1 = most deprived).
_DECILE_WORDS = {
    "most": 1,
    "second most": 2,
    "third more": 3,
    "fourth more": 4,
    "fifth more": 5,
    "fifth less": 6,
    "fourth less": 7,
    "third less": 8,
    "second least": 9,
    "least": 10,
}
_QUINTILE_WORDS = {"most": 1, "second most": 2, "middle": 3, "third": 3, "second least": 4, "least": 5}


def quantile_rank(label: str | None) -> int | None:
    """The place of a deprivation decile or quintile label, 1 = most deprived, or None if it is not one.

    Reads Fingertips' labels ("Most deprived decile (IMD2015)" -> 1, "Third less deprived decile" -> 8,
    "Second least deprived quintile" -> 4, "Middle quintile" -> 3), gapwatch ids (d1, q5) and plain
    numbers ("1".."10", "Decile 3", "Quintile 2").
    """
    if not label:
        return None
    text = normalise_label(label)
    if re.fullmatch(r"(d|q|decile |quintile |local decile |local quintile )?\d{1,2}", text):
        return int(re.sub(r"\D", "", text))
    m = re.match(r"(.*?)\s*deprived (decile|quintile)", text)
    if not m:
        return 3 if re.match(r"(middle|third) quintile", text) else None
    return (_DECILE_WORDS if m[2] == "decile" else _QUINTILE_WORDS).get(m[1].strip())


class Category(Model):
    """One category of a breakdown, with the category it is compared with."""

    id: ItemId
    name: Text
    comparator: ItemId | None = None
    order: int | None = None
    aliases: list[Text] = Field(default_factory=list, description="Other labels publishers give this category.")


def _quantile_categories(n: int, local: bool) -> list[dict[str, Any]]:
    """The categories of an n-quantile deprivation breakdown: d1..d10 or q1..q5, 1 = most deprived, the most
    deprived compared with the least deprived (the slope index of inequality uses them all)."""
    word, prefix = ("Decile", "d") if n == 10 else ("Quintile", "q")
    if local:
        word = f"Local {word.lower()}"
    out: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        suffix = " (most deprived)" if i == 1 else " (least deprived)" if i == n else ""
        cat: dict[str, Any] = {"id": f"{prefix}{i}", "name": f"{word} {i}{suffix}", "order": i}
        if i == 1:
            cat["comparator"] = f"{prefix}{n}"
        out.append(cat)
    return out


class CategoryType(Item):
    """A breakdown of a population, such as "FSM eligibility" or "Deprivation decile (IMD2019)".

    ``quantiles: 10`` (or 5) writes a deprivation breakdown's categories (d1..d10 or q1..q5, 1 = most
    deprived; "Local decile …" with ``within_area``) instead of listing them; ``edition`` and ``geography``
    say which Indices of Deprivation and which small areas the quantiles come from, so every result using
    them can say so.
    """

    name: Text
    kind: CategoryTypeKind = CategoryTypeKind.NOMINAL
    description: str | None = None
    aliases: list[Text] = Field(
        default_factory=list,
        description="Other names publishers give this breakdown (matched ignoring case and runs of spaces).",
    )
    quantiles: int | None = Field(default=None, description="10 or 5: deprivation deciles or quintiles.")
    within_area: bool = Field(default=False, description="Quantiles of the area's own small areas (local).")
    edition: str | None = Field(default=None, description="Deprivation index edition, e.g. IMD2019.")
    geography: str | None = Field(default=None, description="What is ranked, e.g. LSOA 2011, county & UA.")
    categories: list[Category] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _write_quantiles(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("quantiles") is not None and not data.get("categories"):
            n = data["quantiles"]
            if n not in (5, 10):
                raise ValueError(f"quantiles must be 10 (deciles) or 5 (quintiles), not {n!r}")
            data = {**data, "categories": _quantile_categories(n, bool(data.get("within_area")))}
            data.setdefault("kind", CategoryTypeKind.ORDINAL.value)
        return data

    @model_validator(mode="after")
    def _comparators_known(self) -> CategoryType:
        ids = [c.id for c in self.categories]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate category id(s): {', '.join(dupes)}")
        for c in self.categories:
            if c.comparator is not None and c.comparator not in ids:
                raise ValueError(f"category '{c.id}' names comparator '{c.comparator}', which is not a category here")
            if c.comparator == c.id:
                raise ValueError(f"category '{c.id}' cannot be its own comparator")
        seen: dict[str, str] = {}
        clash: set[str] = set()
        for c in self.categories:
            for label in {normalise_label(x) for x in (c.id, c.name, *c.aliases)}:
                if seen.setdefault(label, c.id) != c.id:
                    clash.add(label)
        if clash:
            raise ValueError(f"category label(s) given to two categories: {', '.join(sorted(clash))}")
        return self

    def labels(self) -> set[str]:
        """The normalised id, name and aliases this breakdown is known by."""
        return {normalise_label(x) for x in (self.id, self.name, *self.aliases)}

    def category_for(self, label: str | None) -> str | None:
        """The id of the category a publisher's label names (id, name or alias ignoring case; for an ordinal
        breakdown also a quantile's place, "Most deprived decile (IMD2015)" -> order 1), or None."""
        if label is None:
            return None
        text = normalise_label(label)
        for c in self.categories:
            if text in {normalise_label(x) for x in (c.id, c.name, *c.aliases)}:
                return c.id
        if self.kind is CategoryTypeKind.ORDINAL:
            rank = quantile_rank(label)
            kind_word = "quintile" if len(self.categories) == 5 else "decile"
            if rank is not None and ("deprived" not in text or kind_word in text):
                return next((c.id for c in self.categories if c.order == rank), None)
        return None


def match_category_type(groups: Iterable[CategoryType], label: str | None) -> CategoryType | None:
    """The framework breakdown a publisher's category type names: by id, name or alias, ignoring case and
    runs of spaces; None when none does (the rows are then kept under the label as written)."""
    if not label:
        return None
    text = normalise_label(label)
    return next((ct for ct in groups if text in ct.labels()), None)
