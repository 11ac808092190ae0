"""Shared fixtures: settings, engines on SQLite and PostgreSQL, the shared data folder, the CLI runner.

PostgreSQL tests use GAPWATCH_TEST_POSTGRES_URL (set by scripts/with-postgres.sh, which `make test` runs).
Outside CI, without it, they are skipped with that reason; in CI (CI=true) a missing server is an error.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date
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


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """A migrated, empty PostgreSQL database that each test's database is copied from (CREATE DATABASE …
    TEMPLATE): migrating a fresh database for each of ~140 tests took most of their time. One per worker (a
    template must have no other connection while it is copied); dropped at the end of the session."""
    admin_url = _postgres_url()
    name = f"gw_tpl_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    open_database(Settings(database_url=admin_url.rsplit("/", 1)[0] + f"/{name}")).dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_engine(_pg_template: str) -> Iterator[Engine]:
    """A migrated engine on a fresh PostgreSQL database (a copy of the migrated template; dropped afterwards)."""
    admin_url = _postgres_url()
    name = f"gw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = open_database(Settings(database_url=url), migrate=False)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file (made once per run) that each test's database is copied from."""

    def migrated(path: Path) -> None:
        open_database(Settings(database_url=f"sqlite:///{path}")).dispose()

    return shared_template(tmp_path_factory, "empty.db", migrated)


@pytest.fixture
def sqlite_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    """A migrated engine on a fresh SQLite file (a file, so WAL and foreign keys are real; a copy of the migrated
    template)."""
    path = copy_database(_sqlite_template, tmp_path / "test.db")
    engine = open_database(Settings(database_url=f"sqlite:///{path}"), migrate=False)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on SQLite and on PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


# --- demo databases built once per test run and shared by every xdist worker -----------------------------------
#
# Building the Kent demo takes seconds and closing a cycle over its 19 boards ~15 s; a run of two workers used to
# build each template in both (and several test files built their own identical copies). A template is now built
# by the first worker that asks, under a file lock in the run's shared temporary folder, and every test copies it.


def _run_root(factory: pytest.TempPathFactory) -> Path:
    """The folder all workers of this run share (xdist gives each worker a subfolder of it)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_template(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The SQLite file ``name``, made once per run by ``build(path)`` (which must dispose of its engine)."""
    folder = _run_root(factory) / "shared-templates"
    folder.mkdir(exist_ok=True)
    target = folder / name
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            building = folder / f"{name}.building"
            building.unlink(missing_ok=True)
            build(building)
            building.rename(target)
    return target


def sqlite_engine_on(path: Path, *, migrate: bool = True) -> Engine:
    """An engine on a SQLite file, ignoring any .env file."""
    return open_database(Settings(database_url=f"sqlite:///{path}", _env_file=None), migrate=migrate)  # type: ignore[call-arg]


def copy_database(source: Path, target: Path) -> Path:
    """``target`` as a copy of the SQLite file ``source``."""
    shutil.copyfile(source, target)
    return target


def _with_engine(path: Path, work: Callable[[Engine], object]) -> None:
    engine = sqlite_engine_on(path)
    try:
        work(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def kent_demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `gapwatch demo` builds (the bundled Kent plan, its figures, the shipped real-data extract), as a file
    to copy."""
    from gapwatch.services.demo import build_demo  # noqa: PLC0415

    return shared_template(tmp_path_factory, "kent-demo.db", lambda p: _with_engine(p, build_demo))


#: The older cycle the report tests close: "2011 H2", cut-off 31 December 2011.
CYCLE_2011 = ("2011 H2", date(2011, 12, 31), date(2012, 1, 31))


@pytest.fixture(scope="session")
def kent_2011_files(tmp_path_factory: pytest.TempPathFactory, kent_demo_file: Path) -> tuple[Path, Path]:
    """The Kent demo with cycle 2011 H2 open, and a copy with it closed (every board's report frozen)."""
    from gapwatch.services.cycles import close_cycle, open_cycle  # noqa: PLC0415

    name, cutoff, deadline = CYCLE_2011

    def opened(path: Path) -> None:
        copy_database(kent_demo_file, path)
        _with_engine(path, lambda e: open_cycle(e, name, data_cutoff=cutoff, action_deadline=deadline, by="tests"))

    open_db = shared_template(tmp_path_factory, "kent-2011-open.db", opened)

    def closed(path: Path) -> None:
        copy_database(open_db, path)
        _with_engine(path, lambda e: close_cycle(e, name, by="tests"))

    return open_db, shared_template(tmp_path_factory, "kent-2011-closed.db", closed)


@pytest.fixture(scope="session")
def kent_workflow_files(tmp_path_factory: pytest.TempPathFactory, kent_demo_file: Path) -> tuple[Path, Path]:
    """The demo with its workflow seeded (cycle 2012 H2 open, users and updates), and a copy with it closed."""
    from gapwatch.services.cycles import close_cycle  # noqa: PLC0415
    from gapwatch.services.demo_workflow import seed_demo_workflow  # noqa: PLC0415

    def opened(path: Path) -> None:
        copy_database(kent_demo_file, path)
        _with_engine(path, seed_demo_workflow)

    open_db = shared_template(tmp_path_factory, "kent-workflow-open.db", opened)

    def closed(path: Path) -> None:
        copy_database(open_db, path)
        _with_engine(path, lambda e: close_cycle(e, "2012 H2", by="tests"))

    return open_db, shared_template(tmp_path_factory, "kent-workflow-closed.db", closed)
