"""Charts: valid Vega-Lite, drawn by vl-convert without a browser, honest about missing and illustrative data."""

from __future__ import annotations

import copy
import io
from typing import Any

import jsonschema
import pytest
from altair.vegalite.v6.schema import load_schema
from PIL import Image

from gapwatch.reports import _render_pool
from gapwatch.reports.build import assemble
from gapwatch.reports.charts import Chart, area_gap_charts, to_png, to_svg, trend_chart
from gapwatch.services.report_data import GapVerdict, IndicatorPage, SeriesPoint
from tests.reports.sample import NAMES, report_data


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(load_schema())


def _charts() -> list[Chart]:
    report = assemble(report_data(), NAMES)
    gaps = [
        (
            "IA 1",
            GapVerdict(
                indicator="IND-A",
                measure="area_gap",
                label="North vs rest",
                latest_gap=2.5,
                latest_period="2010/11",
                lower=1.0,
                upper=4.0,
                verdict="widening",
                illustrative=True,
            ),
        ),
        (
            "IB 2",
            GapVerdict(
                indicator="IND-B",
                measure="area_gap",
                label="North vs rest",
                latest_gap=-1.0,
                latest_period="2010/11",
                verdict="not enough data",
            ),
        ),
    ]
    return report.charts + area_gap_charts(gaps, "North District", prefix="annex-a")


def test_every_kind_of_chart_is_valid_vega_lite(validator: jsonschema.Draft7Validator) -> None:
    charts = _charts()
    assert {c.kind for c in charts} == {
        "trend",
        "gap",
        "breakdown-groups",
        "breakdown-areas",
        "rag",
        "heatmap",
        "area-gaps",
    }
    for chart in charts:
        errors = [e.message for e in validator.iter_errors(chart.spec)]
        assert not errors, f"{chart.id}: {errors[:3]}"
    broken = copy.deepcopy(charts[0].spec)
    broken["layer"][0]["mark"] = {"type": "no-such-mark"}
    assert list(validator.iter_errors(broken)), "the validator must catch a broken specification"


def test_charts_draw_as_svg_and_png_without_a_browser() -> None:
    for chart in _charts():
        svg = to_svg(chart)
        assert svg.lstrip().startswith("<svg") and "<script" not in svg
        title = chart.spec["title"]["text"]  # a long title is wrapped into lines (a list), never cut short
        for line in [title] if isinstance(title, str) else title:
            assert line in svg.replace("&amp;", "&").replace("&#39;", "'")
    png = to_png(_charts()[0], scale=1)
    image = Image.open(io.BytesIO(png))
    assert image.size[0] > 200 and image.size[1] > 100


def test_a_chart_showing_illustrative_values_says_so_and_one_without_does_not() -> None:
    charts = {c.id: c for c in _charts()}
    illustrative = charts["ind-ind-a-trend"]
    real = charts["ind-ind-b-trend"]
    assert illustrative.illustrative and "Illustrative demo data" in " ".join(illustrative.spec["title"]["subtitle"])
    assert "Illustrative demo data" in to_svg(illustrative)
    assert not real.illustrative and "Illustrative" not in to_svg(real)


def test_no_values_no_chart_and_targets_are_drawn_where_they_fall() -> None:
    empty = IndicatorPage(
        id="X",
        code="X 1",
        title="Nothing",
        unit="%",
        measure="proportion",
        polarity="higher_is_better",
        headline=[SeriesPoint(period="2010/11", area="C0")],
    )
    assert trend_chart(empty, "Testshire") is None
    with_target = next(c for c in _charts() if c.id == "ind-ind-a-trend")
    targets = with_target.spec["datasets"]["targets"]
    assert targets == [{"period": "2010/11", "value": 60.0, "label": "target 2010/11"}]


def test_the_area_gap_overview_splits_long_lists_and_skips_gaps_without_a_value() -> None:
    gaps = [
        (
            f"I {i}",
            GapVerdict(
                indicator=f"I{i}", measure="area_gap", label="x", latest_gap=float(i), verdict="no significant change"
            ),
        )
        for i in range(40)
    ]
    gaps.append(("I none", GapVerdict(indicator="I-none", measure="area_gap", label="x", verdict="not enough data")))
    charts = area_gap_charts(gaps, "North District", prefix="p", per_chart=32)
    rows = [r["indicator"] for c in charts for r in c.spec["datasets"]["values"]]
    assert len(charts) == 2 and len(rows) == 40 and "I none" not in rows


def test_drawing_in_helper_processes_gives_the_same_svg_as_drawing_here(monkeypatch: pytest.MonkeyPatch) -> None:
    specs: list[dict[str, Any]] = [c.spec for c in _charts()] * 4
    monkeypatch.setattr(_render_pool, "MIN_PARALLEL", 2)
    here = _render_pool.draw_many(specs, "svg", workers=1)
    shared = _render_pool.draw_many(specs, "svg", workers=2)
    assert shared == here and len(here) == len(specs)


def test_a_helper_process_draws_svg_and_png() -> None:
    chart = _charts()[0]
    svg, png = _render_pool._draw_in_helper([("svg", chart.spec, 1.0), ("png", chart.spec, 1.0)])
    assert svg == to_svg(chart)
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")


def test_svgs_are_drawn_once_per_specification(monkeypatch: pytest.MonkeyPatch) -> None:
    from gapwatch.reports import html

    charts = _charts()
    monkeypatch.setattr(html, "_SVG_CACHE", html.OrderedDict())
    calls: list[int] = []
    real = html.draw_many

    def counting(specs: list[dict[str, Any]], kind: str, **kwargs: Any) -> list[str | bytes]:
        calls.append(len(specs))
        return real(specs, kind, **kwargs)

    monkeypatch.setattr(html, "draw_many", counting)
    first = html.render_svgs(charts)
    again = html.render_svgs(charts)
    assert first == again and calls == [len(charts)]
    assert first[charts[0].id] == to_svg(charts[0])


def test_layers_are_combined_as_altair_combines_them() -> None:
    """The report's layer specs are assembled from each layer's own dict (Altair's LayerChart deep-copies every
    layer when built); the result must be exactly Altair's, key order included, shared data hoisted or not."""
    import json

    import altair as alt

    from gapwatch.reports.charts import _layered

    values, other = alt.Chart(alt.Data(name="values")), alt.Chart(alt.Data(name="zero"))
    x = alt.X("period:O", sort=["2010", "2011"], title=None, axis=alt.Axis(labelAngle=0))
    cases = [
        [values.mark_line().encode(x=x, y="value:Q"), values.mark_point(size=40).encode(x=x, y="value:Q")],
        [other.mark_rule(strokeDash=[4, 3]).encode(y="zero:Q"), values.mark_line().encode(x=x, y="value:Q")],
        [values.mark_rule().encode(x="lower:Q", x2="upper:Q", y=alt.Y("label:N", sort=None))],
    ]
    for layers in cases:
        expected = alt.layer(*layers, width=420, height=60).to_dict(validate=False)
        assert json.dumps(_layered(layers, width=420, height=60)) == json.dumps(expected)
