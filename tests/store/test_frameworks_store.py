"""Loading frameworks into the database, on SQLite and PostgreSQL: transactions, revisions, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from gapwatch.errors import InvalidInput, NotFound
from gapwatch.services.frameworks import diff_with_database, load_framework, stored_framework
from gapwatch.store.engine import session_scope
from gapwatch.store.frameworks import list_revisions
from gapwatch.store.schema import pending_changes
from gapwatch.store.tables import FrameworkItemRow

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"


def test_schema_matches_tables_after_migration(engine: Engine) -> None:
    assert pending_changes(engine) == []


def test_load_then_read_back_is_equal(engine: Engine) -> None:
    result = load_framework(engine, MINI)
    assert result.revision == 1
    assert stored_framework(engine, "riverton") == result.framework
    assert stored_framework(engine) == result.framework


def test_reload_unchanged_records_nothing(engine: Engine) -> None:
    load_framework(engine, MINI)
    again = load_framework(engine, MINI)
    assert again.revision is None and again.diff.empty
    with session_scope(engine) as session:
        assert [r.number for r in list_revisions(session, "riverton")] == [1]


def test_reload_changed_updates_in_place_and_records_revision(engine: Engine, tmp_path: Path) -> None:
    load_framework(engine, MINI)
    changed = tmp_path / "changed.yaml"
    text = MINI.read_text()
    text = text.replace("title: Fairer outcomes", "title: Fairer outcomes for all")
    text = text.replace(
        "indicators:\n",
        '  - id: RA-2\n    plan: rp-2020\n    number: "2"\n    outcome: O1A\n    text: Summer schools\nindicators:\n',
    )
    text = text.replace("delivery_plans:\n  - {id: dp1, title: Riverton skills plan, ambitions: [R1]}\n", "")
    changed.write_text(text)
    preview = diff_with_database(engine, changed)
    assert preview.added == {"actions": ["RA-2"]}
    result = load_framework(engine, changed)
    assert result.revision == 2
    assert result.diff.added == {"actions": ["RA-2"]}
    assert result.diff.removed == {"delivery_plans": ["dp1"]}
    assert [(c.kind, c.id, c.fields) for c in result.diff.changed] == [("ambitions", "R1", ["title"])]
    with session_scope(engine) as session:
        revisions = list_revisions(session, "riverton")
        assert [r.number for r in revisions] == [2, 1]
        assert "added 1 (1 actions)" in revisions[0].summary
        assert (
            session.scalar(select(func.count()).select_from(FrameworkItemRow).where(FrameworkItemRow.kind == "actions"))
            == 2
        )
    assert stored_framework(engine).ambitions[0].title == "Fairer outcomes for all"


def test_failed_reload_leaves_previous_version(engine: Engine, tmp_path: Path) -> None:
    load_framework(engine, MINI)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        MINI.read_text()
        .replace("title: Fairer outcomes", "title: Changed")
        .replace("outcomes: [O1A]", "outcomes: [NOPE]")
    )
    with pytest.raises(InvalidInput):
        load_framework(engine, bad)
    assert stored_framework(engine).ambitions[0].title == "Fairer outcomes"


def test_empty_database_says_how_to_load(engine: Engine) -> None:
    with pytest.raises(NotFound, match="holds no framework"):
        stored_framework(engine)
