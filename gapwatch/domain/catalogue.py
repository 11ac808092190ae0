"""The plan catalogue: a framework with the look-ups every page, paper and answer needs.

Pure (no database): :mod:`gapwatch.services._plan` builds one per framework revision and caches it;
:mod:`gapwatch.analysis` takes it as the description of the plan the numbers belong to. The indexes
answer the questions the analysis and the pages ask: which ambition an outcome serves, which actions a
board oversees, who a person is, what an area is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gapwatch.domain.framework import Framework
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.partnership import Board
from gapwatch.domain.plan import Action, Outcome, Priority
from gapwatch.errors import NotFound

__all__ = ["Plan", "build_plan", "partnership_county"]


@dataclass
class Plan:
    """A framework plus indexes; read-only once built (shared between requests)."""

    pk: int
    revision: int
    framework: Framework
    database: str = ""
    actions: dict[str, Action] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    priorities: dict[str, Priority] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    boards: dict[str, Board] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)
    person_org: dict[str, str | None] = field(default_factory=dict)
    organisations: dict[str, str] = field(default_factory=dict)
    areas: dict[str, str] = field(default_factory=dict)
    #: answers of :meth:`board_covers_indicator` already worked out (a dashboard asks it ~2,500 times a view)
    _covers: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False, compare=False)

    def ambition_of_outcome(self, outcome_id: str | None) -> str | None:
        """The ambition an outcome serves (through its priority), if any."""
        outcome = self.outcomes.get(outcome_id or "")
        if outcome is None or outcome.priority is None:
            return None
        priority = self.priorities.get(outcome.priority)
        return priority.ambition if priority else None

    def priority_of_action(self, action: Action) -> str | None:
        """The priority an action's outcome sits under."""
        outcome = self.outcomes.get(action.outcome or "")
        return outcome.priority if outcome else None

    def ambition_of_action(self, action: Action) -> str | None:
        """The ambition an action serves, through its outcome and priority."""
        return self.ambition_of_outcome(action.outcome)

    def indicator_ambitions(self, indicator: Indicator) -> set[str]:
        """Ambitions an indicator monitors, through its priorities and outcomes."""
        found: set[str] = set()
        for pid in indicator.priorities:
            pr = self.priorities.get(pid)
            if pr and pr.ambition:
                found.add(pr.ambition)
        for oid in indicator.outcomes:
            amb = self.ambition_of_outcome(oid)
            if amb:
                found.add(amb)
        return found

    def indicator_priorities(self, indicator: Indicator) -> set[str]:
        """Priorities an indicator monitors, directly or through its outcomes."""
        found = set(indicator.priorities)
        for oid in indicator.outcomes:
            oc = self.outcomes.get(oid)
            if oc and oc.priority:
                found.add(oc.priority)
        return found

    def board_covers_action(self, board: Board, action: Action) -> bool:
        """Whether a board oversees an action: through its ambitions, plans or priorities."""
        if action.plan in board.plans:
            return True
        if self.priority_of_action(action) in board.priorities:
            return True
        return self.ambition_of_action(action) in board.ambitions

    def indicator_plans(self, indicator: Indicator) -> set[str]:
        """Plans an indicator belongs to: through its priorities and outcomes, and the plans of its targets."""
        found: set[str | None] = {
            self.priorities[p].plan for p in self.indicator_priorities(indicator) if p in self.priorities
        }
        found |= {self.outcomes[o].plan for o in indicator.outcomes if o in self.outcomes}
        found |= {t.plan for t in self.framework.targets if t.indicator == indicator.id}
        return {p for p in found if p}

    def board_covers_indicator(self, board: Board, indicator: Indicator) -> bool:
        """Whether a board oversees an indicator — the one rule for the dashboard, the papers and the KPQs.

        Through its ambitions or priorities; through the plans it oversees (a plan's targets bring their
        indicators, e.g. PSA 1's); and, for a locality board, through a gap-closing target whose subject is
        the board's own area (Thanet's board oversees "close the gap between Thanet and the rest of Kent").
        """
        key = (board.id, indicator.id)
        known = self._covers.get(key)
        if known is None:
            known = self._covers[key] = self._board_covers_indicator(board, indicator)
        return known

    def _board_covers_indicator(self, board: Board, indicator: Indicator) -> bool:
        if self.indicator_priorities(indicator) & set(board.priorities):
            return True
        if self.indicator_ambitions(indicator) & set(board.ambitions):
            return True
        if self.indicator_plans(indicator) & self.board_plans(board):
            return True
        return board.area is not None and any(
            t.indicator == indicator.id and t.gap is not None and t.gap.subject == board.area
            for t in self.framework.targets
        )

    def board_plans(self, board: Board) -> set[str]:
        """The plans a board oversees, with the county plans its local plans are nested in: a local board
        monitors "the dis-aggregation of performance indicators identified in the strategic plan and locally
        agreed performance measures" (Kent CYPP 2008-11, Appendix 4), for its own area."""
        found = set(board.plans)
        by_id = {p.id: p for p in self.framework.plans}
        stack = list(found)
        while stack:
            local = by_id.get(stack.pop())
            parent = local.parent if local is not None else None
            if parent and parent not in found:
                found.add(parent)
                stack.append(parent)
        return found

    def board_area(self, board: Board) -> str | None:
        """The area a board's report is about: its own area, else the area of a local plan it oversees."""
        if board.area is not None:
            return board.area
        areas = {p.area for p in self.framework.plans if p.id in board.plans and p.area}
        return areas.pop() if len(areas) == 1 else None

    def board_scope_note(self, board: Board) -> str | None:
        """Why a local board's report shows county figures, when it does: its area has not been defined."""
        if board.kind.value not in ("lcsp", "locality") or self.board_area(board) is not None:
            return None
        return (
            f"{board.name}: no area is defined for this board (its boundaries are not in the framework), so the "
            "figures below are for the whole county, not the board's own area. Define its local area from wards, "
            "LSOAs or districts (`gapwatch area load FILE`, see docs/local-areas.md) and set the board's 'area'."
        )

    def person_name(self, person_id: str | None) -> str | None:
        """A person's name (or None)."""
        return self.people.get(person_id or "")

    def organisation_name(self, org_id: str | None) -> str | None:
        """An organisation's name (or None)."""
        return self.organisations.get(org_id or "")

    def action(self, action_id: str) -> Action:
        """An action by id, or :class:`NotFound`."""
        try:
            return self.actions[action_id]
        except KeyError:
            raise NotFound(f"There is no action '{action_id}' in the plan") from None


