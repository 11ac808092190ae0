"""The root of a partnership's performance framework, and the checks that span its parts.

Items are held in one flat list per kind, each with a stable id and references to its parents by id,
so that the framework file, the JSON export and the database all share one shape. Field validation
lives on each model; :func:`reference_problems` finds what only the whole framework can see (unknown
references, duplicate ids), each located by a path such as ``("actions", 37, "outcome")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from gapwatch.domain._base import Item, ItemId, Model, Source, Text
from gapwatch.domain.areas import LEVEL_RANK, Area, AreaGrouping
from gapwatch.domain.comparators import ComparatorGroup, comparator_group_problems
from gapwatch.domain.consultations import Consultation
from gapwatch.domain.evidence import InformationSource, PlanObservation, Risk, Study
from gapwatch.domain.facts import Fact
from gapwatch.domain.groups import CategoryType
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.initiatives import Initiative
from gapwatch.domain.partnership import Board, DeliveryPlan, Organisation, Person
from gapwatch.domain.plan import (
    Action,
    Ambition,
    Enabler,
    Kpq,
    Outcome,
    Plan,
    Principle,
    Priority,
    Vision,
)
from gapwatch.domain.targets import Target, TargetKind

__all__ = ["KINDS", "Framework", "Path", "SourceDocument", "area_members", "reference_problems"]

Path = tuple[str | int, ...]


class SourceDocument(Model):
    """A document the framework was transcribed from."""

    id: ItemId
    title: Text
    file: str | None = None
    year: int | None = None
    publisher: str | None = None


#: The kinds of item, in the order they are exported (one top-level list each).
KINDS: tuple[str, ...] = (
    "plans",
    "principles",
    "information_sources",
    "ambitions",
    "kpqs",
    "priorities",
    "outcomes",
    "enablers",
    "actions",
    "indicators",
    "targets",
    "areas",
    "area_groupings",
    "comparator_groups",
    "groups",
    "organisations",
    "people",
    "boards",
    "delivery_plans",
    "risks",
    "evidence",
    "initiatives",
    "consultations",
    "observations",
    "facts",
)


class Framework(Model):
    """A partnership's whole performance framework."""

    schema_version: int = Field(default=1, ge=1, le=1)
    id: ItemId
    name: Text
    partnership: Text
    description: str | None = None
    documents: list[SourceDocument] = Field(default_factory=list)
    vision: Vision | None = None
    plans: list[Plan] = Field(default_factory=list)
    principles: list[Principle] = Field(default_factory=list)
    information_sources: list[InformationSource] = Field(default_factory=list)
    ambitions: list[Ambition] = Field(default_factory=list)
    kpqs: list[Kpq] = Field(default_factory=list)
    priorities: list[Priority] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    enablers: list[Enabler] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    areas: list[Area] = Field(default_factory=list)
    area_groupings: list[AreaGrouping] = Field(default_factory=list)
    comparator_groups: list[ComparatorGroup] = Field(default_factory=list)
    groups: list[CategoryType] = Field(default_factory=list)
    organisations: list[Organisation] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    boards: list[Board] = Field(default_factory=list)
    delivery_plans: list[DeliveryPlan] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    evidence: list[Study] = Field(default_factory=list)
    initiatives: list[Initiative] = Field(default_factory=list)
    consultations: list[Consultation] = Field(default_factory=list)
    observations: list[PlanObservation] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list, description="Context facts about the area, with sources.")

    def items(self, kind: str) -> list[Item]:
        """The items of one kind (a name from :data:`KINDS`)."""
        if kind not in KINDS:
            raise KeyError(kind)
        items: list[Item] = getattr(self, kind)
        return items

    def index(self, kind: str) -> dict[str, Any]:
        """Items of one kind by id."""
        return {item.id: item for item in self.items(kind)}

    def count(self) -> dict[str, int]:
        """How many items of each kind."""
        return {kind: len(self.items(kind)) for kind in KINDS}

    def category_ids(self) -> set[str]:
        """Every category id across all category types."""
        return {c.id for g in self.groups for c in g.categories}

    def source_documents(self) -> Iterator[Source]:
        """Every source citation in the framework (for provenance checks)."""
        for kind in KINDS:
            for item in self.items(kind):
                if item.source is not None:
                    yield item.source


