"""JSON API resources: observations, statistics, dashboard, actions and risks, with tokens and pagination."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from gapwatch.services.accounts import create_api_token
from gapwatch.store.accounts import get_user
from gapwatch.store.engine import session_scope
from tests.web.conftest import USERS, make_client

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2", category=UserWarning)
    from starlette.testclient import TestClient


@pytest.fixture
def token_client(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """``token_client(role)``: a client sending a fresh bearer token of that role's test user (no cookies)."""
    opened: list[TestClient] = []

    def make(role: str) -> TestClient:
        with session_scope(app.state.engine) as session:
            user = get_user(session, USERS[role][0])
            assert user is not None
            _, secret = create_api_token(session, user, name=f"tests {role}")
        client = make_client(app, headers={"Authorization": f"Bearer {secret}"})
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def _update(version: int, text: str, **more: Any) -> dict[str, Any]:
    return {"version": version, "rag": "amber", "percent_complete": 30, "commentary": text, **more}


def test_actions_list_is_paginated_and_complete(token_client: Callable[[str], TestClient]) -> None:
    api = token_client("board_member")
    seen: list[str] = []
    url: str | None = "/api/v1/actions?per_page=40"
    while url:
        body = api.get(url).json()
        seen += [a["id"] for a in body["data"]]
        url = body["links"]["next"]
    assert len(seen) == len(set(seen)) == body["meta"]["total"] and "CYPP-1" in seen
    one = api.get("/api/v1/actions/CYPP-1").json()["data"]
    assert one["id"] == "CYPP-1" and one["version"] == 0 and one["history"] == []
    assert api.get("/api/v1/actions/NOPE").json()["error"]["code"] == "not_found"


def test_update_via_api_conflict_and_forbidden(
    token_client: Callable[[str], TestClient],
    client_as: Callable[[str], Any],
    post_form: Callable[..., Any],
    lead_person: str,
) -> None:
    pat = client_as("performance_officer")
    assert post_form(pat, "/actions/CYPP-1/lead", {"version": "0", "lead_officer": lead_person}).status_code == 303
    lead = token_client("lead_officer")
    ok = lead.post("/api/v1/actions/CYPP-1/updates", json=_update(1, "From the API"))
    assert ok.status_code == 201 and ok.json()["data"]["version"] == 2
    stale = lead.post("/api/v1/actions/CYPP-1/updates", json=_update(1, "Stale"))
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "conflict" and error["current"]["commentary"] == "From the API"
    bad = lead.post("/api/v1/actions/CYPP-1/updates", json=_update(2, "", rag="purple"))
    assert bad.status_code == 422 and {p["field"] for p in bad.json()["error"]["problems"]} >= {"rag", "commentary"}
    other = lead.post("/api/v1/actions/CYPP-2/updates", json=_update(0, "Not mine"))
    assert other.status_code == 403
    board = token_client("board_member")
    assert board.post("/api/v1/actions/CYPP-1/updates", json=_update(2, "x")).status_code == 403
    history = board.get("/api/v1/actions/CYPP-1").json()["data"]["history"]
    assert [h["commentary"] for h in history][:1] == ["From the API"]


def test_statistics_dashboard_and_gap_targets(token_client: Callable[[str], TestClient]) -> None:
    api = token_client("board_member")
    stats = api.get("/api/v1/indicators/PSA1-children-in-care/statistics")
    assert stats.status_code == 200
    data = stats.json()["data"]
    assert data["indicator"]["id"] == "PSA1-children-in-care"
    assert data["level_targets"][0]["status"] == "achieved"
    dash = api.get("/api/v1/dashboard").json()["data"]
    assert set(dash["overall"]["indicators"]) == {"on track", "at risk", "off track", "no target", "cannot be assessed"}
    assert dash["overall"]["actions"]["total"] == len(api.get("/api/v1/actions?per_page=500").json()["data"])
    targets = api.get("/api/v1/gap-targets").json()
    assert targets["meta"]["total"] == 9
    assert all(t["title"].startswith("Closing the gap between Thanet") for t in targets["data"])


def test_observations_need_an_indicator_and_are_paginated(token_client: Callable[[str], TestClient]) -> None:
    api = token_client("board_member")
    assert api.get("/api/v1/observations").status_code == 422
    assert api.get("/api/v1/observations?indicator=NOPE").status_code == 404
    body = api.get("/api/v1/observations?indicator=VFK-unemployment-claimants&per_page=1").json()
    # Thanet's and Tunbridge Wells' published figures, and the two local areas built from districts (summed on
    # read), each withheld with its reason because a member district has no figure.
    assert body["meta"]["total"] == 4 and len(body["data"]) == 1
    derived = api.get("/api/v1/observations?indicator=VFK-unemployment-claimants").json()["data"][2:]
    assert {r["area"] for r in derived} == {"community-budgets-pilot", "west-kent-partnership"}
    for r in derived:
        assert r["value"] is None and r["source"].startswith("derived: summed from")
        assert r["note"].startswith("incomplete: no data for")
    row = body["data"][0]
    assert {"area", "period", "value", "lower", "upper", "batch", "source", "illustrative"} <= set(row)
    thanet = api.get("/api/v1/observations?indicator=VFK-unemployment-claimants&area=E07000114").json()
    assert [r["value"] for r in thanet["data"]] == [4340.0]


def test_risks_api(
    token_client: Callable[[str], TestClient],
    client_as: Callable[[str], Any],
    post_form: Callable[..., Any],
    lead_person: str,
) -> None:
    pat = client_as("performance_officer")
    form = {
        "title": "Providers leave",
        "likelihood": "3",
        "impact": "4",
        "review_date-day": "1",
        "review_date-month": "6",
        "review_date-year": "2030",
        "owner": lead_person,
        "status": "open",
    }
    created = post_form(pat, "/risks/new", form)
    assert created.status_code == 303
    risk_id = created.headers["location"].split("/risks/")[1].split("?")[0]
    api = token_client("lead_officer")
    listing = api.get("/api/v1/risks").json()
    assert [r["id"] for r in listing["data"]] == [risk_id] and listing["data"][0]["score"] == 12
    review = {"version": 1, "likelihood": 2, "impact": 4, "review_date": "2030-09-01", "commentary": "Better"}
    assert api.post(f"/api/v1/risks/{risk_id}/reviews", json=review).status_code == 201
    assert api.post(f"/api/v1/risks/{risk_id}/reviews", json=review).status_code == 409
    detail = api.get(f"/api/v1/risks/{risk_id}").json()["data"]
    assert detail["likelihood"] == 2 and detail["reviews"][0]["commentary"] == "Better"
    assert token_client("board_member").post(f"/api/v1/risks/{risk_id}/reviews", json=review).status_code == 403
