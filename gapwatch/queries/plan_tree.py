"""``plan_tree``: the plan as a tree with each item's status rolled up from what sits under it, and the
outcome page (an outcome's indicators with latest value, trend and status, its actions and the KPQs it serves).

The roll-up rule (Envisio/Pentana roll status up the plan tree the same way):

* Every leaf gets a colour on one scale. An indicator: its target status from the dashboard
  (:func:`~gapwatch.services.dashboard.indicator_statuses`, the one place it is decided) — off track is
  ``red``, at risk ``amber``, on track ``green``, no target or not assessable ``grey``. An action: overdue
  or RAG red is ``red``, amber ``amber``, green (or complete) ``green``, never updated ``grey``.
* An outcome, priority, ambition, enabler or plan shows the counts of each colour among all the indicators
  and actions beneath it, its **worst** assessed colour (red before amber before green), and its **most
  common** assessed colour. Grey leaves are counted but never decide the colour: an item with nothing
  assessed is ``grey`` ("not assessed"), which is not the same as green.

Statuses are judged in the given cycle window (data up to its cut-off, actions at its as-of date), so the
tree agrees with the dashboard and the cycle's report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from gapwatch.domain.cycle import CycleWindow
from gapwatch.errors import NotFound
from gapwatch.services.actions import ActionView, list_actions
from gapwatch.services.dashboard import indicator_statuses
from gapwatch.services.plan_view import Node
from gapwatch.services.plan_view import plan_tree as _bare_tree
from gapwatch.services.plans import current_plan

__all__ = ["COLOURS", "Rollup", "StatusTree", "outcome_page", "plan_status_tree", "rollup_of"]

#: The roll-up scale, worst first; ``grey`` is "not assessed" and never outranks an assessed colour.
COLOURS: tuple[str, ...] = ("red", "amber", "green", "grey")
_INDICATOR_COLOUR = {"off track": "red", "at risk": "amber", "on track": "green"}


def indicator_colour(status: str) -> str:
    """An indicator's dashboard status on the roll-up scale."""
    return _INDICATOR_COLOUR.get(status, "grey")


def action_colour(action: ActionView) -> str:
    """An action's state on the roll-up scale: overdue counts as red whatever its RAG."""
    if action.overdue:
        return "red"
    if action.complete:
        return "green"
    return action.rag if action.rag in ("red", "amber", "green") else "grey"


@dataclass(frozen=True)
class Rollup:
    """The colours under an item of the plan: counts, the worst and the most common assessed colour."""

    counts: dict[str, int]
    worst: str
    most_common: str

    @property
    def total(self) -> int:
        """How many indicators and actions were rolled up."""
        return sum(self.counts.values())

    @property
    def assessed(self) -> int:
        """How many of them have a colour other than grey."""
        return self.total - self.counts.get("grey", 0)


def rollup_of(colours: list[str]) -> Rollup:
    """The roll-up of leaf colours (see the module docstring for the rule)."""
    counts = Counter(colours)
    assessed = [c for c in COLOURS[:3] if counts.get(c)]
    worst = assessed[0] if assessed else "grey"
    # Most common assessed colour; a tie goes to the worse one (the cautious reading).
    most_common = max(assessed, key=lambda c: (counts[c], -COLOURS.index(c))) if assessed else "grey"
    return Rollup({c: counts.get(c, 0) for c in COLOURS}, worst, most_common)


@dataclass
class StatusTree:
    """The plan tree with each node's roll-up keyed by ``kind:id``."""

    roots: list[Node]
    matches: int
    rollups: dict[str, Rollup] = field(default_factory=dict)
    leaves: dict[str, str] = field(default_factory=dict)  #: ``kind:id`` -> the leaf's own status in words


def _leaf_colours(session: Session, window: CycleWindow) -> tuple[dict[str, str], dict[str, str]]:
    plan = current_plan(session)
    colours: dict[str, str] = {}
    words: dict[str, str] = {}
    for s in indicator_statuses(session, list(plan.framework.indicators), None, window.cutoff):
        colours[f"indicator:{s.indicator_id}"] = indicator_colour(s.status)
        words[f"indicator:{s.indicator_id}"] = s.status
    for a in list_actions(session, window=window):
        colours[f"action:{a.id}"] = action_colour(a)
        words[f"action:{a.id}"] = "overdue" if a.overdue else (a.rag or "no update")
    return colours, words


