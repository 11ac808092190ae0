"""The views for each user in a real browser (Debian's Chromium through Playwright) with axe-core on each: the
dashboard's small charts drawn, the plan tree with rolled-up status opened by keyboard, an outcome page, My
actions and risks, the overview grid, the API page, and the public site after publication. Screenshots go to
test-artifacts/ (views-*.png) for a reviewer to look at."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web._browser import check_page, make_lead, publish_kent_forum, watch_console
from tests.web.conftest import browser_sign_in

pytestmark = pytest.mark.browser

OUTCOME = "CYPP-2B"


def test_board_member_reads_the_dashboard_charts(page: Any, live_server: Any) -> None:
    errors = watch_console(page)
    browser_sign_in(page, live_server.url, "board_member")
    page.goto(f"{live_server.url}/dashboard")
    page.get_by_role("heading", name="Indicators that matter").wait_for()
    charts = page.locator(".gw-highlight .gw-chart")
    assert charts.count() >= 2
    page.locator(".gw-highlight .gw-chart--drawn svg").first.wait_for()
    drawn = page.locator(".gw-highlight .gw-chart--drawn").count()
    assert drawn == charts.count(), f"{drawn} of {charts.count()} small charts drawn"
    # no y-axis label printed with six decimals
    labels = page.locator(".gw-highlight svg text").evaluate_all("els => els.map(e => e.textContent || '')")
    assert not [t for t in labels if t.endswith("000000")], labels
    first = page.locator(".gw-highlight").first
    first.get_by_text("The figures in a table").click()
    assert first.locator("table tbody tr").count() >= 1
    check_page(page, "views-dashboard")
    assert not errors, errors


def test_plan_tree_with_status_and_an_outcome_page(page: Any, live_server: Any) -> None:
    browser_sign_in(page, live_server.url, "board_member")
    page.goto(f"{live_server.url}/plan")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4000, f"the plan page is {height}px tall with every branch closed"
    assert page.locator(".gw-rollup-tag").count() >= 3
    ambition = page.locator("details.gw-tree-details", has_text="Ambition 2: To tackle disadvantage").first
    ambition.locator("summary").first.focus()
    page.keyboard.press("Enter")  # branches open from the keyboard
    assert ambition.evaluate("d => d.open")
    check_page(page, "views-plan-tree")
    page.goto(f"{live_server.url}/plan/outcomes/{OUTCOME}")
    page.get_by_role("heading", name="Indicators", exact=False).first.wait_for()
    assert page.locator("#rollup").inner_text().startswith("Status, rolled up from")
    assert page.locator("table").first.locator("tbody tr").count() >= 1
    assert page.get_by_role("heading", name="Key Performance Questions it serves").is_visible()
    check_page(page, "views-outcome")


def test_lead_officer_sees_my_actions(page: Any, live_server: Any, lead_person: str) -> None:
    make_lead(live_server.app.state.engine, "AB2-A1", lead_person)
    browser_sign_in(page, live_server.url, "lead_officer")
    page.goto(f"{live_server.url}/my-work")
    page.get_by_role("heading", name="My actions and risks").wait_for()
    assert page.locator("#all-mine").get_by_role("link", name="AB2-A1").is_visible()
    check_page(page, "views-my-work")
    page.context.clear_cookies()
    browser_sign_in(page, live_server.url, "performance_officer")
    page.goto(f"{live_server.url}/accountability")
    assert "Test lead officer" in page.locator("#owners").inner_text()
    check_page(page, "views-accountability")


def test_overview_grid(page: Any, live_server: Any) -> None:
    browser_sign_in(page, live_server.url, "board_member")
    page.goto(f"{live_server.url}/overview")
    grid = page.locator("#overview-grid")
    assert grid.locator("thead th").count() == 13  # indicator + 12 districts
    assert grid.locator("td.gw-rug--worse").count() > 0 and grid.locator("td.gw-rug--better").count() > 0
    check_page(page, "views-overview-parent")
    page.get_by_label("Compared with").select_option("england")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**comparator=england*")
    assert "against England" in page.locator("#overview-grid caption").inner_text()
    check_page(page, "views-overview-england")


def test_public_site_and_api_page_after_publication(page: Any, live_server: Any) -> None:
    publish_kent_forum(live_server.app.state.engine)
    page.goto(f"{live_server.url}/public")
    check_page(page, "views-public-home")
    page.locator("main").get_by_role("link", name="Kent Forum", exact=True).click()
    page.get_by_role("heading", name="Kent Forum", exact=True).wait_for()
    check_page(page, "views-public-report")
    page.get_by_role("contentinfo").get_by_role("link", name="JSON API").click()
    page.get_by_role("heading", name="The JSON API").wait_for()
    assert page.locator("table code", has_text="/api/v1/dashboard").count() == 1
    check_page(page, "views-api-docs")
