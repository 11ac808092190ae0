"""Vega-Lite chart specifications (Altair) for the indicator and gaps pages.

Each function returns a plain dict (a Vega-Lite spec with its data inline) that the page embeds as JSON
and ``/static/gw-charts.js`` draws with vega-embed; every chart has a table beside it with the same
figures, so the page works without JavaScript and for screen readers. Illustrative (generated) values
are drawn hollow and say so in their tooltip. Colours are GOV.UK Frontend's palette.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

import altair as alt

from gapwatch.analysis.comparators import BenchmarkPoint
from gapwatch.domain.periods import parse_period
from gapwatch.services.gaps_view import GapSeries
from gapwatch.services.indicator_view import AreaValue, GroupValue, LevelTargetView, SeriesPoint

__all__ = [
    "BENCHMARK_STYLES",
    "COMPARISON_COLOURS",
    "VALUE_FORMAT",
    "districts_chart",
    "gap_chart",
    "gap_specs",
    "groups_chart",
    "trend_chart",
]

_BLUE = "#1d70b8"
_GREY = "#505a5f"
#: The colour of each comparison with a benchmark, in the charts *and* in the tables beside them (the pages draw
#: each table's marker from this same mapping, so "Similar" cannot be orange in one and yellow in the other).
COMPARISON_COLOURS: dict[str, str] = {
    "better": "#00703c",
    "similar": "#f47738",
    "worse": "#d4351c",
    "higher": "#1d70b8",
    "lower": "#5694ca",
    "not compared": "#b1b4b6",
}
_COMPARISON_COLOURS = COMPARISON_COLOURS  # the old private name, kept for callers that used it
#: How each benchmark's line is drawn (colour, dash) on the trend and district charts, with its legend.
BENCHMARK_STYLES: dict[str, tuple[str, list[int]]] = {
    "area": (_BLUE, [1, 0]),
    "england": ("#0b0c0c", [8, 4]),
    "region": ("#505a5f", [3, 3]),
    "group": ("#912b88", [10, 3, 2, 3]),
    "target": ("#d4351c", [6, 4]),
}
#: Axis labels: thousands separated, at most two decimals, trailing zeros dropped ("48.5", not "48.500000").
VALUE_FORMAT = ",.2~f"
_WIDTH = "container"


_P = ParamSpec("_P")
#: How many chart specs each chart kind keeps (about 5 KB each): the dashboard's, the busiest indicators' and gaps'.
_MEMO_SIZE = 512


def _memoised(build: Callable[_P, dict[str, Any] | None]) -> Callable[_P, dict[str, Any] | None]:
    """Build each distinct chart once: Altair takes tens of milliseconds to build a layered chart (most of a
    dashboard request under load), while its inputs — frozen dataclasses of the analysis core — change only
    when the data do. Keyed by the arguments' repr (every field of those dataclasses), least recently used
    dropped first; callers get their own copy, since pages adjust specs (e.g. the dashboard's small charts).
    """
    cache: OrderedDict[str, dict[str, Any] | None] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(build)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> dict[str, Any] | None:
        key = repr((args, sorted(kwargs.items())))
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return copy.deepcopy(cache[key])
        spec = build(*args, **kwargs)
        with lock:
            cache[key] = spec
            while len(cache) > _MEMO_SIZE:
                cache.popitem(last=False)
        return copy.deepcopy(spec)

    return wrapper


def _value_scale(values: Sequence[float | None]) -> alt.Scale:
    """A value axis that does not start at zero and, when every value is the same (one point, a flat line), is
    padded by 10% either side so the ticks are not a magnified sliver of one number."""
    finite = [v for v in values if v is not None]
    if finite and max(finite) - min(finite) < 1e-9:
        pad = abs(finite[0]) * 0.1 or 1.0
        return alt.Scale(zero=False, domain=[finite[0] - pad, finite[0] + pad])
    return alt.Scale(zero=False)


def _when(label: str) -> str | None:
    """The middle of a period (ISO date): the time axis of every chart, so periods of any kind line up and a
    year's point sits within that year."""
    try:
        period = parse_period(label)
    except (ValueError, TypeError):
        return None
    return (period.start + (period.end - period.start) / 2).isoformat()


def _data(values: list[dict[str, Any]]) -> Any:
    """Inline chart data (Altair's ``Data`` is untyped)."""
    return alt.Data(values=values)  # type: ignore[no-untyped-call]


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict(validate=False)
    spec.setdefault("config", {}).update({"font": "system-ui, sans-serif", "view": {"stroke": None}})
    return spec


def _flag(illustrative: bool) -> str:
    return "illustrative (generated)" if illustrative else "reported"


@_memoised
def trend_chart(
    series: Sequence[SeriesPoint],
    targets: Sequence[LevelTargetView],
    unit: str,
    title: str,
    benchmarks: Sequence[BenchmarkPoint] = (),
    area_name: str | None = None,
) -> dict[str, Any] | None:
    """Values over time with 95% intervals, each level target's trajectory as a dashed line, and England, the
    region and the chosen comparator group (``benchmarks``, from :mod:`gapwatch.analysis.comparators`) as lines
    beside the area's own, with a legend; the page's table has the same figures."""
    own = area_name or "This area"
    rows = [
        {
            "period": p.period,
            "t": _when(p.period),
            "value": p.value,
            "lower": p.lower,
            "upper": p.upper,
            "data": _flag(p.illustrative),
            "series": own,
        }
        for p in series
        if p.value is not None and p.period_index is not None
    ]
    lines = [
        {"period": b.period, "t": _when(b.period), "value": b.value, "series": b.name, "kind": b.kind}
        for b in benchmarks
        if b.value is not None and _when(b.period) is not None
    ]
    trajectory = [
        {"period": period, "t": _when(period), "value": value, "series": f"Target: {target.title}", "kind": "target"}
        for target in targets
        for period, t, value in target.trajectory
    ]
    if not rows and not trajectory:
        return None
    names = [own, *dict.fromkeys(str(r["series"]) for r in [*lines, *trajectory])]
    kinds = {own: "area"} | {str(r["series"]): str(r["kind"]) for r in [*lines, *trajectory]}
    legend = alt.Legend(
        title=None, orient="bottom", direction="horizontal", symbolType="stroke", symbolStrokeWidth=2, labelLimit=320
    )
    colour = alt.Color(
        "series:N",
        legend=legend,
        scale=alt.Scale(domain=names, range=[BENCHMARK_STYLES[kinds[n]][0] for n in names]),
    )
    dash = alt.StrokeDash(
        "series:N",
        legend=legend,
        scale=alt.Scale(domain=names, range=[BENCHMARK_STYLES[kinds[n]][1] for n in names]),
    )
    x = alt.X("t:T", title="Period", axis=alt.Axis(format="%Y", tickCount="year"))
    y_title = f"Value ({unit})" if unit else "Value"
    everything = [r.get(k) for r in rows for k in ("value", "lower", "upper")]
    everything += [r["value"] for r in [*lines, *trajectory]]
    y = alt.Y("value:Q", title=y_title, scale=_value_scale(everything), axis=alt.Axis(format=VALUE_FORMAT))
    layers: list[Any] = []
    if rows:
        base = alt.Chart(_data(rows))
        tooltip = [
            alt.Tooltip("period:N", title="Period"),
            alt.Tooltip("value:Q", title="Value", format=",.1f"),
            alt.Tooltip("lower:Q", title="Lower 95%", format=",.1f"),
            alt.Tooltip("upper:Q", title="Upper 95%", format=",.1f"),
            alt.Tooltip("data:N", title="Data"),
        ]
        layers.append(
            base.mark_rule(color=_GREY).encode(
                x=x,
                y=alt.Y("lower:Q", title=y_title, scale=_value_scale(everything), axis=alt.Axis(format=VALUE_FORMAT)),
                y2="upper:Q",
            )
        )
        layers.append(base.mark_line().encode(x=x, y=y, color=colour, strokeDash=dash))
        layers.append(
            base.mark_point(size=60, color=_BLUE).encode(
                x=x,
                y=y,
                tooltip=tooltip,
                fill=alt.condition("datum.data == 'reported'", alt.value(_BLUE), alt.value("white")),
            )
        )
    for data in (lines, trajectory):
        if not data:
            continue
        layers.append(
            alt.Chart(_data(data))
            .mark_line(point=data is lines, strokeWidth=2)
            .encode(
                x=x,
                y=y,
                color=colour,
                strokeDash=dash,
                detail="series:N",
                tooltip=[
                    alt.Tooltip("series:N", title="Series"),
                    alt.Tooltip("period:N", title="Period"),
                    alt.Tooltip("value:Q", title="Value", format=",.1f"),
                ],
            )
        )
    chart = alt.layer(*layers).properties(width=_WIDTH, height=280, title=title)
    return _spec(chart)


@_memoised
def districts_chart(
    districts: Sequence[AreaValue],
    benchmark: float | None,
    benchmark_name: str,
    unit: str,
    lines: Sequence[BenchmarkPoint] = (),
) -> dict[str, Any] | None:
    """The latest value by district, ranked, with 95% intervals and the comparison with the benchmark (the
    parent area); the parent, England, the region and the chosen group (``lines``, at the districts' period)
    as vertical lines with a legend."""
    rows = [
        {
            "area": d.name,
            "value": d.value,
            "lower": d.lower,
            "upper": d.upper,
            "comparison": d.comparison,
            "data": _flag(d.illustrative),
            "rank": i,
        }
        for i, d in enumerate(districts)
        if d.value is not None
    ]
    if not rows:
        return None
    base = alt.Chart(_data(rows))
    y = alt.Y("area:N", sort=[str(r["area"]) for r in rows], title=None)
    x_axis = alt.Axis(format=VALUE_FORMAT)
    colours = sorted({str(r["comparison"]) for r in rows})
    colour = alt.Color(
        "comparison:N",
        title=f"Compared with {benchmark_name}",
        scale=alt.Scale(domain=colours, range=[COMPARISON_COLOURS.get(c, _GREY) for c in colours]),
    )
    layers: list[Any] = [
        base.mark_bar().encode(
            y=y,
            x=alt.X("value:Q", title=unit or "Value", axis=x_axis),
            color=colour,
            tooltip=[
                alt.Tooltip("area:N", title="Area"),
                alt.Tooltip("value:Q", title="Value", format=",.1f"),
                alt.Tooltip("lower:Q", title="Lower 95%", format=",.1f"),
                alt.Tooltip("upper:Q", title="Upper 95%", format=",.1f"),
                alt.Tooltip("comparison:N", title="Comparison"),
                alt.Tooltip("data:N", title="Data"),
            ],
        ),
        base.mark_rule(color="#0b0c0c").encode(y=y, x="lower:Q", x2="upper:Q"),
    ]
    marks = [{"benchmark": benchmark, "name": benchmark_name, "kind": "area"}] if benchmark is not None else []
    marks += [{"benchmark": b.value, "name": b.name, "kind": b.kind} for b in lines if b.value is not None]
    if marks:
        names = [str(m["name"]) for m in marks]
        legend = alt.Legend(title="Lines", symbolType="stroke", symbolStrokeWidth=2, labelLimit=240)
        layers.append(
            alt.Chart(_data(marks))
            .mark_rule(size=2)
            .encode(
                x=alt.X("benchmark:Q", axis=x_axis),
                color=alt.Color(
                    "name:N",
                    legend=legend,
                    scale=alt.Scale(domain=names, range=[BENCHMARK_STYLES[str(m["kind"])][0] for m in marks]),
                ),
                strokeDash=alt.StrokeDash(
                    "name:N",
                    legend=legend,
                    scale=alt.Scale(domain=names, range=[BENCHMARK_STYLES[str(m["kind"])][1] for m in marks]),
                ),
                tooltip=[
                    alt.Tooltip("name:N", title="Benchmark"),
                    alt.Tooltip("benchmark:Q", title="Value", format=",.1f"),
                ],
            )
        )
    chart = alt.layer(*layers).resolve_scale(color="independent", strokeDash="independent")
    return _spec(chart.properties(width=_WIDTH, height=max(120, 26 * len(rows))))


@_memoised
def groups_chart(groups: Sequence[GroupValue], unit: str) -> dict[str, Any] | None:
    """The latest value of each population group with its 95% interval."""
    rows = [
        {
            "group": f"{g.category_type_name}: {g.name}",
            "value": g.value,
            "lower": g.lower,
            "upper": g.upper,
            "data": _flag(g.illustrative),
        }
        for g in groups
        if g.value is not None
    ]
    if not rows:
        return None
    base = alt.Chart(_data(rows))
    y = alt.Y("group:N", sort=None, title=None)
    chart = alt.layer(
        base.mark_bar(color=_BLUE).encode(
            y=y,
            x=alt.X("value:Q", title=unit or "Value", axis=alt.Axis(format=VALUE_FORMAT)),
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("value:Q", title="Value", format=",.1f"),
                alt.Tooltip("data:N", title="Data"),
            ],
        ),
        base.mark_rule(color="#0b0c0c").encode(y=y, x="lower:Q", x2="upper:Q"),
    ).properties(width=_WIDTH, height=max(100, 26 * len(rows)))
    return _spec(chart)


