"""``indicator show``: an indicator's headline series, recent trend and target assessments, as data.

The same dictionary is printed by ``gapwatch indicator show --format json`` and returned by
``GET /api/v1/indicators/{id}``; both are built here from :func:`~gapwatch.services.indicator_view.indicator_page`,
which takes every number from :mod:`gapwatch.analysis`.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from gapwatch.queries.json import plain
from gapwatch.services.comparators import comparator_view
from gapwatch.services.indicator_view import indicator_page

__all__ = ["comparators_doc", "indicator_show"]


def comparators_doc(
    session: Session,
    indicator_id: str,
    *,
    area: str | None,
    comparator: str | None = None,
    colour: str = "group",
    cutoff: date | None = None,
) -> dict[str, Any]:
    """The area against a comparator group (when chosen), England and its region: value from summed counts,
    rank in the group and each comparison (:mod:`gapwatch.analysis.comparators`), with the groups to choose."""
    view = comparator_view(session, indicator_id, area=area, group=comparator, colour_against=colour, cutoff=cutoff)
    return {
        **plain(view.result),
        "choices": [{"id": gid, "name": name} for gid, name in view.choices],
        "colour_choices": list(view.colour_choices),
        "notes": [*view.result.notes, *view.notes],
    }


def _indicator(page: Any) -> dict[str, Any]:
    ind = page.indicator
    return {
        "id": ind.id,
        "code": ind.code,
        "title": ind.title,
        "measure": ind.measure.value,
        "unit": ind.unit,
        "polarity": ind.polarity.value,
        "gap_direction": ind.gap_direction.value,
    }


def indicator_show(
    session: Session,
    indicator_id: str,
    *,
    area: str | None = None,
    cutoff: date | None = None,
    comparator: str | None = None,
    colour: str = "group",
) -> dict[str, Any]:
    """The headline series (with intervals or why none), trend verdict and targets of one indicator, and the
    area against England, its region and (``comparator``) a comparator group."""
    page = indicator_page(session, indicator_id, area=area, cutoff=cutoff)
    return {
        "indicator": _indicator(page),
        "area": page.area,
        "area_name": page.area_name,
        "cutoff": cutoff.isoformat() if cutoff else None,
        "series": plain(page.series),
        "trend": {**plain(page.trend_result), "assessment": page.trend_assessment, "text": page.trend_result.describe()}
        if page.trend_result
        else None,
        "level_targets": plain(page.level_targets),
        "gap_targets": [plain(dataclasses.replace(t, series=None)) for t in page.gap_targets],
        "spc": plain(page.spc),
        # the plan's own figures beside later publications of the same cells (the series keeps the plan's)
        "later_publications": plain(page.later),
        "comparators": comparators_doc(
            session, indicator_id, area=page.area, comparator=comparator, colour=colour, cutoff=cutoff
        )
        if page.area
        else None,
        "illustrative": page.illustrative,
        "notes": list(page.notes),
    }
