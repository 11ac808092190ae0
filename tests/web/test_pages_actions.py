"""Action pages through HTTP: lists and filters, updates by the owner, bad values, the edit conflict, comments."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

ACTION = "CYPP-1"


def _version(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match, "no version field in the form"
    return match.group(1)


def _update(text: str = "Childcare audit done in 8 of 12 districts", **changes: str) -> dict[str, str]:
    data = {"rag": "amber", "percent_complete": "40", "commentary": text}
    data.update(changes)
    return data


@pytest.fixture
def owned(client_as: Callable[[str], Any], post_form: Callable[..., Any], lead_person: str) -> str:
    """CYPP-1 assigned to the test lead officer by a performance officer (Kent names no leads)."""
    pat = client_as("performance_officer")
    response = post_form(pat, f"/actions/{ACTION}/lead", {"version": "0", "lead_officer": lead_person})
    assert response.status_code == 303, response.text[:500]
    return ACTION


def test_list_filters_and_counts(client_as: Callable[[str], Any]) -> None:
    bea = client_as("board_member")
    page = bea.get("/actions")
    assert page.status_code == 200
    assert '/actions/CYPP-75"' in page.text and "99 actions" in page.text
    red = bea.get("/actions?rag=red")
    assert "No action matches these filters" in red.text
    search = bea.get("/actions?q=credit+unions")
    assert '/actions/CYPP-7"' in search.text and '/actions/CYPP-1"' not in search.text


def test_owner_updates_and_sees_it_in_history(
    owned: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    leo = client_as("lead_officer")
    form = leo.get(f"/actions/{owned}/update")
    assert form.status_code == 200
    response = post_form(leo, f"/actions/{owned}/update", {**_update(), "version": _version(form.text)})
    assert response.status_code == 303 and response.headers["location"] == f"/actions/{owned}?saved=1"
    page = leo.get(f"/actions/{owned}?saved=1")
    assert "Your update has been saved" in page.text
    history = page.text.split('id="history"')[1]
    assert "Childcare audit done in 8 of 12 districts" in history and "leo" in history
    assert "40%" in history


def test_lead_officer_cannot_update_someone_elses_action(
    owned: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    leo = client_as("lead_officer")
    assert leo.get("/actions/CYPP-2/update").status_code == 403
    response = post_form(leo, "/actions/CYPP-2/update", {**_update(), "version": "0"})
    assert response.status_code == 403
    assert "not its lead officer" in response.text or "cannot update" in response.text
    assert "Childcare audit" not in client_as("board_member").get("/actions/CYPP-2").text


def test_bad_values_get_an_error_summary_linking_to_fields(
    owned: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    leo = client_as("lead_officer")
    bad = {
        "rag": "",
        "percent_complete": "150",
        "commentary": "",
        "new_deadline-day": "31",
        "new_deadline-month": "2",
        "new_deadline-year": "2012",
        "version": "1",
    }
    response = post_form(leo, f"/actions/{owned}/update", bad)
    assert response.status_code == 422
    assert "There is a problem" in response.text and "govuk-error-summary" in response.text
    for field, message in [
        ("rag", "Select a RAG status"),
        ("percent_complete", "between 0 and 100"),
        ("commentary", "Enter a commentary"),
        ("new_deadline", "real date"),
    ]:
        assert f'href="#{field}"' in response.text and message in response.text
    assert response.text.count("govuk-error-message") >= 4
    assert 'value="150"' in response.text  # what they typed is kept
    assert "<title>Error: " in response.text


def test_edit_conflict_keeps_both_changes(
    owned: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    leo, pat = client_as("lead_officer"), client_as("performance_officer")
    seen = _version(leo.get(f"/actions/{owned}/update").text)
    assert _version(pat.get(f"/actions/{owned}/update").text) == seen
    first = post_form(
        pat, f"/actions/{owned}/update", {**_update("Funding agreed by the Trust board", rag="green"), "version": seen}
    )
    assert first.status_code == 303
    second = post_form(leo, f"/actions/{owned}/update", {**_update("My late news"), "version": seen})
    assert second.status_code == 409
    assert "Someone else updated this action" in second.text
    assert "Funding agreed by the Trust board" in second.text and "pat" in second.text
    assert "My late news</textarea>" in second.text  # nothing lost: their text is still in the form
    assert _version(second.text) == str(int(seen) + 1)
    third = post_form(leo, f"/actions/{owned}/update", {**_update("My late news"), "version": _version(second.text)})
    assert third.status_code == 303
    history = leo.get(f"/actions/{owned}").text.split('id="history"')[1]
    assert history.index("My late news") < history.index("Funding agreed by the Trust board")


def test_board_member_reads_and_comments_but_cannot_update(
    client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    bea = client_as("board_member")
    page = bea.get(f"/actions/{ACTION}")
    assert page.status_code == 200 and "Update this action" not in page.text
    assert bea.get(f"/actions/{ACTION}/update").status_code == 403
    empty = post_form(bea, f"/actions/{ACTION}/comments", {"comment": "  "})
    assert empty.status_code == 422 and "Enter a comment" in empty.text
    response = post_form(bea, f"/actions/{ACTION}/comments", {"comment": "<script>alert(1)</script> When?"})
    assert response.status_code == 303
    page = bea.get(f"/actions/{ACTION}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; When?" in page.text and "<script>alert(1)" not in page.text


def test_only_editors_assign_leads(client_as: Callable[[str], Any], post_form: Callable[..., Any]) -> None:
    leo = client_as("lead_officer")
    assert post_form(leo, f"/actions/{ACTION}/lead", {"version": "0", "lead_officer": "x"}).status_code == 403
    pat = client_as("performance_officer")
    response = post_form(pat, f"/actions/{ACTION}/lead", {"version": "0", "lead_officer": "nobody-at-all"})
    assert response.status_code == 422 and "Select a lead officer from the list" in response.text


def test_anonymous_is_sent_to_sign_in(client_as: Callable[[str], Any]) -> None:
    anon = client_as("anonymous")
    response = anon.get("/actions")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_unknown_action_is_a_404_page(client_as: Callable[[str], Any]) -> None:
    response = client_as("board_member").get("/actions/NOPE-1")
    assert response.status_code == 404 and "no action" in response.text
