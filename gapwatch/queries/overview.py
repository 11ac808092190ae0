"""``overview``: the areas × indicators grid (Fingertips' "tartan rug"), each cell coloured by the area's
significance against a chosen comparator — England, the area's region, or its parent (the county for a
district, the parent area for a local partnership area).

Significance is the benchmark rule of :func:`gapwatch.analysis.comparators.compare_with_comparators`
(better or worse only when the benchmark lies outside the area's 95% confidence interval, at the area's
latest period up to the cycle's cut-off), so a cell says what the indicator page's comparators say. Rows are
the indicators with a value for at least one area of the grid. The same document feeds the page (grid and a
plain table) and ``GET /api/v1/overview``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gapwatch.domain.cycle import CycleWindow
from gapwatch.errors import InvalidInput, Problem
from gapwatch.queries.json import plain
from gapwatch.services.dashboard import overview_cells
from gapwatch.services.plans import current_plan

__all__ = ["COMPARATORS", "LEVELS", "overview"]

#: The comparators an area can be coloured against, with their labels.
COMPARATORS: dict[str, str] = {"england": "England", "region": "Region", "parent": "Parent area"}
#: The kinds of area the grid can show.
LEVELS: dict[str, str] = {"district": "Districts", "local": "Local partnership areas"}
ENGLAND = "E92000001"


def _choice(value: str, allowed: dict[str, str], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(
            f"There is no {field} '{value}'",
            problems=[Problem(f"choose one of: {', '.join(allowed)}", field=field)],
        )
    return value


def overview(
    session: Session, window: CycleWindow, *, comparator: str = "parent", level: str = "district"
) -> dict[str, Any]:
    """The grid for ``level`` areas against ``comparator`` in ``window``: areas, indicator rows with one cell
    per area, and counts of each comparison."""
    _choice(comparator, COMPARATORS, "comparator")
    _choice(level, LEVELS, "level")
    plan = current_plan(session)
    parents = {a.id: a.parent for a in plan.framework.areas}
    levels = {a.id: a.level.value for a in plan.framework.areas}
    if level == "district":
        areas = {a.id: a.name for a in plan.framework.areas if a.level.value == "district"}
        area_parent = {a: parents.get(a) for a in areas}
    else:
        from gapwatch.analysis.aggregate import local_areas

        locals_ = local_areas(plan.framework)
        areas = {la.id: la.name for la in locals_}
        area_parent = {la.id: la.parent for la in locals_}

    def region_of(code: str | None) -> str | None:
        seen: set[str] = set()
        while code is not None and code not in seen:
            seen.add(code)
            if levels.get(code) == "region":
                return code
            code = parents.get(code)
        return None

    benchmarks: dict[str, str | None] = {
        a: ENGLAND
        if comparator == "england"
        else region_of(area_parent[a])
        if comparator == "region"
        else area_parent[a]
        for a in areas
    }
    ids = [i.id for i in plan.framework.indicators]
    cells = overview_cells(session, ids, dict(area_parent), benchmarks, cutoff=window.cutoff) if areas else []
    by_indicator: dict[str, list[Any]] = {}
    for c in cells:
        by_indicator.setdefault(c.indicator_id, []).append(c)
    rows = []
    counts: dict[str, int] = {}
    for ind in plan.framework.indicators:
        row = by_indicator.get(ind.id, [])
        if not any(c.value is not None for c in row):
            continue
        for c in row:
            if c.value is not None:
                counts[c.comparison] = counts.get(c.comparison, 0) + 1
        rows.append(
            {
                "indicator": ind.id,
                "code": ind.code,
                "title": ind.title,
                "unit": ind.unit,
                "polarity": ind.polarity.value,
                "cells": [plain(c) for c in row],
            }
        )
    bench_names = sorted({plan.areas.get(b, b) for b in benchmarks.values() if b})
    return {
        "comparator": comparator,
        "comparator_label": COMPARATORS[comparator],
        "benchmarks": bench_names,
        "level": level,
        "level_label": LEVELS[level],
        "areas": [{"id": a, "name": n} for a, n in areas.items()],
        "rows": rows,
        "counts": counts,
        "window": plain(window),
        "method": "better or worse only when the benchmark lies outside the area's 95% confidence interval "
        "(Fingertips), at the area's latest period up to the data cut-off",
    }
