"""Actions and their progress: lists with filters, an action with its history, updates by their owners.

Lead officers update their own actions (RAG, commentary, percentage complete, milestones done, a new
deadline with its reason); performance officers and admins may update any action and assign its lead
officer. Updates are checked field by field (every problem is reported, named by its form field), are
refused with :class:`Forbidden` for someone who does not own the action, and use optimistic locking so
that the second of two people editing the same action gets :class:`Conflict` with the first person's
change instead of silently overwriting it (see :mod:`gapwatch.store.progress`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from gapwatch.domain.access import Actor, edits_everything, ensure_can_edit, may_edit
from gapwatch.domain.cycle import CycleWindow
from gapwatch.domain.plan import Action
from gapwatch.errors import Forbidden, InvalidInput, Problem
from gapwatch.services._plan import Plan, current_plan
from gapwatch.store.accounts import list_users
from gapwatch.store.audit import record_audit
from gapwatch.store.progress import (
    ActionChange,
    ActionStateRow,
    ActionUpdateRow,
    action_history,
    action_states,
    apply_action_update,
    latest_action_updates,
)

__all__ = [
    "RAG_VALUES",
    "ActionFilters",
    "ActionUpdateInput",
    "ActionUpdateView",
    "ActionView",
    "Actor",
    "MilestoneState",
    "assign_lead_officer",
    "can_edit_action",
    "get_action",
    "history",
    "list_actions",
    "parse_update",
    "people_directory",
    "rag_by_action",
    "rag_counts",
    "recent_updates",
    "update_action",
]

RAG_VALUES: tuple[str, ...] = ("red", "amber", "green")
_MAX_COMMENTARY = 5000


@dataclass(frozen=True)
class MilestoneState:
    """A milestone or deliverable of an action and whether its owner has marked it done."""

    text: str
    due: date | None
    done: bool
    kind: str


@dataclass(frozen=True)
class ActionView:
    """An action of the plan with its current progress, ready to show."""

    id: str
    number: str
    text: str
    plan_id: str
    outcome_id: str | None
    outcome_code: str | None
    outcome_title: str | None
    enabler_id: str | None
    priority_id: str | None
    ambition_id: str | None
    lead_officer_id: str | None
    lead_officer: str | None
    lead_organisation_id: str | None
    lead_organisation: str | None
    original_deadline: date | None
    deadline: date | None
    deadline_reason: str | None
    rag: str | None
    percent_complete: int | None
    commentary: str | None
    milestones: tuple[MilestoneState, ...]
    version: int
    updated_at: datetime | None
    updated_by: str | None
    overdue: bool
    updated_this_cycle: bool

    @property
    def complete(self) -> bool:
        """100% complete."""
        return self.percent_complete == 100


@dataclass(frozen=True)
class ActionUpdateView:
    """One update in an action's history."""

    version: int
    rag: str | None
    percent_complete: int | None
    commentary: str | None
    milestones_done: tuple[str, ...]
    new_deadline: date | None
    deadline_reason: str | None
    lead_officer_id: str | None
    lead_officer: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class ActionFilters:
    """Filters of the action list; ``None`` or ``False`` means "any"."""

    board: str | None = None
    ambition: str | None = None
    priority: str | None = None
    outcome: str | None = None
    organisation: str | None = None
    officer: str | None = None
    rag: str | None = None  #: red, amber, green or "none" (never updated)
    overdue: bool = False
    no_update_this_cycle: bool = False
    q: str | None = None


@dataclass(frozen=True)
class ActionUpdateInput:
    """An update as typed into the form (strings), before validation."""

    rag: str = ""
    percent_complete: str = ""
    commentary: str = ""
    milestones_done: Sequence[str] = field(default_factory=tuple)
    deadline_day: str = ""
    deadline_month: str = ""
    deadline_year: str = ""
    deadline_reason: str = ""


def _deadline(action: Action) -> date | None:
    """The action's own deadline, else the latest deadline of its deliverables."""
    if action.deadline is not None:
        return action.deadline
    dates = [d.deadline for d in action.deliverables if d.deadline is not None]
    return max(dates) if dates else None


