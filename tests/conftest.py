"""Shared fixtures: settings, engines on SQLite and PostgreSQL, the shared data folder, the CLI runner.

PostgreSQL tests use GAPWATCH_TEST_POSTGRES_URL (set by scripts/with-postgres.sh, which `make test` runs).
Outside CI, without it, they are skipped with that reason; in CI (CI=true) a missing server is an error.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from gapwatch.services.database import open_database
from gapwatch.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def pytest_report_header(config: pytest.Config) -> list[str]:
    pg = os.environ.get("GAPWATCH_TEST_POSTGRES_URL")
    return [
        f"gapwatch shared data: {SHARED / 'data'} ({'present' if (SHARED / 'data').is_dir() else 'ABSENT'})",
        f"gapwatch PostgreSQL: {pg or 'not configured (PostgreSQL tests skip outside CI)'}",
    ]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data files beside the checkout (../shared/data)."""
    path = SHARED / "data"
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must run with ../shared beside the checkout")
        pytest.skip(f"{path} is absent: the shared data folder is not beside this checkout")
    return path


@pytest.fixture(scope="session")
def seeds() -> Path:
    """The seed documents (../shared/seeds)."""
    path = SHARED / "seeds"
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must run with ../shared beside the checkout")
        pytest.skip(f"{path} is absent")
    return path


def _postgres_url() -> str:
    url = os.environ.get("GAPWATCH_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("GAPWATCH_TEST_POSTGRES_URL is not set in CI: run the tests through `make test`")
        pytest.skip("no PostgreSQL server: set GAPWATCH_TEST_POSTGRES_URL or run `make test`")
    return url


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A migrated engine on a fresh PostgreSQL database (dropped afterwards)."""
    admin_url = _postgres_url()
    name = f"gw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = open_database(Settings(database_url=url))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on a fresh SQLite file (a file, so WAL and foreign keys are real)."""
    engine = open_database(Settings(database_url=f"sqlite:///{tmp_path / 'test.db'}"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on SQLite and on PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]
