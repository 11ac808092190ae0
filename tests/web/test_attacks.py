"""The attacks of the issue "Close the holes found in attack testing" (findings 2, 3 and 6), replayed.

Each test is written as the attack: what the attacker does, and what must now happen. Time is moved with the
app's clock (``app.state.clock``), which the sign-in code checks and the session lifetimes both read.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from gapwatch.services.accounts import totp_code
from gapwatch.settings import Settings
from gapwatch.store.accounts import ApiTokenRow, SessionRow, UserRow, get_user
from gapwatch.store.audit import AuditRow
from gapwatch.store.engine import session_scope
from gapwatch.store.progress import CommentRow
from gapwatch.web import create_app
from gapwatch.web.security import KNOWN_BROWSER_COOKIE, SESSION_COOKIE
from tests.web.conftest import USERS, csrf_of, make_client, sign_in

COMMENT_PAGE = "/actions/CYPP-1"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, 7, tzinfo=UTC)  # 7 s into a 30-second TOTP step

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    @property
    def step(self) -> int:
        return int(self.now.timestamp() // 30)


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    moved = Clock()
    app.state.clock = moved
    return moved


def _sign_in(client: Any, username: str, password: str, **headers: str) -> Any:
    token = csrf_of(client, "/sign-in")
    data = {"username": username, "password": password, "next": "/", "csrf_token": token}
    return client.post("/sign-in", data=data, headers=headers)


def _audit(app: FastAPI, action: str) -> list[AuditRow]:
    with session_scope(app.state.engine) as session:
        return list(session.scalars(select(AuditRow).where(AuditRow.action == action)))


def _cookie_contents(client: Any) -> dict[str, Any]:
    """The session cookie decoded as anyone holding it can (signed, not encrypted: base64 JSON)."""
    value = client.cookies.get(SESSION_COOKIE)
    assert value, "no session cookie"
    payload = value.split(".", 1)[0]
    decoded: dict[str, Any] = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def _turn_on_codes(client: Any, clock: Clock) -> str:
    """The admin sets up an authenticator app; returns its secret."""
    page = client.get("/account/two-factor")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    on = client.post("/account/two-factor", data={"code": totp_code(secret, clock.step), "csrf_token": csrf_of(client)})
    assert on.status_code == 303
    clock.advance(seconds=30)  # the next code is a fresh one
    return secret


def _wrong_codes(secret: str, clock: Clock) -> Iterator[str]:
    """Six-digit codes that are not right at the clock's time (one step either side included)."""
    right = {totp_code(secret, clock.step + d) for d in (-1, 0, 1)}
    return (f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in right)


def _create_token(client: Any, password: str, **more: str) -> Any:
    data = {"name": "robot", "expires_in_days": "30", "current_password": password, "csrf_token": csrf_of(client)}
    return client.post("/account/tokens", data={**data, **more})


def _token_of(role: str, app: FastAPI, client_as: Callable[[str], Any]) -> str:
    created = _create_token(client_as(role), USERS[role][1])
    assert created.status_code == 201, created.text
    return re.search(r'id="new-token">([^<]+)<', created.text).group(1)


# --- finding 2: the second factor had no attempt limit --------------------------------------------------------


def test_totp_brute_force_is_stopped_within_ten_tries(
    app: FastAPI, client_as: Callable[[str], Any], clock: Clock
) -> None:
    admin = client_as("admin")
    secret = _turn_on_codes(admin, clock)
    wrong = _wrong_codes(secret, clock)
    with make_client(app) as attacker:  # the attacker knows the password; the code is all that is left
        assert _sign_in(attacker, *USERS["admin"]).headers["location"].startswith("/sign-in/code")
        token = csrf_of(attacker, "/sign-in/code")
        tries = 0
        while tries < 2894:  # the 2,894 tries of the report
            tries += 1
            response = attacker.post("/sign-in/code", data={"code": next(wrong), "csrf_token": token})
            if response.status_code != 422:
                break
        assert tries <= 10, f"still guessing after {tries} codes"
        assert tries == app.state.settings.totp_attempts  # the 5th wrong code locks
        assert response.status_code == 429 and "locked until" in response.text
        # The pending sign-in has ended: the right code, sent now, is not even looked at.
        right = totp_code(secret, clock.step)
        late = attacker.post("/sign-in/code", data={"code": right, "csrf_token": csrf_of(attacker, "/sign-in")})
        assert late.status_code == 303 and late.headers["location"] == "/sign-in"
        # Starting again with the password: refused while the lock lasts.
        again = _sign_in(attacker, *USERS["admin"])
        assert again.status_code == 429 and "locked until" in again.text
        assert attacker.get("/account").status_code == 303
    # One audit entry for the lock-out, none per wrong code.
    locks = _audit(app, "lock_sign_in_codes")
    assert [row.entity for row in locks] == ["user:ada"] and "5 wrong sign-in codes" in (locks[0].detail or "")
    assert _audit(app, "sign_in_code_refused") == []
    # When the lock ends (5 minutes), the owner signs in with the right code.
    clock.advance(minutes=5, seconds=1)
    with make_client(app) as owner:
        assert _sign_in(owner, *USERS["admin"]).status_code == 303
        ok = owner.post("/sign-in/code", data={"code": totp_code(secret, clock.step), "csrf_token": csrf_of(owner)})
        assert ok.status_code == 303 and owner.get("/account").status_code == 200


