"""``gap show``: one gap series per period with its interval (or why none), its trend verdict with method,
level, p and the periods used, and the progress of any gap-closing target on it.

Printed by ``gapwatch gap show --format json`` and returned by ``GET /api/v1/gaps/{indicator}``; the choice of
series is the gaps explorer's (:func:`~gapwatch.services.gaps_explorer.explore`), so the page agrees too.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from gapwatch.errors import InvalidInput, Problem
from gapwatch.queries.indicator import comparators_doc
from gapwatch.queries.json import plain
from gapwatch.services.gaps_explorer import explore
from gapwatch.services.gaps_view import deprivation_category_types
from gapwatch.services.plans import current_plan

__all__ = ["gap_show"]


def gap_show(
    session: Session,
    indicator_id: str,
    *,
    by: str | None = None,
    area: str | None = None,
    versus: str | None = None,
    subject: str | None = None,
    sii: bool = False,
    cutoff: date | None = None,
    comparator: str | None = None,
) -> dict[str, Any]:
    """A gap of ``indicator_id``: by population group or deprivation (``by``), or an area against the rest
    of its parent or another area (``area`` and ``versus``, where ``versus="rest"`` means the rest of the
    area's parent). With ``comparator`` (a comparator group id) the gap's area is also compared with that group,
    England and its region (the same comparison as the indicator's)."""
    if by is None and area is None:
        raise InvalidInput(
            "Say which gap: --by CATEGORY_TYPE, or --area CODE with --versus CODE|rest",
            problems=[Problem("give --by or --area", field="by")],
        )
    if by is not None and versus is not None:
        raise InvalidInput(
            "--versus compares areas: use it with --area, not with --by",
            problems=[Problem("--versus goes with --area", field="versus")],
        )
    plan = current_plan(session)
    if by is not None:
        deprivation = {ct.id for ct in deprivation_category_types(plan)}
        comparison = ("sii" if sii else "deprivation") if by in deprivation else "group"
        if by not in {ct.id for ct in plan.framework.groups}:
            known = ", ".join(ct.id for ct in plan.framework.groups)
            raise InvalidInput(
                f"There is no population group breakdown '{by}'",
                problems=[Problem(f"choose one of: {known}", field="by")],
            )
        found = explore(session, indicator_id, comparison, area=area, category_type=by, subject=subject, cutoff=cutoff)
    else:
        comparator = None if versus in (None, "rest") else versus
        found = explore(session, indicator_id, "area", subject=area, comparator=comparator, cutoff=cutoff)
    series = found.series
    targets = [
        plain(dataclasses.replace(t, series=None))
        for t in found.targets
        if series is not None
        and t.series is not None
        and (t.series.subject, t.series.comparator, t.series.kind) == (series.subject, series.comparator, series.kind)
    ]
    compared_area = found.area if by is not None else area
    compared = (
        comparators_doc(session, indicator_id, area=compared_area, comparator=comparator, cutoff=cutoff)
        if comparator is not None and compared_area is not None
        else None
    )
    return {
        "indicator": indicator_id,
        "comparison": found.comparison,
        "area": found.area if by is not None else None,
        "cutoff": cutoff.isoformat() if cutoff else None,
        "series": None if series is None else {k: v for k, v in plain(series).items() if k not in ("latest",)},
        "targets": targets,
        "comparators": compared,
        "notes": list(found.notes),
    }
