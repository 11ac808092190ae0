"""Charts of a board report as Vega-Lite specifications (Altair), rendered to SVG or PNG by vl-convert.

One specification serves every output: the HTML report and the web page inline the SVG, the PDF embeds
the same SVG (WeasyPrint draws it; no browser is involved), and the Word document gets a PNG of it.
A chart is only drawn from values that exist: a series with no value gives no chart (the report says
there is no data instead), intervals are drawn only where the data carry them, and a chart showing any
illustrative (generated demo) value says so in its subtitle, in red.
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import altair as alt
from altair.utils.schemapi import debug_mode

from gapwatch.domain.periods import parse_period
from gapwatch.services.report_data import GapVerdict, IndicatorPage, SeriesPoint

__all__ = [
    "ILLUSTRATIVE_NOTE",
    "Chart",
    "area_gap_charts",
    "breakdown_chart",
    "gap_chart",
    "heat_map_chart",
    "period_order",
    "rag_chart",
    "to_png",
    "to_svg",
    "trend_chart",
]

ILLUSTRATIVE_NOTE = "Includes illustrative demo data, not real observations"
_CHART_NOTE = "Illustrative demo data, not real"

#: The generic family: resolved once by vl-convert (a list of named fonts costs ~10 ms per chart to resolve).
#: The font the charts are measured and drawn in: the report's own (DejaVu Sans), so that vl-convert lays text out
#: in the widths WeasyPrint draws it (a generic "sans-serif" may be measured in one font and drawn in another).
_FONT = "DejaVu Sans"
_WIDTH = 300
_HEIGHT = 130
_BLUE = "#1d70b8"
_GREY = "#505a5f"
_RED = "#d4351c"
#: House style: few ticks and no vertical grid (fewer marks to draw, easier to read at A4 half width).
#: The longest line of a category label before it wraps (in characters).
_LABEL_CHARS = 30
#: The longest line of a chart's title and subtitle (12 and 11 px DejaVu Sans across a 300 px chart).
_TITLE_CHARS = 40
_SUB_CHARS = 46
#: The longest line of a legend label (9 px under a 300 px chart).
_LEGEND_CHARS = 52
_CONFIG: dict[str, Any] = {
    "font": _FONT,
    "view": {"strokeWidth": 0},
    # labelLimit 0: never cut a label short ("Free school meal eligibility: Eligibl…"); long ones wrap instead.
    "axis": {"tickCount": 5, "labelFontSize": 9, "titleFontSize": 10, "labelOverlap": True, "labelLimit": 0},
    "axisX": {"grid": False},
    "legend": {"labelFontSize": 9, "labelLimit": 0},
}
_RAG_COLOURS = {"red": "#d4351c", "amber": "#f47738", "green": "#00703c", "not updated": "#b1b4b6"}
_LEVEL_COLOURS = {"low": "#cce2d8", "medium": "#fff7bf", "high": "#f6d7d2"}


@dataclass(frozen=True)
class Chart:
    """A chart of the report: its Vega-Lite specification and what a reader without it needs.

    ``description`` is the text alternative (also the figure caption); the numbers behind every chart
    are in a table next to it in each output.
    """

    id: str
    kind: str
    title: str
    description: str
    spec: dict[str, Any] = field(repr=False)
    illustrative: bool = False


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def _end(label: str, known: dict[str, date | None]) -> date:
    end = known.get(label)
    if end is not None:
        return end
    try:
        return parse_period(label).end
    except (ValueError, TypeError):
        return date.max


def period_order(points: Iterable[SeriesPoint], extra: Iterable[str] = ()) -> list[str]:
    """Period labels oldest first (by end date; labels the points do not date are parsed)."""
    known: dict[str, date | None] = {}
    for p in points:
        known.setdefault(p.period, p.period_end)
    for label in extra:
        known.setdefault(label, None)
    return sorted(known, key=lambda label: (_end(label, known), label))


def _layered(layers: Sequence[alt.Chart], **props: Any) -> dict[str, Any]:
    """The Vega-Lite dict ``_layered(layers, **props).to_dict()`` gives, made from the layers' own dicts.

    Why: Altair's ``LayerChart`` deep-copies every layer and merges their parameters when it is built — a
    quarter of the report page's time, for charts with no parameters or selections to merge. Each layer is
    converted alone (without validation, as in :func:`_titled`) and the layer spec assembled around them;
    the result is the same dict (tested).
    """
    with debug_mode(False):
        parts = [layer.to_dict(validate=False) for layer in layers]
    head = {key: parts[0][key] for key in ("config",) if parts and key in parts[0]}
    tail = {key: parts[0][key] for key in ("$schema",) if parts and key in parts[0]}
    for part in parts:
        part.pop("config", None)
        part.pop("$schema", None)
    shared: dict[str, Any] = {}
    if parts and all("data" in part and part["data"] == parts[0]["data"] for part in parts):
        shared["data"] = parts[0]["data"]  # as Altair does: data every layer shares is given once, above them
        for part in parts:
            del part["data"]
    return {**head, "layer": parts, **shared, **dict(sorted(props.items())), **tail}


def _titled(
    chart: alt.TopLevelMixin | dict[str, Any],
    title: str,
    illustrative: bool,
    subtitle: str | None,
    datasets: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The chart's Vega-Lite dict with its title, house style and data.

    The data go in as top-level named ``datasets`` after the conversion, and Altair's per-object schema
    validation is off while converting: both cost far more than drawing (Altair deep-copies inline data
    at every composition step). The specifications are validated against the Vega-Lite schema in the
    tests, once per kind of chart.
    """
    # Titles wrap to the chart's width rather than run into the chart beside it (a list is drawn as lines).
    subtitles = [
        line for s in (subtitle, _CHART_NOTE if illustrative else None) if s for line in textwrap.wrap(s, _SUB_CHARS)
    ]
    lines = textwrap.wrap(title, _TITLE_CHARS) or [title]
    params: dict[str, Any] = {"text": lines if len(lines) > 1 else title, "anchor": "start", "fontSize": 12}
    if subtitles:
        params.update(subtitle=subtitles, subtitleColor=_RED if illustrative else _GREY, subtitleFontSize=11)
    if isinstance(chart, dict):
        spec = chart
    else:
        with debug_mode(False):
            spec = chart.to_dict(validate=False)
    spec.update(title=params, datasets=datasets, background="white", config=copy.deepcopy(_CONFIG))
    return spec


