"""Initiatives as data: the list, one initiative, its impact and its scenarios — the objects
``gapwatch initiative … --format json`` prints and ``/api/v1/initiatives…`` returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from gapwatch.queries.json import plain
from gapwatch.services.initiatives import get_initiative, impact_of, initiative_scenarios, list_initiatives

__all__ = ["initiative_detail", "initiative_impact", "initiative_list", "initiative_scenario_doc"]


def initiative_list(engine: Engine) -> list[dict[str, Any]]:
    """Every initiative: id, name, target areas and dates (as the source words them where no date is known)."""
    return [
        {
            "id": i.id,
            "name": i.name,
            "target_areas": i.target_areas,
            "start": i.start.isoformat() if i.start else i.start_text,
            "end": i.end.isoformat() if i.end else i.end_text,
        }
        for i in list_initiatives(engine)
    ]


def initiative_detail(engine: Engine, initiative_id: str) -> dict[str, Any]:
    """One initiative in full, as the framework holds it."""
    return get_initiative(engine, initiative_id).model_dump(mode="json", exclude_none=True)


def initiative_impact(
    engine: Engine,
    initiative_id: str,
    *,
    comparison: Sequence[str] | None = None,
    matched: int | None = None,
    indicator: str | None = None,
) -> Any:
    """The impact of an initiative (see :func:`gapwatch.services.initiatives.impact_of`) as plain data."""
    return plain(impact_of(engine, initiative_id, comparison=comparison or None, matched=matched, indicator=indicator))


def initiative_scenario_doc(engine: Engine, initiative_id: str) -> Any:
    """Caseload, cost and savings scenarios of an initiative as plain data."""
    return plain(initiative_scenarios(engine, initiative_id))
