"""Commentary on the web: the performance officer asks an exception's owner for the story behind the curve from
the draft paper, the owner writes it (reached from My work), the chair's delegate approves it, and the live
draft paper shows exactly the approved words; once the cycle closes the forms go and the commentary is frozen.

Each test runs on its own copy of the Kent demo (tests/web/conftest.py) with a 2012 H2 cycle opened for the
Kent Forum only (opening takes under a second; one test closes it, which takes a few more).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from gapwatch.reports import build_board_report
from gapwatch.services import approvals, comments, cycles
from gapwatch.store.audit import AuditFilter, query_audit
from tests.web._browser import check_page, watch_console
from tests.web.conftest import ARTIFACTS, USERS, browser_sign_in, page_text

CYCLE = "2012 H2"
BOARD = "kent-forum"
PAPER = "/reports/2012%20H2/kent-forum"
PARTS = {
    "story": "Obesity in reception rose in the most deprived wards after the school nurse service was cut.",
    "partners": "School nursing, district leisure services, Kent Public Health.",
    "what_works": "Whole-school approaches with parents (NICE PH47).",
    "proposal": "Restore the nurse-led weigh-and-advise sessions in the 20 schools with the widest gap by June.",
}
_REQUEST_LINK = re.compile(r'href="(/commentary/new\?[^"]+)"')


@pytest.fixture
def cycle(app: FastAPI) -> str:
    """The 2012 H2 cycle opened for the Kent Forum, with the test board member ``bea`` its chair's delegate."""
    engine = app.state.engine
    cycles.open_cycle(
        engine, CYCLE, data_cutoff=date(2012, 12, 31), action_deadline=date(2013, 1, 31), boards=[BOARD], by="ada"
    )
    approvals.delegate_approval(engine, BOARD, USERS["board_member"][0], by="ada")
    return CYCLE


def _first_request_link(paper_html: str) -> tuple[str, str]:
    """The first "Request commentary" link beside an exception on the paper page, and the subject it asks about."""
    match = _REQUEST_LINK.search(paper_html)
    assert match, "no Request commentary button on the paper"
    url = match.group(1).replace("&amp;", "&")
    subject = parse_qs(urlsplit(url).query)["subject"][0]
    return url, subject


def _audit(app: FastAPI, number: int) -> list[tuple[str, str]]:
    with Session(app.state.engine) as session:
        rows = query_audit(session, AuditFilter(entity=f"commentary:{number}"))
        return sorted((r.username, r.action) for r in rows)


def _request(app: FastAPI, owner: str, subject: str = "indicator:NI55") -> int:
    return comments.request_commentary(app.state.engine, CYCLE, subject, owner, by="pat")


