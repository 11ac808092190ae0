"""Entry point of the ``gapwatch`` command.

Every command group lives in its own module exposing a Typer ``app``; they are mounted here. Errors are
handled in one place: a :class:`~gapwatch.errors.GapwatchError` becomes one red line (plus its problems and
a hint) and exit code 1; usage errors exit 2 (Click's convention). A traceback is a bug.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from gapwatch.cli._common import QuickHelpGroup
from gapwatch.errors import GapwatchError, InvalidInput

__all__ = ["app", "main", "report_error"]

app = typer.Typer(
    name="gapwatch",
    cls=QuickHelpGroup,
    help="gapwatch: hold a partnership's plan and data, compute honest statistics, answer its Key "
    "Performance Questions, and publish with small numbers protected.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (module under gapwatch.cli, command name). Each module exposes ``app`` (a Typer group) or, for a
# single command, ``command`` (a function registered under the given name).
_GROUPS: list[tuple[str, str]] = [
    ("framework", "framework"),
    ("stats", "stats"),
    ("users", "users"),
    ("cycle", "cycle"),
    ("kpq", "kpq"),
    ("data", "data"),
    ("report", "report"),
    ("indicator", "indicator"),
    ("gap", "gap"),
    ("initiative", "initiative"),
    ("consultation", "consultation"),
    ("area", "area"),
]
_COMMANDS: list[tuple[str, str]] = [
    ("setup", "init"),
    ("setup", "demo"),
    ("serve", "serve"),
    ("publish", "publish"),
    ("publish", "withdraw"),
    ("dashboard", "dashboard"),
]


def _mount() -> None:
    for module_name, name in _GROUPS:
        module = importlib.import_module(f"gapwatch.cli.{module_name}")
        app.add_typer(module.app, name=name, cls=QuickHelpGroup)
    for module_name, name in _COMMANDS:
        module = importlib.import_module(f"gapwatch.cli.{module_name}")
        app.command(name=name)(getattr(module, name.replace("-", "_") + "_command"))


_mount()

_MAX_PROBLEMS_SHOWN = 50


def report_error(error: GapwatchError, console: Console | None = None) -> None:
    """Print a user-facing error: one red line, then every located problem (first 50), then the hint."""
    console = console or Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(f"[bold red]Error:[/] {error.message}", markup=True)
    if isinstance(error, InvalidInput):
        for problem in error.problems[:_MAX_PROBLEMS_SHOWN]:
            console.print(f"  - {problem}", markup=False)
        extra = len(error.problems) - _MAX_PROBLEMS_SHOWN
        if extra > 0:
            console.print(f"  … and {extra} more problem(s)", markup=False)
    if error.hint:
        console.print(f"[dim]Hint:[/] {error.hint}", markup=True)


def main() -> None:
    """Run the CLI, turning gapwatch errors into a clear message and exit code 1."""
    try:
        app(standalone_mode=True)
    except GapwatchError as error:
        report_error(error)
        sys.exit(1)