def _named(name: str) -> alt.Data:
    """A reference to one of the spec's top-level ``datasets`` (filled in by :func:`_titled`)."""
    return alt.Data(name=name)  # type: ignore[no-untyped-call]


def _value_rows(points: Iterable[SeriesPoint], label: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for p in points:
        if p.value is None:
            continue
        rows.append(
            {
                "period": p.period,
                "value": p.value,
                "lower": p.lower,
                "upper": p.upper,
                "series": label or "",
                "data": "illustrative" if p.illustrative else "observed",
            }
        )
    return rows


def trend_chart(
    page: IndicatorPage,
    area_name: str,
    *,
    chart_id: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Chart | None:
    """The indicator's headline series over time with 95% intervals, its level targets and trajectories,
    and England's and the region's values as comparator lines.

    Error bars are the intervals the data carry (Wilson for proportions, Byar's or exact Poisson for
    rates, as computed by the statistics engine); a target is a diamond at its value and date, joined to
    its baseline by a dashed trajectory (the straight line a target's status is judged against); the
    comparators are grey lines named in the legend (``names`` maps their area codes to names).
    """
    rows = _value_rows(page.headline)
    if not rows:
        return None
    level = [t for t in page.targets if t.kind == "level" and t.target_value is not None and t.target_period]
    targets = [
        {"period": t.target_period, "value": t.target_value, "label": f"target {t.target_period}"} for t in level
    ]
    trajectories = [
        {"period": period, "value": value, "target": t.target}
        for t in level
        if t.baseline is not None and t.baseline_period
        for period, value in ((t.baseline_period, t.baseline), (t.target_period, t.target_value))
    ]
    comparators = [
        {**r, "series": (names or {}).get(p.area, p.area)} for p in page.comparators for r in _value_rows([p])
    ]
    extra = [str(t["period"]) for t in targets + trajectories]
    order = period_order(page.headline, extra)
    illustrative = any(r["data"] == "illustrative" for r in rows)
    mixed = illustrative and any(r["data"] != "illustrative" for r in rows)  # mark which points are which
    x = alt.X("period:O", sort=order, title=None, axis=alt.Axis(labelAngle=0 if len(order) <= 5 else -40))
    y_title = page.unit or "value"
    datasets: dict[str, list[dict[str, Any]]] = {"values": rows}
    base = alt.Chart(_named("values"))
    layers: list[Any] = [
        base.mark_line(color=_BLUE, strokeWidth=2).encode(x=x, y=alt.Y("value:Q", title=y_title)),
        base.mark_point(filled=True, size=45, color=_BLUE).encode(
            x=x,
            y=alt.Y("value:Q"),
            shape=alt.Shape("data:N", title=None, legend=alt.Legend(orient="bottom") if mixed else None),
        ),
    ]
    if any(r["lower"] is not None and r["upper"] is not None for r in rows):
        layers.insert(0, base.mark_rule(color=_BLUE, opacity=0.6).encode(x=x, y=alt.Y("lower:Q"), y2=alt.Y2("upper:Q")))
    if comparators:
        datasets["comparators"] = comparators
        layers.insert(
            0,
            alt.Chart(_named("comparators"))
            .mark_line(strokeWidth=1.5, strokeDash=[2, 2], point=True)
            .encode(
                x=x,
                y=alt.Y("value:Q"),
                color=alt.Color("series:N", title=None, scale=alt.Scale(range=[_GREY, "#6f777b"]), legend=_LEGEND),
            ),
        )
    if trajectories:
        datasets["trajectories"] = trajectories
        layers.append(
            alt.Chart(_named("trajectories"))
            .mark_line(color=_RED, strokeDash=[6, 3], strokeWidth=1.5)
            .encode(x=x, y=alt.Y("value:Q"), detail="target:N")
        )
    if targets:
        datasets["targets"] = targets
        target_base = alt.Chart(_named("targets"))
        layers.append(
            target_base.mark_point(shape="diamond", size=110, color=_RED, filled=True).encode(x=x, y=alt.Y("value:Q"))
        )
        layers.append(
            target_base.mark_text(dy=-12, color=_RED, fontSize=10).encode(
                x=x, y=alt.Y("value:Q"), text=alt.Text("label:N")
            )
        )
    title = f"{page.code}: {area_name}, {order[0]} to {order[-1]}" if len(order) > 1 else f"{page.code}: {area_name}"
    subtitle = (
        "95% confidence intervals"
        + ("; diamonds: targets" if targets else "")
        + ("; dashed red: trajectory" if trajectories else "")
        + ("; grey: comparators" if comparators else "")
    )
    spec = _titled(_layered(layers, width=_WIDTH, height=_HEIGHT), title, illustrative, subtitle, datasets)
    description = (
        f"Line chart of {page.code} in {area_name}, {len(rows)} period(s) from {order[0]} to {order[-1]}"
        + (", with the target(s) marked" if targets else "")
        + (
            ", with " + " and ".join(sorted({c["series"] for c in comparators})) + " for comparison"
            if comparators
            else ""
        )
        + "; values in the table below."
    )
    return Chart(
        id=chart_id or f"trend-{_slug(page.id)}",
        kind="trend",
        title=f"{page.code} trend",
        description=description,
        spec=spec,
        illustrative=illustrative,
    )


#: Legends below the chart, one entry a row, long labels on several lines (never cut short).
_LEGEND = alt.Legend(orient="bottom", direction="vertical", labelLimit=0, labelExpr="split(datum.label, '|')")


def gap_chart(page: IndicatorPage, gaps: Sequence[GapVerdict], *, chart_id: str | None = None) -> Chart | None:
    """Each gap of the indicator over time (subject minus comparator, or the SII) with its interval.

    The gap's interval is the one the gap method gives (Newcombe's hybrid score for a difference of
    proportions, the Poisson-based interval for rates, the simulated interval for the SII); zero is
    drawn as the line of no gap.
    """
    rows: list[dict[str, Any]] = []
    points: list[SeriesPoint] = []
    for gap in gaps:
        label = "SII" if gap.measure == "sii" else gap.label
        rows.extend(_value_rows(gap.points, "|".join(textwrap.wrap(label, _LEGEND_CHARS)) or label))
        points.extend(gap.points)
    if not rows:
        return None
    order = period_order(points)
    illustrative = any(r["data"] == "illustrative" for r in rows) or any(g.illustrative for g in gaps)
    x = alt.X("period:O", sort=order, title=None, axis=alt.Axis(labelAngle=0 if len(order) <= 5 else -40))
    colour = alt.Color(
        "series:N",
        title=None,
        legend=_LEGEND,
    )
    base = alt.Chart(_named("values"))
    layers: list[Any] = [
        alt.Chart(_named("zero")).mark_rule(color=_GREY, strokeDash=[4, 3]).encode(y=alt.Y("zero:Q")),
        base.mark_line(strokeWidth=2).encode(x=x, y=alt.Y("value:Q", title=f"gap ({page.unit})"), color=colour),
        base.mark_point(filled=True, size=40).encode(x=x, y=alt.Y("value:Q"), color=colour),
    ]
    if any(r["lower"] is not None and r["upper"] is not None for r in rows):
        layers.insert(
            1, base.mark_rule(opacity=0.6).encode(x=x, y=alt.Y("lower:Q"), y2=alt.Y2("upper:Q"), color=colour)
        )
    spec = _titled(
        _layered(layers, width=_WIDTH, height=_HEIGHT),
        f"{page.code}: gaps over time",
        illustrative,
        "Group minus comparator (SII: slope index); 95% intervals",
        {"values": rows, "zero": [{"zero": 0}]},
    )
    names = "; ".join(sorted({str(r["series"]).replace("|", " ") for r in rows}))
    return Chart(
        id=chart_id or f"gaps-{_slug(page.id)}",
        kind="gap",
        title=f"{page.code} gaps",
        description=f"Line chart of the gaps in {page.code} over time ({names}); values in the gap table.",
        spec=spec,
        illustrative=illustrative,
    )


def breakdown_chart(
    page: IndicatorPage, kind: str, period: str, points: Sequence[tuple[str, SeriesPoint]], *, chart_id: str
) -> Chart | None:
    """The values of population groups (``kind`` "groups") or sub-areas ("areas") in one period.

    ``points`` pairs a readable label with each value; dots with their 95% intervals, and the report
    area's own value in that period as the dashed reference line.
    """
    rows = [
        {
            "label": "|".join(textwrap.wrap(label, _LABEL_CHARS)) or label,
            "value": p.value,
            "lower": p.lower,
            "upper": p.upper,
            "data": "illustrative" if p.illustrative else "observed",
        }
        for label, p in points
        if p.value is not None
    ]
    if not rows:
        return None
    headline = {p.period: p.value for p in page.headline if p.value is not None}
    illustrative = any(r["data"] == "illustrative" for r in rows)
    # Whole labels, wrapped onto lines of at most _LABEL_CHARS characters (Vega draws an array as lines).
    y = alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=0, labelExpr="split(datum.label, '|')"))
    datasets: dict[str, list[dict[str, Any]]] = {"values": rows}
    base = alt.Chart(_named("values"))
    layers: list[Any] = [
        base.mark_point(filled=True, size=50, color=_BLUE).encode(x=alt.X("value:Q", title=page.unit or "value"), y=y)
    ]
    if any(r["lower"] is not None and r["upper"] is not None for r in rows):
        layers.insert(0, base.mark_rule(color=_BLUE).encode(x=alt.X("lower:Q"), x2=alt.X2("upper:Q"), y=y))
    reference = headline.get(period)
    if reference is not None:
        datasets["reference"] = [{"value": reference}]
        layers.append(
            alt.Chart(_named("reference")).mark_rule(color=_GREY, strokeDash=[4, 3]).encode(x=alt.X("value:Q"))
        )
    what = "population groups" if kind == "groups" else "areas"
    spec = _titled(
        _layered(layers, width=_WIDTH - 90, height=max(60, 16 * len(rows))),
        f"{page.code}: {what}, {period}",
        illustrative,
        "95% intervals" + ("; dashed line: whole area" if reference is not None else ""),
        datasets,
    )
    return Chart(
        id=chart_id,
        kind=f"breakdown-{kind}",
        title=f"{page.code} by {what}",
        description=f"Dot chart of {page.code} for {len(rows)} {what} in {period}; values in the breakdown table.",
        spec=spec,
        illustrative=illustrative,
    )


