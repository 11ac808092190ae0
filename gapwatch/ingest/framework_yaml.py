"""Framework files: YAML (one file or a folder of them) to a validated :class:`Framework`, and back.

Every problem is reported at once, each located by file and line: the YAML is composed to nodes first
so that each value's position is known, then validated by the domain models, then checked as a whole
(references, duplicates). A malformed or unreadable file is a problem like any other, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gapwatch.domain.framework import KINDS, Framework, reference_problems
from gapwatch.errors import InvalidInput, Problem

__all__ = ["LoadedFramework", "dump_framework_yaml", "framework_dict", "framework_json", "read_framework"]

Loc = tuple[str | int, ...]

#: Bounds on a framework file, so that a crafted one cannot exhaust memory or time: the bundled Kent
#: framework is 0.35 MB in 13 files, about 40,000 values once its aliases are expanded, nested 8 deep.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_VALUES = 1_000_000
MAX_DEPTH = 64


class _TooBig(Exception):
    """Raised inside the walk when a file expands beyond :data:`MAX_VALUES` or nests beyond :data:`MAX_DEPTH`."""


@dataclass
class LoadedFramework:
    """A framework read from files, with the files' combined SHA-256 and their names."""

    framework: Framework
    files: list[Path]
    sha256: str
    locations: dict[Loc, tuple[str, int]] = field(default_factory=dict, repr=False)


