"""The bundled Kent framework: valid, round-trips exactly through YAML, JSON and both databases."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from gapwatch.ingest.framework_yaml import dump_framework_yaml, framework_json, read_framework
from gapwatch.services.frameworks import bundled_framework_path, load_framework, stored_framework
from tests.clirunner import run_cli

KENT = bundled_framework_path("kent")


def test_kent_round_trips_through_yaml(tmp_path: Path) -> None:
    first = read_framework(KENT).framework
    out = tmp_path / "kent.yaml"
    out.write_text(dump_framework_yaml(first))
    assert read_framework(out).framework == first


def test_kent_round_trips_through_the_database(engine: Engine) -> None:
    loaded = load_framework(engine, KENT)
    assert loaded.revision == 1
    assert stored_framework(engine, "kent") == loaded.framework


def test_every_kent_item_cites_a_seed_document() -> None:
    framework = read_framework(KENT).framework
    files = {d.file for d in framework.documents}
    for kind in (
        "ambitions",
        "kpqs",
        "priorities",
        "outcomes",
        "actions",
        "enablers",
        "targets",
        "delivery_plans",
    ):
        for item in framework.items(kind):
            assert item.source is not None, f"{kind} {item.id} has no source"
            assert item.source.document in files, f"{kind} {item.id} cites {item.source.document}"


def test_json_export_lists_every_kind_with_parent_ids() -> None:
    data = json.loads(framework_json(read_framework(KENT).framework))
    actions = {a["id"]: a for a in data["actions"]}
    outcomes = {o["id"] for o in data["outcomes"]}
    assert actions["CYPP-38"]["outcome"] in outcomes
    assert len(data["kpqs"]) == 15 and len(data["ambitions"]) == 3


def test_demo_command_builds_kent(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = run_cli("demo", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "Kent framework loaded" in result.output
    shown = run_cli("framework", "show", "--db", str(db))
    assert shown.exit_code == 0
    assert "Ambition 2" in shown.stdout and "KPQ4" in shown.stdout
