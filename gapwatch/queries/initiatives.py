"""Initiatives as data: the list, one initiative, its impact and its scenarios — the objects
``gapwatch initiative … --format json`` prints and ``/api/v1/initiatives…`` returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from gapwatch.errors import GapwatchError
from gapwatch.queries.json import plain
from gapwatch.services.frameworks import stored_framework
from gapwatch.services.initiatives import get_initiative, impact_of, initiative_scenarios, list_initiatives

__all__ = ["initiative_detail", "initiative_impact", "initiative_list", "initiative_page", "initiative_scenario_doc"]


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


def _named(index: dict[str, Any], ids: Sequence[str], attr: str = "name") -> list[dict[str, Any]]:
    """Ids with their names (the id itself where the framework does not hold the item)."""
    out = []
    for i in ids:
        item = index.get(i)
        out.append(
            {"id": i, "name": getattr(item, attr, None) or i if item is not None else i, "known": item is not None}
        )
    return out


def _unavailable(error: GapwatchError) -> dict[str, Any]:
    return {"reason": error.message, "hint": error.hint}


def initiative_page(engine: Engine, initiative_id: str) -> dict[str, Any]:
    """Everything the initiative page shows: the initiative as the framework holds it, the names of its lead,
    partners, areas, outcomes, KPQs and studies, its scenarios and its impact against the comparison areas the
    framework states — each made by the same functions as the API's ``/initiatives/{id}``, ``…/scenarios`` and
    ``…/impact``, so the page and the API cannot disagree. Where the impact or scenarios cannot be computed the
    reason stands in their place (``{"reason": …, "hint": …}``)."""
    detail = initiative_detail(engine, initiative_id)
    framework = stored_framework(engine)
    ini = framework.index("initiatives")[initiative_id]
    orgs = framework.index("organisations")
    areas = {**framework.index("areas"), **framework.index("area_groupings")}
    studies = framework.index("evidence")
    scenarios: Any = None
    if ini.caseload_scenario is not None or ini.savings is not None:
        scenarios = initiative_scenario_doc(engine, initiative_id)
    try:
        impact: Any = initiative_impact(engine, initiative_id)
    except GapwatchError as error:
        impact = _unavailable(error)
    return {
        "initiative": detail,
        "lead": _named(orgs, [ini.lead])[0] if ini.lead else None,
        "partners": _named(orgs, ini.partners),
        "target_areas": _named(areas, ini.target_areas),
        "comparison_areas": _named(areas, ini.comparison_areas),
        "outcomes": _named(framework.index("outcomes"), ini.outcomes, "title"),
        "kpqs": _named(framework.index("kpqs"), ini.kpqs, "question"),
        "indicators": _named(framework.index("indicators"), ini.indicators, "title"),
        "studies": [
            {
                "id": s,
                "title": studies[s].title if s in studies else s,
                "published": studies[s].published if s in studies else None,
                "publisher": studies[s].publisher if s in studies else None,
                "finding": studies[s].finding if s in studies else None,
            }
            for s in ini.studies
        ],
        "dates_given": bool(ini.start or ini.end or ini.start_text or ini.end_text),
        "scenarios": scenarios,
        "impact": impact,
    }
