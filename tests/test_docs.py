"""Docs that cannot drift: every setting and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from gapwatch.cli.main import app
from gapwatch.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    field = Settings.model_fields[name]
    assert field.description, f"setting {name} has no description"
    text = (DOCS / "settings.md").read_text()
    assert f"GAPWATCH_{name.upper()}" in text, f"docs/settings.md does not document GAPWATCH_{name.upper()}"


def _commands(group: typer.main.TyperGroup | typer.core.TyperGroup, prefix: str = "") -> list[str]:  # type: ignore[name-defined]
    out = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix} {name}".strip()
        if hasattr(command, "commands"):
            out.extend(_commands(command, full))
        else:
            out.append(full)
    return out


def test_every_command_is_in_the_cli_reference() -> None:
    text = (DOCS / "cli.md").read_text()
    click_app = typer.main.get_command(app)
    missing = [c for c in _commands(click_app) if f"gapwatch {c}" not in text]
    assert not missing, f"docs/cli.md lacks: {missing} (run `make docs`)"
