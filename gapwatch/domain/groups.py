"""Population groups: category types (FSM eligibility, SEN, looked after, sex…) with their categories.

Each category may name its comparator (FSM -> non-FSM), because every gap the partnership monitors is
a group measured against its comparator.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Model, Text

__all__ = ["Category", "CategoryType", "CategoryTypeKind"]


class CategoryTypeKind(StrEnum):
    """The shape of a breakdown."""

    BINARY = "binary"  #: a group and its complement (FSM / non-FSM)
    NOMINAL = "nominal"  #: unordered categories (ethnic groups)
    ORDINAL = "ordinal"  #: ordered categories (age bands, deprivation deciles: 1 = most deprived)


class Category(Model):
    """One category of a breakdown, with the category it is compared with."""

    id: ItemId
    name: Text
    comparator: ItemId | None = None
    order: int | None = None


class CategoryType(Item):
    """A breakdown of a population, such as "FSM eligibility" or "Deprivation decile (IMD2019)"."""

    name: Text
    kind: CategoryTypeKind = CategoryTypeKind.NOMINAL
    description: str | None = None
    categories: list[Category] = Field(min_length=1)

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
        return self