def area_gap_charts(
    gaps: Sequence[tuple[str, GapVerdict]], area_name: str, *, prefix: str, per_chart: int = 32
) -> list[Chart]:
    """A locality's latest gap to the rest of the county for each indicator, as dots with 95% intervals.

    ``gaps`` pairs an indicator code with its area gap (area minus the rest of the county, in the
    indicator's unit; the interval from the gap method). Indicators differ in unit, so the chart is
    read per row against zero; long lists are split, ``per_chart`` indicators to a chart.
    """
    rows = [
        {
            "indicator": code,
            "value": g.latest_gap,
            "lower": g.lower,
            "upper": g.upper,
            "verdict": g.verdict,
            "period": g.latest_period or "",
            "data": "illustrative" if g.illustrative else "observed",
        }
        for code, g in gaps
        if g.latest_gap is not None
    ]
    charts = []
    verdicts = ["narrowing", "closed", "no significant change", "reversed", "widening", "not enough data"]
    scale = alt.Scale(domain=verdicts, range=["#00703c", "#00703c", _GREY, "#4c2c92", _RED, "#b1b4b6"])
    for start in range(0, len(rows), per_chart):
        chunk = rows[start : start + per_chart]
        illustrative = any(r["data"] == "illustrative" for r in chunk)
        y = alt.Y("indicator:N", title=None, sort=None)
        base = alt.Chart(_named("values"))
        layers: list[Any] = [
            alt.Chart(_named("zero")).mark_rule(color=_GREY, strokeDash=[4, 3]).encode(x=alt.X("zero:Q")),
            base.mark_point(filled=True, size=50).encode(
                x=alt.X("value:Q", title="gap (indicator's own unit)"),
                y=y,
                color=alt.Color("verdict:N", scale=scale, title="Trend of the gap", legend=alt.Legend(orient="bottom")),
            ),
        ]
        if any(r["lower"] is not None and r["upper"] is not None for r in chunk):
            layers.insert(
                1,
                base.mark_rule().encode(
                    x=alt.X("lower:Q"),
                    x2=alt.X2("upper:Q"),
                    y=y,
                    color=alt.Color("verdict:N", scale=scale, legend=None),
                ),
            )
        number = start // per_chart + 1
        spec = _titled(
            _layered(layers, width=420, height=max(60, 16 * len(chunk))),
            f"{area_name} compared with the rest of the county" + (f" ({number})" if len(rows) > per_chart else ""),
            illustrative,
            "Latest gap (area minus rest) with 95% interval; colour: trend of the gap",
            {"values": chunk, "zero": [{"zero": 0}]},
        )
        charts.append(
            Chart(
                id=f"{prefix}-area-gaps-{number}",
                kind="area-gaps",
                title=f"{area_name} compared with the rest of the county",
                description=f"Dot chart of the latest gap between {area_name} and the rest of the county for "
                f"{len(chunk)} indicators, coloured by the trend of the gap. The values are in the overview table.",
                spec=spec,
                illustrative=illustrative,
            )
        )
    return charts


