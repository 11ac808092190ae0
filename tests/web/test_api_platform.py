"""The JSON API's platform: token authentication, the framework endpoints and pagination."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gapwatch.services.accounts import create_api_token
from gapwatch.store.accounts import get_user
from gapwatch.store.engine import session_scope
from gapwatch.store.tables import FrameworkItemRow
from tests.web.conftest import USERS, make_client


@pytest.fixture
def api(app):
    """A client authenticating with a fresh bearer token of the board member (no cookies at all)."""
    with session_scope(app.state.engine) as session:
        user = get_user(session, USERS["board_member"][0])
        _, secret = create_api_token(session, user, name="tests")
    with make_client(app, headers={"Authorization": f"Bearer {secret}"}) as client:
        yield client


def _stored_ids(app, kind: str) -> list[str]:
    with session_scope(app.state.engine) as session:
        query = select(FrameworkItemRow.item_id).where(FrameworkItemRow.kind == kind)
        return list(session.scalars(query.order_by(FrameworkItemRow.position)))


def test_index_links_to_every_kind_and_the_openapi_document(api) -> None:
    body = api.get("/api/v1").json()
    assert body["openapi"].endswith("/api/v1/openapi.json")
    assert "actions" in body["kinds"] and "indicators" in body["kinds"]
    openapi = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/framework/{kind}" in openapi["paths"]
    assert not any(path.startswith(("/admin", "/sign-in", "/account")) for path in openapi["paths"])


def test_framework_summary_counts_match_the_database(api, app) -> None:
    body = api.get("/api/v1/framework").json()
    assert body["id"] == "kent" and body["partnership"]
    assert body["counts"]["actions"] == len(_stored_ids(app, "actions"))
    assert body["counts"]["indicators"] == len(_stored_ids(app, "indicators"))


def test_following_next_links_returns_every_item_once_in_order(api, app) -> None:
    expected = _stored_ids(app, "actions")
    assert len(expected) > 7
    seen: list[str] = []
    url = "/api/v1/framework/actions?per_page=7"
    pages = 0
    while url:
        response = api.get(url)
        assert response.status_code == 200
        body = response.json()
        pages += 1
        assert body["meta"]["per_page"] == 7 and body["meta"]["total"] == len(expected)
        assert len(body["data"]) <= 7
        seen.extend(item["id"] for item in body["data"])
        url = body["links"]["next"]
    assert seen == expected
    assert pages == -(-len(expected) // 7)


def test_pagination_links_and_link_header(api) -> None:
    response = api.get("/api/v1/framework/indicators?page=2&per_page=10")
    body = response.json()
    assert body["meta"]["page"] == 2
    assert body["links"]["prev"].endswith("page=1&per_page=10")
    assert body["links"]["first"].endswith("page=1&per_page=10")
    assert body["links"]["last"].endswith(f"page={body['meta']['pages']}&per_page=10")
    assert 'rel="next"' in response.headers["link"] and 'rel="prev"' in response.headers["link"]


def test_a_page_past_the_end_is_empty_not_an_error(api) -> None:
    body = api.get("/api/v1/framework/actions?page=9999").json()
    assert body["data"] == [] and body["links"]["next"] is None


def test_one_item_and_unknown_items(api, app) -> None:
    first = _stored_ids(app, "indicators")[0]
    assert api.get(f"/api/v1/framework/indicators/{first}").json()["data"]["id"] == first
    assert api.get("/api/v1/framework/indicators/not-an-indicator").status_code == 404
    assert api.get("/api/v1/framework/spaceships").status_code == 404


def test_signed_in_browser_may_read_the_api_with_its_session(client_as) -> None:
    assert client_as("lead_officer").get("/api/v1/me").json()["role"] == "lead_officer"


def test_bearer_requests_carry_no_session_cookie(api) -> None:
    response = api.get("/api/v1/me")
    assert response.json()["via_token"] is True
    assert "set-cookie" not in response.headers


def test_empty_database_gives_404_with_a_hint(web_settings, tmp_path) -> None:
    from gapwatch.web import create_app

    app = create_app(web_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}"}))
    try:
        with session_scope(app.state.engine) as session:
            from gapwatch.services.accounts import create_user

            user = create_user(
                session, username="solo", display_name="Solo", role="admin", password="quiet-harbour-lamp"
            )
            _, secret = create_api_token(session, user, name="t")
        with make_client(app, headers={"Authorization": f"Bearer {secret}"}) as client:
            response = client.get("/api/v1/framework")
        assert response.status_code == 404
        assert "gapwatch demo" in response.json()["error"]["hint"]
    finally:
        app.state.engine.dispose()
