"""Fixtures for the web tests: an app on a copy of the Kent demo with one user per role, clients signed in
as each role, and (for @pytest.mark.browser tests) a live uvicorn server driven by Debian's Chromium.

    def test_x(client_as):                      # a TestClient signed in as a lead officer
        client = client_as("lead_officer")
        page = client.get("/dashboard")

    def test_y(client, post_form):              # anonymous client; post_form adds the CSRF token
        post_form(client, "/sign-in", {"username": "x", "password": "y"})

    def test_z(page, live_server):              # Playwright page on the live server
        page.goto(live_server.url + "/sign-in")
"""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from gapwatch.services import accounts
from gapwatch.services.accounts import _busiest_lead, create_user
from gapwatch.services.database import open_database
from gapwatch.settings import Settings
from gapwatch.store.engine import session_scope
from gapwatch.web import create_app
from tests.conftest import shared_template

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package; httpx works the same for these tests.
    warnings.filterwarnings("ignore", message=".*httpx2", category=UserWarning)
    from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
NODE_MODULES = REPO / "gapwatch" / "web" / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: role -> (username, password) of the test users present in every web test database.
USERS: dict[str, tuple[str, str]] = {
    "admin": ("ada", "admin-password-1"),
    "performance_officer": ("pat", "performance-password-1"),
    "lead_officer": ("leo", "lead-officer-password-1"),
    "board_member": ("bea", "board-member-password-1"),
}
ROLES = tuple(USERS)
#: The person the test lead officer is linked to when the framework names no lead (see ``lead_person``).
LEAD_PERSON = "test-lead-person"

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Argon2 at production cost makes hundreds of sign-ins slow; the algorithm is the same."""
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts._dummy_hash = None
    yield
    accounts._hasher = original
    accounts._dummy_hash = None


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, _fast_password_hashing: None, kent_demo_file: Path) -> Path:
    """A SQLite file holding the Kent demo and the USERS, built once per test run (copied per test)."""
    return shared_template(tmp_path_factory, "web-demo.db", lambda path: _add_users(kent_demo_file, path))


def _add_users(demo: Path, path: Path) -> None:
    shutil.copyfile(demo, path)
    engine = open_database(Settings(database_url=f"sqlite:///{path}"))
    try:
        with session_scope(engine) as session:
            person, organisation = _busiest_lead(session)
            for role, (username, password) in USERS.items():
                is_lead = role == "lead_officer"
                create_user(
                    session,
                    username=username,
                    display_name=f"Test {role.replace('_', ' ')}",
                    role=role,
                    password=password,
                    person_id=(person or LEAD_PERSON) if is_lead else None,
                    organisation_id=organisation if is_lead else None,
                )
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def lead_person(demo_template: Path) -> str:
    """The framework person id the test lead officer is linked to (the one leading most actions and risks)."""
    engine = open_database(Settings(database_url=f"sqlite:///{demo_template}"), migrate=False)
    try:
        with session_scope(engine) as session:
            from gapwatch.store.accounts import get_user

            user = get_user(session, USERS["lead_officer"][0])
            assert user is not None and user.person_id
            return user.person_id
    finally:
        engine.dispose()


@pytest.fixture
def web_db(tmp_path: Path, demo_template: Path) -> Path:
    """This test's own copy of the demo database."""
    path = tmp_path / "web.db"
    shutil.copyfile(demo_template, path)
    return path


@pytest.fixture
def web_settings(web_db: Path) -> Settings:
    """Settings for a test app on ``web_db`` (a fixed secret, so cookies survive app re-creation)."""
    return Settings(
        database_url=f"sqlite:///{web_db}",
        secret_key="test-secret-key-not-for-production",
        login_attempts_per_minute=5,
        upload_limit_mb=1,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def app(web_settings: Settings) -> Iterator[FastAPI]:
    """The web app on the test's database."""
    application = create_app(web_settings)
    yield application
    application.state.engine.dispose()


def make_client(app: FastAPI, **kwargs: Any) -> TestClient:
    """A TestClient that does not follow redirects (tests check where they go)."""
    kwargs.setdefault("follow_redirects", False)
    return TestClient(app, **kwargs)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous client."""
    with make_client(app) as test_client:
        yield test_client


def page_text(markup: str) -> str:
    """What a reader sees of some HTML: tags dropped, entities decoded, runs of white space made one space."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def csrf_of(client: TestClient, path: str = "/accessibility") -> str:
    """The CSRF token of the client's session (read from a page's <meta name="csrf-token">)."""
    response = client.get(path)
    match = _CSRF_META.search(response.text)
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


@pytest.fixture
def post_form() -> Callable[..., Any]:
    """POST a form with the client's CSRF token added: post_form(client, url, data, files=None)."""

    def post(client: TestClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        fields = dict(data or {})
        fields.setdefault("csrf_token", csrf_of(client))
        return client.post(url, data=fields, **kwargs)

    return post


def sign_in(client: TestClient, role: str) -> TestClient:
    """Sign ``client`` in as the test user of ``role``."""
    username, password = USERS[role]
    token = csrf_of(client, "/sign-in")
    response = client.post(
        "/sign-in", data={"username": username, "password": password, "next": "/", "csrf_token": token}
    )
    assert response.status_code == 303, f"sign-in as {role} failed: {response.status_code}"
    return client


@pytest.fixture
def client_as(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """Factory: ``client_as(role)`` gives a client signed in as that role (``"anonymous"``: not signed in)."""
    opened: list[TestClient] = []

    def make(role: str) -> TestClient:
        test_client = make_client(app)
        test_client.__enter__()
        opened.append(test_client)
        if role != "anonymous":
            sign_in(test_client, role)
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


# --- the live server and the browser -------------------------------------------------------------------------


@dataclass
class LiveServer:
    """A uvicorn server on 127.0.0.1 serving ``app`` in a thread."""

    url: str
    app: FastAPI
    db: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Iterator[LiveServer]:
    """A real HTTP server (uvicorn) on a free port, on its own copy of the demo database (one per module)."""
    import uvicorn

    db = tmp_path_factory.mktemp("live") / "live.db"
    shutil.copyfile(demo_template, db)
    settings = Settings(
        database_url=f"sqlite:///{db}",
        secret_key="live-test-secret",
        login_attempts_per_minute=50,
        _env_file=None,  # type: ignore[call-arg]
    )
    application = create_app(settings)
    port = _free_port()
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=application, db=db)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        application.state.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no `playwright install`)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("/usr/bin/chromium is missing: CI installs it with `make system-deps`")
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page (own cookies) per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    # 10 s for an element; 30 s for a navigation: the first page after signing in computes the plan's statistics on
    # a cold server, which on a 2-core CI machine running the other worker's tests took over 10 s.
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


def browser_sign_in(page: Any, base_url: str, role: str) -> None:
    """Sign in through the form, as a person would."""
    username, password = USERS[role]
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation(timeout=30_000):
        page.get_by_role("button", name="Sign in").click(no_wait_after=True)
    page.wait_for_load_state()


def _axe_source() -> str:
    path = NODE_MODULES / "axe-core" / "axe.min.js"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make install` (npm ci in gapwatch/web)")
    return path.read_text(encoding="utf-8")


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0-2.2 A and AA rules) on the page; return the serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())  # evaluate, not a <script> tag: the page's CSP forbids inline scripts
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}
        })"""
    )
    assert result["passes"], "axe-core ran no checks"
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """A readable list of axe violations for an assertion message."""
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return "\n".join(lines)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot into test-artifacts/ (git-ignored) for reviewers."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
