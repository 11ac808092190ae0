"""Comparator use cases: load a statistical neighbour file into the framework, list the groups, and compare
an indicator in an area with a comparator group, England and the area's region.

Loaded groups become part of the stored framework (a new, audited framework revision), so a group defined in a
framework file and a group loaded from the DfE file are the same kind of thing everywhere: one list, one choice
on every page. Loading a framework file again replaces the framework, loaded groups included; load the
neighbour file again afterwards (or export the framework, which carries them).

The numbers themselves come from :func:`gapwatch.analysis.comparators.compare_with_comparators`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
from pydantic import ValidationError
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from gapwatch.analysis.comparators import BENCHMARK_KINDS, ComparatorResult, compare_with_comparators
from gapwatch.analysis.series import until
from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may
from gapwatch.domain.comparators import ComparatorGroup, ComparatorKind, groups_for_area
from gapwatch.domain.framework import Framework, SourceDocument, reference_problems
from gapwatch.errors import InvalidInput, NotFound, Problem
from gapwatch.ingest.comparators import la_name_key, read_statistical_neighbours
from gapwatch.ingest.tables import file_sha256
from gapwatch.services._obsframe import cached, headline_area, observation_frame, with_intervals
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services.areas import area_table
from gapwatch.store.audit import record_audit
from gapwatch.store.engine import session_scope
from gapwatch.store.frameworks import get_framework, save_framework

__all__ = [
    "ENGLAND",
    "ComparatorLoadReport",
    "ComparatorView",
    "GroupListing",
    "comparator_view",
    "list_comparator_groups",
    "load_comparators_file",
]

ENGLAND = "E92000001"
#: GSS prefixes of upper-tier authorities: unitary (E06), metropolitan (E08) and London (E09) boroughs, counties.
_UPPER_TIER = ("E06", "E08", "E09", "E10")


@dataclass
class ComparatorLoadReport:
    """What loading a neighbour file did."""

    file: str
    groups: int
    revision: int | None
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI."""
        rev = f" (framework revision {self.revision})" if self.revision else " (no change)"
        return f"{self.file}: {self.groups} comparator group(s) loaded{rev}"


@dataclass(frozen=True)
class GroupListing:
    """A comparator group as the list shows it: members with names, and whether the store knows each."""

    id: str
    name: str
    kind: str
    area: str | None
    area_name: str | None
    members: list[tuple[str, str, bool]]
    source: str | None


def _known_areas(conn: Connection, framework: Framework) -> pl.DataFrame:
    """Code, name, level, parent, former names and end year of every area: the store's, the framework's filling
    gaps (the one rule of :func:`gapwatch.services.areas.area_table`)."""
    return area_table(conn, framework).select("code", "name", "level", "parent_code", "former_names", "end_year")