def test_request_write_approve_on_the_web_and_the_draft_paper_shows_the_story(
    app: FastAPI, cycle: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    pat, leo, bea = client_as("performance_officer"), client_as("lead_officer"), client_as("board_member")
    # 1. The performance officer asks from the draft paper's exception list.
    paper = pat.get(PAPER)
    assert paper.status_code == 200 and 'id="exception-commentary"' in paper.text
    url, subject = _first_request_link(paper.text)
    form = pat.get(url)
    assert form.status_code == 200 and f'name="subject" value="{subject}"' in form.text  # pre-filled, fixed
    assert '<option value="leo"' in form.text  # owners are the accounts
    asked = post_form(pat, "/commentary/new", {"cycle": cycle, "subject": subject, "owner": "leo", "fixed": "1"})
    assert asked.status_code == 303 and asked.headers["location"].startswith(
        "/commentary?cycle=2012+H2&saved=requested"
    )
    (entry,) = comments.commentary_requests(app.state.engine, cycle)
    assert (entry.subject, entry.owner, entry.status) == (subject, "leo", "requested")
    listing = page_text(pat.get(asked.headers["location"]).text)
    assert "1 requested" in listing and "leo" in listing and "Requested" in listing
    assert "Awaiting commentary from leo" in page_text(pat.get(PAPER).text)
    again = post_form(pat, "/commentary/new", {"cycle": cycle, "subject": subject, "owner": "leo", "fixed": "1"})
    assert again.status_code == 409 and "already been asked" in again.text  # said beside the owner, not a crash

    # 2. The owner finds it from My work and writes the four parts.
    assert 'href="/commentary/mine"' in leo.get("/my-work").text
    mine = leo.get("/commentary/mine")
    assert f'href="/commentary/{entry.id}"' in mine.text and "1 to write" in page_text(mine.text)
    write = leo.get(f"/commentary/{entry.id}")
    assert all(f'name="{key}"' in write.text for key in PARTS) and "You can enter up to 2,000 characters" in write.text
    assert "Approve for the paper" not in write.text  # the lead officer does not decide
    written = post_form(leo, f"/commentary/{entry.id}", PARTS)
    assert written.status_code == 303 and written.headers["location"] == f"/commentary/{entry.id}?saved=written"
    assert comments.commentary_request(app.state.engine, entry.id).status == "draft"

    # 3. The chair's delegate approves.
    decide = bea.get(f"/commentary/{entry.id}")
    assert "Approve for the paper" in decide.text and 'name="story"' not in decide.text  # decides, does not write
    approved = post_form(bea, f"/commentary/{entry.id}/decision", {"board": BOARD, "decision": "approved"})
    assert approved.status_code == 303
    after = comments.commentary_request(app.state.engine, entry.id)
    assert (after.status, after.decided_by) == ("approved", "bea")
    assert dict(after.values) == PARTS

    # 4. One answer everywhere: the live draft paper's exception slot shows the approved words, as the report
    # builder (PDF, Word) has them.
    shown = page_text(pat.get(PAPER).text)
    assert PARTS["story"] in shown and PARTS["proposal"] in shown and "commentary approved by bea" in shown
    built = build_board_report(app.state.engine, BOARD, cycle)
    slot = next(item for item in built.exception_items if item.key == subject)
    (story,) = slot.commentary
    assert story.status == "approved" and dict(story.parts) == {head: PARTS[key] for key, head in comments.STORY_PARTS}
    assert not slot.awaiting
    assert "1 approved" in page_text(pat.get("/commentary").text)
    # 5. Audited as the signed-in users, one entry per step.
    assert _audit(app, entry.id) == [
        ("bea", "commentary.decide"),
        ("leo", "commentary.write"),
        ("pat", "commentary.request"),
    ]


def test_forms_refuse_a_post_without_the_csrf_token(app: FastAPI, cycle: str, client_as: Callable[[str], Any]) -> None:
    number = _request(app, "leo")
    pat, leo = client_as("performance_officer"), client_as("lead_officer")
    forged = [
        (pat, "/commentary/new", {"cycle": cycle, "subject": "indicator:NI75", "owner": "leo"}),
        (leo, f"/commentary/{number}", PARTS),
        (pat, f"/commentary/{number}/decision", {"board": BOARD, "decision": "approved"}),
    ]
    for client, url, data in forged:
        response = client.post(url, data=data)
        assert response.status_code == 403 and "page had expired" in response.text, url
    assert [r.status for r in comments.commentary_requests(app.state.engine, cycle)] == ["requested"]
    assert _audit(app, number) == [("pat", "commentary.request")]


def test_who_may_do_what_is_refused_with_a_403_page(
    app: FastAPI, cycle: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    asked_of_bea = _request(app, "bea")  # someone else's request
    leo, bea, pat = client_as("lead_officer"), client_as("board_member"), client_as("performance_officer")
    page = leo.get(f"/commentary/{asked_of_bea}")
    assert page.status_code == 200 and 'name="story"' not in page.text  # no form for someone else's request
    refused = post_form(leo, f"/commentary/{asked_of_bea}", PARTS)
    assert refused.status_code == 403 and "was made to bea, not to you" in refused.text
    assert "Traceback" not in refused.text and "<html" in refused.text.lower()
    assert comments.commentary_request(app.state.engine, asked_of_bea).status == "requested"
    # Only performance officers ask; lead officers and board members get the 403 page.
    for client in (leo, bea):
        assert client.get("/commentary/new").status_code == 403
        assert post_form(client, "/commentary/new", {"cycle": cycle, "subject": "indicator:NI75"}).status_code == 403
    # Only the chair or a delegate decides: the performance officer is refused, and sees no buttons.
    post_form(bea, f"/commentary/{asked_of_bea}", PARTS)
    assert "Approve for the paper" not in pat.get(f"/commentary/{asked_of_bea}").text
    decided = post_form(pat, f"/commentary/{asked_of_bea}/decision", {"board": BOARD, "decision": "approved"})
    assert decided.status_code == 403 and "delegated approver" in decided.text
    assert comments.commentary_request(app.state.engine, asked_of_bea).status == "draft"
    assert client_as("anonymous").get("/commentary").status_code == 303  # sign in first
    assert leo.get("/commentary/999999").status_code == 404


def test_bad_input_shows_the_form_again_naming_the_field(
    app: FastAPI, cycle: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    number = _request(app, "leo")
    leo = client_as("lead_officer")
    too_long = "x" * (comments.MAX_PART + 1)
    response = post_form(leo, f"/commentary/{number}", {"story": "  ", "partners": too_long, "proposal": "Kept"})
    assert response.status_code == 422
    text = response.text
    assert "<title>Error: " in text and "There is a problem" in text
    assert 'href="#story"' in text and "Write what is happening and why" in text
    assert 'href="#partners"' in text and "Partners with a role to play must be 2000 characters or fewer" in text
    assert ">Kept</textarea>" in text  # nothing typed is lost
    assert comments.commentary_request(app.state.engine, number).status == "requested"  # nothing half-written
    pat = client_as("performance_officer")
    no_owner = post_form(pat, "/commentary/new", {"cycle": cycle, "subject": "indicator:NI75", "owner": ""})
    assert no_owner.status_code == 422 and 'href="#owner"' in no_owner.text and "Choose who to ask" in no_owner.text
    unknown = post_form(pat, "/commentary/new", {"cycle": cycle, "subject": "indicator:NOPE", "owner": "leo"})
    assert (
        unknown.status_code == 422
        and 'href="#subject"' in unknown.text
        and "no indicator &#39;NOPE&#39;" in unknown.text
    )
    assert len(comments.commentary_requests(app.state.engine, cycle)) == 1


def test_a_closed_cycle_freezes_the_commentary_and_its_forms(
    app: FastAPI, cycle: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    engine = app.state.engine
    number = _request(app, "leo")
    comments.write_commentary(engine, number, PARTS, by="leo")
    comments.decide_story(engine, number, BOARD, by="bea")
    waiting = _request(app, "bea", "indicator:NI75")
    cycles.close_cycle(engine, by="ada")
    pat, leo = client_as("performance_officer"), client_as("lead_officer")
    index = pat.get("/commentary")
    assert "frozen with the reports" in index.text and "Ask for commentary" not in index.text
    shown = leo.get(f"/commentary/{number}")
    assert "frozen with the reports" in shown.text and 'id="write"' not in shown.text
    assert PARTS["what_works"] in page_text(shown.text)
    assert 'id="write"' not in client_as("board_member").get(f"/commentary/{waiting}").text
    assert "frozen with the reports" in pat.get("/commentary/new").text
    late = post_form(leo, f"/commentary/{number}", {**PARTS, "story": "Rewritten after the close"})
    assert late.status_code == 409 and "frozen" in late.text
    asked = post_form(pat, "/commentary/new", {"cycle": cycle, "subject": "indicator:NI75", "owner": "leo"})
    assert asked.status_code == 409 and "frozen" in asked.text
    paper = page_text(pat.get(PAPER).text)
    assert PARTS["story"] in paper and "Rewritten after the close" not in paper  # the frozen snapshot's words
    assert "Awaiting commentary from bea" in paper
    assert "Request commentary" not in paper


@pytest.mark.browser
def test_the_forms_in_a_browser(page: Any, live_server: Any) -> None:
    """Each form as a person meets it in Chromium, checked with axe-core and screenshotted (commentary-*.png)."""
    engine = live_server.app.state.engine
    cycles.open_cycle(
        engine, CYCLE, data_cutoff=date(2012, 12, 31), action_deadline=date(2013, 1, 31), boards=[BOARD], by="ada"
    )
    approvals.delegate_approval(engine, BOARD, USERS["board_member"][0], by="ada")
    errors = watch_console(page)
    browser_sign_in(page, live_server.url, "performance_officer")
    page.goto(f"{live_server.url}{PAPER}#exception-commentary", timeout=90_000)  # a draft paper is built live
    page.get_by_role("button", name=re.compile("^Request commentary")).first.click()
    page.get_by_role("heading", name="Ask for commentary").wait_for()
    page.get_by_role("button", name="Ask for commentary").click()  # no owner chosen
    page.locator(".govuk-error-summary").wait_for()
    check_page(page, "commentary-request-form-error")
    page.get_by_label("Who to ask").select_option("leo")
    page.get_by_role("button", name="Ask for commentary").click()
    page.get_by_text("The owner has been asked for commentary").wait_for()
    check_page(page, "commentary-index")
    page.context.clear_cookies()

    browser_sign_in(page, live_server.url, "lead_officer")
    page.goto(f"{live_server.url}/my-work")
    page.get_by_role("link", name="Commentary you have been asked for").click()
    page.locator("#requests a").first.click()
    page.locator("#what_works").fill("Whole-school approaches.")
    page.get_by_role("button", name="Save commentary").click()  # the story is required
    page.locator(".govuk-error-summary").get_by_role("link", name="Write what is happening and why").wait_for()
    check_page(page, "commentary-write-form-error")
    page.locator("#story").fill(PARTS["story"])
    page.get_by_role("button", name="Save commentary").click()
    page.get_by_text("It now awaits the approval").wait_for()
    written = page.url
    page.context.clear_cookies()

    browser_sign_in(page, live_server.url, "board_member")
    page.goto(written.split("?")[0])
    check_page(page, "commentary-decision-form")
    page.get_by_role("button", name="Approve for the paper").click()
    page.get_by_text("The commentary has been approved").wait_for()
    page.goto(f"{live_server.url}{PAPER}", timeout=90_000)
    ARTIFACTS.mkdir(exist_ok=True)
    # The paper's charts are drawn by the browser from their specifications (under the CSP: no eval), every one.
    figures = page.locator("figure.gw-chart").count()
    page.wait_for_function(
        "n => document.querySelectorAll('.gw-chart__canvas.gw-chart--drawn svg').length === n", arg=figures
    )
    assert figures >= 10 and page.locator(".gw-chart__canvas").count() == figures
    page.locator("figure.gw-chart").first.scroll_into_view_if_needed()
    page.locator("figure.gw-chart").first.screenshot(path=str(ARTIFACTS / "commentary-paper-first-chart.png"))
    assert PARTS["story"] in page.locator(".gw-exceptions").inner_text()
    section = page.locator("#exception-commentary")
    assert "Approved: written by leo" in section.inner_text()
    section.screenshot(path=str(ARTIFACTS / "commentary-paper-exceptions.png"))
    # The two forms sent with errors answer 422 (the browser logs that); nothing else may go wrong.
    assert [e for e in errors if "status of 422" not in e] == [] and len(errors) == 2, errors
