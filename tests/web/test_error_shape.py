"""One error shape: every error under /api is the same JSON; every page error is a GOV.UK page, never a traceback."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI

from gapwatch.errors import Conflict, Forbidden, GapwatchError, InsufficientData, InvalidInput, NotFound, Problem
from gapwatch.web.deps import CurrentUser, require
from gapwatch.web.permissions import Permission
from tests.web.conftest import make_client

PublicUser = Annotated[CurrentUser | None, Depends(require(Permission.PUBLIC))]

_ERRORS: dict[str, GapwatchError] = {
    "invalid": InvalidInput(
        "The file has problems",
        problems=[Problem("not a number", file="a.csv", row=3, field="value")],
        hint="Fix and retry",
    ),
    "missing": NotFound("There is no indicator called 'x'"),
    "conflict": Conflict("Someone else changed this action", hint="Reload"),
    "forbidden": Forbidden("Not yours"),
    "insufficient": InsufficientData("Fewer than five points"),
}


def _raiser(name: str):
    def endpoint(user: PublicUser) -> None:
        if name == "crash":
            raise RuntimeError("secret internal detail /etc/passwd")
        raise _ERRORS[name]

    return endpoint


@pytest.fixture
def error_app(app: FastAPI) -> FastAPI:
    """The real app plus routes that raise each kind of error, under /api and as pages."""
    router = APIRouter()
    for name in [*_ERRORS, "crash"]:
        router.add_api_route(f"/api/v1/test-errors/{name}", _raiser(name), methods=["GET"])
        router.add_api_route(f"/test-errors/{name}", _raiser(name), methods=["GET"])
    app.include_router(router)
    return app


def _assert_shape(body: dict, status: int, code: str) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "hint", "problems"}
    assert error["status"] == status and error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    for problem in error["problems"]:
        assert set(problem) == {"message", "field", "file", "line", "row"}


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("invalid", 422, "invalid_input"),
        ("missing", 404, "not_found"),
        ("conflict", 409, "conflict"),
        ("forbidden", 403, "forbidden"),
        ("insufficient", 422, "insufficient_data"),
    ],
)
def test_domain_errors_under_api_use_the_one_shape(error_app, name: str, status: int, code: str) -> None:
    with make_client(error_app) as client:
        response = client.get(f"/api/v1/test-errors/{name}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    _assert_shape(response.json(), status, code)


def test_problems_keep_their_location(error_app) -> None:
    with make_client(error_app) as client:
        body = client.get("/api/v1/test-errors/invalid").json()
    assert body["error"]["problems"] == [
        {"message": "not a number", "field": "value", "file": "a.csv", "line": None, "row": 3}
    ]
    assert body["error"]["hint"] == "Fix and retry"


def test_unknown_api_address_bad_parameters_and_no_credentials_use_the_shape(client) -> None:
    _assert_shape(client.get("/api/v1/no-such-thing").json(), 404, "not_found")
    unauthenticated = client.get("/api/v1/framework")
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"].startswith("Bearer")
    _assert_shape(unauthenticated.json(), 401, "unauthenticated")
    bad_header = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    _assert_shape(bad_header.json(), 401, "unauthenticated")


def test_bad_query_parameters_are_422_with_the_field_named(client_as) -> None:
    client = client_as("board_member")
    response = client.get("/api/v1/framework/actions?page=0&per_page=100000")
    assert response.status_code == 422
    body = response.json()
    _assert_shape(body, 422, "invalid_input")
    assert {p["field"] for p in body["error"]["problems"]} == {"page", "per_page"}


def test_method_not_allowed_under_api(client_as) -> None:
    client = client_as("board_member")
    response = client.delete("/api/v1/framework", headers={"X-CSRF-Token": "irrelevant"})
    assert response.status_code in (403, 405)
    _assert_shape(response.json(), response.status_code, response.json()["error"]["code"])


def test_crash_under_api_is_a_500_without_details(error_app) -> None:
    with make_client(error_app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/test-errors/crash")
    assert response.status_code == 500
    _assert_shape(response.json(), 500, "internal_error")
    assert "passwd" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize(
    ("name", "status"), [("invalid", 422), ("missing", 404), ("conflict", 409), ("forbidden", 403)]
)
def test_page_errors_are_govuk_pages(error_app, name: str, status: int) -> None:
    with make_client(error_app) as client:
        response = client.get(f"/test-errors/{name}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "govuk-heading-l" in response.text and "govuk-footer" in response.text
    assert str(_ERRORS[name].message).replace("'", "&#39;") in response.text


def test_page_error_lists_every_problem(error_app) -> None:
    with make_client(error_app) as client:
        text = client.get("/test-errors/invalid").text
    assert "a.csv, row 3, field &#39;value&#39;: not a number" in text


def test_crash_page_is_a_plain_500_page(error_app) -> None:
    with make_client(error_app, raise_server_exceptions=False) as client:
        response = client.get("/test-errors/crash")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "passwd" not in response.text and "Traceback" not in response.text and "RuntimeError" not in response.text
    assert response.headers["x-frame-options"] == "DENY"  # security headers even on the crash page


def test_unknown_page_is_a_proper_404_page(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<title>Page not found" in response.text
    assert "If you typed the web address, check it is correct." in response.text
