"""Accounts and the audit log as services, on SQLite and PostgreSQL: demo users, sign-in checks, audit export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from gapwatch.errors import Conflict, InvalidInput
from gapwatch.services import accounts
from gapwatch.services.accounts import (
    DEMO_LEAD_PERSON,
    TooManyAttempts,
    authenticate,
    create_demo_users,
    create_user,
    password_problems,
    update_user,
)
from gapwatch.services.audit import audit_csv, audit_filter, audit_page
from gapwatch.services.frameworks import bundled_framework_path, load_framework, stored_framework
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


def _sign_in(engine: Engine, username: str, password: str, address: str = "10.0.0.1") -> UserRow:
    """Sign in as the web app does: the attempt is committed whatever the outcome."""
    session = sessions(engine)()
    try:
        return authenticate(session, username, password, address=address, attempts_per_minute=3)
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


def test_throttling_counts_failures_per_address_across_accounts(engine: Engine) -> None:
    with session_scope(engine) as session:
        for name in ("one", "two", "three", "four"):
            create_user(
                session,
                username=name,
                display_name=name,
                role="board_member",
                password=f"pass-phrase-x-{len(name)}{name[::-1]}",
            )
    for name in ("one", "two", "three"):
        with pytest.raises(InvalidInput):
            _sign_in(engine, name, "wrong-wrong-wrong", address="192.0.2.9")
    with pytest.raises(TooManyAttempts):
        _sign_in(engine, "four", "pass-phrase-x-4ruof", address="192.0.2.9")
    assert _sign_in(engine, "four", "pass-phrase-x-4ruof", address="192.0.2.10").username == "four"


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
