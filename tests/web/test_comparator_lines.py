"""The indicator and gap pages' comparators on the real-data demo: England, the region and the group drawn as
lines are the numbers the API returns; comparison colours are one mapping in chart and table; the plan's own
figure and a later publication side by side; value axes without spurious precision; no empty brackets; the gap
page's comparator section equals the gap API's."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from gapwatch.web.charts import COMPARISON_COLOURS, VALUE_FORMAT
from tests.web.conftest import page_text

SN = "kent-statistical-neighbours"
LAC = "PSA1-looked-after-children"


def _spec(html: str, chart: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="{chart}-spec">(.*?)</script>', html, re.S)
    assert found, f"no {chart} on the page"
    return json.loads(unescape(found.group(1)))  # type: ignore[no-any-return]


def _layers_data(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for layer in spec["layer"] for row in layer.get("data", {}).get("values", [])]


def test_trend_lines_are_the_apis_benchmark_series(client_as: Callable[[str], TestClient]) -> None:
    client = client_as("board_member")
    html = client.get(f"/indicators/{LAC}?comparator={SN}").text
    api = client.get(f"/api/v1/indicators/{LAC}?comparator={SN}").json()["data"]["comparators"]
    drawn = {(r["series"], r["period"]): r["value"] for r in _layers_data(_spec(html, "chart-trend")) if "kind" in r}
    wanted = {(p["name"], p["period"]): p["value"] for p in api["series"] if p["value"] is not None}
    assert wanted and {k: v for k, v in drawn.items() if k in wanted} == wanted
    assert {"England", "South East", "Kent's statistical neighbours (DfE, April 2021)"} <= {s for s, _ in wanted}
    spec = _spec(html, "chart-trend")
    legend_domain = next(
        layer["encoding"]["color"]["scale"]["domain"] for layer in spec["layer"] if "color" in layer["encoding"]
    )
    assert legend_domain[0] == "Kent" and "England" in legend_domain and "South East" in legend_domain
    # the text equivalent: the trend table has a column per benchmark with the same values
    england = {p["period"]: p["value"] for p in api["series"] if p["kind"] == "england"}
    cells = re.findall(r'data-benchmark="england:E92000001">([^<]*)<', html)
    assert [c.strip() for c in cells if c.strip() != "—"] == [f"{v:.1f}" for v in england.values()]
    assert f'"format": "{VALUE_FORMAT}"' in json.dumps(spec)


def test_comparison_colours_are_the_same_in_chart_and_table(client_as: Callable[[str], TestClient]) -> None:
    html = client_as("board_member").get(f"/indicators/{LAC}").text
    spec = _spec(html, "chart-districts")
    bars = spec["layer"][0]["encoding"]["color"]["scale"]
    chart = dict(zip(bars["domain"], bars["range"], strict=True))
    table = html[html.index('id="districts"') :]
    marks = re.findall(r'data-comparison="([^"]+)"><svg[^>]*><rect[^>]*fill="(#[0-9a-f]{6})"', table)
    assert marks and {c for c, _ in marks} == set(chart)
    for comparison, fill in marks:
        assert fill == chart[comparison] == COMPARISON_COLOURS[comparison]


def test_plan_figure_and_later_publication_side_by_side(client_as: Callable[[str], TestClient]) -> None:
    client = client_as("board_member")
    html = client.get("/indicators/NI80").text
    api = client.get("/api/v1/indicators/NI80").json()["data"]
    later = {(p["period"], p["group"]): p for p in api["later_publications"]}
    headline = later[("2006/07 AY", "All")]
    assert headline["plan_value"] == 47.0 and round(headline["value"], 1) == 46.0
    assert next(p["value"] for p in api["series"] if p["period"] == "2006/07 AY") == 47.0  # the series stays the plan's
    table = page_text(html[html.index('id="later-publications"') : html.index("</table>", html.index('id="later-pub'))])
    assert (
        "Plan (source: Kent Children and Young People's Plan 2008-2011, Appendix 2: Narrowing the Gap Table)" in table
    )
    assert "Later publication (DfE, Level 2 and 3 attainment age 16 to 25" in table
    assert "47.0 46.0" in table and len(later) == 3
    assert 'data-later="2006/07 AY"' in html  # and beneath the plan's row in the trend table


def test_no_empty_brackets_on_the_pages(client_as: Callable[[str], TestClient]) -> None:
    client = client_as("board_member")
    for url in (
        f"/indicators/{LAC}?comparator={SN}",
        "/indicators/NI80",
        f"/gaps?indicator={LAC}&comparison=area&subject=E07000114&comparator=rest-of-kent",
    ):
        text = page_text(client.get(url).text.split("<main", 1)[1])
        assert not re.search(r"\(\s*\)", text), url


def test_gap_page_comparators_equal_the_gap_api(client_as: Callable[[str], TestClient]) -> None:
    client = client_as("board_member")
    page = client.get(f"/gaps?indicator=NI80&comparison=group&category_type=fsm&group={SN}")
    assert page.status_code == 200
    html = page.text
    api = client.get(f"/api/v1/gaps/NI80?by=fsm&comparator={SN}").json()["data"]["comparators"]
    assert api["group"] == SN and api["rank"] == 6 and api["rank_of"] == 11
    section = page_text(html[html.index('id="comparators"') :])
    assert f"Kent ranks {api['rank']} of {api['rank_of']} in {api['group_name']}" in section
    group = next(b for b in api["benchmarks"] if b["kind"] == "group")
    assert f"{api['group_name']} {group['value']:.1f} {group['lower']:.1f} to {group['upper']:.1f} Worse" in section
    # the form works without JavaScript: a GET carrying the gap's own choices and the group
    form = html[html.index('action="/gaps#comparators"') :]
    form = form[: form.index("</form>")]
    assert 'name="indicator" value="NI80"' in form and 'name="category_type" value="fsm"' in form
    assert f'<option value="{SN}" selected>' in form
    bad = client.get("/gaps?indicator=NI80&comparison=group&category_type=fsm&group=nonesuch")
    assert bad.status_code == 400 and "There is no comparator group" in bad.text and "Traceback" not in bad.text
