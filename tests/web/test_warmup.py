"""A served app warms itself up in the background (report builder imported, templates compiled, chart engine
started) so the first person to open a report page does not wait for it; test apps are not warmed."""

from __future__ import annotations

import sys
import threading

import pytest
from fastapi import FastAPI

from gapwatch.web import warmup
from gapwatch.web.app import create_app
from gapwatch.web.templating import _environment
from gapwatch.web.warmup import warm_up
from tests.web.conftest import make_client, sign_in


def test_warm_up_compiles_every_page_template_and_loads_the_report_builder() -> None:
    seconds = warm_up()
    env = _environment(False)
    pages = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    assert seconds >= 0 and len(pages) > 40
    ours = {name for name in pages if not name.startswith("govuk_frontend_jinja/")}
    assert env.cache is not None and {template.name for template in env.cache.values()} >= ours
    assert "gapwatch.reports.build" in sys.modules and "vl_convert" in sys.modules


def test_only_an_app_built_to_serve_warms_up(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    called = threading.Event()

    def warm() -> float:
        called.set()
        return 0.0

    figures = threading.Event()
    monkeypatch.setattr(warmup, "warm_up", warm)
    monkeypatch.setattr(warmup, "warm_figures", lambda engine: figures.set())
    with make_client(app) as client:
        assert client.get("/accessibility").status_code == 200
    assert not called.is_set()
    served = create_app(app.state.settings, engine=app.state.engine, warm=True)
    with make_client(served) as client:
        assert client.get("/accessibility").status_code == 200
        assert called.wait(timeout=30) and figures.wait(timeout=30)


def test_the_dashboard_figures_are_ready_before_anyone_asks(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    from gapwatch.services import cache, dashboard

    cache.clear()
    warmup.warm_figures(app.state.engine)

    def not_again(*args: object) -> None:
        raise AssertionError("an indicator's status was worked out again")

    monkeypatch.setattr(dashboard, "_status_of", not_again)
    with make_client(app) as client:
        sign_in(client, "board_member")
        page = client.get("/dashboard")
    assert page.status_code == 200 and "Indicators by target status" in page.text