_SINGULAR = {
    "people": "person",
    "priorities": "priority",
    "evidence": "study",
    "groups": "category type",
    "area_groupings": "area grouping",
    "comparator_groups": "comparator group",
    "delivery_plans": "delivery plan",
    "kpqs": "KPQ",
}


def _dupes(framework: Framework) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    for kind in KINDS:
        seen: dict[str, int] = {}
        for i, item in enumerate(framework.items(kind)):
            if item.id in seen:
                out.append(
                    (
                        (kind, i, "id"),
                        f"duplicate id '{item.id}' in {kind} (first used by item {seen[item.id] + 1})",
                    )
                )
            else:
                seen[item.id] = i
    seen_docs: set[str] = set()
    for i, doc in enumerate(framework.documents):
        if doc.id in seen_docs:
            out.append((("documents", i, "id"), f"duplicate document id '{doc.id}'"))
        seen_docs.add(doc.id)
    codes: dict[str, int] = {}
    for i, ind in enumerate(framework.indicators):
        if ind.code in codes:
            out.append((("indicators", i, "code"), f"duplicate indicator code '{ind.code}'"))
        codes.setdefault(ind.code, i)
    # A publisher's breakdown name must lead to one category type only (imports match by name or alias).
    named: dict[str, str] = {}
    for i, group in enumerate(framework.groups):
        for label in sorted(group.labels()):
            first = named.setdefault(label, group.id)
            if first != group.id:
                out.append((("groups", i, "aliases"), f"name or alias '{label}' is already category type '{first}'"))
    return out


def _consultation_reference(
    framework: Framework, base: Path, consultation: str | None, question: str | None, option: str | None
) -> list[tuple[Path, str]]:
    """A KPQ's ``consultation`` evidence must name a question of that consultation and one of its options."""
    found = framework.index("consultations").get(consultation or "") if consultation else None
    if found is None or question is None:
        return []
    q = next((x for x in found.questions if x.id == question), None)
    if q is None:
        return [((*base, "question"), f"'{question}' is not a question of consultation '{consultation}'")]
    if option is not None and option not in {o.id for o in q.options}:
        return [((*base, "option"), f"'{option}' is not an option of question '{question}'")]
    return []


