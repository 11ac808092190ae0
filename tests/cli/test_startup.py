"""`gapwatch --help` answers fast: the CLI imports heavy modules only inside the commands that use them.

Importing ``gapwatch.cli.main`` (every command group is mounted then) must not import Polars, NumPy, SciPy,
SQLAlchemy, Alembic, FastAPI, the report renderers, pydantic models or any of gapwatch's services, store,
statistics, analysis, queries or reports. Each check runs in a fresh interpreter, where nothing else has
imported them first. The timing itself is measured by ``bench/bench_startup.py``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import typer.main

from gapwatch.cli import users
from gapwatch.cli.main import app
from gapwatch.domain.access import Role

#: Third-party packages that cost tenths of a second to import (data frames, the ORM, the report renderers,
#: models).
HEAVY_PACKAGES = {
    "polars",
    "numpy",
    "scipy",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "weasyprint",
    "docx",
    "altair",
    "pydantic",
}
#: gapwatch's own heavy layers: each pulls in some of the packages above (or pydantic models).
HEAVY_LAYERS = (
    "gapwatch.services",
    "gapwatch.store",
    "gapwatch.stats",
    "gapwatch.analysis",
    "gapwatch.reports",
    "gapwatch.queries",
    "gapwatch.web",
    "gapwatch.ingest",
    "gapwatch.domain",
    "gapwatch.settings",
)

#: Prints, as JSON, the heavy modules loaded after the given statements.
_PROBE = """
import json, sys
{statements}
heavy = sorted(
    m for m in sys.modules
    if m.split(".")[0] in {packages!r} or m.startswith({layers!r})
)
print(json.dumps(heavy))
"""

#: Renders `--help` of the root, every group and every command in one interpreter.
_EVERY_HELP = """
import contextlib, io
import typer.main
from gapwatch.cli.main import app, main

failures = []

def walk(command, path):
    sys.argv = ["gapwatch", *path, "--help"]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        try:
            main()
        except SystemExit as exit:
            if exit.code not in (0, None):
                failures.append(" ".join(path) + f": exit {exit.code}")
    if "Usage" not in out.getvalue():
        failures.append(" ".join(path) + ": no usage line")
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        walk(sub, [*path, name])

walk(typer.main.get_command(app), [])
assert not failures, failures
"""


def _heavy_modules_after(statements: str) -> list[str]:
    script = _PROBE.format(statements=statements, packages=HEAVY_PACKAGES, layers=HEAVY_LAYERS)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_module() -> None:
    assert _heavy_modules_after("import gapwatch.cli.main") == []


def test_every_help_page_imports_no_heavy_module() -> None:
    """No option's default, choice list or callback reaches into a heavy module: every `--help` stays light.

    pydantic included: Typer would import it to check a group's own `--help` flag when a subcommand is
    named (`gapwatch stats --help`) but for :class:`~gapwatch.cli._common.QuickHelpGroup`.
    """
    assert _heavy_modules_after(_EVERY_HELP) == []


def test_help_lists_every_command_group() -> None:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, "-c", "from gapwatch.cli.main import main; main()", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = set(re.findall(r"^│ (\S+) ", done.stdout, flags=re.MULTILINE)) - {"--help"}
    groups = {"framework", "stats", "users", "cycle", "kpq", "data", "report", "indicator", "gap", "initiative"}
    commands = {"init", "demo", "serve", "publish", "withdraw", "dashboard"}
    mounted = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert groups | commands <= mounted
    assert listed == mounted, done.stdout


def test_the_roles_in_users_help_are_the_domains_roles() -> None:
    """`gapwatch users add --role` states the roles without importing the domain; they must stay the same."""
    assert tuple(role.value for role in Role) == users.ROLES
