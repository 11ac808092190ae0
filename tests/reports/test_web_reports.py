"""Reports in the web app: the list, a report on screen, its files, commentary, the chair's approval, publication."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI

from gapwatch.services.accounts import create_user
from gapwatch.services.cycles import close_cycle, open_cycle
from gapwatch.settings import Settings
from gapwatch.store.engine import session_scope
from gapwatch.web import create_app
from tests.reports.conftest import CYCLE, engine_on
from tests.web.conftest import csrf_of, make_client, sign_in

pytestmark = pytest.mark.slow  # each test renders Kent demo reports (several seconds)

BASE = f"/reports/{quote(CYCLE)}/kent-forum"
CHAIR = ("carter", "chair-password-123")


@pytest.fixture
def reports_app(web_settings: Settings, web_db: Path) -> Iterator[FastAPI]:
    """The web app on a copy of the demo with cycle 2011 H2 open for the two boards these tests read (closing it
    for all 19 would take ~15 s more) and a user linked to the Kent Forum's chair."""
    engine = engine_on(web_db)
    try:
        open_cycle(
            engine,
            CYCLE,
            data_cutoff=date(2011, 12, 31),
            action_deadline=date(2012, 1, 31),
            boards=["kent-forum", "locality-board-thanet"],
            by="tests",
        )
        with session_scope(engine) as session:
            create_user(
                session,
                username=CHAIR[0],
                display_name="Paul Carter",
                role="board_member",
                password=CHAIR[1],
                person_id="paul-carter",
            )
    finally:
        engine.dispose()
    application = create_app(web_settings)
    yield application
    application.state.engine.dispose()


def _client(app: FastAPI, role: str) -> object:
    client = make_client(app)
    client.__enter__()
    if role == "chair":
        token = csrf_of(client, "/sign-in")
        done = client.post(
            "/sign-in", data={"username": CHAIR[0], "password": CHAIR[1], "next": "/", "csrf_token": token}
        )
        assert done.status_code == 303
    elif role != "anonymous":
        sign_in(client, role)
    return client


def _post(client: object, url: str, data: dict[str, str]) -> object:
    return client.post(url, data={**data, "csrf_token": csrf_of(client)})  # type: ignore[attr-defined]


def test_the_list_and_a_report_on_screen(reports_app: FastAPI) -> None:
    client = _client(reports_app, "board_member")
    listing = client.get("/reports")  # type: ignore[attr-defined]
    assert listing.status_code == 200
    assert "Kent Forum" in listing.text and f'href="{BASE}"' in listing.text and "Thanet Locality Board" in listing.text
    page = client.get(BASE)  # type: ignore[attr-defined]
    assert page.status_code == 200
    html = page.text
    assert 'href="/reports/report.css"' in html and "<style" not in html  # the CSP forbids inline styles
    assert "Draft: cycle 2011 H2 is open" in html
    assert html.index('id="report-exceptions"') < html.index('id="report-kpqs"') < html.index('id="report-indicators"')
    body = html[html.index("<main") : html.index("</main>")]
    assert body.count('class="gw-kpq"') == 15
    # Charts are drawn by the browser from their specifications (as the dashboard's are): JSON data, never code,
    # one per figure, and the page loads the script that draws them.
    figures = body.count('<figure class="gw-chart ')
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S)
    assert figures >= 10 and len(scripts) == figures and body.count('class="gw-chart__canvas" data-spec=') == figures
    assert all(attrs.strip().startswith('type="application/json"') for attrs, _ in scripts)
    assert all("mark" in json.dumps(json.loads(text)) for _, text in scripts) and "<svg" not in body
    assert '<script type="module" src="/static/gw-charts.js">' in html
    assert "Includes illustrative demo data" in html
    css = client.get("/reports/report.css")  # type: ignore[attr-defined]
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and "@page" in css.text


def test_report_files_download(reports_app: FastAPI) -> None:
    client = _client(reports_app, "lead_officer")
    pdf = client.get(f"/reports/{quote(CYCLE)}/locality-board-thanet/report.pdf")  # type: ignore[attr-defined]
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf" and "attachment" in pdf.headers["content-disposition"]
    word = client.get(f"/reports/{quote(CYCLE)}/locality-board-thanet/report.docx")  # type: ignore[attr-defined]
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(word.content)).namelist()
    html = client.get(f"/reports/{quote(CYCLE)}/locality-board-thanet/report.html")  # type: ignore[attr-defined]
    assert html.text.startswith("<!DOCTYPE html>") and "Thanet Locality Board" in html.text
    assert client.get(f"{BASE}/report.xlsx").status_code == 404  # type: ignore[attr-defined]
    assert client.get(f"/reports/{quote('1999 H1')}/kent-forum").status_code == 404  # type: ignore[attr-defined]


def test_anonymous_visitors_are_sent_to_sign_in(reports_app: FastAPI) -> None:
    client = _client(reports_app, "anonymous")
    for path in ("/reports", BASE, f"{BASE}/report.pdf"):
        response = client.get(path)  # type: ignore[attr-defined]
        assert response.status_code in (302, 303) and response.headers["location"].startswith("/sign-in")


def test_commentary_then_approval_then_publication(reports_app: FastAPI) -> None:
    officer = _client(reports_app, "performance_officer")
    empty = _post(officer, f"{BASE}/commentary", {"subject_kind": "report", "text": "  "})
    assert empty.status_code == 422 and "commentary is empty" in empty.text  # type: ignore[attr-defined]
    saved = _post(
        officer,
        f"{BASE}/commentary",
        {"subject_kind": "indicator", "subject_id": "NI75", "text": "Attainment of FSM pupils is <improving>."},
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    page = officer.get(BASE).text  # type: ignore[attr-defined]
    assert "Attainment of FSM pupils is &lt;improving&gt;." in page
    ident = re.search(r'action="[^"]*/commentary/(\d+)"', page)
    assert ident is not None
    decided = _post(officer, f"{BASE}/commentary/{ident.group(1)}", {"decision": "approved"})
    assert decided.status_code == 303  # type: ignore[attr-defined]

    member = _client(reports_app, "board_member")
    early = _post(member, f"{BASE}/commentary", {"subject_kind": "report", "text": "A board member's view."})
    assert early.status_code == 303  # board members may comment too  # type: ignore[attr-defined]
    engine = reports_app.state.engine
    close_cycle(engine, CYCLE, by="tests")
    frozen = officer.get(BASE).text  # type: ignore[attr-defined]
    assert "Final: frozen when cycle 2011 H2 closed" in frozen and "commentary approved" in frozen
    assert "Awaiting approval by Paul Carter" in frozen

    assert _post(officer, f"{BASE}/publish", {}).status_code == 409  # type: ignore[attr-defined]
    refused = _post(member, f"{BASE}/approval", {"decision": "approved"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    chair = _client(reports_app, "chair")
    approved = _post(chair, f"{BASE}/approval", {"decision": "approved", "note": "Agreed at the meeting"})
    assert approved.status_code == 303  # type: ignore[attr-defined]
    assert "Approved by carter" in officer.get(BASE).text  # type: ignore[attr-defined]

    assert _post(member, f"{BASE}/publish", {}).status_code == 403  # type: ignore[attr-defined]
    published = _post(officer, f"{BASE}/publish", {})
    assert published.status_code == 303  # type: ignore[attr-defined]
    public = _client(reports_app, "anonymous").get(published.headers["location"])  # type: ignore[attr-defined]
    assert public.status_code == 200 and "Kent Forum" in public.text
