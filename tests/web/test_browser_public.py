"""The public site after publication in a real browser (Debian's Chromium, axe-core): a compact report whose
summary comes first, plain-English KPQ answers whose chart and table open on request and are drawn, an
indicator's details, the data dictionary link, the facts about the area, the rest of the plan and the
accessibility statement. Screenshots go to test-artifacts/public-*.png."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.web._browser import check_page, publish_kent_forum, watch_console
from tests.web.conftest import browser_sign_in

pytestmark = pytest.mark.browser

#: The published Kent Forum page was 63,582 px of text before; summary first with details closed it is far less.
MAX_HEIGHT = 12_000


def test_public_site_after_publication(page: Any, live_server: Any) -> None:
    publish_kent_forum(live_server.app.state.engine)
    errors = watch_console(page)
    page.goto(f"{live_server.url}/public/2011%20H2/kent-forum")
    page.get_by_role("heading", name="At a glance").wait_for()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < MAX_HEIGHT, f"the public report is {height}px tall"
    main = page.locator("main").inner_text()
    assert "could not be calculated" not in main and "not enough data to test" not in main
    assert main.index("At a glance") < main.index("What improved") < main.index("The questions and their answers")
    check_page(page, "public-report")
    # a KPQ's evidence: plain statements, and its chart (drawn) and table once opened
    kpq = page.locator("section.gw-public-kpq", has=page.locator("summary", has_text="with a chart and table")).first
    kpq.locator("summary").click()
    kpq.locator(".gw-chart--drawn svg").wait_for()
    assert kpq.locator("table tbody tr").count() >= 2
    assert "Not enough years of data" in kpq.inner_text() or "Getting" in kpq.inner_text()
    # an indicator's details, reached from "What improved"
    page.locator("#improved + ul a").first.click()
    opened = page.locator("details.gw-public-indicator[open]")
    if opened.count() == 0:  # following the link moves to the <details>; open it as a reader would
        target = page.locator("#improved + ul a").first.get_attribute("href") or ""
        page.locator(f"details{target} summary").click()
        opened = page.locator(f"details{target}")
    opened.first.locator(".gw-chart--drawn svg").wait_for()
    check_page(page, "public-report-opened")
    # the data dictionary is linked and is CSVW
    href = page.get_by_role("link", name="data dictionary (CSV on the Web metadata, JSON)").get_attribute("href")
    assert href is not None
    meta = json.loads(page.request.get(f"{live_server.url}{href}").text())
    assert meta["@context"][0] == "http://www.w3.org/ns/csvw"
    assert not errors, errors
    page.goto(f"{live_server.url}/about-the-area")
    assert "£15,587" in page.locator("main").inner_text()
    check_page(page, "public-about-the-area")
    page.goto(f"{live_server.url}/accessibility")
    assert "axe-core" in page.locator("main").inner_text()
    check_page(page, "public-accessibility")
    browser_sign_in(page, live_server.url, "board_member")
    page.goto(f"{live_server.url}/plan/about")
    page.get_by_role("heading", name="Principles", exact=True).wait_for()
    check_page(page, "plan-about")
    page.goto(f"{live_server.url}/indicators?flag=laa")
    check_page(page, "indicators-laa")
