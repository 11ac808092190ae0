"""The public version of a board report: disclosure control applied to every figure and to what derives from it.

:mod:`gapwatch.analysis.disclosure` decides, cell by cell, what is withheld and (under the rounding
discipline) what is published instead. This module applies those decisions to a frozen report:

* a withheld cell loses its value, interval, count and denominator, each marked ``[c]``;
* under rounding, counts and denominators are the rounded ones and the value and its interval are worked
  out again from them (an exact rate beside a rounded count would give the count back);
* gaps, gap-closing and level targets (their latest value and their baseline, for any area — a district's
  target as much as the county's) are withheld for every period where a cell they are computed from is
  withheld; under rounding a gap is worked out again from the rounded figures, or withheld;
* free text that carries numbers (trend details, gap details, KPQ finding details) is left out, and only
  approved commentary is published.

Each blank carries its GSS symbol (``[c]`` confidential, ``[x]`` not available, ``[z]`` not applicable,
``[low]`` rounds to zero but is not zero) so the CSV, the JSON and the page all say why a figure is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl
from pydantic import BaseModel, Field

from gapwatch.analysis.frame import with_intervals
from gapwatch.analysis.gaps import rest_of
from gapwatch.domain.catalogue import partnership_county
from gapwatch.domain.indicators import DisclosureControl, Indicator, MeasureType
from gapwatch.domain.targets import TargetKind
from gapwatch.services._plan import Plan
from gapwatch.services.report_data import GapVerdict, IndicatorPage, ReportData, SeriesPoint, TargetStatus

__all__ = [
    "CONFIDENTIAL",
    "LOW",
    "NOT_APPLICABLE",
    "NOT_AVAILABLE",
    "SYMBOLS",
    "Decision",
    "Key",
    "PublicReport",
    "cell_id",
    "decisions_of",
    "gap_id",
    "public_version",
]

Key = tuple[str, str, str, str, str]

CONFIDENTIAL = "[c]"
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"
LOW = "[low]"

#: The GSS shorthand used in the open data and on /public, with what each means here.
SYMBOLS: dict[str, str] = {
    CONFIDENTIAL: "confidential: withheld to protect small numbers - a count below the threshold, a figure "
    "from which one could be worked out, or a value derived from one",
    NOT_AVAILABLE: "not available: the source gives no such figure (or, under rounding, no interval is published)",
    NOT_APPLICABLE: "not applicable: the figure does not exist for this kind of indicator (a count has no denominator)",
    LOW: "low: a figure that rounds to zero at the precision shown but is not zero",
}

_WITH_DENOMINATOR = {MeasureType.PROPORTION.value, MeasureType.RATE.value, MeasureType.STANDARDISED_RATE.value}
_RECOMPUTED = {MeasureType.PROPORTION.value, MeasureType.RATE.value, MeasureType.COUNT.value}
_COLUMNS = ("value", "lower", "upper", "count", "denominator")


@dataclass(frozen=True)
class Decision:
    """What disclosure control decided for one cell (see :func:`gapwatch.analysis.disclosure.disclosure_pattern`)."""

    method: str
    withheld: bool
    reason: str | None
    count: float | None
    denominator: float | None
    n: float | None
    d: float | None


class PublicReport(BaseModel):
    """A published report with the symbol of every blank or altered figure (stored with the publication)."""

    report: ReportData
    cells: dict[str, dict[str, str]] = Field(default_factory=dict, description="cell id -> column -> symbol")
    withheld: dict[str, str] = Field(default_factory=dict, description="cell id -> why it is withheld")
    gap_points: dict[str, str] = Field(default_factory=dict, description="gap id|period -> symbol")
    gap_latest: dict[str, str] = Field(default_factory=dict, description="gap id -> symbol of the latest gap")
    targets: dict[str, dict[str, str]] = Field(default_factory=dict, description="target -> field -> symbol")
    methods: dict[str, str] = Field(default_factory=dict, description="indicator -> threshold | rounding")
    thresholds: dict[str, int] = Field(default_factory=dict, description="indicator -> threshold")


def cell_id(indicator: str, period: str, area: str, category_type: str, category: str) -> str:
    """How a cell is named in a :class:`PublicReport`."""
    return "|".join((indicator, period, area, category_type, category))


def gap_id(g: GapVerdict) -> str:
    """How a gap is named in a :class:`PublicReport`."""
    return "|".join((g.indicator, g.measure, g.subject or "", g.comparator or "", g.label))


def _key(page: str, p: SeriesPoint) -> Key:
    return (page, p.period, p.area, p.category_type, p.category)


def _f(value: object) -> float | None:
    if value is None:
        return None
    out = float(value)  # type: ignore[arg-type]
    return None if math.isnan(out) else out


def decisions_of(pattern: pl.DataFrame) -> dict[Key, Decision]:
    """The pattern frame as a look-up by cell key."""
    out: dict[Key, Decision] = {}
    for r in pattern.iter_rows(named=True):
        key = (r["indicator"], r["period"], r["area"], r["category_type"], r["category"])
        out[key] = Decision(
            method=r["method"],
            withheld=bool(r["withheld"]),
            reason=r["reason"],
            count=_f(r["count_out"]),
            denominator=_f(r["denominator_out"]),
            n=_f(r["n"]),
            d=_f(r["d"]),
        )
    return out


def _value_from(measure: str, multiplier: float, n: float | None, d: float | None) -> float | None:
    """A proportion's or rate's value from a count and denominator (a count's value is the count)."""
    if n is None:
        return None
    if measure == MeasureType.COUNT.value:
        return n
    if measure in (MeasureType.PROPORTION.value, MeasureType.RATE.value) and d:
        return n / d * multiplier
    return None


class _Context:
    """Everything a page's derived figures are judged against."""

    def __init__(self, plan: Plan, decisions: dict[Key, Decision], original: dict[Key, SeriesPoint]) -> None:
        self.plan = plan
        self.decisions = decisions
        self.original = original
        self.county = partnership_county(plan.framework)
        self.type_of = {c.id: ct.id for ct in plan.framework.groups for c in ct.categories}
        self.split: dict[tuple[str, str, str], list[Key]] = {}
        for key in decisions:
            if key[3]:
                self.split.setdefault(key[:3], []).append(key)

    def withheld(self, key: Key) -> bool:
        found = self.decisions.get(key)
        return found is not None and found.withheld

    def published_value(self, ind: Indicator, key: Key) -> float | None:
        """The value a reader sees for ``key`` (from the rounded figures under rounding)."""
        found = self.decisions.get(key)
        if found is None or found.withheld:
            return None
        if found.method == DisclosureControl.ROUNDING.value:
            return _value_from(ind.measure.value, ind.multiplier, found.count, found.denominator)
        point = self.original.get(key)
        return point.value if point is not None else _value_from(ind.measure.value, ind.multiplier, found.n, found.d)

    def true_value(self, ind: Indicator, key: Key) -> float | None:
        point = self.original.get(key)
        if point is not None and point.value is not None:
            return point.value
        found = self.decisions.get(key)
        return None if found is None else _value_from(ind.measure.value, ind.multiplier, found.n, found.d)


def public_version(
    report: ReportData,
    decisions: dict[Key, Decision],
    plan: Plan,
    original: dict[Key, SeriesPoint],
    default_threshold: int,
) -> PublicReport:
    """The public version of ``report`` under ``decisions`` (every board's cells, so gaps can be judged).

    ``original`` holds the unprotected points of every report of the cycle, to check how a gap was formed
    before working it out again from rounded figures.
    """
    data = report.model_copy(deep=True)
    out = PublicReport(report=data)
    ctx = _Context(plan, decisions, original)
    for page in data.indicators:
        ind = plan.indicators.get(page.id)
        method = ind.disclosure_control.value if ind else DisclosureControl.THRESHOLD.value
        out.methods[page.id] = method
        out.thresholds[page.id] = page.suppression_threshold or default_threshold
        page.headline = _cells(page, page.headline, ind, decisions, out)
        page.breakdowns = _cells(page, page.breakdowns, ind, decisions, out)
        page.trend_detail = None
        if ind is not None:
            for g in page.gaps:
                _gap(g, page, ind, ctx, out)
            for t in page.targets:
                _target(t, ind, ctx, out)
    data.targets = [t for p in data.indicators for t in p.targets]
    data.gaps = [g for p in data.indicators for g in p.gaps]
    for k in data.kpqs:
        for f in k.answer.reasons:
            f.detail = None
    data.commentary = [c for c in data.commentary if c.status == "approved"]
    return out


def _blank(p: SeriesPoint) -> SeriesPoint:
    return p.model_copy(update={"value": None, "lower": None, "upper": None, "count": None, "denominator": None})


def _cells(
    page: IndicatorPage,
    points: list[SeriesPoint],
    ind: Indicator | None,
    decisions: dict[Key, Decision],
    out: PublicReport,
) -> list[SeriesPoint]:
    """Withheld cells blanked, rounded cells rounded (values and intervals again), every blank marked."""
    result: list[SeriesPoint] = []
    rounding: list[int] = []
    for p in points:
        key = _key(page.id, p)
        found = decisions.get(key)
        if found is not None and found.withheld:
            result.append(_blank(p))
            out.cells[cell_id(*key)] = dict.fromkeys(_COLUMNS, CONFIDENTIAL)
            out.withheld[cell_id(*key)] = found.reason or "secondary"
            continue
        if found is not None and found.method == DisclosureControl.ROUNDING.value:
            p = p.model_copy(update={"count": found.count, "denominator": found.denominator})
            rounding.append(len(result))
        elif found is not None and page.measure == MeasureType.COUNT.value and p.count is None:
            p = p.model_copy(update={"count": found.n})  # a count indicator's count is its value
        result.append(p)
    if rounding and ind is not None and page.measure in _RECOMPUTED:
        _recompute(result, rounding, ind, out, page.id)
    for p in result:
        marks = out.cells.setdefault(cell_id(*_key(page.id, p)), {})
        if CONFIDENTIAL in marks.values():
            continue
        for column in _COLUMNS:
            if getattr(p, column) is None and column not in marks:
                marks[column] = (
                    NOT_APPLICABLE
                    if column == "denominator" and page.measure not in _WITH_DENOMINATOR
                    else NOT_AVAILABLE
                )
        if not marks:
            del out.cells[cell_id(*_key(page.id, p))]
    return result


def _recompute(points: list[SeriesPoint], rows: list[int], ind: Indicator, out: PublicReport, page: str) -> None:
    """Values and 95% intervals worked out again from the rounded counts (to one decimal place)."""
    frame = pl.DataFrame(
        {
            "count": [points[i].count for i in rows],
            "denominator": [points[i].denominator for i in rows],
            "value": [None if points[i].count is not None else points[i].value for i in rows],
            "lower": [None if points[i].count is not None else points[i].lower for i in rows],
            "upper": [None if points[i].count is not None else points[i].upper for i in rows],
        },
        schema={c: pl.Float64 for c in ("count", "denominator", "value", "lower", "upper")},
    )
    if ind.measure is not MeasureType.COUNT:
        frame = frame.with_columns(
            pl.when(pl.col("denominator") > 0).then(pl.col("count")).otherwise(None).alias("count")
        )
    done = with_intervals(frame, ind)
    for i, (value, lower, upper) in zip(rows, done.select("value", "lower", "upper").iter_rows(), strict=True):
        p = points[i]
        if p.count is None:
            continue
        shown = None if value is None else round(value, 1)
        update = {
            "value": shown,
            "lower": None if lower is None else round(lower, 1),
            "upper": None if upper is None else round(upper, 1),
        }
        if value is not None and value > 0 and shown == 0:
            update["value"] = None
            out.cells.setdefault(cell_id(*_key(page, p)), {})["value"] = LOW
        points[i] = p.model_copy(update=update)


# --- gaps and targets -----------------------------------------------------------------------------------


def _gap_inputs(
    measure: str, ind: Indicator, area: str, subject: str | None, comparator: str | None, period: str, ctx: _Context
) -> list[Key]:
    """The cells a gap at ``period`` is computed from (all of them, so a withheld one is never differenced)."""
    if measure == "group_gap":
        ct = ctx.type_of.get(subject or "", "")
        return [(ind.id, period, area, ct, c) for c in (subject, comparator) if c]
    if measure == "area_gap":
        parent, members, _name = rest_of(ctx.plan, comparator or "")
        areas = {a for a in (subject, comparator, parent, *members) if a}
        return [(ind.id, period, a, "", "") for a in sorted(areas)]
    ct = ctx.type_of.get(subject or "", "")
    split = ctx.split.get((ind.id, period, area), [])
    return [k for k in split if k[3] == ct] or split


def _rest(ind: Indicator, period: str, subject: str, comparator: str, ctx: _Context, rounded: bool) -> float | None:
    """The comparator's value: its own row, else its parent minus the subject (from counts)."""
    own = (ind.id, period, comparator, "", "")
    if own in ctx.decisions:
        return ctx.published_value(ind, own) if rounded else ctx.true_value(ind, own)
    parent, _members, _name = rest_of(ctx.plan, comparator)
    whole = ctx.decisions.get((ind.id, period, parent or "", "", ""))
    part = ctx.decisions.get((ind.id, period, subject, "", ""))
    if whole is None or part is None or whole.withheld or part.withheld:
        return None
    wn, wd = (whole.count, whole.denominator) if rounded else (whole.n, whole.d)
    pn, pd = (part.count, part.denominator) if rounded else (part.n, part.d)
    if wn is None or pn is None:
        return None
    if ind.measure is MeasureType.COUNT:
        return wn - pn
    if wd is None or pd is None or wd - pd <= 0:
        return None
    return _value_from(ind.measure.value, ind.multiplier, wn - pn, wd - pd)


def _regap(
    measure: str,
    ind: Indicator,
    area: str,
    subject: str | None,
    comparator: str | None,
    period: str,
    before: float | None,
    ctx: _Context,
) -> float | None:
    """A gap worked out again from the rounded figures, when it is a plain difference of the two values."""
    if before is None or not subject or not comparator:
        return None
    if measure == "group_gap":
        ct = ctx.type_of.get(subject, "")
        s_key, c_key = (ind.id, period, area, ct, subject), (ind.id, period, area, ct, comparator)
        s0, c0 = ctx.true_value(ind, s_key), ctx.true_value(ind, c_key)
        s1, c1 = ctx.published_value(ind, s_key), ctx.published_value(ind, c_key)
    elif measure == "area_gap":
        s_key = (ind.id, period, subject, "", "")
        s0, s1 = ctx.true_value(ind, s_key), ctx.published_value(ind, s_key)
        c0, c1 = _rest(ind, period, subject, comparator, ctx, False), _rest(ind, period, subject, comparator, ctx, True)
    else:
        return None
    if None in (s0, c0, s1, c1):
        return None
    assert s0 is not None and c0 is not None and s1 is not None and c1 is not None
    tolerance = 1e-3 * max(1.0, abs(before))
    if abs(before - (s0 - c0)) <= tolerance:
        return round(s1 - c1, 2)
    if abs(before + (s0 - c0)) <= tolerance:
        return round(c1 - s1, 2)
    return None


def _gap(g: GapVerdict, page: IndicatorPage, ind: Indicator, ctx: _Context, out: PublicReport) -> None:
    rounding = ind.disclosure_control is DisclosureControl.ROUNDING
    gid = gap_id(g)
    changed = False
    points = []
    for p in g.points:
        area = p.area or page.area or ctx.county or ""
        inputs = _gap_inputs(g.measure, ind, area, g.subject, g.comparator, p.period, ctx)
        if p.value is None:
            points.append(p)
            continue
        if any(ctx.withheld(k) for k in inputs):
            points.append(_blank(p))
            out.gap_points[f"{gid}|{p.period}"] = CONFIDENTIAL
            changed = True
        elif rounding:
            again = _regap(g.measure, ind, area, g.subject, g.comparator, p.period, p.value, ctx)
            points.append(p.model_copy(update={"value": again, "lower": None, "upper": None}))
            if again is None:
                out.gap_points[f"{gid}|{p.period}"] = CONFIDENTIAL
            changed = True
        else:
            points.append(p)
    g.points = points
    if changed:
        g.detail = None
        last = next((p for p in reversed(g.points) if p.value is not None), None)
        if rounding or (g.latest_period is not None and f"{gid}|{g.latest_period}" in out.gap_points):
            g.latest_gap, g.lower, g.upper = None, None, None
            g.latest_period = last.period if last else None
            if last is not None:
                g.latest_gap, g.lower, g.upper = last.value, last.lower, last.upper
            else:
                out.gap_latest[gid] = CONFIDENTIAL


def _target(t: TargetStatus, ind: Indicator, ctx: _Context, out: PublicReport) -> None:
    target = next((x for x in ctx.plan.framework.targets if x.id == t.target), None)
    if target is None:
        return
    rounding = ind.disclosure_control is DisclosureControl.ROUNDING
    marks: dict[str, str] = {}
    for field, period in (("latest", t.latest_period), ("baseline", t.baseline_period)):
        current = getattr(t, field)
        if period is None or current is None:
            continue
        if target.kind is TargetKind.LEVEL:
            key = (ind.id, period, target.area or ctx.county or "", "", "")
            if key not in ctx.decisions:
                continue  # a figure stated in the plan, not a published cell
            if ctx.withheld(key):
                setattr(t, field, None)
                marks[field] = CONFIDENTIAL
            elif rounding:
                setattr(t, field, _round(ctx.published_value(ind, key)))
        elif target.gap is not None:
            subject, comparator = target.gap.subject, target.gap.comparator
            measure = "group_gap" if subject in ctx.type_of else "area_gap"
            area = ctx.county or ""
            inputs = _gap_inputs(measure, ind, area, subject, comparator, period, ctx)
            if not any(k in ctx.decisions for k in inputs):
                continue
            if any(ctx.withheld(k) for k in inputs):
                setattr(t, field, None)
                marks[field] = CONFIDENTIAL
            elif rounding:
                again = _regap(measure, ind, area, subject, comparator, period, current, ctx)
                setattr(t, field, again)
                if again is None:
                    marks[field] = CONFIDENTIAL
    if marks:
        out.targets[t.target] = marks
        t.detail = "withheld to protect small numbers"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
