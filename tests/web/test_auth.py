"""Signing in and out, throttling, password changes and resets, API tokens, TOTP — as a person would."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from gapwatch.services import accounts
from gapwatch.services.accounts import totp_code
from gapwatch.store.accounts import UserRow
from gapwatch.store.audit import AuditRow
from gapwatch.store.engine import session_scope
from tests.web.conftest import USERS, csrf_of, make_client, sign_in


def _sign_in(client, username: str, password: str, next_: str = "/"):
    token = csrf_of(client, "/sign-in")
    return client.post(
        "/sign-in", data={"username": username, "password": password, "next": next_, "csrf_token": token}
    )


def _audit(app, action: str) -> list[AuditRow]:
    with session_scope(app.state.engine) as session:
        return list(session.scalars(select(AuditRow).where(AuditRow.action == action)))


def test_sign_in_page_is_a_govuk_form_with_a_csrf_token(client) -> None:
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in response.text
    assert 'name="csrf_token"' in response.text
    assert 'autocomplete="current-password"' in response.text


def test_signing_in_goes_where_the_user_was_going_and_is_audited(client, app) -> None:
    username, password = USERS["board_member"]
    response = _sign_in(client, username, password, next_="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    assert "Test board member" in page.text
    assert [row.username for row in _audit(app, "sign_in")] == [username]


def test_a_page_needing_sign_in_redirects_there_and_back(client) -> None:
    response = client.get("/account?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Faccount%3Fx%3D1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_sign_in_never_redirects_to_another_site(client, target: str) -> None:
    username, password = USERS["board_member"]
    response = _sign_in(client, username, password, next_=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_wrong_password_gives_an_error_summary_not_a_hint_about_the_account(client) -> None:
    wrong = _sign_in(client, USERS["admin"][0], "not-the-password")
    unknown = _sign_in(client, "nobody-here", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "govuk-error-summary" in response.text
        assert "Enter a correct username and password" in response.text
        assert "<title>Error: Sign in" in response.text
    assert client.get("/account").status_code == 303  # still not signed in


def test_empty_fields_are_reported_next_to_each_field(client) -> None:
    response = _sign_in(client, "", "")
    assert response.status_code == 422
    assert 'href="#username"' in response.text and "Enter your username" in response.text
    assert 'href="#password"' in response.text and "Enter your password" in response.text


def test_sign_in_is_throttled_per_account(client, app) -> None:
    username, password = USERS["lead_officer"]
    limit = app.state.settings.login_attempts_per_minute
    for _ in range(limit):
        assert _sign_in(client, username, "wrong-password-x").status_code == 422
    blocked = _sign_in(client, username, password)  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.text
    other = make_client(app)
    with other:
        # Only that account waits (changed: the per-address limit is separate and much higher, so one
        # attacker cannot lock out everyone who shares an address).
        assert _sign_in(other, USERS["board_member"][0], USERS["board_member"][1]).status_code == 303
    throttled = _audit(app, "sign_in_throttled")
    assert [row.entity for row in throttled] == ["user:leo"]  # one entry for the burst, not one per try


def test_sign_out_ends_the_session_and_needs_the_csrf_token(client_as) -> None:
    client = client_as("admin")
    assert client.post("/sign-out").status_code == 403  # no token: refused
    assert client.get("/account").status_code == 200
    response = client.post("/sign-out", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 303
    assert client.get("/account").status_code == 303


def test_session_cookie_is_httponly_and_samesite_lax(client) -> None:
    response = client.get("/sign-in")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http in tests; GAPWATCH_HTTPS adds it


def test_secure_cookie_when_served_over_https(web_settings) -> None:
    from gapwatch.web import create_app

    app = create_app(web_settings.model_copy(update={"https": True}))
    with make_client(app, base_url="https://testserver") as client:
        response = client.get("/sign-in")
    assert "secure" in response.headers["set-cookie"].lower()
    assert "max-age=31536000" in response.headers["strict-transport-security"]
    app.state.engine.dispose()


def test_changing_password_ends_other_sessions(app) -> None:
    username, password = USERS["board_member"]
    first, second = make_client(app), make_client(app)
    with first, second:
        sign_in(first, "board_member")
        sign_in(second, "board_member")
        response = first.post(
            "/account/password",
            data={
                "current_password": password,
                "new_password": "a-brand-new-secret",
                "confirm_password": "a-brand-new-secret",
                "csrf_token": csrf_of(first),
            },
        )
        assert response.status_code == 303
        assert first.get("/account").status_code == 200  # this session carries on
        assert second.get("/account").status_code == 303  # the other one ended
        assert _sign_in(second, username, "a-brand-new-secret").status_code == 303


def test_password_change_errors_are_shown_by_field(client_as) -> None:
    client = client_as("board_member")
    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong",
            "new_password": "short",
            "confirm_password": "different",
            "csrf_token": csrf_of(client),
        },
    )
    assert response.status_code == 422
    for field in ("current_password", "new_password", "confirm_password"):
        assert f'href="#{field}"' in response.text


def test_admin_reset_forces_a_new_password_at_next_sign_in(client_as, app) -> None:
    admin = client_as("admin")
    victim = client_as("lead_officer")
    response = admin.post("/admin/users/leo/reset-password", data={"csrf_token": csrf_of(admin)})
    assert response.status_code == 200
    temporary = re.search(r'id="temporary-password">([^<]+)<', response.text).group(1)
    assert victim.get("/account").status_code == 303  # reset ended their session
    with make_client(app) as fresh:
        assert _sign_in(fresh, "leo", USERS["lead_officer"][1]).status_code == 422  # old password gone
        assert _sign_in(fresh, "leo", temporary).status_code == 303
        forced = fresh.get("/account")
        assert forced.status_code == 303 and forced.headers["location"] == "/account/password"
        changed = fresh.post(
            "/account/password",
            data={
                "current_password": temporary,
                "new_password": "my-fresh-secret-phrase",
                "confirm_password": "my-fresh-secret-phrase",
                "csrf_token": csrf_of(fresh, "/account/password"),
            },
        )
        assert changed.status_code == 303
        assert fresh.get("/account").status_code == 200
    assert [row.entity for row in _audit(app, "reset_password")] == ["user:leo"]


def test_admin_creates_an_account_with_a_one_time_password(client_as, app) -> None:
    admin = client_as("admin")
    response = admin.post(
        "/admin/users/new",
        data={
            "username": "New.Person",
            "display_name": "New Person",
            "role": "board_member",
            "email": "",
            "person_id": "",
            "csrf_token": csrf_of(admin),
        },
    )
    assert response.status_code == 201
    temporary = re.search(r'id="temporary-password">([^<]+)<', response.text).group(1)
    with make_client(app) as fresh:
        assert _sign_in(fresh, "new.person", temporary).status_code == 303
    created = _audit(app, "create")
    assert any(row.entity == "user:new.person" and row.after["role"] == "board_member" for row in created)


def test_admin_form_rejects_bad_values_with_messages(client_as) -> None:
    admin = client_as("admin")
    response = admin.post(
        "/admin/users/new",
        data={"username": "bad name!", "display_name": "", "role": "emperor", "csrf_token": csrf_of(admin)},
    )
    assert response.status_code == 422
    for field in ("username", "display_name", "role"):
        assert f'href="#{field}"' in response.text
    duplicate = admin.post(
        "/admin/users/new",
        data={"username": "bea", "display_name": "Someone", "role": "board_member", "csrf_token": csrf_of(admin)},
    )
    assert duplicate.status_code == 409
    assert "already an account called" in duplicate.text


def test_admin_cannot_lock_themself_out(client_as) -> None:
    admin = client_as("admin")
    response = admin.post(
        "/admin/users/ada",
        data={"display_name": "Ada", "role": "board_member", "active": "", "csrf_token": csrf_of(admin)},
    )
    assert response.status_code == 422
    assert "You cannot change your own role" in response.text
    assert "You cannot deactivate your own account" in response.text


def test_deactivated_user_is_signed_out_and_cannot_sign_in(client_as, app) -> None:
    admin = client_as("admin")
    board = client_as("board_member")
    response = admin.post(
        "/admin/users/bea",
        data={"display_name": "Bea", "role": "board_member", "active": "", "csrf_token": csrf_of(admin)},
    )
    assert response.status_code == 303
    assert board.get("/account").status_code == 303
    with make_client(app) as fresh:
        assert _sign_in(fresh, *USERS["board_member"]).status_code == 422
    updates = [row for row in _audit(app, "update") if row.entity == "user:bea"]
    assert updates and updates[0].before["active"] is True and updates[0].after["active"] is False


def test_api_token_authenticates_until_revoked(client_as, app) -> None:
    client = client_as("performance_officer")
    created = client.post(
        "/account/tokens",
        data={
            "name": "Spreadsheet",
            "expires_in_days": "30",
            "current_password": USERS["performance_officer"][1],
            "csrf_token": csrf_of(client),
        },
    )
    assert created.status_code == 201
    secret = re.search(r'id="new-token">([^<]+)<', created.text).group(1)
    with make_client(app) as api:
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.status_code == 200
        assert me.json()["username"] == USERS["performance_officer"][0] and me.json()["via_token"] is True
        with session_scope(app.state.engine) as session:
            from gapwatch.store.accounts import ApiTokenRow

            token = session.scalars(select(ApiTokenRow)).one()
            assert token.digest != secret and secret not in token.digest  # only the digest is stored
            token_pk = token.pk
        revoked = client.post(f"/account/tokens/{token_pk}/revoke", data={"csrf_token": csrf_of(client)})
        assert revoked.status_code == 303
        again = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert again.status_code == 401
        assert again.json()["error"]["code"] == "unauthenticated"


def test_expired_token_is_refused(client_as, app) -> None:
    from datetime import timedelta

    from gapwatch.store.accounts import ApiTokenRow, get_user
    from gapwatch.store.tables import utcnow

    with session_scope(app.state.engine) as session:
        user = get_user(session, USERS["board_member"][0])
        _, secret = accounts.create_api_token(session, user, name="old", expires_in_days=1)
        session.flush()
        session.scalars(select(ApiTokenRow)).one().expires_at = utcnow() - timedelta(seconds=1)
    with make_client(app) as api:
        assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_admin_turns_on_sign_in_codes_then_needs_a_code(client_as, app) -> None:
    admin = client_as("admin")
    page = admin.get("/account/two-factor")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    wrong = admin.post("/account/two-factor", data={"code": "000000", "csrf_token": csrf_of(admin)})
    assert wrong.status_code == 422 or totp_code(secret, int(time.time() // 30)) == "000000"
    step = int(time.time() // 30)
    on = admin.post("/account/two-factor", data={"code": totp_code(secret, step), "csrf_token": csrf_of(admin)})
    assert on.status_code == 303
    with make_client(app) as fresh:
        first = _sign_in(fresh, *USERS["admin"])
        assert first.status_code == 303 and first.headers["location"].startswith("/sign-in/code")
        assert fresh.get("/account").status_code == 303  # not signed in yet
        token = csrf_of(fresh, "/sign-in/code")
        replay = fresh.post("/sign-in/code", data={"code": totp_code(secret, step), "csrf_token": token})
        assert replay.status_code == 422  # the code used to turn it on cannot be used again
        good = fresh.post("/sign-in/code", data={"code": totp_code(secret, step + 1), "csrf_token": token})
        assert good.status_code == 303
        assert fresh.get("/account").status_code == 200


def test_totp_matches_rfc6238_test_vector() -> None:
    # RFC 6238 appendix B: SHA-1 secret "12345678901234567890", T=59 s -> 94287082 (8 digits; we use the last 6).
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, 59 // 30) == "287082"
    assert totp_code(secret, 1111111109 // 30) == "081804"


def test_passwords_are_stored_as_argon2id(app) -> None:
    with session_scope(app.state.engine) as session:
        hashes = list(session.scalars(select(UserRow.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(password in h for h in hashes for _, password in USERS.values())


def test_production_hash_parameters_meet_owasp_minimum() -> None:
    from argon2 import PasswordHasher

    from gapwatch.services.accounts import ARGON2_PARAMETERS

    encoded = PasswordHasher(**ARGON2_PARAMETERS).hash("a password")
    params = dict(part.split("=") for part in encoded.split("$")[3].split(","))
    assert encoded.startswith("$argon2id$")
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2 and int(params["p"]) >= 1