def _milestones(action: Action, done: Iterable[str]) -> tuple[MilestoneState, ...]:
    done_set = set(done)
    items = [MilestoneState(m.text, m.due, m.done or m.text in done_set, "milestone") for m in action.milestones]
    items += [MilestoneState(d.text, d.deadline, d.text in done_set, "deliverable") for d in action.deliverables]
    return tuple(items)


def people_directory(session: Session) -> dict[str, str]:
    """Everyone who can lead an action or own a risk: the framework's people, and the people that user
    accounts are linked to but the framework does not (yet) name (officers who joined after it was written)."""
    plan = current_plan(session)
    names = dict(plan.people)
    for user in list_users(session):
        if user.person_id and user.person_id not in names:
            names[user.person_id] = user.display_name
    return names


def _view(
    plan: Plan,
    action: Action,
    state: ActionStateRow | None,
    window: CycleWindow | None,
    names: dict[str, str] | None = None,
) -> ActionView:
    """The action's view; ``overdue`` and ``updated_this_cycle`` are judged in ``window`` (never, without one)."""
    outcome = plan.outcomes.get(action.outcome or "")
    lead = (state.lead_officer if state and state.lead_officer else None) or action.lead_officer
    organisation = action.lead_organisation or plan.person_org.get(lead or "")
    original = _deadline(action)
    deadline = state.deadline if state and state.deadline else original
    percent = state.percent_complete if state else None
    updated_at = state.updated_at if state else None
    return ActionView(
        id=action.id,
        number=action.number,
        text=action.text,
        plan_id=action.plan,
        outcome_id=action.outcome,
        outcome_code=outcome.code if outcome else None,
        outcome_title=outcome.title if outcome else None,
        enabler_id=action.enabler,
        priority_id=plan.priority_of_action(action),
        ambition_id=plan.ambition_of_action(action),
        lead_officer_id=lead,
        lead_officer=(names or plan.people).get(lead or ""),
        lead_organisation_id=organisation,
        lead_organisation=plan.organisation_name(organisation),
        original_deadline=original,
        deadline=deadline,
        deadline_reason=state.deadline_reason if state else None,
        rag=state.rag if state else None,
        percent_complete=percent,
        commentary=state.commentary if state else None,
        milestones=_milestones(action, state.milestones_done if state else ()),
        version=state.version if state else 0,
        updated_at=updated_at,
        updated_by=state.updated_by if state else None,
        overdue=window is not None and window.is_overdue(deadline, complete=percent == 100),
        updated_this_cycle=window is not None and window.updated_this_cycle(updated_at),
    )


def _matches(plan: Plan, view: ActionView, f: ActionFilters) -> bool:
    if f.board:
        board = plan.boards.get(f.board)
        if board is None or not plan.board_covers_action(board, plan.actions[view.id]):
            return False
    checks: list[tuple[str | None, str | None]] = [
        (f.ambition, view.ambition_id),
        (f.priority, view.priority_id),
        (f.outcome, view.outcome_id),
        (f.organisation, view.lead_organisation_id),
        (f.officer, view.lead_officer_id),
    ]
    if any(wanted and wanted != actual for wanted, actual in checks):
        return False
    if f.rag and (view.rag or "none") != f.rag:
        return False
    if f.overdue and not view.overdue:
        return False
    if f.no_update_this_cycle and view.updated_this_cycle:
        return False
    if f.q:
        needle = f.q.casefold()
        hay = " ".join(x for x in (view.number, view.text, view.commentary or "", view.outcome_title or "") if x)
        if needle not in hay.casefold():
            return False
    return True


def list_actions(
    session: Session,
    filters: ActionFilters | None = None,
    *,
    window: CycleWindow,
) -> list[ActionView]:
    """Every action of the plan with its progress, in plan order, filtered.

    Time is judged in ``window`` (the reporting cycle's, or the default half-year's): "updated this cycle"
    means an update on or after its start; "overdue" means past its (revised) deadline at its as-of date
    and not 100% complete.
    """
    plan = current_plan(session)
    states = action_states(session, plan.pk)
    names = people_directory(session)
    views = [_view(plan, a, states.get(a.id), window, names) for a in plan.framework.actions]
    f = filters or ActionFilters()
    return [v for v in views if _matches(plan, v, f)]


