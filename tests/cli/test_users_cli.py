"""`gapwatch users add|list|reset-password` and `gapwatch serve`'s argument checks, run as a user would."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from gapwatch.services import accounts
from gapwatch.services.accounts import authenticate
from gapwatch.services.database import open_database
from gapwatch.settings import Settings
from gapwatch.store.accounts import get_user
from gapwatch.store.engine import sessions
from tests.clirunner import run_cli


@pytest.fixture(autouse=True)
def _cheap_hashes() -> Iterator[None]:
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = original


def _password_of(output: str) -> str:
    match = re.search(r"Temporary password: (\S+)", output)
    assert match, output
    return match.group(1)


def _can_sign_in(db: Path, username: str, password: str) -> bool:
    engine = open_database(Settings(database_url=f"sqlite:///{db}"))
    session = sessions(engine)()
    try:
        authenticate(session, username, password, address="cli-test")
        return True
    except Exception:
        return False
    finally:
        session.rollback()
        session.close()
        engine.dispose()


def test_add_list_and_reset(tmp_path: Path) -> None:
    db = tmp_path / "users.db"
    added = run_cli("users", "add", "Admin.One", "--role", "admin", "--name", "Admin One", "--db", str(db))
    assert added.exit_code == 0, added.output
    first = _password_of(added.stdout)
    assert _can_sign_in(db, "admin.one", first)
    listed = run_cli("users", "list", "--db", str(db))
    assert listed.exit_code == 0 and "admin.one" in listed.stdout and "Admin One" in listed.stdout
    reset = run_cli("users", "reset-password", "admin.one", "--db", str(db))
    assert reset.exit_code == 0
    second = _password_of(reset.stdout)
    assert second != first
    assert not _can_sign_in(db, "admin.one", first) and _can_sign_in(db, "admin.one", second)
    engine = open_database(Settings(database_url=f"sqlite:///{db}"))
    with sessions(engine)() as session:
        assert get_user(session, "admin.one").must_change_password is True
    engine.dispose()


def test_password_from_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "users.db"
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct-horse-battery\n"))
    added = run_cli("users", "add", "bea", "--role", "board_member", "--password-stdin", "--db", str(db))
    assert added.exit_code == 0, added.output
    assert "Temporary password" not in added.stdout
    assert _can_sign_in(db, "bea", "correct-horse-battery")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "x.y", "--role", "emperor"], "Role must be one of"),
        (["users", "reset-password", "nobody"], "There is no account called 'nobody'"),
    ],
)
def test_bad_input_is_one_red_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(*args, "--db", str(tmp_path / "u.db"))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_duplicate_username_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "u.db")
    assert run_cli("users", "add", "sam", "--role", "admin", "--db", db).exit_code == 0
    again = run_cli("users", "add", "SAM", "--role", "admin", "--db", db)
    assert again.exit_code == 1 and "already an account called 'sam'" in again.stderr


def test_empty_list_says_how_to_add_the_first_admin(tmp_path: Path) -> None:
    result = run_cli("users", "list", "--db", str(tmp_path / "u.db"))
    assert result.exit_code == 0 and "gapwatch users add" in result.stdout


def test_serve_refuses_a_missing_database_file(tmp_path: Path) -> None:
    result = run_cli("serve", "--db", str(tmp_path / "missing.db"))
    assert result.exit_code == 1
    assert "no such database file" in result.stderr and "gapwatch demo" in result.stderr
    assert not (tmp_path / "missing.db").exists()


def test_serve_refuses_a_bad_port() -> None:
    assert run_cli("serve", "--port", "70000").exit_code == 2
