"""Initiatives pages: the list (/initiatives) and one initiative (/initiatives/{id}) — what it is, who leads it,
where and when it runs, its money, caseload and scenarios, its impact with intervals and verdict (or why it cannot
be judged), and the outcomes, KPQs and studies it serves. Built only from :mod:`gapwatch.queries.initiatives`, the
module the JSON API and the CLI print, so the page and ``/api/v1/initiatives/{id}…`` show the same figures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from starlette.responses import Response

from gapwatch.queries.initiatives import initiative_list, initiative_page
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import ENGINE, READ
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def caseload_chart(scenarios: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Vega-Lite bar chart of the workers needed in each caseload scenario, at each caseload per worker (the
    sensitivity table's rows at the first avoided share); the table on the page has the same figures."""
    if not scenarios or not scenarios.get("caseload"):
        return None
    rows = scenarios["caseload"]["sensitivity"]
    first_share = rows[0]["avoidable_share"] if rows else None
    values = [
        {"scenario": r["scenario"], "per_worker": f"{r['per_worker']:g} per worker", "workers": r["workers"]}
        for r in rows
        if r["workers"] is not None and r["avoidable_share"] == first_share
    ]
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container",
        "height": 220,
        "title": "Workers needed by scenario and caseload per worker",
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "scenario", "type": "nominal", "sort": ["low", "central", "high"], "title": "Scenario"},
            "xOffset": {"field": "per_worker"},
            "y": {"field": "workers", "type": "quantitative", "title": "Workers needed"},
            "color": {"field": "per_worker", "type": "nominal", "title": "Caseload"},
            "tooltip": [{"field": "scenario"}, {"field": "per_worker"}, {"field": "workers", "format": ","}],
        },
        "config": {"font": "system-ui, sans-serif", "view": {"stroke": None}},
    }


@router.get("/initiatives")
def initiatives_page(request: Request, user: CurrentUser | None = READ, engine: Engine = ENGINE) -> Response:
    """Every initiative of the framework: name, target areas and dates."""
    return render(request, "initiatives/index.html", {"initiatives": initiative_list(engine)})


@router.get("/initiatives/{initiative_id}")
def initiative(
    request: Request, initiative_id: str, user: CurrentUser | None = READ, engine: Engine = ENGINE
) -> Response:
    """One initiative in full, with its scenarios and its impact (or the reason it cannot be computed)."""
    page = initiative_page(engine, initiative_id)
    return render(request, "initiatives/show.html", {"p": page, "chart_spec": caseload_chart(page["scenarios"])})
