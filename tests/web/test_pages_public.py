"""The public site shows published reports only, as published (suppressed), with no officer names."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gapwatch.services import approvals, cycles, publishing
from gapwatch.services.accounts import create_user
from gapwatch.services.database import open_database
from gapwatch.settings import Settings
from gapwatch.store.engine import session_scope
from gapwatch.web import create_app
from tests.services import cycle_data
from tests.web.conftest import csrf_of, make_client

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2", category=UserWarning)
    from starlette.testclient import TestClient

REPORT = "/public/2011%20H2/forum"


@pytest.fixture
def published(tmp_path: Path) -> Iterator[tuple[Engine, TestClient]]:
    """Testshire with its 2011 H2 cycle closed and the Forum's report approved and published."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pub.db'}", secret_key="k", _env_file=None)  # type: ignore[call-arg]
    engine = open_database(settings)
    cycle_data.close_2011_h2(engine, tmp_path)
    app = create_app(settings, engine=engine)
    with make_client(app) as client:
        yield engine, client
    engine.dispose()


def test_nothing_before_publication(published: tuple[Engine, TestClient]) -> None:
    _, client = published
    home = client.get("/public")
    assert home.status_code == 200 and "Nothing has been published yet" in home.text
    assert "Is the clear gap narrowing?" in home.text  # the plan's own questions are public
    assert client.get(REPORT).status_code == 404


def test_published_report_is_as_published(published: tuple[Engine, TestClient]) -> None:
    engine, client = published
    approvals.approve_report(engine, None, "forum", by="chris")
    publishing.publish(engine, None, "forum", by="po-user")
    home = client.get("/public")
    assert "Testshire Forum" in home.text and "po-user" not in home.text
    page = client.get(REPORT)
    assert page.status_code == 200
    text = page.text
    assert "Is the clear gap narrowing?" in text and "withheld" in text
    assert "Approved words" in text and "Draft words" not in text
    assert "Lee Lead" not in text and "Chris Chair" not in text  # officers only by organisation
    assert client.get("/public/2011%20H2/d1-board").status_code == 404  # not published
    data = client.get(f"{REPORT}/data.csv")
    assert data.status_code == 200 and data.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(data.text)))
    d1 = [r for r in rows if r["indicator"] == "SM" and r["area_code"] == "D1"]
    assert d1 and all(r["value"] == "[c]" and r["count"] == "[c]" for r in d1)  # 2 of 50: withheld
    assert client.get(f"{REPORT}/data.json").headers["content-type"] == "application/json"
    assert client.get(f"{REPORT}/data.xml").status_code == 404
    notes = client.get(f"{REPORT}/notes.csv")
    assert notes.status_code == 200 and "[c]" in notes.text and "[z]" in notes.text and "[low]" in notes.text
    assert 'id="notes"' in text and "[c]" in text and "Withdraw this publication" not in text


def _sign_in(client: TestClient, username: str, password: str) -> None:
    token = csrf_of(client, "/sign-in")
    response = client.post(
        "/sign-in", data={"username": username, "password": password, "next": "/", "csrf_token": token}
    )
    assert response.status_code == 303, response.text


def test_a_delegate_cannot_flip_the_approval_of_a_published_report(published: tuple[Engine, TestClient]) -> None:
    engine, client = published
    with session_scope(engine) as session:
        create_user(session, username="del", display_name="Del", role="board_member", password="a long passphrase 3")
    approvals.delegate_approval(engine, "forum", "del", by="admin")
    approvals.approve_report(engine, None, "forum", by="del")
    publishing.publish(engine, None, "forum", by="po-user")
    _sign_in(client, "del", "a long passphrase 3")
    flip = client.post(
        "/reports/2011%20H2/forum/approval", data={"decision": "rejected", "csrf_token": csrf_of(client, "/public")}
    )
    assert flip.status_code == 409 and "frozen" in flip.text
    assert cycles.snapshot(engine, None, "forum").approval.status == "approved"
    assert client.get(REPORT).status_code == 200


def test_withdrawal_takes_the_report_off_public_and_says_why(published: tuple[Engine, TestClient]) -> None:
    engine, client = published
    approvals.approve_report(engine, None, "forum", by="chris")
    publishing.publish(engine, None, "forum", by="po-user")
    with session_scope(engine) as session:
        create_user(
            session,
            username="perf",
            display_name="Pat Perf",
            role="performance_officer",
            password="a long passphrase 4",
        )
    anonymous = client.get(f"{REPORT}/withdraw")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")
    _sign_in(client, "perf", "a long passphrase 4")
    assert "Withdraw this publication" in client.get(REPORT).text
    form = client.get(f"{REPORT}/withdraw")
    assert form.status_code == 200 and 'name="reason"' in form.text
    token = csrf_of(client, f"{REPORT}/withdraw")
    empty = client.post(f"{REPORT}/withdraw", data={"reason": " ", "csrf_token": token})
    assert empty.status_code == 422 and "the reason is empty" in empty.text
    done = client.post(f"{REPORT}/withdraw", data={"reason": "A district's figures were wrong", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == REPORT
    client.post("/sign-out", data={"csrf_token": csrf_of(client, "/public")})
    home = client.get("/public").text
    assert "Withdrawn reports" in home and "A district&#39;s figures were wrong" in home
    assert "Nothing has been published yet" in home  # no longer among the published reports
    gone = client.get(REPORT)
    assert gone.status_code == 410
    assert "withdrawn" in gone.text and "by a performance officer" in gone.text and "Pat Perf" not in gone.text
    assert "figures were wrong" in gone.text and "Is the clear gap narrowing?" not in gone.text
    assert client.get(f"{REPORT}/data.csv").status_code == 410
    assert client.get(f"{REPORT}/data.json").status_code == 410


def test_public_pages_need_no_sign_in_and_private_pages_do(published: tuple[Engine, TestClient]) -> None:
    _, client = published
    assert client.get("/public").status_code == 200
    response = client.get("/dashboard")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
