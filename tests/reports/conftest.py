"""Fixtures for the report tests: the Kent demo with the cycle "2011 H2" open (a draft) and closed (frozen).

Building the demo and closing a cycle take seconds, so both databases are built once per session and
copied per test. The web tests reuse the web suite's fixtures (app on a copy of the demo, users per role).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gapwatch.services.cycles import open_cycle
from tests.conftest import CYCLE_2011, copy_database, sqlite_engine_on
from tests.web.conftest import (  # noqa: F401 - fixtures shared with the web suite
    _fast_password_hashing,
    app,
    client_as,
    demo_template,
    lead_person,
    post_form,
    web_db,
    web_settings,
)

CYCLE = CYCLE_2011[0]


@dataclass(frozen=True)
class KentDemo:
    """Template databases of the Kent demo: the cycle open (live draft) and the cycle closed (frozen)."""

    open_db: Path
    closed_db: Path


def engine_on(path: Path) -> Engine:
    """An engine on a SQLite file (already migrated)."""
    return sqlite_engine_on(path)


@pytest.fixture(scope="session")
def kent_demo(kent_2011_files: tuple[Path, Path]) -> KentDemo:
    """The Kent demo with cycle 2011 H2 (cut-off 31 December 2011) open, and a copy with it closed (built once per
    run, see tests/conftest.py)."""
    return KentDemo(*kent_2011_files)


def _copy(source: Path, tmp_path: Path) -> Iterator[Engine]:
    engine = engine_on(copy_database(source, tmp_path / source.name))
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def closed_engine(kent_demo: KentDemo, tmp_path: Path) -> Iterator[Engine]:
    """This test's copy of the Kent demo with cycle 2011 H2 closed."""
    yield from _copy(kent_demo.closed_db, tmp_path)


@pytest.fixture
def forum_open_engine(kent_demo_file: Path, tmp_path: Path) -> Iterator[Engine]:
    """This test's copy of the Kent demo with cycle 2011 H2 open for the Kent Forum alone (cheap to close)."""
    engine = engine_on(copy_database(kent_demo_file, tmp_path / "forum.db"))
    name, cutoff, deadline = CYCLE_2011
    open_cycle(engine, name, data_cutoff=cutoff, action_deadline=deadline, boards=["kent-forum"], by="tests")
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def open_engine(kent_demo: KentDemo, tmp_path: Path) -> Iterator[Engine]:
    """This test's copy of the Kent demo with cycle 2011 H2 open."""
    yield from _copy(kent_demo.open_db, tmp_path)


#: The real-data demo's reporting cycle (gapwatch demo --public-data opens it).
REAL_CYCLE = "2012 H2"


@dataclass(frozen=True)
class RealDemo:
    """Template databases of the Kent demo built with the real public data (../shared/data), cycle 2012 H2
    open (live draft) and closed (frozen)."""

    open_db: Path
    closed_db: Path


@pytest.fixture(scope="session")
def real_demo(kent_workflow_files: tuple[Path, Path]) -> RealDemo:
    """What `gapwatch demo` builds — the plan's figures and the shipped extract of real public data for Kent,
    its districts, the South East, England and Kent's statistical neighbours — with its demo workflow, and a
    copy with its cycle closed. (The whole national files, `--public-data`, add nothing a Kent paper shows and
    took 30 s more.)"""
    return RealDemo(*kent_workflow_files)


@pytest.fixture
def real_open(real_demo: RealDemo, tmp_path: Path) -> Iterator[Engine]:
    """This test's copy of the real-data demo with cycle 2012 H2 open."""
    yield from _copy(real_demo.open_db, tmp_path)


@pytest.fixture
def real_closed(real_demo: RealDemo, tmp_path: Path) -> Iterator[Engine]:
    """This test's copy of the real-data demo with cycle 2012 H2 closed."""
    yield from _copy(real_demo.closed_db, tmp_path)
