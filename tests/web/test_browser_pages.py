"""The plan pages in a real browser (Debian's Chromium through Playwright), as people use them: a board member
reading the dashboard, a lead officer updating an action and seeing it in the history, two people editing the
same action, a performance officer importing a file with an error and then a good one, and the public site
showing only what was published. axe-core runs on every page type (no serious or critical violations); the
screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from gapwatch.services.risks import NewRiskInput, RiskUpdateInput, add_risk
from gapwatch.store.engine import session_scope
from tests.web._browser import DEMO_WINDOW, Admin, check_page, make_lead, publish_kent_forum, watch_console
from tests.web.conftest import browser_sign_in
from tests.web.test_pages_data import BAD_CSV, good_csv

pytestmark = pytest.mark.browser


def test_board_member_reads_the_dashboard_and_an_indicator(page: Any, live_server: Any) -> None:
    errors = watch_console(page)
    browser_sign_in(page, live_server.url, "board_member")
    page.goto(f"{live_server.url}/dashboard")
    assert page.get_by_role("heading", name="Dashboard", exact=True).is_visible()
    assert page.get_by_role("heading", name="By ambition").is_visible()
    assert page.locator("caption", has_text="Indicators by target status").first.is_visible()
    # Reflow (WCAG 1.4.10): nothing, not even a select of long priority titles, widens the page.
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the dashboard is {widths[0]}px wide in a {widths[1]}px window"
    check_page(page, "pages-dashboard-board-member", reflow=False)
    page.get_by_label("Board", exact=True).select_option("ambition-board-2")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/dashboard?board=ambition-board-2*")
    assert "Ambition Board 2" in page.locator("h2").first.inner_text()
    page.goto(f"{live_server.url}/indicators/PSA1-looked-after-children")
    page.locator("#chart-trend.gw-chart--drawn svg").wait_for()
    page.locator("#chart-districts.gw-chart--drawn svg").wait_for()
    assert page.get_by_text("are illustrative").first.is_visible()  # generated demo data are labelled
    assert page.locator(".govuk-tag", has_text="Illustrative").count() > 0
    check_page(page, "pages-indicator", reflow=False)
    assert not errors, errors


def test_lead_officer_updates_an_action_and_sees_it_in_history(page: Any, live_server: Any, lead_person: str) -> None:
    make_lead(live_server.app.state.engine, "CYPP-3", lead_person)
    browser_sign_in(page, live_server.url, "lead_officer")
    page.goto(f"{live_server.url}/actions/CYPP-3")
    page.get_by_role("button", name="Update this action").click()
    page.get_by_role("button", name="Save update").click()  # nothing filled in: the error summary
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Select a RAG status" in summary.inner_text() and "Enter a commentary" in summary.inner_text()
    assert page.title().startswith("Error: ")
    check_page(page, "pages-action-update-errors", reflow=False)
    page.get_by_label("Amber").check()
    page.get_by_label("Percentage complete").fill("45")
    page.get_by_label("Commentary on progress").fill("FSM tutoring running in 30 schools")
    page.get_by_role("button", name="Save update").click()
    page.get_by_text("Your update has been saved.").wait_for()
    history = page.locator("#history + table")
    assert "FSM tutoring running in 30 schools" in history.inner_text() and "45%" in history.inner_text()
    check_page(page, "pages-action-detail", reflow=False)


def test_two_people_editing_the_same_action(browser: Any, live_server: Any, lead_person: str) -> None:
    make_lead(live_server.app.state.engine, "CYPP-4", lead_person)
    lead_ctx, po_ctx = browser.new_context(locale="en-GB"), browser.new_context(locale="en-GB")
    try:
        lead, po = lead_ctx.new_page(), po_ctx.new_page()
        browser_sign_in(lead, live_server.url, "lead_officer")
        browser_sign_in(po, live_server.url, "performance_officer")
        for tab in (lead, po):
            tab.goto(f"{live_server.url}/actions/CYPP-4/update")
        po.get_by_label("Green").check()
        po.get_by_label("Commentary on progress").fill("Agreed with the Trust board on Monday")
        po.get_by_role("button", name="Save update").click()
        po.get_by_text("Your update has been saved.").wait_for()
        lead.get_by_label("Red").check()
        lead.get_by_label("Commentary on progress").fill("Venue lost, event postponed")
        lead.get_by_role("button", name="Save update").click()
        lead.get_by_text("Someone else updated this action while you were editing it").wait_for()
        assert "Agreed with the Trust board on Monday" in lead.locator(".gw-conflict").inner_text()
        assert lead.get_by_label("Commentary on progress").input_value() == "Venue lost, event postponed"
        check_page(lead, "pages-action-conflict", reflow=False)
        lead.get_by_role("button", name="Save my update anyway").click()
        lead.get_by_text("Your update has been saved.").wait_for()
        history = lead.locator("#history + table").inner_text()
        assert "Venue lost, event postponed" in history and "Agreed with the Trust board on Monday" in history
    finally:
        lead_ctx.close()
        po_ctx.close()


def test_performance_officer_imports_a_bad_file_then_a_good_one(page: Any, live_server: Any) -> None:
    browser_sign_in(page, live_server.url, "performance_officer")
    page.goto(f"{live_server.url}/data")
    check_page(page, "pages-data", reflow=False)
    page.set_input_files("#file", files=[{"name": "ni118.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}])
    page.get_by_role("button", name="Check the file").click()
    page.locator(".govuk-error-summary").wait_for()
    problems = page.locator("table", has_text="Problem").first.inner_text()
    assert "not a period" in problems or "period" in problems.lower()
    check_page(page, "pages-data-errors", reflow=False)
    page.set_input_files("#file", files=[{"name": "ni118.csv", "mimeType": "text/csv", "buffer": good_csv().encode()}])
    page.get_by_label("These are made-up figures for a demonstration (they will be labelled illustrative)").check()
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("heading", name="Check what the import will do").wait_for()
    check_page(page, "pages-data-preview", reflow=False)
    page.get_by_role("button", name="Import the file").click()
    page.get_by_text("The file has been imported as batch").wait_for()
    check_page(page, "pages-data-batch", reflow=False)
    page.goto(f"{live_server.url}/indicators/NI118")
    assert page.locator('a[href^="/data/batches/"]').count() > 0


@pytest.mark.slow
def test_every_other_page_type_is_accessible(page: Any, live_server: Any) -> None:
    errors = watch_console(page)
    with session_scope(live_server.app.state.engine) as session:
        risk = add_risk(
            session,
            Admin(),
            NewRiskInput(
                title="Childcare providers leave the market",
                action="CYPP-1",
                review=RiskUpdateInput(
                    likelihood="4",
                    impact="5",
                    review_day="1",
                    review_month="6",
                    review_year="2030",
                    mitigations="Second provider\nTermly check",
                ),
            ),
            window=DEMO_WINDOW,
        )
    browser_sign_in(page, live_server.url, "performance_officer")
    for path, name in [
        ("/plan", "plan"),
        ("/plan?q=credit", "plan-search"),
        ("/indicators", "indicators"),
        ("/gaps", "gaps"),
        ("/gaps?indicator=PSA1-public-disorder&comparison=area&subject=E07000114&comparator=rest-of-kent", "gaps-area"),
        ("/actions", "actions"),
        ("/actions/CYPP-1/update", "action-update"),
        ("/risks", "risks"),
        (f"/risks/{risk.id}", "risk"),
        (f"/risks/{risk.id}/review", "risk-review"),
        ("/risks/new", "risk-new"),
    ]:
        page.goto(f"{live_server.url}{path}")
        check_page(page, f"pages-{name}", reflow=False)
    page.goto(
        f"{live_server.url}/gaps?indicator=PSA1-public-disorder&comparison=area&subject=E07000114"
        "&comparator=rest-of-kent"
    )
    page.locator(".gw-chart--drawn svg").first.wait_for()
    assert page.locator(".gw-heat").count() == 0
    page.goto(f"{live_server.url}/risks")
    assert page.locator(".gw-heat td.gw-heat--high a").first.inner_text().startswith("1")
    assert not errors, errors


def test_public_site_shows_published_data_only(page: Any, live_server: Any) -> None:
    engine = live_server.app.state.engine
    page.goto(f"{live_server.url}/public")
    assert page.get_by_text("Nothing has been published yet").is_visible()
    publish_kent_forum(engine)
    with session_scope(engine) as session:  # after publication: must not reach the public site
        add_risk(
            session,
            Admin(),
            NewRiskInput(
                title="Unpublished risk about a leaked budget",
                review=RiskUpdateInput(
                    likelihood="5", impact="5", review_day="1", review_month="1", review_year="2031"
                ),
            ),
            window=DEMO_WINDOW,
        )
    page.goto(f"{live_server.url}/public")
    page.locator("main").get_by_role("link", name="Kent Forum", exact=True).click()
    page.get_by_role("heading", name="Kent Forum", exact=True).wait_for()
    text = page.locator("main").inner_text()
    assert "Unpublished risk about a leaked budget" not in text
    for display_name in ("Test performance officer", "Test lead officer", "Test admin"):
        assert display_name not in text
    assert "illustrative" in text.lower()
    check_page(page, "pages-public-report", reflow=False)
    page.goto(f"{live_server.url}/public")
    check_page(page, "pages-public-home", reflow=False)
    response = page.goto(f"{live_server.url}/dashboard")
    assert response is not None and "/sign-in" in page.url  # the rest of the site needs signing in