def plan_status_tree(session: Session, window: CycleWindow, q: str | None = None) -> StatusTree:
    """The plan tree (pruned to matches of ``q``) with every branch's roll-up and every leaf's status."""
    roots, matches = _bare_tree(session, q)
    colours, words = _leaf_colours(session, window)
    tree = StatusTree(roots, matches, leaves=words)
    full = {n.kind + ":" + n.id: n for n in _walk(_bare_tree(session, None)[0])}

    def leaves_under(node: Node) -> list[str]:
        if not node.children:
            key = f"{node.kind}:{node.id}"
            return [colours[key]] if key in colours else []
        return [c for child in node.children for c in leaves_under(child)]

    for node in _walk(roots):
        if node.children or node.kind in ("outcome", "priority", "ambition", "enabler", "plan"):
            # A pruned (searched) branch still rolls up everything under it in the whole plan.
            whole = full.get(f"{node.kind}:{node.id}", node)
            tree.rollups[f"{node.kind}:{node.id}"] = rollup_of(leaves_under(whole))
    return tree


def _walk(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for n in nodes:
        out.append(n)
        out.extend(_walk(n.children))
    return out


def outcome_page(session: Session, outcome_id: str, window: CycleWindow) -> dict[str, Any]:
    """What the outcome page shows: the outcome, its roll-up, its indicators (latest value with interval,
    trend, status), its actions (RAG, overdue, lead) and the KPQs whose evidence uses them."""
    from gapwatch.services.indicator_view import indicator_page

    plan = current_plan(session)
    outcome = plan.outcomes.get(outcome_id)
    if outcome is None:
        raise NotFound(f"There is no outcome '{outcome_id}' in the plan")
    inds = [i for i in plan.framework.indicators if outcome.id in i.outcomes]
    statuses = {s.indicator_id: s for s in indicator_statuses(session, inds, None, window.cutoff)}
    indicators: list[dict[str, Any]] = []
    leaf_colours: list[str] = []
    for ind in inds:
        page = indicator_page(session, ind.id, cutoff=window.cutoff)
        latest = page.latest
        s = statuses[ind.id]
        leaf_colours.append(indicator_colour(s.status))
        indicators.append(
            {
                "id": ind.id,
                "code": ind.code,
                "title": ind.title,
                "unit": ind.unit,
                "area": page.area_name,
                "period": latest.period if latest else None,
                "value": latest.value if latest else None,
                "lower": latest.lower if latest else None,
                "upper": latest.upper if latest else None,
                "trend": page.trend_assessment or page.trend,
                "status": s.status,
                "colour": indicator_colour(s.status),
                "gaps": [{"label": label, "verdict": verdict} for label, verdict in s.gaps],
                "illustrative": s.illustrative,
            }
        )
    actions = [a for a in list_actions(session, window=window) if a.outcome_id == outcome.id]
    action_ids = {a.id for a in actions}
    indicator_ids = {i.id for i in inds}
    kpqs = [
        {"id": k.id, "number": k.number, "ambition": k.ambition, "question": k.question}
        for k in plan.framework.kpqs
        if any((e.indicator in indicator_ids) or (set(e.actions) & (action_ids | {outcome.id})) for e in k.evidence)
    ]
    priority = plan.priorities.get(outcome.priority or "")
    return {
        "id": outcome.id,
        "code": outcome.code,
        "title": outcome.title,
        "horizon": outcome.horizon.value,
        "laa": outcome.laa,
        "success_criteria": list(outcome.success_criteria),
        "priority": {"id": priority.id, "title": priority.title} if priority else None,
        "rollup": rollup_of(leaf_colours + [action_colour(a) for a in actions]),
        "indicators": indicators,
        "actions": [
            {
                "id": a.id,
                "number": a.number,
                "text": a.text,
                "lead_officer": a.lead_officer,
                "rag": a.rag,
                "overdue": a.overdue,
                "deadline": a.deadline,
                "percent_complete": a.percent_complete,
                "colour": action_colour(a),
            }
            for a in actions
        ],
        "kpqs": kpqs,
        "window": window,
    }