def get_action(session: Session, action_id: str, *, window: CycleWindow) -> ActionView:
    """One action with its current progress (time judged in ``window``), or :class:`NotFound`."""
    return _current(session, action_id, window)


def _current(session: Session, action_id: str, window: CycleWindow | None) -> ActionView:
    plan = current_plan(session)
    action = plan.action(action_id)
    state = action_states(session, plan.pk).get(action_id)
    return _view(plan, action, state, window, people_directory(session))


def history(session: Session, action_id: str) -> list[ActionUpdateView]:
    """An action's updates, newest first."""
    plan = current_plan(session)
    plan.action(action_id)
    names = people_directory(session)
    return [_update_view(names, row) for row in action_history(session, plan.pk, action_id)]


def _update_view(names: dict[str, str], row: ActionUpdateRow) -> ActionUpdateView:
    return ActionUpdateView(
        version=row.version,
        rag=row.rag,
        percent_complete=row.percent_complete,
        commentary=row.commentary,
        milestones_done=tuple(row.milestones_done or ()),
        new_deadline=row.new_deadline,
        deadline_reason=row.deadline_reason,
        lead_officer_id=row.lead_officer,
        lead_officer=names.get(row.lead_officer or ""),
        by=row.created_by,
        at=row.created_at,
    )


def rag_by_action(session: Session) -> dict[str, str | None]:
    """The latest RAG of every action (None when never updated), e.g. for KPQ evidence."""
    plan = current_plan(session)
    states = action_states(session, plan.pk)
    return {a.id: (states[a.id].rag if a.id in states else None) for a in plan.framework.actions}


def rag_counts(views: Iterable[ActionView]) -> dict[str, int]:
    """How many actions are red, amber, green, never updated ("none"), overdue, and not updated this cycle."""
    views = list(views)
    counts = Counter(v.rag or "none" for v in views)
    out = {key: counts.get(key, 0) for key in (*RAG_VALUES, "none")}
    out["overdue"] = sum(1 for v in views if v.overdue)
    out["no_update_this_cycle"] = sum(1 for v in views if not v.updated_this_cycle)
    out["total"] = len(views)
    return out


def can_edit_action(actor: Actor | None, action: ActionView) -> bool:
    """Admins and performance officers edit any action; a lead officer only those they lead (domain.access)."""
    return may_edit(actor, [action.lead_officer_id])


def _parse_int(raw: str, name: str, label: str, low: int, high: int, problems: list[Problem]) -> int | None:
    text = raw.strip().rstrip("%").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        problems.append(Problem(f"{label} must be a whole number, like 60", field=name))
        return None
    if not low <= value <= high:
        problems.append(Problem(f"{label} must be between {low} and {high}", field=name))
        return None
    return value


def _parse_date(day: str, month: str, year: str, name: str, label: str, problems: list[Problem]) -> date | None:
    parts = [p.strip() for p in (day, month, year)]
    if not any(parts):
        return None
    missing = [which for which, p in zip(("day", "month", "year"), parts, strict=True) if not p]
    if missing:
        problems.append(Problem(f"{label} must include a {' and '.join(missing)}", field=name))
        return None
    try:
        d, m, y = (int(p) for p in parts)
        if y < 1000:
            raise ValueError
        return date(y, m, d)
    except ValueError:
        problems.append(Problem(f"{label} must be a real date, like 31 3 2012", field=name))
        return None


