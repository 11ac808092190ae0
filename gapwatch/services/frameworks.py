"""Framework use cases: validate, load (one transaction, recorded as a revision), show, export, diff."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may
from gapwatch.domain.diff import FrameworkDiff, diff_frameworks
from gapwatch.domain.framework import Framework
from gapwatch.errors import InvalidInput, NotFound
from gapwatch.ingest.framework_yaml import (
    LoadedFramework,
    dump_framework_yaml,
    framework_json,
    read_framework,
)
from gapwatch.services._plan import current_plan
from gapwatch.store.audit import record_audit
from gapwatch.store.engine import session_scope
from gapwatch.store.frameworks import get_framework_row, save_framework

__all__ = [
    "BUNDLED",
    "LoadResult",
    "bundled_framework_path",
    "diff_with_database",
    "export_framework",
    "framework_schema",
    "load_framework",
    "partnership_name",
    "stored_framework",
    "validate_framework",
]

#: Frameworks shipped inside the package, by name.
BUNDLED = ("kent",)


def bundled_framework_path(name: str = "kent") -> Path:
    """The folder of a bundled example framework."""
    if name not in BUNDLED:
        raise InvalidInput(f"There is no bundled framework called '{name}'", hint=f"Bundled: {', '.join(BUNDLED)}")
    return Path(__file__).resolve().parent.parent / "frameworks" / name


@dataclass(frozen=True)
class LoadResult:
    """What loading a framework did."""

    framework: Framework
    revision: int | None
    diff: FrameworkDiff


def validate_framework(path: str | Path) -> LoadedFramework:
    """Read and validate a framework file or folder, raising :class:`InvalidInput` with every problem."""
    return read_framework(path)


def load_framework(engine: Engine, path: str | Path, *, loaded_by: Actor | str | None = None) -> LoadResult:
    """Validate then store a framework in one transaction; a framework with any error writes nothing.

    ``loaded_by`` (a name stands for an operator; None for the system) needs
    :attr:`~gapwatch.domain.access.Permission.MANAGE_DATA`; a load that records a revision is audited in the
    same transaction.
    """
    who = as_actor(loaded_by) if loaded_by is not None else None
    if who is not None:
        ensure_may(who, Permission.MANAGE_DATA, doing="load a framework")
    loaded = read_framework(path)
    with session_scope(engine) as session:
        revision, diff = save_framework(
            session, loaded.framework, source=str(path), sha256=loaded.sha256, loaded_by=who.username if who else None
        )
        number = revision.number if revision is not None else None
        if revision is not None:
            change = {"revision": number, "source": str(path), "sha256": loaded.sha256, "changes": diff.summary()}
            record_audit(session, who, "framework.load", f"framework:{loaded.framework.id}", None, change)
    return LoadResult(framework=loaded.framework, revision=number, diff=diff)


def stored_framework(engine: Engine, framework_id: str | None = None) -> Framework:
    """The framework held in the database (the plan cache's copy, validated once per revision: treat it as
    read-only)."""
    with session_scope(engine) as session:
        return current_plan(session, framework_id).framework


def partnership_name(session: Session) -> str:
    """The partnership the latest loaded framework belongs to; :class:`NotFound` when none is loaded."""
    return get_framework_row(session).partnership


def export_framework(framework: Framework, fmt: str) -> str:
    """The framework as ``yaml`` (the file format) or ``json`` (one list per kind, items with ids)."""
    if fmt == "yaml":
        return dump_framework_yaml(framework)
    if fmt == "json":
        return framework_json(framework)
    raise InvalidInput(f"Unknown export format '{fmt}'", hint="Use --format yaml or --format json.")


def framework_schema() -> str:
    """JSON Schema of the framework file format, generated from the domain models."""
    schema = Framework.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gapwatch framework"
    return json.dumps(schema, indent=2)


def diff_with_database(engine: Engine, path: str | Path) -> FrameworkDiff:
    """What loading ``path`` would change in the stored framework of the same id."""
    new = read_framework(path).framework
    try:
        old: Framework | None = stored_framework(engine, new.id)
    except NotFound:  # nothing stored yet: everything is new
        old = None
    return diff_frameworks(old, new)