@_memoised
def gap_chart(series: GapSeries, title: str) -> dict[str, Any] | None:
    """A gap (or SII) over time with its 95% intervals and the zero line (no gap)."""
    rows = [
        {
            "period": p.period,
            "t": _when(p.period),
            "gap": p.gap,
            "lower": p.lower,
            "upper": p.upper,
            "data": _flag(p.illustrative),
        }
        for p in series.points
        if p.gap is not None and p.period_index is not None
    ]
    if not rows:
        return None
    base = alt.Chart(_data(rows))
    x = alt.X("t:T", title="Period", axis=alt.Axis(format="%Y", tickCount="year"))
    label = "Slope index of inequality" if series.kind == "sii" else f"Gap ({series.unit})" if series.unit else "Gap"
    chart = alt.layer(
        alt.Chart(_data([{"zero": 0}])).mark_rule(color=_GREY, strokeDash=[2, 2]).encode(y="zero:Q"),
        base.mark_rule(color=_GREY).encode(
            x=x, y=alt.Y("lower:Q", title=label, axis=alt.Axis(format=VALUE_FORMAT)), y2="upper:Q"
        ),
        base.mark_line(color="#4c2c92").encode(x=x, y="gap:Q"),
        base.mark_point(size=60, color="#4c2c92").encode(
            x=x,
            y="gap:Q",
            fill=alt.condition("datum.data == 'reported'", alt.value("#4c2c92"), alt.value("white")),
            tooltip=[
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("gap:Q", title="Gap", format=",.2f"),
                alt.Tooltip("lower:Q", title="Lower 95%", format=",.2f"),
                alt.Tooltip("upper:Q", title="Upper 95%", format=",.2f"),
                alt.Tooltip("data:N", title="Data"),
            ],
        ),
    ).properties(width=_WIDTH, height=220, title=title)
    return _spec(chart)


def gap_specs(series: Sequence[GapSeries]) -> dict[str, dict[str, Any] | None]:
    """Chart specs of several gap series, keyed ``kind:subject:comparator`` as the gap template looks them up."""
    out: dict[str, dict[str, Any] | None] = {}
    for s in series:
        title = "Slope index of inequality" if s.kind == "sii" else f"{s.subject_name} vs {s.comparator_name}"
        out[f"{s.kind}:{s.subject}:{s.comparator}"] = gap_chart(s, title)
    return out
