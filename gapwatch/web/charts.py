"""Vega-Lite chart specifications (Altair) for the indicator and gaps pages.

Each function returns a plain dict (a Vega-Lite spec with its data inline) that the page embeds as JSON
and ``/static/gw-charts.js`` draws with vega-embed; every chart has a table beside it with the same
figures, so the page works without JavaScript and for screen readers. Illustrative (generated) values
are drawn hollow and say so in their tooltip. Colours are GOV.UK Frontend's palette.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

from gapwatch.domain.periods import parse_period
from gapwatch.services.gaps_view import GapSeries
from gapwatch.services.indicator_view import AreaValue, GroupValue, LevelTargetView, SeriesPoint

__all__ = ["districts_chart", "gap_chart", "gap_specs", "groups_chart", "trend_chart"]

_BLUE = "#1d70b8"
_GREY = "#505a5f"
_COMPARISON_COLOURS = {
    "better": "#00703c",
    "similar": "#f47738",
    "worse": "#d4351c",
    "higher": "#1d70b8",
    "lower": "#5694ca",
    "not compared": "#b1b4b6",
}
_WIDTH = "container"


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


def trend_chart(
    series: Sequence[SeriesPoint], targets: Sequence[LevelTargetView], unit: str, title: str
) -> dict[str, Any] | None:
    """Values over time with 95% intervals, and each level target's trajectory as a dashed line."""
    rows = [
        {
            "period": p.period,
            "t": _when(p.period),
            "value": p.value,
            "lower": p.lower,
            "upper": p.upper,
            "data": _flag(p.illustrative),
        }
        for p in series
        if p.value is not None and p.period_index is not None
    ]
    trajectory = [
        {"period": period, "t": _when(period), "value": value, "target": target.title}
        for target in targets
        for period, t, value in target.trajectory
    ]
    if not rows and not trajectory:
        return None
    x = alt.X("t:T", title="Period", axis=alt.Axis(format="%Y", tickCount="year"))
    y_title = f"Value ({unit})" if unit else "Value"
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
                x=x, y=alt.Y("lower:Q", title=y_title, scale=alt.Scale(zero=False)), y2="upper:Q"
            )
        )
        layers.append(base.mark_line(color=_BLUE).encode(x=x, y="value:Q"))
        layers.append(
            base.mark_point(size=60, color=_BLUE).encode(
                x=x,
                y="value:Q",
                tooltip=tooltip,
                fill=alt.condition("datum.data == 'reported'", alt.value(_BLUE), alt.value("white")),
            )
        )
    if trajectory:
        layers.append(
            alt.Chart(_data(trajectory))
            .mark_line(strokeDash=[6, 4], color="#d4351c")
            .encode(
                x=x,
                y=alt.Y("value:Q", title=y_title),
                detail="target:N",
                tooltip=[
                    alt.Tooltip("target:N", title="Target"),
                    alt.Tooltip("period:N", title="Period"),
                    alt.Tooltip("value:Q", title="Trajectory", format=",.1f"),
                ],
            )
        )
    chart = alt.layer(*layers).properties(width=_WIDTH, height=280, title=title)
    return _spec(chart)


def districts_chart(
    districts: Sequence[AreaValue], benchmark: float | None, benchmark_name: str, unit: str
) -> dict[str, Any] | None:
    """The latest value by district, ranked, with 95% intervals and the comparison with the benchmark."""
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
    colours = sorted({str(r["comparison"]) for r in rows})
    colour = alt.Color(
        "comparison:N",
        title=f"Compared with {benchmark_name}",
        scale=alt.Scale(domain=colours, range=[_COMPARISON_COLOURS.get(c, _GREY) for c in colours]),
    )
    layers: list[Any] = [
        base.mark_bar().encode(
            y=y,
            x=alt.X("value:Q", title=unit or "Value"),
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
    if benchmark is not None:
        layers.append(
            alt.Chart(_data([{"benchmark": benchmark, "name": benchmark_name}]))
            .mark_rule(color="#0b0c0c", strokeDash=[4, 3], size=2)
            .encode(
                x="benchmark:Q",
                tooltip=[
                    alt.Tooltip("name:N", title="Benchmark"),
                    alt.Tooltip("benchmark:Q", title="Value", format=",.1f"),
                ],
            )
        )
    return _spec(alt.layer(*layers).properties(width=_WIDTH, height=max(120, 26 * len(rows))))


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
            x=alt.X("value:Q", title=unit or "Value"),
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("value:Q", title="Value", format=",.1f"),
                alt.Tooltip("data:N", title="Data"),
            ],
        ),
        base.mark_rule(color="#0b0c0c").encode(y=y, x="lower:Q", x2="upper:Q"),
    ).properties(width=_WIDTH, height=max(100, 26 * len(rows)))
    return _spec(chart)


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
        base.mark_rule(color=_GREY).encode(x=x, y=alt.Y("lower:Q", title=label), y2="upper:Q"),
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