def test_each_lock_in_a_row_lasts_twice_as_long(app: FastAPI, client_as: Callable[[str], Any], clock: Clock) -> None:
    secret = _turn_on_codes(client_as("admin"), clock)
    lengths = []
    for _ in range(3):
        wrong = _wrong_codes(secret, clock)
        with make_client(app) as attacker:
            assert _sign_in(attacker, *USERS["admin"]).status_code == 303
            token = csrf_of(attacker, "/sign-in/code")
            while attacker.post("/sign-in/code", data={"code": next(wrong), "csrf_token": token}).status_code == 422:
                pass
        with session_scope(app.state.engine) as session:
            until = get_user(session, "ada").totp_locked_until.replace(tzinfo=UTC)
        lengths.append(round((until - clock.now).total_seconds() / 60))
        clock.now = until + timedelta(seconds=1)
    assert lengths == [5, 10, 20]


def test_parallel_guesses_cannot_pass_the_limit(app: FastAPI, client_as: Callable[[str], Any], clock: Clock) -> None:
    """145 tries a second came from parallel requests: 20 at once still get only 5 codes checked."""
    secret = _turn_on_codes(client_as("admin"), clock)
    wrong = _wrong_codes(secret, clock)
    with make_client(app) as attacker:
        assert _sign_in(attacker, *USERS["admin"]).status_code == 303
        token = csrf_of(attacker, "/sign-in/code")
        cookies = dict(attacker.cookies)
    codes = [next(wrong) for _ in range(20)]
    statuses: list[int] = []

    def guess(code: str) -> None:
        with make_client(app, cookies=cookies) as client:
            statuses.append(client.post("/sign-in/code", data={"code": code, "csrf_token": token}).status_code)

    threads = [threading.Thread(target=guess, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 20
    assert statuses.count(422) <= app.state.settings.totp_attempts - 1  # wrong codes checked before the lock
    with session_scope(app.state.engine) as session:
        user = get_user(session, "ada")
        assert user.totp_lockouts == 1 and user.totp_locked_until is not None


# --- finding 3: tokens and sessions outlived the events that should end them ------------------------------------


def test_a_captured_cookie_is_dead_after_sign_out(app: FastAPI) -> None:
    with make_client(app) as victim, make_client(app) as attacker:
        sign_in(victim, "board_member")
        token = csrf_of(victim)
        captured = victim.cookies.get(SESSION_COOKIE)  # the cookie, copied (its CSRF token known too)
        attacker.cookies.set(SESSION_COOKIE, captured)
        before = attacker.post(f"{COMMENT_PAGE}/comments", data={"comment": "while signed in", "csrf_token": token})
        assert before.status_code == 303  # the copy worked while the victim was signed in
        assert victim.post("/sign-out", data={"csrf_token": csrf_of(victim)}).status_code == 303
        attacker.cookies.clear()
        attacker.cookies.set(SESSION_COOKIE, captured)
        page = attacker.get(COMMENT_PAGE)
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
        attacker.cookies.clear()
        attacker.cookies.set(SESSION_COOKIE, captured)
        posted = attacker.post(f"{COMMENT_PAGE}/comments", data={"comment": "after sign-out", "csrf_token": token})
        assert posted.status_code == 401
    with session_scope(app.state.engine) as session:
        bodies = list(session.scalars(select(CommentRow.body)))
    assert "while signed in" in bodies and "after sign-out" not in bodies


def test_sign_out_keeps_nothing_in_the_database(app: FastAPI, client_as: Callable[[str], Any]) -> None:
    bea = client_as("board_member")
    with session_scope(app.state.engine) as session:
        assert len(list(session.scalars(select(SessionRow)))) == 1
    bea.post("/sign-out", data={"csrf_token": csrf_of(bea)})
    with session_scope(app.state.engine) as session:
        assert list(session.scalars(select(SessionRow))) == []


def test_a_token_is_dead_after_a_password_reset(app: FastAPI, client_as: Callable[[str], Any]) -> None:
    secret = _token_of("lead_officer", app, client_as)
    bearer = {"Authorization": f"Bearer {secret}"}
    with make_client(app) as api:
        assert api.get("/api/v1/me", headers=bearer).status_code == 200
        admin = client_as("admin")
        assert admin.post("/admin/users/leo/reset-password", data={"csrf_token": csrf_of(admin)}).status_code == 200
        dead = api.get("/api/v1/me", headers=bearer)
        assert dead.status_code == 401 and dead.json()["error"]["code"] == "unauthenticated"
    revoked = [row for row in _audit(app, "revoke") if row.entity == "user:leo"]
    assert revoked and revoked[0].before == {"api_tokens": ["robot"]}


def test_a_token_is_dead_after_deactivation(app: FastAPI, client_as: Callable[[str], Any]) -> None:
    secret = _token_of("board_member", app, client_as)
    admin = client_as("admin")
    data = {"display_name": "Bea", "role": "board_member", "active": "", "csrf_token": csrf_of(admin)}
    assert admin.post("/admin/users/bea", data=data).status_code == 303
    data["active"] = "yes"  # even when the account is turned back on, the old token stays dead
    data["csrf_token"] = csrf_of(admin)
    assert admin.post("/admin/users/bea", data=data).status_code == 303
    with make_client(app) as api:
        assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_token_is_dead_after_its_owner_changes_password(app: FastAPI, client_as: Callable[[str], Any]) -> None:
    secret = _token_of("board_member", app, client_as)
    bea = client_as("board_member")
    new = "a-brand-new-secret-phrase"
    data = {"current_password": USERS["board_member"][1], "new_password": new, "confirm_password": new}
    assert bea.post("/account/password", data={**data, "csrf_token": csrf_of(bea)}).status_code == 303
    assert bea.get("/account").status_code == 200  # this browser carries on
    with make_client(app) as api:
        assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_must_change_password_applies_to_tokens(app: FastAPI, client_as: Callable[[str], Any]) -> None:
    secret = _token_of("board_member", app, client_as)
    with session_scope(app.state.engine) as session:
        get_user(session, "bea").must_change_password = True
    with make_client(app) as api:
        response = api.get("/api/v1/framework", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "password_change_required"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/account/tokens", {"name": "forever", "expires_in_days": "never", "current_password": "x"}),
        ("/admin/users/new", {"username": "mallory", "display_name": "M", "role": "admin"}),
        ("/admin/users/pat/two-factor/disable", {}),
        ("/sign-out", {}),
    ],
)
def test_a_token_on_an_html_form_route_is_refused(
    app: FastAPI, client_as: Callable[[str], Any], path: str, data: dict[str, str]
) -> None:
    secret = _token_of("admin", app, client_as)
    with make_client(app, headers={"Authorization": f"Bearer {secret}"}) as robot:
        response = robot.post(path, data=data)
        assert response.status_code in (401, 403)
        page = robot.get("/account/tokens")  # and pages: tokens are for /api/ only
        assert page.status_code == 401 and "only by the JSON API" in page.text
        assert robot.get("/api/v1/me").status_code == 200  # where it does work
    with session_scope(app.state.engine) as session:
        assert get_user(session, "mallory") is None
        assert len(list(session.scalars(select(ApiTokenRow)))) == 1


def test_creating_a_token_needs_the_password_again(app: FastAPI, client_as: Callable[[str], Any], clock: Clock) -> None:
    bea = client_as("board_member")
    for password in ("", "not-my-password"):
        refused = _create_token(bea, password)
        assert refused.status_code == 422 and 'href="#current_password"' in refused.text
    assert _create_token(bea, USERS["board_member"][1]).status_code == 201
    # With sign-in codes on, the current code is asked for as well.
    admin = client_as("admin")
    secret = _turn_on_codes(admin, clock)
    no_code = _create_token(admin, USERS["admin"][1])
    assert no_code.status_code == 422 and 'href="#code"' in no_code.text
    assert _create_token(admin, USERS["admin"][1], code=totp_code(secret, clock.step)).status_code == 201
    with session_scope(app.state.engine) as session:
        assert len(list(session.scalars(select(ApiTokenRow)))) == 2


def test_reauthentication_guesses_count_towards_the_account_limit(
    app: FastAPI, client_as: Callable[[str], Any]
) -> None:
    """A stolen session cannot be used to guess the password through the token form."""
    bea = client_as("board_member")
    limit = app.state.settings.login_attempts_per_minute
    for _ in range(limit):
        assert _create_token(bea, "guess-guess-guess").status_code == 422
    assert _create_token(bea, USERS["board_member"][1]).status_code == 429  # even the right one waits


def test_turning_codes_off_needs_the_password_and_a_code(
    app: FastAPI, client_as: Callable[[str], Any], clock: Clock
) -> None:
    admin = client_as("admin")
    secret = _turn_on_codes(admin, clock)

    def turn_off(**data: str) -> Any:
        return admin.post("/account/two-factor/disable", data={**data, "csrf_token": csrf_of(admin)})

    assert turn_off().status_code == 422
    assert turn_off(current_password=USERS["admin"][1]).status_code == 422  # no code
    assert turn_off(current_password="wrong-password", code=totp_code(secret, clock.step)).status_code == 422
    # nor by the back door of the users page
    sneaky = admin.post("/admin/users/ada/two-factor/disable", data={"csrf_token": csrf_of(admin)})
    assert sneaky.status_code == 403
    with session_scope(app.state.engine) as session:
        assert app.state.sign_in_policy.sealer.open(get_user(session, "ada").totp_secret) == secret
    clock.advance(seconds=30)
    done = turn_off(current_password=USERS["admin"][1], code=totp_code(secret, clock.step))
    assert done.status_code == 303
    with session_scope(app.state.engine) as session:
        assert get_user(session, "ada").totp_secret is None


def test_no_totp_secret_in_any_cookie(app: FastAPI, client_as: Callable[[str], Any], clock: Clock) -> None:
    admin = client_as("admin")
    page = admin.get("/account/two-factor")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    assert admin.get("/account/two-factor").text.count(secret) >= 1  # the same secret on reload (stored)
    contents = _cookie_contents(admin)
    assert set(contents) <= {"csrf", "sid"}, contents
    for name, value in admin.cookies.items():
        assert secret not in value and secret not in json.dumps(contents), name
    with session_scope(app.state.engine) as session:
        stored = session.scalars(select(SessionRow.totp_setup)).one()  # kept server-side, and sealed there
        assert secret not in stored and app.state.sign_in_policy.sealer.open(stored) == secret
    on = admin.post("/account/two-factor", data={"code": totp_code(secret, clock.step), "csrf_token": csrf_of(admin)})
    assert on.status_code == 303
    with session_scope(app.state.engine) as session:
        assert session.scalars(select(SessionRow.totp_setup)).one() is None


def test_the_session_cookie_holds_only_an_id_and_a_new_one_at_sign_in(app: FastAPI) -> None:
    with make_client(app) as client:
        csrf_of(client, "/sign-in")
        before = _cookie_contents(client)
        sign_in(client, "board_member")
        after = _cookie_contents(client)
        assert "sid" not in before and set(after) <= {"sid", "csrf"}
        assert after.get("csrf") != before.get("csrf")  # nothing of the anonymous session kept
        with session_scope(app.state.engine) as session:
            stored = session.scalars(select(SessionRow.digest)).one()
        assert after["sid"] not in stored  # only the digest is stored


def test_sessions_have_an_absolute_lifetime(app: FastAPI, client_as: Callable[[str], Any], clock: Clock) -> None:
    bea = client_as("board_member")
    lifetime = timedelta(hours=app.state.settings.session_lifetime_hours)
    started = clock.now
    while clock.now - started < lifetime - timedelta(minutes=20):
        clock.advance(minutes=20)  # busy all day: never idle for long
        assert bea.get("/account").status_code == 200
    clock.now = started + lifetime
    assert bea.get("/account").status_code == 303  # twelve hours on, however active


def test_idle_sessions_end(app: FastAPI, client_as: Callable[[str], Any], clock: Clock) -> None:
    bea = client_as("board_member")
    clock.advance(minutes=app.state.settings.session_idle_minutes - 1)
    assert bea.get("/account").status_code == 200
    clock.advance(minutes=app.state.settings.session_idle_minutes)
    assert bea.get("/account").status_code == 303


def test_sign_out_everywhere_ends_every_session(app: FastAPI, client_as: Callable[[str], Any]) -> None:
    laptop, phone = client_as("board_member"), client_as("board_member")
    page = laptop.get("/account")
    assert page.text.count("This browser") == 1
    done = phone.post("/account/sign-out-everywhere", data={"csrf_token": csrf_of(phone)})
    assert done.status_code == 200 and "signed out everywhere (2 sessions ended)" in done.text
    assert laptop.get("/account").status_code == 303 and phone.get("/account").status_code == 303


# --- finding 6: throttling by address locked out everyone behind one address -----------------------------------


def test_made_up_names_from_one_address_do_not_lock_out_a_real_user(app: FastAPI) -> None:
    with make_client(app) as attacker:
        for i in range(5):
            assert _sign_in(attacker, f"made-up-{i}", "guess-guess-guess").status_code == 422
    with make_client(app) as colleague:  # same address (the test client's)
        assert _sign_in(colleague, *USERS["board_member"]).status_code == 303


def test_past_the_address_limit_known_browsers_still_sign_in(web_settings: Settings) -> None:
    app = create_app(web_settings.model_copy(update={"login_attempts_per_address": 8}))
    try:
        with make_client(app) as regular:
            sign_in(regular, "board_member")
            regular.post("/sign-out", data={"csrf_token": csrf_of(regular)})
            assert regular.cookies.get(KNOWN_BROWSER_COOKIE)
            with make_client(app) as attacker:
                for i in range(8):
                    assert _sign_in(attacker, f"made-up-{i}", "guess-guess-guess").status_code == 422
                assert _sign_in(attacker, *USERS["lead_officer"]).status_code == 429  # a new browser waits
            assert _sign_in(regular, *USERS["board_member"]).status_code == 303  # this one signed in here before
        forged = make_client(app, cookies={KNOWN_BROWSER_COOKIE: "[2]"})
        with forged:
            assert _sign_in(forged, *USERS["board_member"]).status_code == 429  # the cookie must be signed
    finally:
        app.state.engine.dispose()


def _proxy_app(web_settings: Settings, proxies: str) -> FastAPI:
    return create_app(web_settings.model_copy(update={"login_attempts_per_address": 3, "trusted_proxies": proxies}))


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(web_settings: Settings) -> None:
    app = _proxy_app(web_settings, "10.0.0.5")
    try:
        # A client that is not the proxy cannot pick a fresh address per guess.
        with make_client(app, client=("192.0.2.50", 40000)) as attacker:
            for i in range(3):
                spoof = {"X-Forwarded-For": f"203.0.113.{i}"}
                assert _sign_in(attacker, f"made-up-{i}", "guess-guess-guess", **spoof).status_code == 422
            blocked = _sign_in(attacker, "made-up-x", "guess", **{"X-Forwarded-For": "203.0.113.99"})
            assert blocked.status_code == 429
        # Through the proxy, each client is itself: one client's failures do not hold back another.
        with make_client(app, client=("10.0.0.5", 40000)) as proxy:
            for i in range(3):
                hdr = {"X-Forwarded-For": "198.51.100.7"}
                assert _sign_in(proxy, f"made-up-{i}", "guess-guess-guess", **hdr).status_code == 422
            assert _sign_in(proxy, "made-up-y", "guess", **{"X-Forwarded-For": "198.51.100.7"}).status_code == 429
            ok = _sign_in(proxy, *USERS["board_member"], **{"X-Forwarded-For": "198.51.100.8"})
            assert ok.status_code == 303
        with session_scope(app.state.engine) as session:
            addresses = {row.address for row in session.scalars(select(SessionRow))}
        assert addresses == {"198.51.100.8"}
    finally:
        app.state.engine.dispose()


def test_without_trusted_proxies_every_forwarded_header_is_ignored(web_settings: Settings) -> None:
    app = _proxy_app(web_settings, "")
    try:
        with make_client(app, client=("127.0.0.1", 40000)) as client:
            for i in range(3):
                spoof = {"X-Forwarded-For": f"203.0.113.{i}"}
                assert _sign_in(client, f"made-up-{i}", "guess-guess-guess", **spoof).status_code == 422
            assert _sign_in(client, "made-up-z", "guess", **{"X-Forwarded-For": "203.0.113.77"}).status_code == 429
    finally:
        app.state.engine.dispose()


def test_users_table_keeps_counts_not_codes(app: FastAPI) -> None:
    with session_scope(app.state.engine) as session:
        user = session.scalars(select(UserRow).where(UserRow.username == "ada")).one()
        assert user.totp_failures == 0 and user.totp_locked_until is None


# --- an administrator's session left open: changes to other accounts need the password again -----------------


def test_an_admin_session_left_open_cannot_change_accounts_without_the_password(
    app: FastAPI, clock: Clock, client_as: Callable[[str], Any]
) -> None:
    """ASVS 3.7.1: an attacker at an administrator's unlocked screen 20 minutes after sign-in (session still
    alive: idle 30 minutes) tries every account-changing form; each is sent to "Confirm it is you" and nothing
    changes. The password given there allows the change, and returns to the account's page."""
    admin = client_as("admin")
    clock.advance(minutes=10)
    assert admin.get("/admin/users").status_code == 200  # reading is fine, and keeps the session alive
    clock.advance(minutes=10)
    attempts = [
        ("/admin/users/new", {"username": "mallory", "display_name": "M", "role": "admin"}, "/admin/users/new"),
        ("/admin/users/bea", {"display_name": "Bea", "role": "admin", "active": "yes"}, "/admin/users/bea"),
        ("/admin/users/leo/reset-password", {}, "/admin/users/leo"),
        ("/admin/users/ada/two-factor/disable", {}, "/admin/users/ada"),
    ]
    for path, data, back in attempts:
        response = admin.post(path, data={**data, "csrf_token": csrf_of(admin)}, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/admin/confirm?next=" + back.replace("/", "%2F"), path
    with session_scope(app.state.engine) as session:
        assert get_user(session, "mallory") is None
        assert get_user(session, "bea").role == "board_member"  # type: ignore[union-attr]
    assert not [row for row in _audit(app, "reset_password")]
    # A wrong password changes nothing; the right one allows the change and returns to the page asked for.
    page = admin.get("/admin/confirm?next=%2Fadmin%2Fusers%2Fleo")
    assert page.status_code == 200 and "Confirm it is you" in page.text
    wrong = {"current_password": "not-it", "next": "/admin/users/leo", "csrf_token": csrf_of(admin)}
    assert admin.post("/admin/confirm", data=wrong, follow_redirects=False).status_code == 422
    username, password = USERS["admin"]
    right = {"current_password": password, "next": "https://evil.example/", "csrf_token": csrf_of(admin)}
    response = admin.post("/admin/confirm", data=right, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"  # never off-site
    done = admin.post("/admin/users/leo/reset-password", data={"csrf_token": csrf_of(admin)})
    assert done.status_code == 200
    clock.advance(minutes=16)  # and the confirmation itself runs out
    again = admin.post("/admin/users/leo/reset-password", data={"csrf_token": csrf_of(admin)}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/admin/confirm")


# --- a copy of the database does not give away anyone's sign-in codes ------------------------------------------


def test_authenticator_secrets_are_sealed_at_rest(app: FastAPI, client_as: Callable[[str], Any], clock: Clock) -> None:
    """ASVS 6.4: someone holding a dump of the database (every table, every column) cannot find the secret an
    authenticator app was given; with the server's key the code still signs in, and a legacy unsealed secret is
    sealed the first time it proves right."""
    admin = client_as("admin")
    secret = _turn_on_codes(admin, clock)
    with app.state.engine.connect() as connection:
        dump = "\n".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM users"))
        dump += "\n".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM user_sessions"))
        dump += "\n".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM audit_log"))
    assert secret not in dump and "sealed:v1:" in dump
    # another server key cannot open it (and says so plainly)
    from gapwatch.errors import GapwatchError
    from gapwatch.services.sealing import Sealer

    with session_scope(app.state.engine) as session:
        stored = get_user(session, "ada").totp_secret
        with pytest.raises(GapwatchError, match="secret key has changed"):
            Sealer.from_secret_key("another-key").open(stored)
        user = get_user(session, "ada")
        user.totp_secret = secret  # as a database from before sealing holds it
    # the right code still signs in, and the secret is sealed on the way
    with make_client(app) as owner:
        assert _sign_in(owner, *USERS["admin"]).status_code == 303
        clock.advance(seconds=30)
        ok = owner.post("/sign-in/code", data={"code": totp_code(secret, clock.step), "csrf_token": csrf_of(owner)})
        assert ok.status_code == 303
    with session_scope(app.state.engine) as session:
        resealed = get_user(session, "ada").totp_secret
        assert resealed.startswith("sealed:v1:") and secret not in resealed