def partnership_county(framework: Framework) -> str | None:
    """The partnership's own area: the county-level area with the most child areas (Kent, not Medway), or
    None when the framework has no county."""
    counties = [a for a in framework.areas if a.level.value == "county"]
    if not counties:
        return None
    children = {a.id: sum(1 for b in framework.areas if b.parent == a.id) for a in counties}
    return max(counties, key=lambda a: children[a.id]).id


def build_plan(framework: Framework, *, pk: int = 0, revision: int = 0, database: str = "") -> Plan:
    """A :class:`Plan` with its indexes built from ``framework``."""
    plan = Plan(pk=pk, revision=revision, framework=framework, database=database)
    plan.actions = {a.id: a for a in framework.actions}
    plan.outcomes = {o.id: o for o in framework.outcomes}
    plan.priorities = {p.id: p for p in framework.priorities}
    plan.indicators = {i.id: i for i in framework.indicators}
    plan.boards = {b.id: b for b in framework.boards}
    plan.people = {p.id: p.name for p in framework.people}
    plan.person_org = {p.id: p.organisation for p in framework.people}
    plan.organisations = {o.id: o.name for o in framework.organisations}
    plan.areas = {a.id: a.name for a in framework.areas}
    plan.areas.update({g.id: g.name for g in framework.area_groupings})
    return plan
