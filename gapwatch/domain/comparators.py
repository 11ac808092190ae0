"""Comparator groups: the sets of areas a partnership compares itself with besides England and its region.

Three kinds are in common use in England: the DfE children's services *statistical neighbours* (ten similar
upper-tier authorities per authority, published as "New_Statistical_Neighbour_Groupings_April_2021"), CIPFA
or ONS *nearest neighbours*, and a partnership's *own list*. A group may belong to one area (Kent's ten
statistical neighbours are Kent's, not Medway's) or to none (a list to compare any area with).

Members are named by GSS code. A framework may name areas it does not itself hold (Kent's neighbours are not
Kent's areas), so here a member must be an area of the framework or a well-formed GSS code; whether the store
knows that code is checked where the store is at hand (:mod:`gapwatch.services.comparators`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum

from pydantic import Field, model_validator

from gapwatch.domain._base import Item, ItemId, Text

__all__ = [
    "GSS_CODE",
    "ComparatorGroup",
    "ComparatorKind",
    "comparator_group_problems",
    "groups_for_area",
    "is_gss_code",
]

#: A GSS code: a country letter and eight digits (E10000016 Kent, E06000035 Medway, E92000001 England).
GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")


def is_gss_code(value: str) -> bool:
    """Whether ``value`` has the shape of a GSS code (ONS Code History Database, 9 characters)."""
    return bool(GSS_CODE.match(value))


class ComparatorKind(StrEnum):
    """Where a comparator group comes from."""

    STATISTICAL_NEIGHBOURS = "statistical_neighbours"  #: DfE children's services statistical neighbours
    NEAREST_NEIGHBOURS = "nearest_neighbours"  #: CIPFA / ONS nearest-neighbour models
    OWN = "own"  #: a partnership's own list


class ComparatorGroup(Item):
    """A named set of areas to compare an area with (the group's value comes from summed counts)."""

    name: Text
    kind: ComparatorKind = ComparatorKind.OWN
    area: ItemId | None = Field(
        default=None, description="The area whose comparators these are (none: a group for any area)."
    )
    members: list[ItemId] = Field(default_factory=list, description="GSS codes of the member areas.")
    closeness: list[str] = Field(
        default_factory=list,
        description="Optional, one per member: how close each is (DfE bands 'Extremely Close' … 'Not Close').",
    )
    description: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> ComparatorGroup:
        if not self.members:
            raise ValueError("a comparator group needs at least one member area")
        if self.closeness and len(self.closeness) != len(self.members):
            raise ValueError(
                f"'closeness' has {len(self.closeness)} entries for {len(self.members)} members (give one per member)"
            )
        return self


def comparator_group_problems(
    groups: Sequence[ComparatorGroup],
    known_areas: Iterable[str],
    *,
    allow_gss: bool = True,
    duplicates: bool = True,
    kind: str = "comparator_groups",
) -> list[tuple[tuple[str | int, ...], str]]:
    """Duplicate ids, unknown or repeated members, and a group holding its own area, as ``(path, message)``.

    ``known_areas`` are the areas that may be named; with ``allow_gss`` any well-formed GSS code is accepted
    too (checked against the store later). ``duplicates=False`` leaves duplicate ids to a caller that checks
    them for every kind (the framework does). Paths locate the field, e.g. ``("comparator_groups", 2, "members",
    4)``, so a file reader can turn them into file and line.
    """
    known = set(known_areas)
    out: list[tuple[tuple[str | int, ...], str]] = []
    seen: dict[str, int] = {}
    for i, group in enumerate(groups):
        if duplicates and group.id in seen:
            out.append(
                (
                    (kind, i, "id"),
                    f"duplicate comparator group id '{group.id}' (first used by item {seen[group.id] + 1})",
                )
            )
        else:
            seen[group.id] = i

        def unknown(value: str) -> bool:
            return value not in known and not (allow_gss and is_gss_code(value))

        if group.area is not None and unknown(group.area):
            out.append(((kind, i, "area"), f"comparator group '{group.id}': unknown area '{group.area}'"))
        members: dict[str, int] = {}
        for j, member in enumerate(group.members):
            if unknown(member):
                what = "neither an area of the framework nor a GSS code" if allow_gss else "not a known area"
                out.append(
                    ((kind, i, "members", j), f"comparator group '{group.id}': unknown area '{member}' ({what})")
                )
            if member in members:
                out.append(((kind, i, "members", j), f"comparator group '{group.id}': area '{member}' is listed twice"))
            members.setdefault(member, j)
            if group.area is not None and member == group.area:
                out.append(
                    (
                        (kind, i, "members", j),
                        f"comparator group '{group.id}': '{member}' is the group's own area, not a comparator",
                    )
                )
    return out


def groups_for_area(groups: Sequence[ComparatorGroup], area: str | None) -> list[ComparatorGroup]:
    """The groups that can be compared with ``area``: its own groups first, then groups for any area."""
    own = [g for g in groups if area is not None and g.area == area]
    anyone = [g for g in groups if g.area is None]
    return own + anyone