def reference_problems(framework: Framework) -> list[tuple[Path, str]]:
    """Problems only the whole framework can show: duplicates and references to unknown items.

    Returns ``(path, message)`` pairs; the path locates the offending field so callers can map it
    to a file and line.
    """
    problems = _dupes(framework)
    ids = {kind: set(framework.index(kind)) for kind in KINDS}
    categories = framework.category_ids()
    area_like = ids["areas"] | ids["area_groupings"]

    def check(path: Path, value: str | None, kind: str, *, also: set[str] | None = None) -> None:
        if value is None:
            return
        if value in ids[kind] or (also is not None and value in also):
            return
        singular = _SINGULAR.get(kind, kind.rstrip("s").replace("_", " "))
        problems.append((path, f"unknown {singular} '{value}'"))

    def check_all(path: Path, values: list[str], kind: str, *, also: set[str] | None = None) -> None:
        for j, value in enumerate(values):
            check((*path, j), value, kind, also=also)

    for i, cons in enumerate(framework.consultations):
        check_all(("consultations", i, "kpqs"), cons.kpqs, "kpqs")
        for j, q in enumerate(cons.questions):
            check_all(("consultations", i, "questions", j, "kpqs"), q.kpqs, "kpqs")
    for i, kpq in enumerate(framework.kpqs):
        check(("kpqs", i, "ambition"), kpq.ambition, "ambitions")
        for j, ev in enumerate(kpq.evidence):
            base = ("kpqs", i, "evidence", j)
            check((*base, "indicator"), ev.indicator, "indicators")
            check((*base, "category_type"), ev.category_type, "groups")
            check((*base, "study"), ev.study, "evidence")
            check((*base, "initiative"), ev.initiative, "initiatives")
            check((*base, "consultation"), ev.consultation, "consultations")
            problems.extend(_consultation_reference(framework, base, ev.consultation, ev.question, ev.option))
            if ev.category_type is not None:
                check((*base, "subject"), ev.subject, "groups", also=categories)
                check((*base, "comparator"), ev.comparator, "groups", also=categories)
            else:
                check((*base, "subject"), ev.subject, "areas", also=area_like)
                check((*base, "comparator"), ev.comparator, "areas", also=area_like)
            check_all((*base, "actions"), ev.actions, "actions", also=ids["outcomes"])
    for i, pr in enumerate(framework.priorities):
        check(("priorities", i, "plan"), pr.plan, "plans")
        check(("priorities", i, "ambition"), pr.ambition, "ambitions")
    for i, oc in enumerate(framework.outcomes):
        check(("outcomes", i, "plan"), oc.plan, "plans")
        check(("outcomes", i, "priority"), oc.priority, "priorities")
    for i, en in enumerate(framework.enablers):
        check(("enablers", i, "plan"), en.plan, "plans")
    for i, ac in enumerate(framework.actions):
        check(("actions", i, "plan"), ac.plan, "plans")
        check(("actions", i, "outcome"), ac.outcome, "outcomes")
        check(("actions", i, "enabler"), ac.enabler, "enablers")
        check(("actions", i, "lead_officer"), ac.lead_officer, "people")
        check(("actions", i, "lead_organisation"), ac.lead_organisation, "organisations")
    for i, ind in enumerate(framework.indicators):
        check_all(("indicators", i, "outcomes"), ind.outcomes, "outcomes")
        check_all(("indicators", i, "priorities"), ind.priorities, "priorities")
        check_all(("indicators", i, "disaggregation", "groups"), ind.disaggregation.groups, "groups")
    for i, tg in enumerate(framework.targets):
        check(("targets", i, "indicator"), tg.indicator, "indicators")
        check(("targets", i, "plan"), tg.plan, "plans")
        check(("targets", i, "area"), tg.area, "areas", also=area_like)
        if tg.area is not None and tg.kind is TargetKind.GAP_CLOSING:
            problems.append((("targets", i, "area"), "a gap-closing target names its areas in 'gap', not 'area'"))
        if tg.gap is not None:
            check(("targets", i, "gap", "subject"), tg.gap.subject, "areas", also=area_like | categories)
            check(("targets", i, "gap", "comparator"), tg.gap.comparator, "areas", also=area_like | categories)
        if tg.kind is TargetKind.GAP_CLOSING and tg.reward_share is not None and tg.plan is None:
            problems.append(
                (
                    ("targets", i, "plan"),
                    "a target with a reward share needs the 'plan' that holds the reward",
                )
            )
    areas = framework.index("areas")
    for i, ar in enumerate(framework.areas):
        check(("areas", i, "parent"), ar.parent, "areas")
        parent = areas.get(ar.parent) if ar.parent else None
        if parent is not None and LEVEL_RANK[parent.level] >= LEVEL_RANK[ar.level]:
            problems.append(
                (
                    ("areas", i, "parent"),
                    f"parent '{parent.id}' ({parent.level.value}) is not above a {ar.level.value}",
                )
            )
    for i, pl_ in enumerate(framework.plans):
        check(("plans", i, "parent"), pl_.parent, "plans")
        check(("plans", i, "area"), pl_.area, "areas", also=ids["area_groupings"])
    problems += _plan_nesting_problems(framework)
    for i, ag in enumerate(framework.area_groupings):
        check_all(("area_groupings", i, "members"), ag.members, "areas", also=ids["area_groupings"])
        check(("area_groupings", i, "parent"), ag.parent, "areas")
        check_all(("area_groupings", i, "excluding"), ag.excluding, "areas", also=ids["area_groupings"])
    problems += comparator_group_problems(framework.comparator_groups, ids["areas"], duplicates=False)
    for i, person in enumerate(framework.people):
        check(("people", i, "organisation"), person.organisation, "organisations")
    for i, bd in enumerate(framework.boards):
        check_all(("boards", i, "ambitions"), bd.ambitions, "ambitions")
        check_all(("boards", i, "plans"), bd.plans, "plans")
        check_all(("boards", i, "priorities"), bd.priorities, "priorities")
        check(("boards", i, "area"), bd.area, "areas", also=ids["area_groupings"])
        check(("boards", i, "chair"), bd.chair, "people")
        check_all(("boards", i, "members"), bd.members, "organisations")
    for i, dp in enumerate(framework.delivery_plans):
        check_all(("delivery_plans", i, "ambitions"), dp.ambitions, "ambitions")
    for i, rk in enumerate(framework.risks):
        check(("risks", i, "action"), rk.action, "actions")
        check(("risks", i, "outcome"), rk.outcome, "outcomes")
        check(("risks", i, "owner"), rk.owner, "people")
        check(("risks", i, "owner_organisation"), rk.owner_organisation, "organisations")
    for i, st in enumerate(framework.evidence):
        check_all(("evidence", i, "kpqs"), st.kpqs, "kpqs")
        check_all(("evidence", i, "outcomes"), st.outcomes, "outcomes")
    problems += _initiative_problems(framework, check, check_all)
    groups = {g.id: g for g in framework.groups}
    for i, ob in enumerate(framework.observations):
        check(("observations", i, "indicator"), ob.indicator, "indicators")
        check(("observations", i, "area"), ob.area, "areas", also=ids["area_groupings"])
        check(("observations", i, "category_type"), ob.category_type, "groups")
        group = groups.get(ob.category_type) if ob.category_type else None
        if group is not None and ob.category not in {c.id for c in group.categories}:
            problems.append((("observations", i, "category"), f"'{ob.category}' is not a category of '{group.id}'"))
    documents = {d.id for d in framework.documents} | {d.file for d in framework.documents if d.file}
    if documents:
        for kind in KINDS:
            for i, item in enumerate(framework.items(kind)):
                if item.source is not None and item.source.document not in documents:
                    problems.append(
                        ((kind, i, "source", "document"), f"unknown source document '{item.source.document}'")
                    )
    problems += _kpq_breakdown_problems(framework)
    return problems


