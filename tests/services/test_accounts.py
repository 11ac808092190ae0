"""Accounts and the audit log as services, on SQLite and PostgreSQL: demo users, sign-in checks, audit export."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from gapwatch.errors import Conflict, InvalidInput
from gapwatch.services import accounts
from gapwatch.services.accounts import (
    DEMO_LEAD_PERSON,
    CodeCheck,
    CodeOutcome,
    SignInPolicy,
    TooManyAttempts,
    api_tokens,
    authenticate,
    check_sign_in_code,
    create_api_token,
    create_demo_users,
    create_user,
    new_totp_secret,
    password_problems,
    reset_password,
    totp_code,
    update_user,
    user_for_token,
)
from gapwatch.services.audit import audit_csv, audit_filter, audit_page
from gapwatch.services.frameworks import bundled_framework_path, load_framework, stored_framework
from gapwatch.services.sessions import live_session, sessions_of, start_session
from gapwatch.store.accounts import LoginAttemptRow, UserRow, get_user
from gapwatch.store.audit import AuditFilter, record_audit
from gapwatch.store.engine import session_scope, sessions
from gapwatch.store.tables import utcnow


@pytest.fixture(autouse=True)
def _cheap_hashes() -> Iterator[None]:
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts._dummy_hash = None
    yield
    accounts._hasher = original
    accounts._dummy_hash = None


#: Small limits, so that the tests reach them quickly.
POLICY = SignInPolicy(attempts_per_minute=3, attempts_per_address=6)


def _sign_in(
    engine: Engine, username: str, password: str, address: str = "10.0.0.1", known: frozenset[int] = frozenset()
) -> UserRow:
    """Sign in as the web app does: the attempt is committed whatever the outcome."""
    session = sessions(engine)()
    try:
        return authenticate(session, username, password, address=address, policy=POLICY, known_accounts=known)
    finally:
        session.commit()
        session.close()


def test_demo_users_cover_every_role_and_their_passwords_work(engine: Engine) -> None:
    load_framework(engine, bundled_framework_path("kent"))
    created = create_demo_users(engine)
    assert sorted(role for _, role, _ in created) == sorted(r.value for r in accounts.Role)
    assert len({password for _, _, password in created}) == 4
    for username, role, password in created:
        assert _sign_in(engine, username, password).role == role
    # run again (gapwatch demo on an existing database): new passwords, the old ones stop working
    again = dict((u, p) for u, _, p in create_demo_users(engine))
    first = dict((u, p) for u, _, p in created)
    assert again["admin"] != first["admin"]
    with pytest.raises(InvalidInput):
        _sign_in(engine, "admin", first["admin"])
    assert _sign_in(engine, "admin", again["admin"]).username == "admin"


def test_demo_lead_officer_is_linked_to_the_person_leading_most(engine: Engine) -> None:
    load_framework(engine, bundled_framework_path("kent"))
    framework = stored_framework(engine)
    create_demo_users(engine)
    with session_scope(engine) as session:
        lead = get_user(session, "lead")
        assert lead is not None
        leads = [a.lead_officer for a in framework.actions if a.lead_officer] + [
            r.owner for r in framework.risks if r.owner
        ]
        if leads:
            top = max(leads.count(p) for p in set(leads))
            assert leads.count(lead.person_id) == top
        else:  # Kent names no lead officers: the demo account stands for an illustrative officer
            assert lead.person_id == DEMO_LEAD_PERSON


def test_demo_users_without_a_framework(engine: Engine) -> None:
    created = create_demo_users(engine)
    assert len(created) == 4
    with session_scope(engine) as session:
        assert get_user(session, "lead").person_id is None


def test_throttling_per_account_holds_back_only_that_account(engine: Engine) -> None:
    with session_scope(engine) as session:
        for name in ("one", "two"):
            create_user(
                session, username=name, display_name=name, role="board_member", password=f"phrase-for-{name[::-1]}-x"
            )
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):  # from any address: it is the account that counts
        with pytest.raises(InvalidInput):
            _sign_in(engine, "one", "wrong-wrong-wrong", address=address)
    with pytest.raises(TooManyAttempts):
        _sign_in(engine, "one", "phrase-for-eno-x", address="192.0.2.4")
    assert _sign_in(engine, "two", "phrase-for-owt-x", address="192.0.2.1").username == "two"


def test_throttling_per_address_is_higher_and_spares_known_browsers(engine: Engine) -> None:
    """Changed: failures from one address (any usernames) have their own, higher limit (6 here, 30 by default),
    so a few made-up names do not lock out a real user sharing the address; past it, a browser that signed in
    to the account before still gets through."""
    with session_scope(engine) as session:
        real = create_user(session, username="real", display_name="R", role="admin", password="sunny-garden-phrase")
        real_pk = real.pk
    for i in range(5):
        with pytest.raises(InvalidInput):
            _sign_in(engine, f"made-up-{i}", "guess-guess-guess", address="192.0.2.9")
    assert _sign_in(engine, "real", "sunny-garden-phrase", address="192.0.2.9").username == "real"
    with pytest.raises(InvalidInput):
        _sign_in(engine, "made-up-5", "guess-guess-guess", address="192.0.2.9")
    with pytest.raises(TooManyAttempts):  # the address has had its six failures this minute
        _sign_in(engine, "real", "sunny-garden-phrase", address="192.0.2.9")
    assert (
        _sign_in(engine, "real", "sunny-garden-phrase", address="192.0.2.9", known=frozenset({real_pk})).pk == real_pk
    )
    assert _sign_in(engine, "real", "sunny-garden-phrase", address="192.0.2.10").pk == real_pk
    with session_scope(engine) as session:
        rows, _ = audit_page(session, AuditFilter(entity="address:192.0.2.9"), offset=0, limit=10)
        assert [row.action for row in rows] == ["sign_in_throttled"]  # once for the burst


def test_hourly_limit_per_account(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session, username="patient", display_name="P", role="admin", password="slow-tortoise-phrase")
        for minutes in range(2, 2 + POLICY.attempts_per_hour):  # a slow guesser: under the per-minute limit
            session.add(
                LoginAttemptRow(
                    username="patient", address="x", at=utcnow() - timedelta(minutes=minutes), succeeded=False
                )
            )
    with pytest.raises(TooManyAttempts):
        _sign_in(engine, "patient", "slow-tortoise-phrase")


def test_old_failures_stop_counting_after_a_minute(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session, username="slow", display_name="Slow", role="admin", password="tortoise-pace-phrase")
        for _ in range(5):
            session.add(
                LoginAttemptRow(username="slow", address="x", at=utcnow() - timedelta(minutes=2), succeeded=False)
            )
    assert _sign_in(engine, "slow", "tortoise-pace-phrase", address="x").username == "slow"


def test_username_is_case_insensitive_and_unique(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session, username="Mixed.Case", display_name="M", role="admin", password="mixed-case-phrase")
    assert _sign_in(engine, "MIXED.case", "mixed-case-phrase").username == "mixed.case"
    with session_scope(engine) as session, pytest.raises(Conflict):
        create_user(session, username="mixed.case", display_name="M", role="admin", password="another-phrase-x")


@pytest.mark.parametrize(
    ("password", "ok"),
    [("short", False), ("long-enough-phrase", True), ("password123", False), ("alice-in-wonderland", False)],
)
def test_password_rules(password: str, ok: bool) -> None:
    assert (password_problems(password, username="alice") == []) is ok


def test_every_account_change_is_audited_with_before_and_after(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = create_user(
            session,
            username="carol",
            display_name="Carol",
            role="board_member",
            password="singing-bird-phrase",
            actor="ada",
        )
        update_user(session, user, actor="ada", role="lead_officer", person_id="p-1")
        update_user(session, user, actor="ada", role="lead_officer")  # no change: no entry
    with session_scope(engine) as session:
        rows, total = audit_page(session, AuditFilter(entity="user:carol"), offset=0, limit=10)
        assert total == 2
        update, create = rows
        assert (create.action, create.username, create.before) == ("create", "ada", None)
        assert create.after["role"] == "board_member" and "password" not in str(create.after)
        assert update.before["role"] == "board_member" and update.after["role"] == "lead_officer"
        assert update.after["person_id"] == "p-1"


def test_audit_csv_exports_everything_matching_and_defuses_formulas(engine: Engine) -> None:
    with session_scope(engine) as session:
        for i in range(2501):
            record_audit(session, "bot", "update", f"action:A{i}", {"rag": "red"}, {"rag": "green"})
        record_audit(session, "=cmd|' /C calc'!A0", "update", "action:evil", None, None)
    with session_scope(engine) as session:
        text = "".join(audit_csv(session, audit_filter(entity="action:")))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2502
    assert len({row["entity"] for row in rows}) == 2502
    evil = next(row for row in rows if row["entity"] == "action:evil")
    assert evil["username"].startswith("'=")
    assert rows[-1]["before"] == '{"rag": "red"}'


def test_audit_filter_rejects_bad_dates_with_fields() -> None:
    with pytest.raises(InvalidInput) as caught:
        audit_filter(since="31/12/2011", until="2011-01-01")
    assert [p.field for p in caught.value.problems] == ["since"]
    with pytest.raises(InvalidInput) as caught:
        audit_filter(since="2011-06-01", until="2011-01-01")
    assert [p.field for p in caught.value.problems] == ["until"]


def test_audit_filter_dates_are_inclusive(engine: Engine) -> None:
    with session_scope(engine) as session:
        record_audit(session, "x", "update", "action:today")
    today = utcnow().date().isoformat()
    with session_scope(engine) as session:
        _, total = audit_page(session, audit_filter(since=today, until=today), offset=0, limit=5)
        assert total == 1
        _, none = audit_page(session, audit_filter(until="2000-01-01"), offset=0, limit=5)
        assert none == 0


def test_users_table_stores_no_clear_passwords(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session, username="dan", display_name="Dan", role="admin", password="hidden-river-phrase")
    with session_scope(engine) as session:
        stored = session.scalars(select(UserRow.password_hash)).one()
    assert "hidden-river-phrase" not in stored and stored.startswith("$argon2id$")


# --- sign-in codes, sessions and tokens ---------------------------------------------------------------------

CODE_POLICY = SignInPolicy(code_attempts=5, code_lock=timedelta(minutes=5))
MOMENT = datetime(2026, 3, 2, 9, 0, 7, tzinfo=UTC)


def _with_codes(engine: Engine, username: str = "tess") -> tuple[int, str]:
    secret = new_totp_secret()
    with session_scope(engine) as session:
        user = create_user(session, username=username, display_name="T", role="admin", password="quiet-harbour-phrase")
        user.totp_secret = secret
        return user.pk, secret


def _wrong(secret: str, now: datetime) -> list[str]:
    step = int(now.timestamp() // 30)
    right = {totp_code(secret, step + d) for d in (-1, 0, 1)}
    return [f"{n:06d}" for n in range(40) if f"{n:06d}" not in right]


def _check(engine: Engine, pk: int, code: str, now: datetime = MOMENT) -> CodeCheck:
    session = sessions(engine)()
    try:
        user = session.get(UserRow, pk)
        session.commit()  # as the web app: the check starts its own transaction with the counting UPDATE
        return check_sign_in_code(session, user, code, now=now, policy=CODE_POLICY)
    finally:
        session.commit()
        session.close()


def test_sign_in_codes_lock_after_five_wrong_ones_even_for_the_right_code(engine: Engine) -> None:
    pk, secret = _with_codes(engine)
    wrong = _wrong(secret, MOMENT)
    outcomes = [_check(engine, pk, code).outcome for code in wrong[:5]]
    assert outcomes == [CodeOutcome.WRONG] * 4 + [CodeOutcome.LOCKED]
    right = totp_code(secret, int(MOMENT.timestamp() // 30))
    assert _check(engine, pk, right).outcome is CodeOutcome.LOCKED  # refused unchecked while locked
    later = MOMENT + timedelta(minutes=5, seconds=1)
    assert _check(engine, pk, totp_code(secret, int(later.timestamp() // 30)), later).accepted
    with session_scope(engine) as session:
        user = session.get(UserRow, pk)
        assert (user.totp_failures, user.totp_lockouts, user.totp_locked_until) == (0, 0, None)
        rows, total = audit_page(session, AuditFilter(entity="user:tess"), offset=0, limit=20)
        assert [row.action for row in rows if row.action != "create"] == ["lock_sign_in_codes"]


def test_parallel_code_checks_cannot_pass_the_limit(engine: Engine) -> None:
    pk, secret = _with_codes(engine)
    codes = _wrong(secret, MOMENT)[:16]
    outcomes: list[CodeOutcome] = []

    def guess(code: str) -> None:
        outcomes.append(_check(engine, pk, code).outcome)

    threads = [threading.Thread(target=guess, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 16
    assert outcomes.count(CodeOutcome.WRONG) == 4 and outcomes.count(CodeOutcome.LOCKED) == 12
    with session_scope(engine) as session:
        assert session.get(UserRow, pk).totp_lockouts == 1  # one lock: no more than five codes were checked


def test_reset_and_deactivation_end_sessions_and_revoke_tokens(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = create_user(
            session, username="una", display_name="U", role="board_member", password="blue-kettle-phrase"
        )
        start_session(session, user)
        start_session(session, user)
        create_api_token(session, user, name="one")
        reset_password(session, user, actor="ada")
    with session_scope(engine) as session:
        user = get_user(session, "una")
        assert sessions_of(session, user.pk) == []
        assert all(token.revoked_at is not None for token in api_tokens(session, user.pk))
        sid = start_session(session, user)
        _, token = create_api_token(session, user, name="two")
    with session_scope(engine) as session:
        user = get_user(session, "una")
        assert live_session(session, sid) is not None and user_for_token(session, token) is not None
        update_user(session, user, actor="ada", active=False)
    with session_scope(engine) as session:
        assert live_session(session, sid) is None and user_for_token(session, token) is None


def test_sessions_end_when_idle_or_too_old(engine: Engine) -> None:
    policy = SignInPolicy(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
    with session_scope(engine) as session:
        user = create_user(session, username="ivy", display_name="I", role="board_member", password="green-leaf-phrase")
        sid = start_session(session, user, now=MOMENT, policy=policy)
    moment = MOMENT
    for _ in range(35):  # used every 20 minutes for almost twelve hours
        moment += timedelta(minutes=20)
        with session_scope(engine) as session:
            assert live_session(session, sid, now=moment, policy=policy) is not None
    with session_scope(engine) as session:
        assert live_session(session, sid, now=MOMENT + timedelta(hours=12), policy=policy) is None
    with session_scope(engine) as session:
        other = start_session(session, get_user(session, "ivy"), now=MOMENT, policy=policy)
    with session_scope(engine) as session:
        assert live_session(session, other, now=MOMENT + timedelta(minutes=31), policy=policy) is None


def test_a_lowered_code_limit_locks_rather_than_blocking_for_ever(engine: Engine) -> None:
    pk, secret = _with_codes(engine)
    with session_scope(engine) as session:
        session.get(UserRow, pk).totp_failures = 8  # counted under a limit of 10, now 5
    assert _check(engine, pk, "000000").outcome is CodeOutcome.LOCKED
    later = MOMENT + timedelta(minutes=6)
    assert _check(engine, pk, totp_code(secret, int(later.timestamp() // 30)), later).accepted
