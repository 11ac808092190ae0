"""The gaps explorer: choose an indicator and a comparison (group vs comparator, area vs the rest of its parent,
most deprived fifth vs the rest, SII) and see level, gap, trend and gap-closing target progress."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from gapwatch.errors import InvalidInput
from gapwatch.queries.indicator import comparators_doc
from gapwatch.services.gaps_explorer import explore
from gapwatch.services.gaps_view import COMPARISONS
from gapwatch.web.charts import COMPARISON_COLOURS, gap_specs
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import DB, READ, blank_to_none, errors_of
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/gaps")
def gaps_page(request: Request, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """The explorer; without an indicator, the list of gap-closing targets and their progress."""
    q = request.query_params
    try:
        view = explore(
            db,
            blank_to_none(q.get("indicator")),
            blank_to_none(q.get("comparison")),
            area=blank_to_none(q.get("area")),
            category_type=blank_to_none(q.get("category_type")),
            subject=blank_to_none(q.get("subject")),
            comparator=blank_to_none(q.get("comparator")),
        )
        errors: dict[str, str] = {}
    except InvalidInput as exc:
        view = explore(db, blank_to_none(q.get("indicator")), None)
        errors = errors_of(exc.problems)
    specs = gap_specs([view.series]) if view.series is not None else {}
    # The gap's area against England, its region and a comparator group (``group``; ``comparator`` is already
    # the gap's own comparator): the comparators document of ``gapwatch gap show --comparator`` and the API.
    compared = view.subject if view.comparison == "area" else view.area
    comparators = None
    if view.indicator_id and compared and not errors:
        try:
            comparators = comparators_doc(
                db,
                view.indicator_id,
                area=compared,
                comparator=blank_to_none(q.get("group")),
                colour=blank_to_none(q.get("colour")) or "group",
            )
        except InvalidInput as exc:
            # the page's field is "group" ("comparator" is the gap's own): say what was wrong and what to choose
            detail = "; ".join(p.message for p in exc.problems)
            errors = {"group": f"{exc.message} ({detail})" if detail else exc.message}
            comparators = comparators_doc(db, view.indicator_id, area=compared)
    hidden = [
        ("indicator", view.indicator_id),
        ("comparison", view.comparison),
        ("area", view.area if view.comparison != "area" else None),
        ("category_type", view.category_type),
        ("subject", view.subject),
        ("comparator", view.comparator),
    ]
    return render(
        request,
        "gaps/index.html",
        {
            "view": view,
            "comparisons": COMPARISONS,
            "gap_specs": specs,
            "errors": errors,
            "comparators": comparators,
            "comparator_action": "/gaps",
            "comparator_param": "group",
            "comparator_hidden": hidden,
            "comparison_colours": COMPARISON_COLOURS,
        },
        status_code=400 if errors else 200,
    )
