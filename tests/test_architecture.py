"""Dependencies point inwards: domain and stats are pure; services do not know the web or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gapwatch"

#: layer -> modules it must not import (prefix match).
FORBIDDEN = {
    "domain": [
        "gapwatch.store",
        "gapwatch.services",
        "gapwatch.web",
        "gapwatch.cli",
        "gapwatch.reports",
        "gapwatch.ingest",
        "gapwatch.stats",
        "sqlalchemy",
        "fastapi",
        "starlette",
        "typer",
        "rich",
    ],
    "stats": [
        "gapwatch.store",
        "gapwatch.services",
        "gapwatch.web",
        "gapwatch.cli",
        "gapwatch.reports",
        "gapwatch.ingest",
        "sqlalchemy",
        "fastapi",
        "starlette",
        "typer",
        "rich",
    ],
    "store": ["gapwatch.services", "gapwatch.web", "gapwatch.cli", "gapwatch.reports", "fastapi", "typer"],
    "ingest": ["gapwatch.services", "gapwatch.web", "gapwatch.cli", "gapwatch.reports", "fastapi", "typer"],
    "services": ["gapwatch.web", "gapwatch.cli", "fastapi", "starlette", "typer"],
}


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_inwards(layer: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in imports_of(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not offenders, "\n".join(offenders)
