"""What the browser tests (test_browser_*.py) share: watching the console, the accessibility check each page
type gets (axe-core, a screenshot for reviewers, and no sideways scrolling), publishing the Kent Forum's
2011 H2 report so the public site has something to show, and making the test lead officer lead an action.

The fixtures themselves (the live server, Chromium, the page) stay in conftest.py; these are plain functions
so that a test reads as the steps a person takes."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from gapwatch.domain.cycle import CycleWindow
from gapwatch.services import approvals, cycles, publishing
from gapwatch.services.actions import assign_lead_officer, get_action
from gapwatch.store.engine import session_scope
from tests.web.conftest import USERS, describe_violations, run_axe, screenshot

#: The window of the demo's open cycle (2012 H2), in which the web judges time.
DEMO_WINDOW = CycleWindow.ending(date(2012, 12, 31), "2012 H2")


class Admin:
    """The test administrator as an actor for services called directly (outside the browser)."""

    username, role, person_id = "ada", "admin", None


def watch_console(page: Any) -> list[str]:
    """Console errors and page errors, collected as they happen (a CSP violation or a broken chart shows up)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def check_page(page: Any, name: str, *, reflow: bool = True) -> None:
    """axe-core (no serious or critical violation), a screenshot named ``name`` in test-artifacts/, and, with
    ``reflow``, no sideways scrolling of the page (WCAG 1.4.10)."""
    violations = run_axe(page)
    screenshot(page, name)
    assert not violations, f"{name}:\n" + describe_violations(violations)
    if reflow:
        width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= window, f"{name} is {width}px wide in a {window}px window"


def publish_kent_forum(engine: Engine) -> None:
    """Run a whole 2011 H2 cycle for the Kent Forum: open, close, delegate approval to the performance officer,
    approve and publish, as the public site's tests need."""
    officer = USERS["performance_officer"][0]
    cycles.open_cycle(
        engine,
        "2011 H2",
        data_cutoff=date(2011, 12, 31),
        action_deadline=date(2012, 1, 31),
        boards=["kent-forum"],
        by="tests",
    )
    cycles.close_cycle(engine, by="tests")
    approvals.delegate_approval(engine, "kent-forum", officer, by="ada")
    approvals.approve_report(engine, None, "kent-forum", by=officer)
    publishing.publish(engine, None, "kent-forum", by=officer)


def make_lead(engine: Engine, action_id: str, person: str) -> None:
    """Make ``person`` (the test lead officer's person) the lead officer of ``action_id`` unless already so."""
    with session_scope(engine) as session:
        view = get_action(session, action_id, window=DEMO_WINDOW)
        if view.lead_officer_id != person:
            assign_lead_officer(session, Admin(), action_id, view.version, person)
