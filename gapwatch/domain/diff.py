"""What changed between two versions of a framework: items added, removed and changed, by kind.

Used to record each reload of a plan as a revision (the annual refresh keeps its history) and by
``gapwatch framework diff``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from gapwatch.domain.framework import KINDS, Framework

__all__ = ["FrameworkDiff", "ItemChange", "diff_frameworks", "diff_items"]

_HEADER_FIELDS = ("name", "partnership", "description", "documents", "vision")


class ItemChange(BaseModel):
    """One changed item: its kind, id and the fields whose values differ."""

    kind: str
    id: str
    fields: list[str]


class FrameworkDiff(BaseModel):
    """Added, removed and changed items, plus changed header fields."""

    added: dict[str, list[str]] = Field(default_factory=dict)
    removed: dict[str, list[str]] = Field(default_factory=dict)
    changed: list[ItemChange] = Field(default_factory=list)
    header_changed: list[str] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (self.added or self.removed or self.changed or self.header_changed)

    def summary(self) -> str:
        """One line such as "3 added (2 actions, 1 indicator), 1 removed, 4 changed"."""
        if self.empty:
            return "no changes"

        def count(groups: dict[str, list[str]]) -> str:
            total = sum(len(v) for v in groups.values())
            detail = ", ".join(f"{len(v)} {k}" for k, v in groups.items())
            return f"{total} ({detail})"

        parts = []
        if self.added:
            parts.append(f"added {count(self.added)}")
        if self.removed:
            parts.append(f"removed {count(self.removed)}")
        if self.changed:
            parts.append(f"changed {len(self.changed)}")
        if self.header_changed:
            parts.append("header fields changed: " + ", ".join(self.header_changed))
        return "; ".join(parts)


def diff_items(old: dict[str, dict[str, dict[str, Any]]], new: dict[str, dict[str, dict[str, Any]]]) -> FrameworkDiff:
    """Diff two ``{kind: {id: item-as-json}}`` maps."""
    result = FrameworkDiff()
    for kind in KINDS:
        before, after = old.get(kind, {}), new.get(kind, {})
        added = [i for i in after if i not in before]
        removed = [i for i in before if i not in after]
        if added:
            result.added[kind] = added
        if removed:
            result.removed[kind] = removed
        for item_id in after:
            if item_id in before and before[item_id] != after[item_id]:
                keys = sorted(set(before[item_id]) | set(after[item_id]))
                fields = [k for k in keys if before[item_id].get(k) != after[item_id].get(k)]
                result.changed.append(ItemChange(kind=kind, id=item_id, fields=fields))
    return result


def _as_maps(framework: Framework) -> dict[str, dict[str, dict[str, Any]]]:
    return {kind: {item.id: item.model_dump(mode="json") for item in framework.items(kind)} for kind in KINDS}


def diff_frameworks(old: Framework | None, new: Framework) -> FrameworkDiff:
    """Diff two frameworks (``old`` None means everything is added)."""
    result = diff_items(_as_maps(old) if old else {}, _as_maps(new))
    if old is not None:
        a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
        result.header_changed = [f for f in _HEADER_FIELDS if a.get(f) != b.get(f)]
    return result
