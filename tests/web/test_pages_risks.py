"""Risk register pages through HTTP: adding a risk, the heat map, owner reviews, bad values and conflicts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest


def _review(**changes: str) -> dict[str, str]:
    data = {
        "likelihood": "4",
        "impact": "5",
        "mitigations": "Second provider\nMonthly check",
        "review_date-day": "30",
        "review_date-month": "9",
        "review_date-year": "2030",
        "status": "open",
        "commentary": "Provider market thin",
    }
    data.update(changes)
    return data


@pytest.fixture
def risk_id(client_as: Callable[[str], Any], post_form: Callable[..., Any], lead_person: str) -> str:
    pat = client_as("performance_officer")
    response = post_form(
        pat,
        "/risks/new",
        {"title": "Childcare providers leave the market", "action": "CYPP-1", **_review(owner=lead_person)},
    )
    assert response.status_code == 303, response.text[:800]
    match = re.match(r"/risks/([^?]+)\?saved=new", response.headers["location"])
    assert match
    return match.group(1)


def test_new_risk_appears_in_register_and_heat_map(risk_id: str, client_as: Callable[[str], Any]) -> None:
    bea = client_as("board_member")
    page = bea.get("/risks")
    assert page.status_code == 200 and "Childcare providers leave the market" in page.text
    assert "/risks?likelihood=4&amp;impact=5" in page.text  # the heat map cell links to its risks
    assert "20" in page.text and "govuk-tag--red" in page.text  # score 20: high
    detail = bea.get(f"/risks/{risk_id}")
    assert "Second provider" in detail.text and "Review this risk" not in detail.text


def test_new_risk_bad_values(client_as: Callable[[str], Any], post_form: Callable[..., Any]) -> None:
    pat = client_as("performance_officer")
    response = post_form(pat, "/risks/new", {"title": "", **_review(likelihood="9", **{"review_date-day": "40"})})
    assert response.status_code == 422
    for field in ("title", "likelihood", "review_date"):
        assert f'href="#{field}"' in response.text
    assert client_as("lead_officer").get("/risks/new").status_code == 403


def test_owner_reviews_and_other_lead_cannot(
    risk_id: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    leo = client_as("lead_officer")
    form = leo.get(f"/risks/{risk_id}/review")
    assert form.status_code == 200
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    response = post_form(
        leo,
        f"/risks/{risk_id}/review",
        {**_review(likelihood="2", commentary="New provider signed"), "version": version.group(1)},
    )
    assert response.status_code == 303
    detail = leo.get(f"/risks/{risk_id}?saved=1")
    assert "New provider signed" in detail.text and "2 out of 5" in detail.text
    stale = post_form(
        client_as("performance_officer"),
        f"/risks/{risk_id}/review",
        {**_review(commentary="Old view"), "version": version.group(1)},
    )
    assert stale.status_code == 409 and "New provider signed" in stale.text and "Old view" in stale.text
    assert client_as("board_member").get(f"/risks/{risk_id}/review").status_code == 403


def test_lead_cannot_reassign_owner(
    risk_id: str, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    leo = client_as("lead_officer")
    response = post_form(leo, f"/risks/{risk_id}/review", {**_review(owner="someone-else"), "version": "1"})
    assert response.status_code == 422 and "Only performance officers and admins" in response.text