def parse_update(raw: ActionUpdateInput, action: ActionView) -> ActionChange:
    """Check an update as typed; raise :class:`InvalidInput` naming every bad field (the form's ids)."""
    problems: list[Problem] = []
    rag = raw.rag.strip().lower()
    if not rag:
        problems.append(Problem("Select a RAG status: red, amber or green", field="rag"))
    elif rag not in RAG_VALUES:
        problems.append(Problem("RAG status must be red, amber or green", field="rag"))
    percent = _parse_int(raw.percent_complete, "percent_complete", "Percentage complete", 0, 100, problems)
    commentary = raw.commentary.strip()
    if not commentary:
        problems.append(Problem("Enter a commentary on progress", field="commentary"))
    elif len(commentary) > _MAX_COMMENTARY:
        problems.append(Problem(f"Commentary must be {_MAX_COMMENTARY} characters or fewer", field="commentary"))
    known = {m.text for m in action.milestones}
    unknown = [m for m in raw.milestones_done if m not in known]
    if unknown:
        problems.append(Problem("Select milestones from the list", field="milestones_done"))
    new_deadline = _parse_date(
        raw.deadline_day, raw.deadline_month, raw.deadline_year, "new_deadline", "New deadline", problems
    )
    reason = raw.deadline_reason.strip()
    if new_deadline is not None:
        if not reason:
            problems.append(Problem("Enter the reason for the new deadline", field="deadline_reason"))
        start = action.original_deadline
        if new_deadline.year > 2100:
            problems.append(Problem("New deadline must be before the year 2100", field="new_deadline"))
        elif start is not None and new_deadline == start and action.deadline == start:
            problems.append(Problem("New deadline is the same as the current deadline", field="new_deadline"))
    elif reason and not any(p.field == "new_deadline" for p in problems):
        problems.append(Problem("Enter the new deadline the reason explains", field="new_deadline"))
    if problems:
        raise InvalidInput("There is a problem with the update", problems=problems)
    return ActionChange(
        rag=rag,
        percent_complete=percent,
        commentary=commentary,
        milestones_done=[m.text for m in action.milestones if m.text in set(raw.milestones_done)],
        new_deadline=new_deadline,
        deadline_reason=reason or None,
    )


def _snapshot(view: ActionView) -> dict[str, Any]:
    return {
        "rag": view.rag,
        "percent_complete": view.percent_complete,
        "commentary": view.commentary,
        "deadline": view.deadline.isoformat() if view.deadline else None,
        "lead_officer": view.lead_officer_id,
        "version": view.version,
    }


def update_action(
    session: Session,
    actor: Actor,
    action_id: str,
    seen_version: int,
    raw: ActionUpdateInput,
) -> ActionUpdateView:
    """Record an update of an action by its owner (or an editor), checked and optimistically locked.

    Raises :class:`NotFound`, :class:`Forbidden` (not their action), :class:`InvalidInput` (every bad
    field) or :class:`Conflict` (someone else saved first; ``current`` holds their change).
    """
    view = _current(session, action_id, None)  # who may edit, and the audit's before/after: no time judged
    ensure_can_edit(actor, [view.lead_officer_id], what=f"action {view.number}")
    change = parse_update(raw, view)
    row = apply_action_update(session, current_plan(session).pk, action_id, seen_version, change, actor.username)
    after = _current(session, action_id, None)
    record_audit(session, actor, "action.update", f"action:{action_id}", _snapshot(view), _snapshot(after))
    return _update_view(people_directory(session), row)


def assign_lead_officer(
    session: Session, actor: Actor, action_id: str, seen_version: int, person_id: str
) -> ActionUpdateView:
    """Assign (or change) an action's lead officer: admins and performance officers only.

    Recorded as an update that keeps the current RAG and commentary, so the history shows who assigned whom.
    """
    if not edits_everything(actor):
        raise Forbidden("Only performance officers and admins can assign lead officers")
    plan = current_plan(session)
    view = _current(session, action_id, None)
    names = people_directory(session)
    if person_id not in names:
        raise InvalidInput(
            "There is a problem with the lead officer",
            problems=[Problem("Select a lead officer from the list", field="lead_officer")],
        )
    change = ActionChange(
        rag=view.rag,
        percent_complete=view.percent_complete,
        commentary=f"Lead officer assigned: {names[person_id]}",
        milestones_done=[m.text for m in view.milestones if m.done],
        lead_officer=person_id,
    )
    row = apply_action_update(session, plan.pk, action_id, seen_version, change, actor.username)
    record_audit(session, actor, "action.assign", f"action:{action_id}", _snapshot(view), {"lead_officer": person_id})
    return _update_view(names, row)


def recent_updates(session: Session, limit: int = 8) -> list[ActionUpdateRow]:
    """The latest updates across all actions, newest first (the dashboard's "recent changes")."""
    return latest_action_updates(session, current_plan(session).pk, limit=limit)
