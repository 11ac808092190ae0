"""Output of the read-model commands (`indicator show`, `gap show`, `dashboard`): JSON identical to the
API's, or text for people."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import typer

from gapwatch.errors import InvalidInput, Problem

__all__ = ["FormatOption", "emit", "number"]

FormatOption = typer.Option("text", "--format", help="text or json (json is what the API returns).")


def emit(doc: Any, fmt: str, text: Callable[[Any], list[str]]) -> str:
    """``doc`` as JSON (sorted keys, the API's shape) or as lines of text."""
    if fmt == "json":
        return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if fmt != "text":
        raise InvalidInput("--format must be text or json", problems=[Problem(f"got '{fmt}'", field="--format")])
    return "\n".join(text(doc)) + "\n"


def number(value: object, digits: int = 2) -> str:
    """A number for a text table ("—" when missing), with thousands separators."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}" if isinstance(value, float | int) else str(value)