# --- Local areas and local plans: no group inside itself, no plan inside itself -----------------------------


def _cycle_from(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """The first cycle reachable from ``start`` (as the path that closes it), or None."""
    path: list[str] = []
    on_path: set[str] = set()
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in on_path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        on_path.add(node)
        for nxt in edges.get(node, []):
            found = visit(nxt)
            if found:
                return found
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    return visit(start)


def _plan_nesting_problems(framework: Framework) -> list[tuple[Path, str]]:
    """A grouping that contains itself (directly or through other groupings) or a plan nested in itself would
    make membership and board scope endless; each is refused at the first item on the cycle."""
    out: list[tuple[Path, str]] = []
    groupings = {g.id for g in framework.area_groupings}
    members = {g.id: [m for m in g.members if m in groupings] for g in framework.area_groupings}
    reported: set[str] = set()
    for i, g in enumerate(framework.area_groupings):
        cycle = _cycle_from(g.id, members)
        if cycle and g.id in cycle and not reported & set(cycle):
            reported |= set(cycle)
            out.append((("area_groupings", i, "members"), f"grouping '{g.id}' contains itself: {' > '.join(cycle)}"))
    parents = {p.id: [p.parent] for p in framework.plans if p.parent}
    for i, p in enumerate(framework.plans):
        cycle = _cycle_from(p.id, parents)
        if cycle and p.id in cycle and not reported & set(cycle):
            reported |= set(cycle)
            out.append((("plans", i, "parent"), f"plan '{p.id}' is nested in itself: {' > '.join(cycle)}"))
    return out


# --- Initiatives: references and comparison sets -----------------------------------------------------------


def area_members(framework: Framework, area_id: str) -> set[str]:
    """The areas an area or grouping id stands for, with every area below them in the hierarchy.

    A grouping's members are expanded (a rest-of-parent grouping is its parent's children minus the excluded
    ones); each area brings its descendants (a district brings its wards and LSOAs), so that two sets overlap
    when they share any ground.
    """
    groupings = framework.index("area_groupings")
    children: dict[str, list[str]] = {}
    for area in framework.areas:
        if area.parent:
            children.setdefault(area.parent, []).append(area.id)

    def expand(item: str, seen: frozenset[str]) -> set[str]:
        if item in seen:
            return set()
        grouping = groupings.get(item)
        if grouping is None:
            out, stack = {item}, [item]
            while stack:
                for child in children.get(stack.pop(), []):
                    if child not in out:
                        out.add(child)
                        stack.append(child)
            return out
        if grouping.kind.value == "rest_of_parent":
            heads = [c for c in children.get(grouping.parent or "", []) if c not in set(grouping.excluding)]
        else:
            heads = list(grouping.members)
        found: set[str] = set()
        for head in heads:
            found |= expand(head, seen | {item})
        return found

    return expand(area_id, frozenset())


def _initiative_problems(framework: Framework, check: Any, check_all: Any) -> list[tuple[Path, str]]:
    """Unknown references of initiatives, and a comparison set that shares ground with the target areas."""
    out: list[tuple[Path, str]] = []
    ids = {kind: set(framework.index(kind)) for kind in KINDS}
    area_like = ids["areas"] | ids["area_groupings"]
    groups = {g.id: g for g in framework.groups}
    for i, ini in enumerate(framework.initiatives):
        base: Path = ("initiatives", i)
        check((*base, "lead"), ini.lead, "organisations")
        check_all((*base, "partners"), ini.partners, "organisations")
        for field in ("target_areas", "comparison_areas"):
            for j, value in enumerate(getattr(ini, field)):
                if value not in area_like:
                    out.append(((*base, field, j), f"unknown area '{value}' in '{field}'"))
        check_all((*base, "outcomes"), ini.outcomes, "outcomes")
        check_all((*base, "kpqs"), ini.kpqs, "kpqs")
        check_all((*base, "indicators"), ini.indicators, "indicators")
        check_all((*base, "studies"), ini.studies, "evidence")
        if ini.target_group is not None:
            group = groups.get(ini.target_group.category_type)
            if group is None:
                out.append(
                    (
                        (*base, "target_group", "category_type"),
                        f"unknown category type '{ini.target_group.category_type}'",
                    )
                )
            elif ini.target_group.category not in {c.id for c in group.categories}:
                out.append(
                    (
                        (*base, "target_group", "category"),
                        f"'{ini.target_group.category}' is not a category of '{group.id}'",
                    )
                )
        known_targets = [a for a in ini.target_areas if a in area_like]
        target_ground: set[str] = set()
        for a in known_targets:
            target_ground |= area_members(framework, a)
        for j, value in enumerate(ini.comparison_areas):
            if value not in area_like:
                continue
            shared = sorted(area_members(framework, value) & target_ground)
            if shared:
                which = ", ".join(shared[:5]) + (" …" if len(shared) > 5 else "")
                out.append(
                    (
                        (*base, "comparison_areas", j),
                        f"comparison area '{value}' overlaps the initiative's target areas ({which})",
                    )
                )
    return out


# --- KPQ evidence: breakdowns the indicator can actually give (issue 7) -----------------------------------


def _kpq_breakdown_problems(framework: Framework) -> list[tuple[Path, str]]:
    """KPQ evidence asking for a breakdown its indicator cannot give.

    A rule naming a ``category_type`` its indicator's disaggregation does not list, a subject or comparator
    that is not a category of that type, or (for an area gap) an area at a level the indicator is not
    published for, would silently find no data and leave the question unanswered; refuse it instead.
    Unknown ids are reported by :func:`reference_problems` itself.
    """
    out: list[tuple[Path, str]] = []
    indicators = {i.id: i for i in framework.indicators}
    groups = {g.id: g for g in framework.groups}
    areas = {a.id: a for a in framework.areas}
    for i, kpq in enumerate(framework.kpqs):
        for j, ev in enumerate(kpq.evidence):
            base: Path = ("kpqs", i, "evidence", j)
            ind = indicators.get(ev.indicator or "")
            group = groups.get(ev.category_type or "")
            if ind is not None and group is not None and group.id not in ind.disaggregation.groups:
                listed = ", ".join(ind.disaggregation.groups) or "no population groups"
                out.append(
                    (
                        (*base, "category_type"),
                        f"indicator '{ind.id}' is not broken down by '{group.id}' (its disaggregation lists {listed})",
                    )
                )
            if group is not None:
                own = {c.id for c in group.categories}
                for name in ("subject", "comparator"):
                    value = getattr(ev, name)
                    if value is not None and value not in own:
                        out.append(((*base, name), f"'{value}' is not a category of '{group.id}'"))
            if ind is None or ev.measure.value != "area_gap" or ev.subject not in areas:
                continue
            levels = ind.disaggregation.area_levels
            level = areas[ev.subject].level
            if levels and level not in levels:
                published = ", ".join(lv.value for lv in levels)
                out.append(
                    (
                        (*base, "subject"),
                        f"indicator '{ind.id}' is published for {published} areas, not for the "
                        f"{level.value} '{ev.subject}'",
                    )
                )
    return out