def heat_map_chart(grid: Sequence[Sequence[int]], *, chart_id: str = "risk-heat-map", illustrative: bool) -> Chart:
    """The risk register as a 5 x 5 likelihood x impact grid with the number of risks in each cell.

    ``grid[l-1][i-1]`` is the count at likelihood ``l`` and impact ``i``. Cells are shaded by the
    score's band (low 1-6, medium 8-12, high 15-25), the register's own banding.
    """
    rows = []
    for li in range(1, 6):
        for im in range(1, 6):
            score = li * im
            band = "high" if score >= 15 else "medium" if score >= 8 else "low"
            count = grid[li - 1][im - 1]
            rows.append({"likelihood": li, "impact": im, "band": band, "count": count, "text": str(count or "")})
    base = alt.Chart(_named("values"))
    scale = alt.Scale(domain=list(_LEVEL_COLOURS), range=list(_LEVEL_COLOURS.values()))
    layers = [
        base.mark_rect(stroke="white", strokeWidth=2).encode(
            x=alt.X("impact:O", title="Impact", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("likelihood:O", title="Likelihood", sort="descending"),
            color=alt.Color("band:N", scale=scale, title="Level", legend=alt.Legend(orient="right")),
        ),
        base.mark_text(fontSize=14, fontWeight="bold").encode(
            x=alt.X("impact:O"), y=alt.Y("likelihood:O", sort="descending"), text=alt.Text("text:N")
        ),
    ]
    total = sum(sum(r) for r in grid)
    spec = _titled(
        _layered(layers, width=260, height=200),
        "Risk heat map",
        illustrative,
        f"{total} open risk(s) by likelihood and impact (1-5 each)",
        {"values": rows},
    )
    return Chart(
        id=chart_id,
        kind="heatmap",
        title="Risk heat map",
        description=f"Grid of {total} open risks by likelihood (rows) and impact (columns); the counts are in "
        "the heat map table.",
        spec=spec,
        illustrative=illustrative,
    )


def rag_chart(counts: dict[str, int], *, chart_id: str = "action-rag") -> Chart | None:
    """The actions' latest RAG ratings as one stacked bar (never-updated actions shown as such)."""
    rows = [{"rag": k, "count": v, "order": i} for i, (k, v) in enumerate(counts.items()) if v]
    if not rows:
        return None
    scale = alt.Scale(domain=list(_RAG_COLOURS), range=list(_RAG_COLOURS.values()))
    chart = (
        alt.Chart(_named("values"))
        .mark_bar(height=26)
        .encode(
            x=alt.X("count:Q", stack="zero", title="Number of actions"),
            color=alt.Color("rag:N", scale=scale, title=None, legend=alt.Legend(orient="bottom")),
            order=alt.Order("order:Q"),
        )
        .properties(width=420, height=40)
    )
    total = sum(counts.values())
    spec = _titled(chart, "Actions by RAG rating", False, f"{total} action(s); latest update of each", {"values": rows})
    parts = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    return Chart(
        id=chart_id,
        kind="rag",
        title="Actions by RAG rating",
        description=f"Stacked bar of {total} actions by RAG rating: {parts}.",
        spec=spec,
    )


def to_svg(chart: Chart) -> str:
    """The chart as an SVG document (vl-convert: Vega's own renderer in Rust; no browser)."""
    import vl_convert  # noqa: PLC0415 - an optional dependency (the "reports" extra)

    svg: str = vl_convert.vegalite_to_svg(chart.spec)
    return svg


def to_png(chart: Chart, *, scale: float = 2.0) -> bytes:
    """The chart as a PNG (for the Word document), at ``scale`` times its CSS pixel size."""
    import vl_convert  # noqa: PLC0415 - an optional dependency (the "reports" extra)

    png: bytes = vl_convert.vegalite_to_png(chart.spec, scale=scale)
    return png
