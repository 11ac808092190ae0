"""Warming a server process up, so that the first person to open a page does not pay for its start-up.

A report page is the heaviest first view: the first one a fresh process served took 4.4 s where the same page
takes 0.6 s afterwards, because it imported the report builder (SciPy, Altair, WeasyPrint's stylesheet code),
started vl-convert's JavaScript engine for the charts and compiled the page and paper templates. ``gapwatch
serve`` does that work in a background thread as each worker starts, while nobody is waiting; requests are
served meanwhile (Python's import lock and Jinja's template cache are safe to share between threads). The test
suite's apps are not warmed: they would do this work for pages most tests never open.
"""

from __future__ import annotations

import logging
import threading
import time

__all__ = ["start_warm_up", "warm_up"]

log = logging.getLogger(__name__)

#: A chart small enough to cost nothing but the engine's start.
_TINY_CHART = {
    "data": {"values": [{"x": 1}]},
    "mark": "point",
    "encoding": {"x": {"field": "x", "type": "quantitative"}},
}


def warm_up() -> float:
    """Import the report builder, start the chart engine and compile every template; returns the seconds taken.

    Nothing here reads the database: figures are computed (and cached) when first asked for, with the data of
    that moment.
    """
    started = time.perf_counter()
    from gapwatch.web.templating import compile_templates

    compile_templates()
    try:
        import vl_convert

        from gapwatch.reports import html as report_html
        from gapwatch.reports.build import build_board_report  # noqa: F401 - imported for its import cost

        report_html.report_css()
        report_html.compile_templates()
        vl_convert.vegalite_to_svg(_TINY_CHART)
    except ImportError:  # the reports extra is not installed: report pages say so when opened
        pass
    return time.perf_counter() - started


def start_warm_up() -> threading.Thread:
    """Run :func:`warm_up` in a daemon thread (it never delays start-up or shut-down); failures are logged."""

    def run() -> None:
        try:
            log.info("warmed up in %.1f s", warm_up())
        except Exception:  # a failed warm-up only means a slower first page
            log.warning("warm-up failed; the first pages will be slower", exc_info=True)

    thread = threading.Thread(target=run, name="gapwatch-warm-up", daemon=True)
    thread.start()
    return thread