def _doc_id(file: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", Path(file).stem).strip("-").lower()
    return f"comparators-{stem}"[:80]


def load_comparators_file(
    engine: Engine, path: str | Path, *, loaded_by: Actor | str | None = None, only: list[str] | None = None
) -> ComparatorLoadReport:
    """Load a DfE statistical neighbour file into the stored framework, in one transaction (audited).

    Each authority's DfE number is mapped to its GSS code by name against the upper-tier areas the store knows
    (ONS lookups; see :func:`~gapwatch.ingest.comparators.la_name_key`). Any authority whose name matches no
    area, or matches two, is refused with its line and field, and nothing is written. ``only`` keeps the groups
    of those areas (GSS codes). A group equal to one the framework already has is skipped and named.
    """
    who = as_actor(loaded_by) if loaded_by is not None else None
    if who is not None:
        ensure_may(who, Permission.MANAGE_DATA, doing="load comparator groups")
    parsed = read_statistical_neighbours(path)
    basename = Path(path).name
    with session_scope(engine) as session:
        framework = get_framework(session)
        areas = _known_areas(session.connection(), framework)
        upper = areas.filter(pl.col("code").str.slice(0, 3).is_in(list(_UPPER_TIER)))
        if upper.is_empty():
            raise InvalidInput(
                f"{parsed.file}: the store knows no upper-tier local authorities to match the file's names against",
                hint="Load the ONS lookup first: `gapwatch data areas load lookup_ltla21_utla21.csv`.",
            )
        by_key: dict[str, set[str]] = {}
        names: dict[str, str] = {}
        for row in upper.iter_rows(named=True):
            names[row["code"]] = row["name"]
            for nm in [row["name"], *(row["former_names"] or [])]:
                by_key.setdefault(la_name_key(nm), set()).add(row["code"])
        problems: list[Problem] = []
        code_of: dict[str, str] = {}
        # Abolished authorities (Buckinghamshire county E10000002 before 2020) share names with their successors:
        # a name matching a current and an abolished area means the current one.
        ended = set(upper.filter(pl.col("end_year").is_not_null())["code"].to_list())
        for r in parsed.rows:
            found = by_key.get(la_name_key(r.name), set())
            if len(found) > 1 and len(found - ended) == 1:
                found = found - ended
            if len(found) == 1:
                code_of[r.number] = next(iter(found))
                continue
            matches = f"several areas ({', '.join(sorted(found))})" if found else "no upper-tier area the store knows"
            problems.append(
                Problem(f"LA {r.number} '{r.name}' matches {matches}", file=parsed.file, line=r.line, field="LA Name")
            )
        if problems:
            count = len(problems)
            raise InvalidInput(
                f"{parsed.file}: {count} authorit{'ies' if count != 1 else 'y'} could not be matched to a GSS code; "
                "nothing was loaded",
                problems=problems,
                hint="Load England's geography (ONS lookups) so every authority is known, then load the file again.",
            )
        doc = next((d for d in framework.documents if d.file == basename), None)
        documents = list(framework.documents)
        if doc is None:
            doc = SourceDocument(
                id=_doc_id(basename), title=f"Statistical neighbour groupings ({basename})", file=basename
            )
            documents.append(doc)
        mine = {g.id for g in framework.comparator_groups if g.source is not None and g.source.document == doc.id}
        mine = {g for g in mine if g.startswith("sn-")}
        kept = [g for g in framework.comparator_groups if g.id not in mine]
        existing = {(g.area, frozenset(g.members)): g.id for g in kept}
        wanted = set(only) if only else None
        new: list[ComparatorGroup] = []
        skipped: list[str] = []
        for r in parsed.rows:
            code = code_of[r.number]
            if wanted is not None and code not in wanted:
                continue
            members = [code_of[n] for n, _band, _col in r.neighbours]
            same = existing.get((code, frozenset(members)))
            if same is not None:
                skipped.append(f"{r.name}: already in the framework as '{same}'")
                continue
            new.append(
                ComparatorGroup(
                    id=f"sn-{code}",
                    name=f"{names.get(code, r.name)}'s statistical neighbours ({basename})",
                    kind=ComparatorKind.STATISTICAL_NEIGHBOURS,
                    area=code,
                    members=members,
                    closeness=[band or "" for _n, band, _col in r.neighbours]
                    if all(b for _n, b, _c in r.neighbours)
                    else [],
                    source={"document": doc.id, "section": f"line {r.line}, LA number {r.number} ({r.name})"},
                )
            )
        if wanted is not None:
            unknown = sorted(wanted - set(code_of.values()))
            if unknown:
                raise InvalidInput(
                    f"{parsed.file}: no row for {', '.join(unknown)}",
                    problems=[Problem(f"'{c}' is not an authority of the file", field="only") for c in unknown],
                )
        try:
            updated = Framework.model_validate(
                {
                    **framework.model_dump(),
                    "documents": [d.model_dump() for d in documents],
                    "comparator_groups": [g.model_dump() for g in [*kept, *new]],
                }
            )
        except ValidationError as exc:  # pragma: no cover - the groups were built valid
            raise InvalidInput(f"{parsed.file}: the groups are not valid ({exc.error_count()} problems)") from exc
        refs = [m for loc, m in reference_problems(updated) if loc and loc[0] == "comparator_groups"]
        if refs:
            raise InvalidInput(f"{parsed.file}: nothing was loaded", problems=[Problem(m) for m in refs])
        revision, diff = save_framework(
            session, updated, source=str(path), sha256=file_sha256(Path(path)), loaded_by=who.username if who else None
        )
        number = revision.number if revision is not None else None
        if revision is not None:
            record_audit(
                session,
                who,
                "comparators.load",
                f"framework:{updated.id}",
                None,
                {"revision": number, "source": str(path), "groups": len(new), "changes": diff.summary()},
            )
    return ComparatorLoadReport(parsed.file, len(new), number, skipped, parsed.warnings)


def list_comparator_groups(session: Session, *, area: str | None = None) -> list[GroupListing]:
    """Every comparator group of the framework (or those usable for ``area``), members named from the store."""
    plan = current_plan(session)
    areas = _known_areas(session.connection(), plan.framework)
    names = dict(zip(areas["code"].to_list(), areas["name"].to_list(), strict=True))
    groups = groups_for_area(plan.framework.comparator_groups, area) if area else plan.framework.comparator_groups
    return [
        GroupListing(
            g.id,
            g.name,
            g.kind.value,
            g.area,
            names.get(g.area) if g.area else None,
            [(m, names.get(m, m), m in names) for m in g.members],
            g.source.document if g.source else None,
        )
        for g in groups
    ]


@dataclass(frozen=True)
class ComparatorView:
    """The comparison the pages, the API and the CLI show, with the groups a user can choose from."""

    result: ComparatorResult
    choices: list[tuple[str, str]]  #: (group id, name) usable for the area
    colour_choices: tuple[str, ...] = BENCHMARK_KINDS
    notes: list[str] = field(default_factory=list)


def _region_of(areas: pl.DataFrame, code: str) -> str | None:
    """The region above ``code``, walking parents (None when the store does not know the chain)."""
    parents = dict(zip(areas["code"].to_list(), areas["parent_code"].to_list(), strict=True))
    levels = dict(zip(areas["code"].to_list(), areas["level"].to_list(), strict=True))
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current not in seen:
        seen.add(current)
        if levels.get(current) == "region" and current != code:
            return current
        current = parents.get(current)
    return None


def comparator_view(
    session: Session,
    indicator_id: str,
    *,
    area: str | None = None,
    group: str | None = None,
    colour_against: str = "group",
    cutoff: date | None = None,
) -> ComparatorView:
    """``indicator_id`` in ``area`` against comparator ``group`` (optional), England and the area's region."""
    plan = current_plan(session)
    ind = plan.indicators.get(indicator_id)
    if ind is None:
        raise NotFound(f"There is no indicator '{indicator_id}' in the plan")
    if colour_against not in BENCHMARK_KINDS:
        raise InvalidInput(
            f"There is no benchmark '{colour_against}' to colour against",
            problems=[Problem(f"choose one of: {', '.join(BENCHMARK_KINDS)}", field="colour")],
        )
    key = ("comparator_view", indicator_id, area, group, colour_against, cutoff)
    return cached(session, plan, key, lambda: _view(session, plan, indicator_id, area, group, colour_against, cutoff))


def _view(
    session: Session,
    plan: Plan,
    indicator_id: str,
    area: str | None,
    group_id: str | None,
    colour_against: str,
    cutoff: date | None,
) -> ComparatorView:
    ind = plan.indicators[indicator_id]
    df = until(with_intervals(observation_frame(session, plan, [ind.id]), ind), cutoff)
    chosen = area or headline_area(plan, df)
    groups = {g.id: g for g in plan.framework.comparator_groups}
    group = None
    if group_id is not None:
        group = groups.get(group_id)
        if group is None:
            known = ", ".join(groups) or "none: the framework has no comparator groups"
            raise InvalidInput(
                f"There is no comparator group '{group_id}'",
                problems=[Problem(f"choose one of: {known}", field="comparator")],
                hint="List them with `gapwatch data comparators list`.",
            )
    areas = _known_areas(session.connection(), plan.framework)
    names = dict(zip(areas["code"].to_list(), areas["name"].to_list(), strict=True))
    names.update(plan.areas)
    choices = [(g.id, g.name) for g in groups_for_area(plan.framework.comparator_groups, chosen)]
    if chosen is None:
        raise NotFound(f"There are no data for {ind.code} to compare")
    region = _region_of(areas, chosen)
    result = compare_with_comparators(
        df, ind, chosen, group=group, england=ENGLAND, region=region, names=names, colour_against=colour_against
    )
    notes: list[str] = []
    if group is not None:
        present = set(df.filter(pl.col("value").is_not_null()).get_column("area").unique().to_list())
        with_data = [m for m in group.members if m in present]
        unknown = [m for m in group.members if m not in names]
        if not with_data:
            notes.append(
                f"The store holds no {ind.code} data for any of {group.name}: import a national or regional file "
                "(for example a Fingertips County & UA export or a DfE local authority file) to compare with them"
            )
        if unknown:
            notes.append(
                f"{len(unknown)} member(s) of {group.name} are not areas the store knows ({', '.join(unknown)}): "
                "load England's geography (`gapwatch data areas load`)"
            )
        if group.area is not None and group.area != chosen:
            notes.append(
                f"{group.name} are the comparators of {names.get(group.area, group.area)}, "
                f"not of {names.get(chosen, chosen)}"
            )
    elif not choices:
        notes.append("The framework has no comparator group for this area (see `gapwatch data comparators load`)")
    return ComparatorView(result=result, choices=choices, notes=notes)
