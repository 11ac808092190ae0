"""Geography: an area hierarchy with GSS codes, and named groupings of areas.

Areas keep their former names and codes because partnership documents outlive boundary changes
(Shepway became Folkestone and Hythe in 2018; old district codes such as 29UN for Thanet appear in IMD 2007).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Text

__all__ = ["Area", "AreaGrouping", "AreaLevel", "GroupingKind"]


class AreaLevel(StrEnum):
    """Levels of the area hierarchy, from the whole country down to small areas."""

    COUNTRY = "country"
    REGION = "region"
    COUNTY = "county"
    DISTRICT = "district"
    WARD = "ward"
    LSOA = "lsoa"
    OTHER = "other"


#: Order from largest to smallest; a parent must sit above its child.
LEVEL_RANK = {level: i for i, level in enumerate(AreaLevel)}


class Area(Item):
    """An area, identified by its current GSS code (e.g. E07000114 Thanet)."""

    name: Text
    level: AreaLevel
    parent: ItemId | None = None
    former_names: list[Text] = Field(default_factory=list)
    former_codes: list[Text] = Field(default_factory=list)


class GroupingKind(StrEnum):
    """How a grouping's members are defined."""

    #: a listed set of areas (e.g. a Local Children's Services Partnership, a ward cluster): a *local area*, whose
    #: count-based indicators are re-aggregated from its members' counts (:mod:`gapwatch.analysis.aggregate`)
    EXPLICIT = "explicit"
    REST_OF_PARENT = "rest_of_parent"  #: a parent minus some of its children (e.g. "rest of Kent")


class AreaGrouping(Item):
    """A named set of areas used for comparison or reporting.

    An explicit grouping is a local area (an LCSP, a Community Budgets pilot, a ward cluster): its ``members``
    are areas (wards, LSOAs, districts) or other groupings, its ``parent`` the area it sits in (so it can be
    compared with the rest of that parent), and ``vintages`` the boundary year of its members by level
    (ward 2024, LSOA 2021): one year per level, so a group can never mix 2011 and 2021 LSOAs.
    """

    name: Text
    kind: GroupingKind = GroupingKind.EXPLICIT
    members: list[ItemId] = Field(default_factory=list)
    parent: ItemId | None = None
    excluding: list[ItemId] = Field(default_factory=list)
    vintages: dict[AreaLevel, int] = Field(
        default_factory=dict,
        description="Boundary year of the member areas by level, e.g. {ward: 2024, lsoa: 2021} (ONS WD24, LSOA21).",
    )
    description: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> AreaGrouping:
        if self.kind is GroupingKind.EXPLICIT and not self.members:
            raise ValueError("an explicit grouping needs at least one member area")
        if self.id in self.members:
            raise ValueError(f"grouping '{self.id}' lists itself among its members")
        if len(set(self.members)) != len(self.members):
            twice = sorted({m for m in self.members if self.members.count(m) > 1})
            raise ValueError(f"member(s) listed twice: {', '.join(twice)}")
        if self.kind is GroupingKind.REST_OF_PARENT and (self.parent is None or not self.excluding):
            raise ValueError("a rest-of-parent grouping needs a 'parent' and the areas it is 'excluding'")
        return self
