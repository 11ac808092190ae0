"""Warming a server process up, so that the first person to open a page does not pay for its start-up.

The first views a fresh process served were the slowest: a report page took 4.4 s where the same page takes
0.3 s afterwards, because it imported the report builder (SciPy, Altair, WeasyPrint's stylesheet code),
started vl-convert's JavaScript engine, compiled the templates and worked out the dashboard's figures (every
indicator's status and gaps, the KPQ answers) that the dashboard and every paper's scorecard show. ``gapwatch
serve`` does that work in a background thread as each worker starts, while nobody is waiting; requests are
served meanwhile (Python's import lock, Jinja's template cache and the figures cache are safe to share between
threads, and a figure asked for while it is being worked out is computed once). The figures are those of the
data as they stand when the server starts, remembered like any others until the data change. The test
suite's apps are not warmed: they would do this work for pages most tests never open.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine

from gapwatch.errors import GapwatchError

__all__ = ["start_warm_up", "warm_figures", "warm_up"]

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


def warm_figures(engine: Engine) -> None:
    """Work out the dashboard's figures in the current window (the open cycle's, as the pages use): what the
    dashboard, the KPQ answers and every board paper's scorecard show first."""
    from gapwatch.services.dashboard import DashboardFilters, dashboard
    from gapwatch.services.database import transaction
    from gapwatch.services.kpq import dashboard_answers
    from gapwatch.services.plans import current_plan
    from gapwatch.web.window import request_window

    with transaction(engine) as session:
        window = request_window(session)
        dashboard(session, DashboardFilters(), window=window)
        dashboard_answers(session, current_plan(session), window=window)


def start_warm_up(engine: Engine | None = None) -> threading.Thread:
    """Run :func:`warm_up` (and :func:`warm_figures` on ``engine``) in a daemon thread (it never delays start-up
    or shut-down); failures are logged: they only mean slower first pages."""

    def run() -> None:
        try:
            log.info("warmed up in %.1f s", warm_up())
        except Exception:
            log.warning("warm-up failed; the first pages will be slower", exc_info=True)
        if engine is None:
            return
        started = time.perf_counter()
        try:
            warm_figures(engine)
        except GapwatchError as exc:  # an empty database, say: nothing to work out yet
            log.info("no figures worked out at start-up: %s", exc.message)
        except Exception:
            log.warning("working out the dashboard's figures failed; the first pages will be slower", exc_info=True)
        else:
            log.info("dashboard figures worked out in %.1f s", time.perf_counter() - started)

    thread = threading.Thread(target=run, name="gapwatch-warm-up", daemon=True)
    thread.start()
    return thread
