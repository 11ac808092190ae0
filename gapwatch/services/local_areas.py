"""Local areas: define a partnership's own areas (an LCSP, a Community Budgets pilot, a ward cluster) from wards,
LSOAs and districts, and see what each indicator shows for them.

A local area is an explicit area grouping of the framework (one model, not a parallel one): loading a CSV of
``area_code, member_code, member_level`` records a new framework revision, audited, so pages, the API, the CLI
and board reports see it at once and a roll-back is a framework revision like any other. Its figures are
re-aggregated from the members' counts on read (:mod:`gapwatch.analysis.aggregate`, wired into the one
observation frame), never stored.

The file is checked whole before anything is written; each problem names the file, row and field:
an unknown member, a member of the wrong level, a member listed twice, a local area containing itself
(directly or through another), members of two geography vintages of one level (2011 with 2021 LSOAs, 2020
with 2024 wards, as declared in ``member_level``: ``lsoa11``, ``lsoa21``, ``ward20``, ``ward24``), a code
that is already a real area, an unknown parent, and a member outside the stated parent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gapwatch.analysis.aggregate import NOT_REAGGREGATED, REAGGREGATED, LocalArea, local_areas
from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may
from gapwatch.domain.areas import Area, AreaGrouping, AreaLevel, GroupingKind
from gapwatch.domain.framework import Framework, reference_problems
from gapwatch.errors import InvalidInput, NotFound, Problem
from gapwatch.ingest.csvfile import read_csv_table
from gapwatch.ingest.tables import file_sha256
from gapwatch.services._plan import current_plan
from gapwatch.store.areas import read_areas
from gapwatch.store.audit import record_audit
from gapwatch.store.engine import session_scope
from gapwatch.store.frameworks import get_framework, save_framework

__all__ = ["LocalAreaLoad", "LocalAreaView", "load_local_areas", "local_area_view", "local_area_views"]

_LEVELS = {lv.value for lv in AreaLevel}
_REQUIRED = ("area_code", "member_code", "member_level")
_OPTIONAL = ("area_name", "parent_code", "description")
_LEVEL = re.compile(r"(?P<level>district|county|ward|lsoa|group)(?P<year>\d{2}|\d{4})?")


@dataclass
class LocalAreaLoad:
    """What loading a local-areas file did."""

    file: str
    revision: int | None
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    members: int = 0

    def summary(self) -> str:
        """One line for the CLI."""
        what = ", ".join(self.added + self.replaced) or "nothing new"
        rev = f"framework revision {self.revision}" if self.revision is not None else "no change"
        return (
            f"{self.file}: {len(self.added)} local area(s) added, {len(self.replaced)} redefined "
            f"({self.members:,} member(s)): {what} — {rev}"
        )


@dataclass(frozen=True)
class LocalAreaView:
    """A local area as the CLI and API show it: its members and, per indicator, whether it is re-aggregated."""

    id: str
    name: str
    parent: str | None
    parent_name: str | None
    members: list[tuple[str, str, str | None]]
    vintages: dict[str, int]
    description: str | None
    indicators: list[tuple[str, str, str]]


def _known_areas(session: Session, framework: Framework) -> pl.DataFrame:
    """Code, name, level and parent of every known area: the stored geography, and the framework's own areas
    where the store lacks them (the framework fills gaps, never overrides)."""
    cols = ["code", "name", "level", "parent_code"]
    stored = read_areas(session.connection()).select(cols)
    own = pl.DataFrame(
        [(a.id, a.name, a.level.value, a.parent) for a in framework.areas],
        schema=dict.fromkeys(cols, pl.String),
        orient="row",
    )
    return pl.concat([stored, own.filter(~pl.col("code").is_in(stored["code"].implode()))])


def _year(text: str | None) -> int | None:
    if not text:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _ancestors(code: str, parents: dict[str, str | None]) -> set[str]:
    out: set[str] = set()
    node = parents.get(code)
    while node and node not in out and len(out) < 8:
        out.add(node)
        node = parents.get(node)
    return out


def _parse(path: Path) -> tuple[str, pl.DataFrame]:
    raw = read_csv_table(path)
    frame = raw.frame.rename({c: c.strip().lower() for c in raw.frame.columns})
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{raw.file}: missing column(s) {', '.join(repr(c) for c in missing)}",
            problems=[Problem(f"missing column '{c}'", file=raw.file, line=1, field=c) for c in missing],
            hint="A local-areas file has columns area_code, member_code, member_level "
            "[, area_name, parent_code, description]; see docs/local-areas.md.",
        )
    for c in _OPTIONAL:
        if c not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(c))
    frame = frame.with_columns(
        [pl.col(c).str.strip_chars().replace("", None).alias(c) for c in (*_REQUIRED, *_OPTIONAL)]
    )
    return raw.file, frame


def _check(file: str, frame: pl.DataFrame, framework: Framework, known: pl.DataFrame) -> list[Problem]:
    """Every problem of the file, located; empty when it may be written."""
    problems: list[Problem] = []
    levels = dict(zip(known["code"].to_list(), known["level"].to_list(), strict=True))
    parents = dict(zip(known["code"].to_list(), known["parent_code"].to_list(), strict=True))
    groupings = {g.id: g for g in framework.area_groupings}
    defined = set(frame.get_column("area_code").drop_nulls().to_list())
    first_row: dict[tuple[str, str], int] = {}
    vintage_seen: dict[tuple[str, str], tuple[int, int]] = {}
    header: dict[str, dict[str, tuple[str | None, int]]] = {}
    nested: dict[str, list[str]] = {}
    for r in frame.iter_rows(named=True):
        row = int(r["row"])

        def bad(message: str, column: str, row: int = row) -> None:
            problems.append(Problem(message, file=file, line=row, field=column))

        area, member, level_text = r["area_code"], r["member_code"], r["member_level"]
        for column in _REQUIRED:
            if r[column] is None:
                bad(f"'{column}' is empty", column)
        if area is None or member is None or level_text is None:
            continue
        if area in levels:
            bad(f"'{area}' is an existing {levels[area]}: a local area needs a code of its own", "area_code")
        elif area in groupings and groupings[area].kind is not GroupingKind.EXPLICIT:
            bad(f"'{area}' is a {groupings[area].kind.value} grouping, not a local area", "area_code")
        for column in ("area_name", "parent_code", "description"):
            seen = header.setdefault(area, {}).get(column)
            if r[column] is not None and seen is not None and seen[0] != r[column]:
                bad(f"'{r[column]}' differs from '{seen[0]}' given for '{area}' on line {seen[1]}", column)
            elif r[column] is not None and seen is None:
                header[area][column] = (r[column], row)
        match = _LEVEL.fullmatch(level_text.lower())
        if match is None:
            bad(
                f"'{level_text}' is not a member level (ward, lsoa, district or county, optionally with its "
                "boundary year as ONS writes it: ward24, lsoa21; or group for another local area)",
                "member_level",
            )
            continue
        level, year = match["level"], _year(match["year"])
        if member == area:
            bad(f"local area '{area}' cannot contain itself", "member_code")
            continue
        key = (area, member)
        if key in first_row:
            bad(f"'{member}' is listed twice in '{area}' (first on line {first_row[key]})", "member_code")
            continue
        first_row[key] = row
        if level == "group":
            if member not in groupings and member not in defined:
                bad(f"unknown local area '{member}'", "member_code")
            else:
                nested.setdefault(area, []).append(member)
            continue
        if member not in levels:
            bad(f"unknown {level} '{member}' (load the ONS lookup that defines it first)", "member_code")
            continue
        if levels[member] != level:
            bad(f"'{member}' is a {levels[member]}, not a {level}", "member_level")
            continue
        if year is not None:
            before = vintage_seen.get((area, level))
            if before is not None and before[0] != year:
                bad(
                    f"{level} boundaries of {year} mixed with {level} boundaries of {before[0]} (line {before[1]}): "
                    "the members of one local area must share one geography vintage",
                    "member_level",
                )
            elif before is None:
                vintage_seen[(area, level)] = (year, row)
        parent = header.get(area, {}).get("parent_code")
        if parent is not None and parent[0] in levels and parent[0] not in _ancestors(member, parents):
            bad(f"'{member}' does not lie within the parent area '{parent[0]}'", "member_code")
    for columns in header.values():
        parent = columns.get("parent_code")
        if parent is not None and parent[0] not in levels:
            problems.append(
                Problem(f"unknown parent area '{parent[0]}'", file=file, line=parent[1], field="parent_code")
            )
    edges = {g.id: [m for m in g.members if m in groupings] for g in framework.area_groupings}
    edges.update(nested)
    for area in nested:
        stack, visited = list(nested[area]), set[str]()
        while stack:
            node = stack.pop()
            if node == area:
                rows = frame.filter(
                    (pl.col("area_code") == area) & (pl.col("member_level").str.to_lowercase() == "group")
                )
                line = int(rows["row"][0]) if rows.height else None
                problems.append(
                    Problem(
                        f"local area '{area}' contains itself through its member groups",
                        file=file,
                        line=line,
                        field="member_code",
                    )
                )
                break
            if node not in visited:
                visited.add(node)
                stack += edges.get(node, [])
    return problems


def _groupings(frame: pl.DataFrame, framework: Framework) -> list[AreaGrouping]:
    existing = {g.id: g for g in framework.area_groupings}
    names = {a.id: a.name for a in framework.areas}
    out = []
    for area in dict.fromkeys(frame.get_column("area_code").to_list()):
        rows = frame.filter(pl.col("area_code") == area)
        first = {c: rows[c].drop_nulls()[0] if rows[c].drop_nulls().len() else None for c in _OPTIONAL}
        vintages: dict[AreaLevel, int] = {}
        for level_text in rows["member_level"].to_list():
            m = _LEVEL.fullmatch(level_text.lower())
            if m and m["year"] and m["level"] != "group":
                vintages[AreaLevel(m["level"])] = _year(m["year"]) or 0
        old = existing.get(area)
        parent = first["parent_code"] or (old.parent if old else None)
        out.append(
            AreaGrouping(
                id=area,
                name=first["area_name"] or (old.name if old else area),
                kind=GroupingKind.EXPLICIT,
                members=rows["member_code"].to_list(),
                parent=parent,
                vintages=vintages,
                description=first["description"] or (old.description if old else None),
            )
        )
        if parent is not None:
            # its comparator: the rest of the parent (the parent's counts less the local area's), as "rest of Kent"
            out.append(
                AreaGrouping(
                    id=f"{area}-rest",
                    name=f"Rest of {names.get(parent, parent)} outside {out[-1].name}",
                    kind=GroupingKind.REST_OF_PARENT,
                    parent=parent,
                    excluding=[area],
                    description=f"The comparator of local area '{area}', made when it was loaded.",
                )
            )
    return out


def _member_areas(frame: pl.DataFrame, framework: Framework, known: pl.DataFrame) -> list[Area]:
    """The member areas the framework does not list yet, as framework areas (named, with their level and the
    nearest ancestor the framework knows as parent), so the framework stays self-contained: its groupings name
    only areas it holds, and pages can name every member."""
    have = {a.id for a in framework.areas} | {g.id for g in framework.area_groupings}
    rows = {r["code"]: r for r in known.iter_rows(named=True)}
    codes = [c for c in dict.fromkeys(frame.get_column("member_code").to_list()) if c in rows and c not in have]
    adding = set(codes)
    out = []
    for code in codes:
        parent = rows[code]["parent_code"]
        hops = 0
        while parent is not None and parent not in have and parent not in adding and hops < 8:
            parent = rows[parent]["parent_code"] if parent in rows else None
            hops += 1
        level = AreaLevel(rows[code]["level"]) if rows[code]["level"] in _LEVELS else AreaLevel.OTHER
        out.append(Area(id=code, name=rows[code]["name"] or code, level=level, parent=parent))
    return out


def load_local_areas(engine: Engine, path: Path, *, actor: Actor | str | None) -> LocalAreaLoad:
    """Check a local-areas CSV whole and, only if it is sound, store its areas as a new framework revision.

    Areas already defined in the framework under the same code are redefined (their members replaced), others
    added. Needs :attr:`~gapwatch.domain.access.Permission.MANAGE_DATA`; audited in the same transaction.
    """
    who = as_actor(actor) if actor is not None else None
    if who is not None:
        ensure_may(who, Permission.MANAGE_DATA, doing="load local areas")
    file, frame = _parse(path)
    with session_scope(engine) as session:
        framework = get_framework(session)
        known = _known_areas(session, framework)
        problems = _check(file, frame, framework, known)
        if problems:
            raise InvalidInput(
                f"{file}: {len(problems)} problem(s); nothing was written",
                problems=problems,
                hint="See docs/local-areas.md for the file's columns and rules.",
            )
        new = _groupings(frame, framework)
        ids = {g.id for g in new}
        local_ids = {g.id for g in new if g.kind is GroupingKind.EXPLICIT}
        kept = [g for g in framework.area_groupings if g.id not in ids]
        members = _member_areas(frame, framework, known)
        updated = framework.model_copy(update={"area_groupings": kept + new, "areas": list(framework.areas) + members})
        located = reference_problems(updated)
        if located:
            raise InvalidInput(
                f"{file}: the local areas do not fit the framework; nothing was written",
                problems=[Problem(msg, file=file, field=".".join(str(p) for p in where)) for where, msg in located],
            )
        revision, _ = save_framework(
            session, updated, source=str(path), sha256=file_sha256(path), loaded_by=who.username if who else None
        )
        before = {g.id: g.members for g in framework.area_groupings if g.id in ids}
        result = LocalAreaLoad(
            file,
            revision.number if revision is not None else None,
            added=sorted(local_ids - set(before)),
            replaced=sorted(local_ids & set(before)),
            members=sum(len(g.members) for g in new),
        )
        if revision is not None:
            record_audit(
                session,
                who,
                "framework.local_areas",
                f"framework:{framework.id}",
                before or None,
                {"file": file, "revision": result.revision, "areas": {g.id: g.members for g in new}},
            )
    return result


def _view(local: LocalArea, framework: Framework, names: dict[str, str], levels: dict[str, str]) -> LocalAreaView:
    grouping = framework.index("area_groupings")[local.id]
    indicators = [
        (
            ind.id,
            ind.measure.value,
            "re-aggregated from members' counts"
            if ind.measure in REAGGREGATED
            else f"not re-aggregated: {NOT_REAGGREGATED[ind.measure]}",
        )
        for ind in framework.indicators
    ]
    return LocalAreaView(
        id=local.id,
        name=local.name,
        parent=local.parent,
        parent_name=names.get(local.parent or ""),
        members=[(m, names.get(m, m), levels.get(m)) for m in local.members],
        vintages={k.value: v for k, v in grouping.vintages.items()},
        description=grouping.description,
        indicators=indicators,
    )


def local_area_views(session: Session) -> list[LocalAreaView]:
    """Every local area of the current framework with its members (named) and what each indicator does."""
    plan = current_plan(session)
    known = _known_areas(session, plan.framework)
    names = {**dict(zip(known["code"].to_list(), known["name"].to_list(), strict=True)), **plan.areas}
    levels = dict(zip(known["code"].to_list(), known["level"].to_list(), strict=True))
    return [_view(a, plan.framework, names, levels) for a in local_areas(plan.framework)]


def local_area_view(session: Session, area_id: str) -> LocalAreaView:
    """One local area, or :class:`NotFound`."""
    for view in local_area_views(session):
        if view.id == area_id:
            return view
    raise NotFound(f"There is no local area '{area_id}'", hint="`gapwatch area list` shows the local areas.")
