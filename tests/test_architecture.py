"""Dependencies point inwards: domain and stats are pure; services do not know the web or the CLI; the shells
(web, CLI, reports) reach the database only through services; no package reaches into another's private
(``_``-named) modules."""

from __future__ import annotations

import ast
import sys
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
    "queries": ["gapwatch.web", "gapwatch.cli", "gapwatch.reports", "gapwatch.store", "fastapi", "starlette", "typer"],
}

#: What the pure analysis core may import: the domain, the statistics, and libraries that touch no I/O.
ANALYSIS_ALLOWED = ("gapwatch.analysis", "gapwatch.domain", "gapwatch.stats", "gapwatch.errors")


#: The shells: they parse, call services and format; they never touch the store themselves.
SHELLS = ("web", "cli", "reports")


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def module_of(path: Path) -> str:
    """``gapwatch/web/routes/data.py`` -> ``gapwatch.web.routes.data`` (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[str]:
    """Every module ``path`` imports, anywhere in it (functions too), with ``from X import y`` also giving
    ``X.y`` (``y`` may be a module) and relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_of(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(x for x in (base, node.module or "") if x)
            names.append(module)
            names.extend(f"{module}.{alias.name}" for alias in node.names)
    return names


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "node_modules" not in p.parts)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_inwards(layer: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in imports_of(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_analysis_imports_only_the_domain_and_the_statistics() -> None:
    """The one place numbers are decided knows nothing of databases, the web or the command line."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted((PACKAGE / "analysis").rglob("*.py"))
        for name in imported_modules(path)
        if (name == "gapwatch" or name.startswith("gapwatch."))
        and not any(name == ok or name.startswith(ok + ".") for ok in ANALYSIS_ALLOWED)
        or name.split(".")[0] in ("sqlalchemy", "fastapi", "starlette", "typer", "rich", "jinja2", "httpx")
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("shell", SHELLS)
def test_shells_do_not_import_the_store(shell: str) -> None:
    """Use cases live in services: a shell that needs data or a transaction asks a service for it."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted((PACKAGE / shell).rglob("*.py"))
        for name in imported_modules(path)
        if name == "gapwatch.store" or name.startswith("gapwatch.store.")
    ]
    assert not offenders, "\n".join(sorted(set(offenders)))


def private_module_owner(name: str) -> str | None:
    """The package owning the first ``_``-named module in dotted ``name`` (None when there is none)."""
    parts = name.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def test_no_module_imports_another_packages_private_module() -> None:
    """A ``_``-named module is its package's own business: other packages use the package's public modules."""
    offenders = []
    for path in _modules():
        importer = module_of(path)
        for name in imported_modules(path):
            owner = private_module_owner(name)
            if name.startswith("gapwatch.") and owner and not (importer + ".").startswith(owner + "."):
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not offenders, "\n".join(sorted(set(offenders)))


def test_the_import_rules_catch_what_they_should(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks above see ``from X import _y``, imports inside functions and relative imports."""
    assert private_module_owner("gapwatch.services._plan.current_plan") == "gapwatch.services"
    assert private_module_owner("gapwatch.web.routes._pages") == "gapwatch.web.routes"
    assert private_module_owner("gapwatch.services.plans") is None
    assert private_module_owner("gapwatch.__init__") is None
    fake = tmp_path / "gapwatch" / "web" / "routes" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(
        "from . import _pages\nfrom ..deps import require\n\n\n"
        "def f():\n    from gapwatch.store.engine import session_scope\n    from gapwatch.services import _plan\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "gapwatch")
    assert set(imported_modules(fake)) >= {
        "gapwatch.web.routes._pages",
        "gapwatch.web.deps.require",
        "gapwatch.store.engine",
        "gapwatch.services._plan",
    }
