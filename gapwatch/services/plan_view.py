"""The plan as a tree for the plan page: ambition -> priority -> outcome -> actions and indicators, with
KPQs, enablers, delivery plans and boards; and a search that keeps each match with its ancestors."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from gapwatch.services._plan import Plan, current_plan

__all__ = ["Node", "plan_tree"]


@dataclass
class Node:
    """One item of the tree: what it is, how it reads, where it links, and what sits under it."""

    kind: str
    id: str
    label: str
    href: str | None = None
    detail: str | None = None
    children: list[Node] = field(default_factory=list)
    matched: bool = False

    def count(self) -> int:
        """How many nodes the subtree holds (this one included)."""
        return 1 + sum(child.count() for child in self.children)


def _outcome_node(plan: Plan, outcome_id: str) -> Node:
    oc = plan.outcomes[outcome_id]
    node = Node("outcome", oc.id, f"{oc.code} {oc.title}", f"/plan/outcomes/{oc.id}", detail=f"{oc.horizon.value} term")
    for a in plan.framework.actions:
        if a.outcome == oc.id:
            node.children.append(Node("action", a.id, f"{a.number}. {a.text}", f"/actions/{a.id}"))
    for ind in plan.framework.indicators:
        if oc.id in ind.outcomes:
            node.children.append(Node("indicator", ind.id, f"{ind.code}: {ind.title}", f"/indicators/{ind.id}"))
    return node


def _priority_node(plan: Plan, priority_id: str) -> Node:
    pr = plan.priorities[priority_id]
    node = Node("priority", pr.id, f"Priority {pr.number}: {pr.title}", f"/plan#{pr.id}", detail=pr.statement)
    for oc in plan.framework.outcomes:
        if oc.priority == pr.id:
            node.children.append(_outcome_node(plan, oc.id))
    for ind in plan.framework.indicators:
        if pr.id in ind.priorities and not set(ind.outcomes) & {
            o.id for o in plan.framework.outcomes if o.priority == pr.id
        }:
            node.children.append(Node("indicator", ind.id, f"{ind.code}: {ind.title}", f"/indicators/{ind.id}"))
    return node


def _full_tree(plan: Plan) -> list[Node]:
    fw = plan.framework
    roots: list[Node] = []
    for amb in fw.ambitions:
        node = Node("ambition", amb.id, f"Ambition {amb.number}: {amb.title}", f"/plan#{amb.id}", detail=amb.statement)
        for kpq in fw.kpqs:
            if kpq.ambition == amb.id:
                node.children.append(Node("kpq", kpq.id, f"KPQ {kpq.number}: {kpq.question}", f"/plan#{kpq.id}"))
        for pr in fw.priorities:
            if pr.ambition == amb.id:
                node.children.append(_priority_node(plan, pr.id))
        roots.append(node)
    plans = {p.id: p for p in fw.plans}
    for plan_id, plan_item in plans.items():
        loose = [pr for pr in fw.priorities if pr.plan == plan_id and pr.ambition is None]
        enablers = [en for en in fw.enablers if en.plan == plan_id]
        orphans = [oc for oc in fw.outcomes if oc.plan == plan_id and oc.priority is None]
        if not (loose or enablers or orphans):
            continue
        node = Node("plan", plan_id, plan_item.title, f"/plan#{plan_id}", detail=plan_item.description)
        node.children += [_priority_node(plan, pr.id) for pr in loose]
        node.children += [_outcome_node(plan, oc.id) for oc in orphans]
        for en in enablers:
            child = Node("enabler", en.id, f"Enabler {en.code}: {en.title}", f"/plan#{en.id}", detail=en.description)
            child.children = [
                Node("action", a.id, f"{a.number}. {a.text}", f"/actions/{a.id}")
                for a in fw.actions
                if a.enabler == en.id
            ]
            node.children.append(child)
        roots.append(node)
    linked = {i.id for i in fw.indicators if i.outcomes or i.priorities}
    others = [i for i in fw.indicators if i.id not in linked]
    if others:
        roots.append(
            Node(
                "group",
                "other-indicators",
                "Other indicators",
                "/indicators",
                children=[Node("indicator", i.id, f"{i.code}: {i.title}", f"/indicators/{i.id}") for i in others],
            )
        )
    if fw.delivery_plans:
        roots.append(
            Node(
                "group",
                "delivery-plans",
                "Delivery plans",
                None,
                children=[
                    Node(
                        "delivery_plan",
                        d.id,
                        d.title,
                        f"/plan#{d.id}",
                        detail=", ".join(f"Ambition {a}" for a in d.ambitions),
                    )
                    for d in fw.delivery_plans
                ],
            )
        )
    if fw.boards:
        roots.append(
            Node(
                "group",
                "boards",
                "Boards",
                None,
                children=[Node("board", b.id, b.name, f"/dashboard?board={b.id}") for b in fw.boards],
            )
        )
    return roots


def _prune(nodes: list[Node], needle: str) -> list[Node]:
    kept: list[Node] = []
    for node in nodes:
        text = " ".join(x for x in (node.label, node.detail or "", node.id) if x).casefold()
        if needle in text:
            kept.append(Node(node.kind, node.id, node.label, node.href, node.detail, node.children, matched=True))
            continue
        children = _prune(node.children, needle)
        if children:
            kept.append(Node(node.kind, node.id, node.label, node.href, node.detail, children))
    return kept


def plan_tree(session: Session, q: str | None = None) -> tuple[list[Node], int]:
    """The plan tree (pruned to matches of ``q`` and their ancestors) and the number of matches."""
    plan = current_plan(session)
    roots = _full_tree(plan)
    if not q or not q.strip():
        return roots, 0
    pruned = _prune(roots, q.strip().casefold())

    def matches(nodes: list[Node]) -> int:
        return sum((1 if n.matched else 0) + (0 if n.matched else matches(n.children)) for n in nodes)

    return pruned, matches(pruned)