class _Walker:
    """Records the file and line of every value in a YAML node tree, keyed by its path."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.locations: dict[Loc, tuple[str, int]] = {}
        self.problems: list[Problem] = []
        self.values = 0

    def walk(self, node: yaml.Node, path: Loc) -> None:
        # Aliases make the node tree a graph: walking it counts every value as the loaded data will hold
        # it, so an alias bomb ("billion laughs") is stopped after MAX_VALUES steps, not after exhausting memory.
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooBig(f"the file expands to more than {MAX_VALUES:,} values (through YAML aliases or size)")
        if len(path) > MAX_DEPTH:
            raise _TooBig(f"values are nested more than {MAX_DEPTH} deep")
        self.locations[path] = (self.file, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value
                line = key_node.start_mark.line + 1
                if key in seen:
                    self.problems.append(
                        Problem(f"duplicate key '{key}' (first at line {seen[key]})", file=self.file, line=line)
                    )
                seen[key] = line
                self.walk(value_node, (*path, key))
                self.locations[(*path, key)] = (self.file, line)
        elif isinstance(node, yaml.SequenceNode):
            for i, child in enumerate(node.value):
                self.walk(child, (*path, i))


#: libyaml's safe loader when PyYAML was built with it (~10x faster on the bundled framework's 17 files), else
#: the pure-Python one; both refuse Python tags and report the same line marks.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
        if not files:
            raise InvalidInput(
                f"{path}: the folder holds no .yaml files",
                hint="A framework is a YAML file or a folder of them.",
            )
        return files
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder")
    return [path]


def _read_one(file: Path, problems: list[Problem]) -> tuple[Any, _Walker | None, bytes]:
    name = str(file)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    f"the file is {size / 1024 / 1024:,.1f} MB; a framework file may be at most "
                    f"{MAX_FILE_BYTES // 1024 // 1024} MB (split it into several files in one folder)",
                    file=name,
                )
            )
            return None, None, b""
        raw = file.read_bytes()
    except OSError as exc:
        problems.append(Problem(f"cannot read the file ({exc.strerror or exc})", file=name))
        return None, None, b""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem("the file is not UTF-8 text (save it as UTF-8)", file=name, line=line))
        return None, None, raw
    try:
        loader = _LOADER(text)  # a safe loader (libyaml's when present): parsed once, built from the same nodes
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc)
        if "maximum nesting depth" in what:  # libyaml's own limit (1,000 levels), met before ours is checked
            problems.append(Problem(f"values are nested more than {MAX_DEPTH} deep", file=name, line=line))
            return None, None, raw
        problems.append(Problem(f"not valid YAML: {what}", file=name, line=line))
        return None, None, raw
    except yaml.YAMLError as exc:
        problems.append(Problem(f"not valid YAML: {exc}", file=name))
        return None, None, raw
    except RecursionError:
        problems.append(Problem(f"values are nested more than {MAX_DEPTH} deep", file=name))
        return None, None, raw
    walker = _Walker(name)
    if node is not None:
        try:
            walker.walk(node, ())
        except (_TooBig, RecursionError) as exc:
            what = str(exc) if isinstance(exc, _TooBig) else f"values are nested more than {MAX_DEPTH} deep"
            problems.append(Problem(what, file=name))
            return None, None, raw
    problems.extend(walker.problems)
    if data is None:
        return {}, walker, raw
    if not isinstance(data, dict):
        problems.append(
            Problem("a framework file must be a mapping of keys (id, name, outcomes: …)", file=name, line=1)
        )
        return None, None, raw
    return data, walker, raw


def _merge(
    parts: list[tuple[dict[str, Any], _Walker]], problems: list[Problem]
) -> tuple[dict[str, Any], dict[Loc, tuple[str, int]]]:
    merged: dict[str, Any] = {}
    locations: dict[Loc, tuple[str, int]] = {}
    scalar_from: dict[str, tuple[str, int]] = {}
    for data, walker in parts:
        offsets: dict[str, int] = {}
        for key, value in data.items():
            where = walker.locations.get((key,), (walker.file, 1))
            if isinstance(value, list):
                offsets[key] = len(merged.get(key, []))
                existing = merged.setdefault(key, [])
                if not isinstance(existing, list):
                    problems.append(
                        Problem(
                            f"'{key}' is a list here but not in {scalar_from[key][0]}",
                            file=where[0],
                            line=where[1],
                        )
                    )
                    continue
                existing.extend(value)
            else:
                if key in merged:
                    first = scalar_from.get(key, ("another file", 0))
                    problems.append(
                        Problem(
                            f"'{key}' is given twice (also in {first[0]} line {first[1]})",
                            file=where[0],
                            line=where[1],
                        )
                    )
                    continue
                merged[key] = value
                scalar_from[key] = where
        for loc, where in walker.locations.items():
            if loc and loc[0] in offsets and len(loc) > 1 and isinstance(loc[1], int):
                locations[(loc[0], loc[1] + offsets[loc[0]], *loc[2:])] = where
            else:
                locations.setdefault(loc, where)
    return merged, locations


def _locate(loc: Loc, locations: dict[Loc, tuple[str, int]], fallback: str) -> tuple[str, int | None]:
    for n in range(len(loc), -1, -1):
        where = locations.get(loc[:n])
        if where is not None:
            return where
    return fallback, None


def _describe(loc: Loc) -> str:
    parts: list[str] = []
    for piece in loc:
        if isinstance(piece, int):
            parts.append(f"[{piece + 1}]")
        else:
            parts.append(("." if parts else "") + str(piece))
    return "".join(parts)


def _item_label(data: dict[str, Any], loc: Loc) -> str:
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        items = data.get(loc[0])
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            item_id = items[loc[1]].get("id")
            if item_id is not None:
                rest = _describe(loc[2:])
                return f"{loc[0]} '{item_id}'" + (f", {rest}" if rest else "")
    return _describe(loc)


def _pydantic_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling)"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "string_pattern_mismatch":
        return "ids may hold only letters, digits and . _ : - (no spaces)"
    return msg[0].lower() + msg[1:] if msg else msg


def read_framework(path: str | Path) -> LoadedFramework:
    """Read and fully validate a framework file or folder; raise :class:`InvalidInput` listing every problem."""
    root = Path(path)
    files = _files(root)
    problems: list[Problem] = []
    parts: list[tuple[dict[str, Any], _Walker]] = []
    digest = hashlib.sha256()
    total = sum(f.stat().st_size for f in files if f.is_file())
    if total > MAX_TOTAL_BYTES:
        raise InvalidInput(
            f"{root}: the framework's files come to {total / 1024 / 1024:,.1f} MB, more than the limit of "
            f"{MAX_TOTAL_BYTES // 1024 // 1024} MB",
            problems=[Problem("the framework is too large", file=str(root))],
        )
    for file in files:
        data, walker, raw = _read_one(file, problems)
        digest.update(file.name.encode() + b"\0" + raw)
        if data is not None and walker is not None:
            parts.append((data, walker))
    merged, locations = _merge(parts, problems)
    fallback = str(files[0])
    framework: Framework | None = None
    if not problems:
        try:
            framework = Framework.model_validate(merged)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
                file, line = _locate(loc, locations, fallback)
                problems.append(
                    Problem(f"{_item_label(merged, loc)}: {_pydantic_message(dict(err))}", file=file, line=line)
                )
    if framework is not None:
        for loc, message in reference_problems(framework):
            file, line = _locate(loc, locations, fallback)
            problems.append(Problem(f"{_item_label(merged, loc)}: {message}", file=file, line=line))
    if problems or framework is None:
        problems.sort(key=lambda p: (p.file or "", p.line or 0))
        count = len(problems)
        raise InvalidInput(
            f"{root}: the framework has {count} problem{'s' if count != 1 else ''}",
            problems=problems,
            hint="Fix the lines listed, then run `gapwatch framework validate` again.",
        )
    return LoadedFramework(framework=framework, files=files, sha256=digest.hexdigest(), locations=locations)


def framework_dict(framework: Framework) -> dict[str, Any]:
    """The framework as plain data in file order, leaving out fields that hold their defaults."""
    data = framework.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("schema_version", framework.schema_version)
    ordered: dict[str, Any] = {}
    for key in ("schema_version", "id", "name", "partnership", "description", "documents", "vision", *KINDS):
        if key in data:
            ordered[key] = data[key]
    return ordered


def dump_framework_yaml(framework: Framework) -> str:
    """The framework file format: loading the result gives an equal framework."""
    header = "# gapwatch framework file (exported); see `gapwatch framework schema` for the format.\n"
    return header + yaml.safe_dump(framework_dict(framework), sort_keys=False, allow_unicode=True, width=110)


def framework_json(framework: Framework) -> str:
    """The framework as JSON: one top-level list per kind, each item with its id and parent ids."""
    full = framework.model_dump(mode="json")
    header = {k: full[k] for k in ("schema_version", "id", "name", "partnership", "description", "documents", "vision")}
    body = {"framework": header, **{kind: full[kind] for kind in KINDS}}
    return json.dumps(body, indent=2, ensure_ascii=False)
