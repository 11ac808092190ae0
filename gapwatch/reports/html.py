"""A board report as HTML: a standalone document (for the file, the PDF and e-mail) or the body alone.

Templates are in ``gapwatch/reports/templates`` (Jinja2, autoescaped). Charts are inlined as the SVG that
vl-convert draws from the chart's Vega-Lite specification, so the HTML needs no JavaScript, no network
and no browser to render; each chart sits next to the table of its numbers. The web app shows the same
body inside its own page (:func:`render_body`) and serves :func:`report_css` as a stylesheet.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from gapwatch.queries.scorecard import STALE_YEARS
from gapwatch.reports._format import fmt_date, fmt_interval, fmt_num, fmt_signed, fmt_when
from gapwatch.reports._render_pool import draw_many
from gapwatch.reports.charts import ILLUSTRATIVE_NOTE, Chart
from gapwatch.reports.model import BoardReport

__all__ = ["compile_templates", "render_body", "render_html", "render_svgs", "report_css"]

_MEASURES = {
    "trend": "trend",
    "target": "target",
    "group_gap": "group gap",
    "area_gap": "area gap",
    "deprivation_gap": "deprivation gap",
    "sii": "SII",
    "actions": "actions",
    "study": "study",
}


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("gapwatch.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=fmt_num,
        signed=fmt_signed,
        date=fmt_date,
        when=fmt_when,
        measure=lambda m: _MEASURES.get(m, m),
        css_class=lambda text: "".join(ch if ch.isalnum() else "-" for ch in str(text).lower()),
    )
    env.globals.update(interval=fmt_interval, ILLUSTRATIVE_NOTE=ILLUSTRATIVE_NOTE, STALE_YEARS=STALE_YEARS)
    return env


def compile_templates() -> None:
    """Compile the report's templates now rather than on the first report asked for (a server's warm-up)."""
    for name in ("body.html", "report.html"):
        _env().get_template(name)


@cache
def report_css() -> str:
    """The report's stylesheet: screen and print (page size, running header, page numbers)."""
    return resources.files("gapwatch.reports").joinpath("templates/report.css").read_text(encoding="utf-8")


_SVG_CACHE: OrderedDict[str, str] = OrderedDict()
_SVG_CACHE_SIZE = 2000
_svg_lock = threading.Lock()


def _key(chart: Chart) -> str:
    return hashlib.sha256(json.dumps(chart.spec, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def render_svgs(charts: list[Chart], *, workers: int | None = None) -> dict[str, str]:
    """Every chart drawn as SVG by vl-convert, by chart id (in helper processes for a large report).

    Drawings are kept by the hash of their specification (the last 2,000): a frozen report viewed
    again in the web app, or rendered as HTML and then PDF, is not drawn twice.
    """
    keys = [_key(c) for c in charts]
    with _svg_lock:
        known = {k: _SVG_CACHE[k] for k in keys if k in _SVG_CACHE}
    todo = [(k, c) for k, c in zip(keys, charts, strict=True) if k not in known]
    drawn = draw_many([c.spec for _, c in todo], "svg", workers=workers) if todo else []
    with _svg_lock:
        for (k, _), svg in zip(todo, drawn, strict=True):
            known[k] = _SVG_CACHE[k] = svg if isinstance(svg, str) else svg.decode()
        for k in keys:
            if k in _SVG_CACHE:
                _SVG_CACHE.move_to_end(k)
        while len(_SVG_CACHE) > _SVG_CACHE_SIZE:
            _SVG_CACHE.popitem(last=False)
    return {c.id: known[k] for k, c in zip(keys, charts, strict=True)}


def _svg_markup(svgs: Mapping[str, str], *, as_image: bool) -> dict[str, Markup]:
    """Each SVG inline (screen: the browser styles and scales it) or as an ``<img>`` data URI (print).

    For the PDF an image is much cheaper: WeasyPrint parses it with an XML parser and draws it, instead of
    parsing every SVG node as HTML and computing CSS for each.
    """
    out = {}
    for key, svg in svgs.items():
        if "<script" in svg.lower():  # vl-convert never emits one; refuse to inline it if it ever did
            raise ValueError(f"chart {key}: SVG contains a script element")
        start = svg.find("<svg")
        svg = svg[start:] if start >= 0 else svg
        if as_image:
            data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
            out[key] = Markup(f'<img class="gw-chart__img" alt="" src="data:image/svg+xml;base64,{data}">')
        else:
            out[key] = Markup(svg)
    return out


def _spec_markup(charts: Sequence[Chart]) -> dict[str, Markup]:
    """Each chart as its Vega-Lite specification for the browser to draw (``gapwatch/web/static/gw-charts.js``,
    as the dashboard's charts are): JSON in a ``<script type="application/json">`` (data, not code; escaped
    for HTML by ``htmlsafe_json_dumps``) beside the element it is drawn into."""
    out = {}
    for chart in charts:
        spec_id = escape(f"{chart.id}-spec")
        out[chart.id] = Markup(
            f'<script type="application/json" id="{spec_id}">{htmlsafe_json_dumps(chart.spec)}</script>'
            f'<div class="gw-chart__canvas" data-spec="{spec_id}"></div>'
        )
    return out


def render_body(
    report: BoardReport,
    svgs: Mapping[str, str] | None = None,
    *,
    for_print: bool = False,
    drawn_by_browser: bool = False,
) -> Markup:
    """The report's body (no ``<html>`` shell), for embedding in a web page.

    ``drawn_by_browser``: the charts go to the page as specifications for the browser to draw, not drawn here
    (the report on screen: drawing its ~50 charts as SVG took ~3 s on the first view; every chart's figures
    are also in the table beside it, so a browser without JavaScript loses nothing).
    """
    if drawn_by_browser:
        svg_markup = _spec_markup(report.charts)
    else:
        drawn = render_svgs(report.charts) if svgs is None else svgs
        svg_markup = _svg_markup(drawn, as_image=for_print)
    html = _env().get_template("body.html").render(report=report, svgs=svg_markup, for_print=for_print)
    return Markup(html)


def render_html(report: BoardReport, svgs: Mapping[str, str] | None = None, *, for_print: bool = False) -> str:
    """A complete HTML document with the stylesheet inlined: opens from a file with no other resource."""
    body = render_body(report, svgs, for_print=for_print)
    return _env().get_template("report.html").render(report=report, body=body, css=Markup(report_css()))
