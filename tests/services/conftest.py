"""Fixtures for the service tests: the Kent demo (``gapwatch demo``: the bundled framework, its public-data
extract and the illustrative series) in a SQLite file, built once per test session and copied for each test
module that asks for it, so modules never see each other's writes.

    def test_x(kent_demo):          # (engine, path of the SQLite file) of this module's copy
        engine, path = kent_demo
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gapwatch.services.database import open_database
from gapwatch.settings import Settings


@pytest.fixture(scope="session")
def _kent_demo_template(kent_demo_file: Path) -> Path:
    """The Kent demo built once per run (tests/conftest.py; the SQLite file is complete on disk)."""
    return kent_demo_file


@pytest.fixture(scope="module")
def kent_demo(tmp_path_factory: pytest.TempPathFactory, _kent_demo_template: Path) -> Iterator[tuple[Engine, Path]]:
    """This module's own copy of the Kent demo: its engine and the path of its SQLite file (for the CLI)."""
    path = tmp_path_factory.mktemp("kent-demo") / "demo.db"
    shutil.copyfile(_kent_demo_template, path)
    engine = open_database(Settings(database_url=f"sqlite:///{path}"), migrate=False)
    yield engine, path
    engine.dispose()
