"""Indicators: the list, and each indicator's page (definition, trend with intervals and target trajectory,
districts ranked against the county, population groups and their gaps, SII, the data with its lineage) with
a CSV download of the data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from gapwatch.analysis.comparators import BenchmarkPoint
from gapwatch.errors import InvalidInput
from gapwatch.queries.indicator import comparators_doc
from gapwatch.services.comments import add_comment, comments_on
from gapwatch.services.dashboard import STATUS_ORDER, indicator_statuses
from gapwatch.services.indicator_view import IndicatorPage, indicator_csv, indicator_page
from gapwatch.services.observations import cached
from gapwatch.services.plans import current_plan
from gapwatch.web.charts import COMPARISON_COLOURS, districts_chart, gap_specs, groups_chart, trend_chart
from gapwatch.web.deps import CurrentUser
from gapwatch.web.permissions import Permission
from gapwatch.web.routes._pages import COMMENT, DB, READ, blank_to_none, errors_of, form_value
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/indicators")
def indicators_page(request: Request, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """Every indicator with its target status and latest data; filter by ambition, priority, status or words."""
    plan = current_plan(db)
    q = request.query_params
    ambition, priority = blank_to_none(q.get("ambition")), blank_to_none(q.get("priority"))
    status, words = blank_to_none(q.get("status")), (blank_to_none(q.get("q")) or "").casefold()
    flag = blank_to_none(q.get("flag"))  # 'laa' (Local Area Agreement) or 'statutory' (national indicator set)
    chosen = [
        i
        for i in plan.framework.indicators
        if (ambition is None or ambition in plan.indicator_ambitions(i))
        and (priority is None or priority in plan.indicator_priorities(i))
        and (not words or words in f"{i.code} {i.title} {i.description or ''}".casefold())
        and (flag not in ("laa", "statutory") or getattr(i, flag))
    ]
    statuses = indicator_statuses(db, chosen, None)
    if status:
        statuses = [s for s in statuses if s.status == status]
    return render(
        request,
        "indicators/list.html",
        {
            "statuses": statuses,
            "plan": plan,
            "ambition": ambition,
            "priority": priority,
            "status": status,
            "flag": flag,
            "flags": {i.id: [f for f in ("laa", "statutory") if getattr(i, f)] for i in chosen},
            "q": q.get("q", ""),
            "status_options": [(s, s.capitalize()) for s in STATUS_ORDER],
        },
    )


def benchmark_points(comparators: dict[str, Any] | None) -> list[BenchmarkPoint]:
    """The comparators document's benchmark series (England, the region, the group at each of the area's
    periods) as the chart takes them: the lines drawn are the numbers the API returns."""
    return [BenchmarkPoint(**p) for p in (comparators or {}).get("series", [])]


def _charts(page: IndicatorPage, comparators: dict[str, Any] | None = None) -> dict[str, Any]:
    unit = page.indicator.unit
    lines = benchmark_points(comparators)
    return {
        "trend": trend_chart(
            page.series,
            page.level_targets,
            unit,
            f"{page.indicator.code} in {page.area_name or 'the area'}",
            benchmarks=lines,
            area_name=page.area_name,
        ),
        "districts": districts_chart(
            page.districts,
            page.benchmark,
            page.area_name or "the area",
            unit,
            lines=[b for b in lines if b.period == page.districts_period],
        ),
        "groups": groups_chart(page.groups, unit),
        "gaps": gap_specs([*page.gap_series, *page.sii]),
    }


def _page_context(
    db: Session,
    indicator_id: str,
    area: str | None,
    user: CurrentUser | None,
    comparator: str | None = None,
    colour: str = "group",
) -> dict[str, object]:
    page = indicator_page(db, indicator_id, area=area)
    plan = current_plan(db)
    comparators = (
        comparators_doc(db, indicator_id, area=page.area, comparator=comparator, colour=colour) if page.area else None
    )
    charts = cached(
        db, ("indicator_charts", indicator_id, area, comparator, colour), lambda: _charts(page, comparators)
    )
    return {
        "page": page,
        "charts": charts,
        "gap_specs": charts["gaps"],
        "plan": plan,
        "comparators": comparators,
        "benchmark_table": benchmark_table(comparators),
        "comparison_colours": COMPARISON_COLOURS,
        "comments": comments_on(db, "indicator", indicator_id),
        "can_comment": user is not None and user.may(Permission.COMMENT),
    }


def benchmark_table(comparators: dict[str, Any] | None) -> dict[str, Any]:
    """The trend table's benchmark columns: each benchmark's name (in the document's order) and its value by
    period — the text equivalent of the chart's lines."""
    columns: dict[str, str] = {}
    values: dict[tuple[str, str], dict[str, Any]] = {}
    for p in (comparators or {}).get("series", []):
        key = f"{p['kind']}:{p['code']}"
        columns.setdefault(key, p["name"])
        values[(key, p["period"])] = p
    return {"columns": list(columns.items()), "values": values}


@router.get("/indicators/{indicator_id}")
def indicator_detail(
    request: Request,
    indicator_id: str,
    area: str | None = None,
    comparator: str | None = None,
    colour: str | None = None,
    user: CurrentUser | None = READ,
    db: Session = DB,
) -> Response:
    """One indicator's page; ``area`` reads it for another area (default: the partnership's own); ``comparator``
    (a comparator group id) and ``colour`` (group, england or region) choose the comparison — the API's
    ``comparators`` document, so the page and ``/api/v1/indicators/{id}?comparator=`` agree."""
    context = _page_context(
        db, indicator_id, blank_to_none(area), user, comparator=blank_to_none(comparator), colour=colour or "group"
    )
    context["saved"] = request.query_params.get("saved")
    context["rows"] = _rows_page(context["page"], request.query_params.get("rows"))  # type: ignore[arg-type]
    return render(request, "indicators/detail.html", context)


#: Values per page of an indicator's data table: an LSOA-level indicator has tens of thousands.
ROWS_PER_PAGE = 100


def _rows_page(page: IndicatorPage, wanted: str | None) -> dict[str, Any]:
    """One page of the data table (1-based, clamped), with the numbers the pager needs."""
    total = len(page.table)
    pages = max(1, -(-total // ROWS_PER_PAGE))
    number = int(wanted) if wanted and wanted.isdigit() else 1
    number = min(max(number, 1), pages)
    start = (number - 1) * ROWS_PER_PAGE
    return {
        "items": page.table[start : start + ROWS_PER_PAGE],
        "number": number,
        "pages": pages,
        "first": start + 1 if total else 0,
        "last": min(start + ROWS_PER_PAGE, total),
        "total": total,
        "open": wanted is not None,
    }


@router.get("/indicators/{indicator_id}/data.csv")
def indicator_data(indicator_id: str, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """The indicator's data as CSV, each row with its source and import batch."""
    body = indicator_csv(db, indicator_id)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in indicator_id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{safe}.csv"'},
    )


@router.post("/indicators/{indicator_id}/comments")
async def indicator_comment(
    request: Request, indicator_id: str, user: CurrentUser | None = COMMENT, db: Session = DB
) -> Response:
    """Add a comment on an indicator (board members, performance officers, admins)."""
    assert user is not None
    form = await request.form()
    body = form_value(form, "comment")
    try:
        add_comment(db, user, "indicator", indicator_id, body)
    except InvalidInput as exc:
        db.rollback()
        context = _page_context(db, indicator_id, None, user)
        context.update(errors=errors_of(exc.problems), comment_value=body.strip())
        return render(request, "indicators/detail.html", context, status_code=422)
    db.commit()
    return RedirectResponse(f"/indicators/{indicator_id}?saved=comment#comments", status_code=303)
