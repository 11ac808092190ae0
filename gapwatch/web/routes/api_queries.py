"""JSON API read models: the same objects the command line prints with ``--format json``.

``GET /api/v1/indicators/{id}`` is ``gapwatch indicator show ID --format json``; ``GET /api/v1/gaps/{id}`` is
``gapwatch gap show ID --format json``. Both come from :mod:`gapwatch.queries`, so a test can compare them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gapwatch.queries.dashboard import dashboard_summary
from gapwatch.queries.gap import gap_show
from gapwatch.queries.indicator import indicator_show
from gapwatch.queries.initiatives import (
    initiative_detail,
    initiative_impact,
    initiative_list,
    initiative_scenario_doc,
)
from gapwatch.queries.reading import cycle_cutoff, cycle_window_of
from gapwatch.web.deps import CurrentUser, DbSession, require
from gapwatch.web.permissions import Permission
from gapwatch.web.window import request_window

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["analysis"])

Reader = Annotated[CurrentUser, Depends(require(Permission.READ))]
CycleQuery = Annotated[str | None, Query(description="Only data up to this reporting cycle's cut-off.")]


@router.get("/indicators/{indicator_id}", summary="An indicator: series, intervals, trend and targets")
def indicator(
    indicator_id: str,
    user: Reader,
    db: DbSession,
    area: Annotated[str | None, Query(description="Area code (default: the partnership's area).")] = None,
    cycle: CycleQuery = None,
    comparator: Annotated[str | None, Query(description="Comparator group id to compare the area with.")] = None,
    colour: Annotated[str, Query(description="Colour the ranking against: group, england or region.")] = "group",
) -> dict[str, Any]:
    """The headline series with 95% intervals (or why none), the recent trend with its level and p, each
    target judged at its date with what happened since and the plan's reward, and the area against England,
    its region and a comparator group (value from summed counts, rank in the group)."""
    return {
        "data": indicator_show(
            db, indicator_id, area=area, cutoff=cycle_cutoff(db, cycle), comparator=comparator, colour=colour
        )
    }


@router.get("/gaps/{indicator_id}", summary="A gap per period with its trend and target progress")
def gap(
    indicator_id: str,
    user: Reader,
    db: DbSession,
    by: Annotated[str | None, Query(description="Population group breakdown (category type id).")] = None,
    area: Annotated[str | None, Query(description="With by: the area. Alone: the subject area.")] = None,
    versus: Annotated[str | None, Query(description="With area: 'rest' or another area's code.")] = None,
    subject: Annotated[str | None, Query(description="With by: the group to compare.")] = None,
    sii: Annotated[bool, Query(description="With a deprivation breakdown: the slope index of inequality.")] = False,
    cycle: CycleQuery = None,
    comparator: Annotated[str | None, Query(description="Also compare the gap's area with this group.")] = None,
) -> dict[str, Any]:
    """Per period: subject, comparator, gap and its 95% interval (or why none); the trend verdict with its
    method, level, p and periods used; the progress of a gap-closing target on this gap."""
    return {
        "data": gap_show(
            db,
            indicator_id,
            by=by,
            area=area,
            versus=versus,
            subject=subject,
            sii=sii,
            cutoff=cycle_cutoff(db, cycle),
            comparator=comparator,
        )
    }


@router.get("/dashboard", summary="The dashboard: indicators, gaps, actions and KPQ answers")
def dashboard(
    user: Reader,
    db: DbSession,
    board: Annotated[str | None, Query(description="One board's view (id).")] = None,
    locality: Annotated[str | None, Query(description="Area code: indicators and gaps in that area.")] = None,
    priority: Annotated[str | None, Query(description="Priority id.")] = None,
    cycle: Annotated[str | None, Query(description="Judge in this reporting cycle's window.")] = None,
) -> dict[str, Any]:
    """Indicators by target status, gaps by verdict, actions by RAG and the KPQ answers, overall, per ambition
    and per board, judged in the cycle's window (default: the open cycle's, else today's half-year): what
    ``gapwatch dashboard --format json`` prints."""
    window = cycle_window_of(db, cycle) if cycle else request_window(db)
    return {
        "data": dashboard_summary(db, window, board=board or None, locality=locality or None, priority=priority or None)
    }


def _engine(db: Any) -> Any:
    return db.get_bind()


@router.get("/initiatives", summary="Initiatives: id, name, target areas, dates")
def initiatives(user: Reader, db: DbSession) -> dict[str, Any]:
    """What ``gapwatch initiative list --format json`` prints."""
    return {"data": initiative_list(_engine(db))}


@router.get("/initiatives/{initiative_id}", summary="One initiative in full")
def initiative(initiative_id: str, user: Reader, db: DbSession) -> dict[str, Any]:
    """Targets, dates, phases, lead and partners, money, caseload, links and sources."""
    return {"data": initiative_detail(_engine(db), initiative_id)}


@router.get("/initiatives/{initiative_id}/impact", summary="An initiative's impact against comparison areas")
def initiative_impact_route(
    initiative_id: str,
    user: Reader,
    db: DbSession,
    comparison: Annotated[list[str] | None, Query(description="Comparison area or grouping ids.")] = None,
    matched: Annotated[int | None, Query(description="Match this many comparison areas.")] = None,
    indicator: Annotated[str | None, Query(description="Indicator id (default: the initiative's first).")] = None,
) -> dict[str, Any]:
    """Difference in differences with its 95% interval, the parallel-trends check, the relative chance and an
    interrupted time series: what ``gapwatch initiative impact --format json`` prints."""
    return {
        "data": initiative_impact(
            _engine(db), initiative_id, comparison=comparison, matched=matched, indicator=indicator
        )
    }


@router.get("/initiatives/{initiative_id}/scenarios", summary="Caseload, cost and savings scenarios")
def initiative_scenarios_route(initiative_id: str, user: Reader, db: DbSession) -> dict[str, Any]:
    """Low / central / high scenarios with workers, cost and avoidable cost, and savings proposals."""
    return {"data": initiative_scenario_doc(_engine(db), initiative_id)}
