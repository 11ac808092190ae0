"""`gapwatch demo` builds in the database every other command uses: GAPWATCH_DATABASE_URL (SQLite or
PostgreSQL), or the SQLite file --db names; so after `make run` the README's command lines work as printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from gapwatch.services.database import open_database, transaction
from gapwatch.settings import Settings
from gapwatch.store.accounts import UserRow
from gapwatch.store.audit import AuditRow
from gapwatch.store.cycles import CycleRow
from gapwatch.store.observations import ImportBatchRow
from tests.clirunner import run_cli

REPO = Path(__file__).resolve().parents[2]


def _flat(text: str) -> str:
    """Output without the line breaks and spaces Rich wraps it with."""
    return "".join(text.split())


def _contents(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        return {
            name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in (
                ("batches", ImportBatchRow),
                ("accounts", UserRow),
                ("cycles", CycleRow),
                ("imports audited", select(AuditRow).where(AuditRow.action == "data.import").subquery()),
            )
        }


def _built(url: str) -> dict[str, int]:
    engine = open_database(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    try:
        return _contents(engine)
    finally:
        engine.dispose()


def _extract_sources() -> int:
    """How many sources the shipped public-data extract holds (the demo loads one batch per source)."""
    import csv
    import gzip
    from pathlib import Path as _Path

    import gapwatch

    extract = _Path(gapwatch.__file__).parent / "frameworks" / "kent" / "data" / "public-extract.csv.gz"
    with gzip.open(extract, "rt", encoding="utf-8") as handle:
        return len({row["source"] for row in csv.DictReader(handle)})


#: The plan's own figures, one batch per source of the public extract and the illustrative series (each an
#: audited import), and Kent's two small-area lookups (area loads, not data imports).
_IMPORTS = 1 + _extract_sources() + 1
DEMO = {"batches": _IMPORTS + 2, "accounts": 4, "cycles": 1, "imports audited": _IMPORTS}


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from an empty folder (no .env, no gapwatch.db) with no database configured."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("GAPWATCH_DATABASE_URL", raising=False)
    return work


def test_demo_builds_in_the_database_url_and_other_commands_use_it(
    elsewhere: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'configured.db'}"
    monkeypatch.setenv("GAPWATCH_DATABASE_URL", url)
    result = run_cli("demo")
    assert result.exit_code == 0, result.output
    assert _flat(f"Demo database: {url}. Serve it with `gapwatch serve`.") in _flat(result.stdout)
    assert _built(url) == DEMO
    assert list(elsewhere.iterdir()) == []  # nothing built in the working folder
    batches = run_cli("data", "batches")  # no --db: the same database
    assert batches.exit_code == 0 and "Importbatches(newestfirst)" in _flat(batches.stdout)
    assert run_cli("framework", "show").exit_code == 0


def test_db_overrides_the_database_url(elsewhere: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'configured.db'}"
    monkeypatch.setenv("GAPWATCH_DATABASE_URL", url)
    chosen = tmp_path / "chosen.db"
    result = run_cli("demo", "--db", str(chosen))
    assert result.exit_code == 0, result.output
    assert _flat(f"`gapwatch serve --db {chosen}`") in _flat(result.stdout)
    assert _built(f"sqlite:///{chosen}") == DEMO
    assert not (tmp_path / "configured.db").exists()


def test_without_settings_the_demo_and_the_commands_share_the_default_database(elsewhere: Path) -> None:
    assert run_cli("demo").exit_code == 0
    default = Settings.model_fields["database_url"].default
    assert default == "sqlite:///gapwatch.db" and (elsewhere / "gapwatch.db").is_file()
    assert _built(default) == DEMO
    shown = run_cli("kpq", "answer", "--ambition", "1")
    assert shown.exit_code == 0, shown.output


def test_the_makefile_and_the_docs_name_the_same_default_database() -> None:
    default = Settings.model_fields["database_url"].default
    assert f"`{default}`" in (REPO / "docs" / "settings.md").read_text()
    assert f"`{default}`" in (REPO / "README.md").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^DEMO_DB \?=\s*$", makefile, re.MULTILINE), "make run must build the default database"
    assert "gapwatch-demo.db" not in makefile + (REPO / "README.md").read_text()


@pytest.mark.postgres
def test_demo_builds_on_postgresql(pg_engine: Engine, elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("GAPWATCH_DATABASE_URL", url)
    result = run_cli("demo")
    assert result.exit_code == 0, result.output
    assert "postgresql" in result.stdout
    assert _contents(pg_engine) == DEMO
    assert list(elsewhere.iterdir()) == []
    again = run_cli("demo")  # rebuilding is safe: nothing is loaded twice
    assert again.exit_code == 0, again.output
    assert _contents(pg_engine) == DEMO
