"""The platform in a real browser (Debian's Chromium through Playwright): signing in and out, a lead officer
refused what is not theirs, the 404 page, accessibility (axe-core) of the sign-in and error pages, no CSP
violations, and the pages without JavaScript. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from gapwatch.services.frameworks import stored_framework
from gapwatch.store.engine import get_engine
from tests.web._browser import watch_console
from tests.web.conftest import (
    USERS,
    browser_sign_in,
    describe_violations,
    run_axe,
    screenshot,
)

pytestmark = pytest.mark.browser


def test_sign_in_page_is_accessible_and_signing_in_works(page, live_server) -> None:
    errors = watch_console(page)
    page.goto(f"{live_server.url}/sign-in")
    assert page.title().startswith("Sign in – ")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "platform-sign-in")
    browser_sign_in(page, live_server.url, "board_member")
    assert "/sign-in" not in page.url
    assert page.get_by_role("link", name="Test board member").is_visible()  # the header shows who is signed in
    screenshot(page, "platform-signed-in-board-member")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in?signed_out=1")
    assert page.get_by_text("You have signed out.").is_visible()
    assert not errors, errors


def test_wrong_password_shows_the_error_summary_focused(page, live_server) -> None:
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("Username").fill(USERS["admin"][0])
    page.get_by_label("Password", exact=True).fill("certainly-wrong")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Enter a correct username and password" in summary.inner_text()
    # GOV.UK Frontend's JavaScript moves focus to the summary, so screen readers announce it
    assert page.evaluate("() => document.activeElement.classList.contains('govuk-error-summary')")
    assert page.title().startswith("Error: Sign in")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "platform-sign-in-error")


def test_lead_officer_is_refused_what_is_not_theirs(page, live_server) -> None:
    browser_sign_in(page, live_server.url, "lead_officer")
    response = page.goto(f"{live_server.url}/admin/users")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="You do not have permission to see or do this").is_visible()
    assert page.get_by_text("This is open to administrators only, and you are signed in as a lead officer").is_visible()
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "platform-forbidden-lead-officer")
    # an action led by someone else: the update form is refused as well
    engine = get_engine(live_server.app.state.settings)
    try:
        framework = stored_framework(engine)
    finally:
        engine.dispose()
    lead_user = USERS["lead_officer"][0]
    others = [a for a in framework.actions if a.lead_officer != _person_of(live_server, lead_user)]
    assert others, "the demo has no action led by someone else"
    response = page.goto(f"{live_server.url}/actions/{others[0].id}/update")
    assert response is not None and response.status == 403
    assert (
        page.get_by_text("You cannot change").first.is_visible()
        or page.get_by_text("You do not have permission").first.is_visible()
    )


def _person_of(live_server, username: str) -> str | None:
    from gapwatch.store.accounts import get_user
    from gapwatch.store.engine import session_scope

    with session_scope(live_server.app.state.engine) as session:
        user = get_user(session, username)
        return user.person_id if user else None


def test_unknown_address_gives_an_accessible_404_page(page, live_server) -> None:
    errors = watch_console(page)
    response = page.goto(f"{live_server.url}/this/does/not/exist")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "platform-404")
    assert not [e for e in errors if "404" not in e], errors  # only the page's own 404 may be logged


def test_account_and_admin_pages_are_accessible(page, live_server) -> None:
    errors = watch_console(page)
    browser_sign_in(page, live_server.url, "admin")
    for path, name in [
        ("/account", "account"),
        ("/account/tokens", "tokens"),
        ("/admin/users", "users"),
        ("/admin/users/new", "new-user"),
        ("/admin/audit", "audit-log"),
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        violations = run_axe(page)
        assert not violations, f"{path}:\n{describe_violations(violations)}"
        screenshot(page, f"platform-{name}")
    assert not errors, errors


def test_admin_form_errors_are_accessible(page, live_server) -> None:
    browser_sign_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/admin/users/new")
    page.get_by_role("button", name="Add user").click()
    page.locator(".govuk-error-summary").wait_for()
    assert page.locator(".govuk-error-message").count() >= 3
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "platform-new-user-errors")


def test_everything_works_without_javascript(browser, live_server) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        browser_sign_in(page, live_server.url, "performance_officer")
        assert "/sign-in" not in page.url
        page.goto(f"{live_server.url}/admin/audit")
        assert page.get_by_role("heading", name="Audit log").is_visible()
        page.get_by_label("User").fill(USERS["performance_officer"][0])
        page.get_by_role("button", name="Filter").click()
        assert "username=" in page.url
        assert page.locator("tbody tr").count() >= 1
        page.get_by_role("button", name="Sign out").click()
        assert "/sign-in" in page.url
    finally:
        context.close()
