"""The risk register: risks with likelihood x impact, owners, mitigations and review dates.

Risks come from the framework (their first scores) and from the register itself (risks added later by a
performance officer). Owners review their own risks; performance officers and admins may review any
and add new ones. Reviews are optimistically locked like action updates (see
:mod:`gapwatch.store.progress`), so two people reviewing the same risk cannot overwrite each other.

Scores are likelihood x impact on 1-5 scales; the bands follow the common local-government 5x5 matrix:
low 1-6, medium 8-12, high 15-25.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from gapwatch.domain.access import Actor, edits_everything, ensure_can_edit, may_edit
from gapwatch.domain.cycle import CycleWindow
from gapwatch.domain.evidence import Risk
from gapwatch.errors import Forbidden, InvalidInput, NotFound, Problem
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services.actions import people_directory
from gapwatch.store.audit import record_audit
from gapwatch.store.progress import RiskChange, RiskStateRow, apply_risk_update, risk_history, risk_states

__all__ = [
    "RISK_STATUSES",
    "HeatCell",
    "NewRiskInput",
    "RiskFilters",
    "RiskReviewView",
    "RiskUpdateInput",
    "RiskView",
    "add_risk",
    "can_edit_risk",
    "get_risk",
    "heat_map",
    "list_risks",
    "reviews",
    "risk_level",
    "update_risk",
]

RISK_STATUSES: tuple[str, ...] = ("open", "closed")
_MAX_TEXT = 5000


def risk_level(score: int) -> str:
    """'low' (1-6), 'medium' (8-12) or 'high' (15-25) for a likelihood x impact score."""
    if score >= 15:
        return "high"
    if score >= 8:
        return "medium"
    return "low"


@dataclass(frozen=True)
class RiskView:
    """A risk as the register shows it now."""

    id: str
    title: str
    description: str | None
    action_id: str | None
    action_number: str | None
    outcome_id: str | None
    outcome_title: str | None
    owner_id: str | None
    owner: str | None
    owner_organisation_id: str | None
    owner_organisation: str | None
    likelihood: int
    impact: int
    mitigations: tuple[str, ...]
    review_date: date | None
    review_overdue: bool
    status: str
    illustrative: bool
    in_framework: bool
    version: int
    updated_at: datetime | None
    updated_by: str | None

    @property
    def score(self) -> int:
        """Likelihood x impact."""
        return self.likelihood * self.impact

    @property
    def level(self) -> str:
        """The score's band: low, medium or high."""
        return risk_level(self.score)


@dataclass(frozen=True)
class RiskReviewView:
    """One review in a risk's history."""

    version: int
    likelihood: int
    impact: int
    mitigations: tuple[str, ...]
    review_date: date | None
    owner: str | None
    status: str
    commentary: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class RiskFilters:
    """Filters of the register; ``None``/``False`` means any."""

    owner: str | None = None
    organisation: str | None = None
    level: str | None = None
    status: str | None = "open"
    review_overdue: bool = False
    action: str | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class RiskUpdateInput:
    """A review as typed into the form."""

    likelihood: str = ""
    impact: str = ""
    mitigations: str = ""
    review_day: str = ""
    review_month: str = ""
    review_year: str = ""
    status: str = "open"
    commentary: str = ""
    owner: str = ""


@dataclass(frozen=True)
class NewRiskInput:
    """A new risk as typed into the form (performance officers and admins)."""

    title: str = ""
    description: str = ""
    action: str = ""
    outcome: str = ""
    review: RiskUpdateInput = RiskUpdateInput()


@dataclass(frozen=True)
class HeatCell:
    """One cell of the likelihood x impact matrix."""

    likelihood: int
    impact: int
    level: str
    risks: tuple[RiskView, ...]

    @property
    def count(self) -> int:
        """How many risks sit in the cell."""
        return len(self.risks)


def _view(
    plan: Plan,
    risk_id: str,
    base: Risk | None,
    state: RiskStateRow | None,
    window: CycleWindow | None,
    names: dict[str, str],
) -> RiskView:
    """The risk's view; ``review_overdue`` is judged at ``window``'s as-of date (never, without one)."""
    if base is None and state is None:
        raise NotFound(f"There is no risk '{risk_id}' in the register")
    action_id = base.action if base else state.action_id if state else None
    outcome_id = base.outcome if base else state.outcome_id if state else None
    owner = state.owner if state else base.owner if base else None
    org = (base.owner_organisation if base else state.owner_organisation if state else None) or plan.person_org.get(
        owner or ""
    )
    review = state.review_date if state else base.review_date if base else None
    status = state.status if state else "open"
    action = plan.actions.get(action_id or "")
    outcome = plan.outcomes.get(outcome_id or "")
    return RiskView(
        id=risk_id,
        title=base.title if base else state.title if state else risk_id,
        description=base.description if base else state.description if state else None,
        action_id=action_id,
        action_number=action.number if action else None,
        outcome_id=outcome_id,
        outcome_title=outcome.title if outcome else None,
        owner_id=owner,
        owner=names.get(owner or ""),
        owner_organisation_id=org,
        owner_organisation=plan.organisation_name(org),
        likelihood=state.likelihood if state else base.likelihood if base else 1,
        impact=state.impact if state else base.impact if base else 1,
        mitigations=tuple(state.mitigations if state else base.mitigations if base else ()),
        review_date=review,
        review_overdue=status == "open" and window is not None and window.is_overdue(review),
        status=status,
        illustrative=bool(base.illustrative if base else state.illustrative if state else False),
        in_framework=base is not None,
        version=state.version if state else 0,
        updated_at=state.updated_at if state else None,
        updated_by=state.updated_by if state else None,
    )


def _all(session: Session, window: CycleWindow) -> list[RiskView]:
    plan = current_plan(session)
    states = risk_states(session, plan.pk)
    names = people_directory(session)
    views = [_view(plan, r.id, r, states.get(r.id), window, names) for r in plan.framework.risks]
    known = {r.id for r in plan.framework.risks}
    views += [_view(plan, rid, None, st, window, names) for rid, st in sorted(states.items()) if rid not in known]
    return views


def list_risks(session: Session, filters: RiskFilters | None = None, *, window: CycleWindow) -> list[RiskView]:
    """The register, highest score first, filtered (open risks by default); reviews judged in ``window``."""
    f = filters or RiskFilters()
    out = []
    for v in _all(session, window):
        checks = [
            (f.owner, v.owner_id),
            (f.organisation, v.owner_organisation_id),
            (f.level, v.level),
            (f.status, v.status),
            (f.action, v.action_id),
            (f.outcome, v.outcome_id),
        ]
        if any(want and want != got for want, got in checks):
            continue
        if f.review_overdue and not v.review_overdue:
            continue
        out.append(v)
    return sorted(out, key=lambda v: (-v.score, -v.impact, v.id))


def get_risk(session: Session, risk_id: str, *, window: CycleWindow) -> RiskView:
    """One risk (its review judged at ``window``'s as-of date), or :class:`NotFound`."""
    return _current(session, risk_id, window)


def _current(session: Session, risk_id: str, window: CycleWindow | None) -> RiskView:
    plan = current_plan(session)
    base = next((r for r in plan.framework.risks if r.id == risk_id), None)
    state = risk_states(session, plan.pk).get(risk_id)
    return _view(plan, risk_id, base, state, window, people_directory(session))


def reviews(session: Session, risk_id: str) -> list[RiskReviewView]:
    """A risk's reviews, newest first."""
    plan = current_plan(session)
    names = people_directory(session)
    return [
        RiskReviewView(
            version=r.version,
            likelihood=r.likelihood,
            impact=r.impact,
            mitigations=tuple(r.mitigations or ()),
            review_date=r.review_date,
            owner=names.get(r.owner or "") or r.owner,
            status=r.status,
            commentary=r.commentary,
            by=r.created_by,
            at=r.created_at,
        )
        for r in risk_history(session, plan.pk, risk_id)
    ]


def heat_map(risks: Iterable[RiskView]) -> list[list[HeatCell]]:
    """The 5x5 matrix as rows of cells: impact 5 (top) to 1, likelihood 1 (left) to 5."""
    by_cell: dict[tuple[int, int], list[RiskView]] = {}
    for r in risks:
        by_cell.setdefault((r.likelihood, r.impact), []).append(r)
    return [
        [HeatCell(lk, im, risk_level(lk * im), tuple(by_cell.get((lk, im), ()))) for lk in range(1, 6)]
        for im in range(5, 0, -1)
    ]


def can_edit_risk(actor: Actor | None, risk: RiskView) -> bool:
    """Admins and performance officers review any risk; a lead officer only the risks they own (domain.access)."""
    return may_edit(actor, [risk.owner_id])


def _score(raw: str, name: str, label: str, problems: list[Problem]) -> int:
    text = raw.strip()
    if not text:
        problems.append(Problem(f"Select the {label.lower()}, from 1 to 5", field=name))
        return 0
    if text not in {"1", "2", "3", "4", "5"}:
        problems.append(Problem(f"{label} must be a whole number from 1 to 5", field=name))
        return 0
    return int(text)


def _review_date(raw: RiskUpdateInput, problems: list[Problem]) -> date | None:
    parts = [raw.review_day.strip(), raw.review_month.strip(), raw.review_year.strip()]
    if not any(parts):
        problems.append(Problem("Enter the date of the next review", field="review_date"))
        return None
    try:
        d, m, y = (int(p) for p in parts)
        if not 2000 <= y <= 2100:
            raise ValueError
        return date(y, m, d)
    except ValueError:
        problems.append(Problem("Review date must be a real date, like 31 3 2012", field="review_date"))
        return None


def _parse(
    raw: RiskUpdateInput, names: dict[str, str], *, owner_allowed: bool, current_owner: str | None
) -> RiskChange:
    problems: list[Problem] = []
    likelihood = _score(raw.likelihood, "likelihood", "Likelihood", problems)
    impact = _score(raw.impact, "impact", "Impact", problems)
    mitigations = [line.strip() for line in raw.mitigations.splitlines() if line.strip()]
    if sum(len(m) for m in mitigations) > _MAX_TEXT:
        problems.append(Problem(f"Mitigations must be {_MAX_TEXT} characters or fewer", field="mitigations"))
    review = _review_date(raw, problems)
    status = raw.status.strip() or "open"
    if status not in RISK_STATUSES:
        problems.append(Problem("Status must be open or closed", field="status"))
    commentary = raw.commentary.strip()
    if len(commentary) > _MAX_TEXT:
        problems.append(Problem(f"Commentary must be {_MAX_TEXT} characters or fewer", field="commentary"))
    owner = raw.owner.strip() or current_owner
    if owner != current_owner:
        if not owner_allowed:
            problems.append(Problem("Only performance officers and admins can change a risk's owner", field="owner"))
        elif owner not in names:
            problems.append(Problem("Select an owner from the list", field="owner"))
    if problems:
        raise InvalidInput("There is a problem with the risk review", problems=problems)
    return RiskChange(
        likelihood=likelihood,
        impact=impact,
        mitigations=mitigations,
        review_date=review,
        owner=owner,
        status=status,
        commentary=commentary or None,
    )


def _snapshot(v: RiskView) -> dict[str, Any]:
    return {
        "likelihood": v.likelihood,
        "impact": v.impact,
        "mitigations": list(v.mitigations),
        "review_date": v.review_date,
        "owner": v.owner_id,
        "status": v.status,
        "version": v.version,
    }


def update_risk(
    session: Session,
    actor: Actor,
    risk_id: str,
    seen_version: int,
    raw: RiskUpdateInput,
) -> RiskReviewView:
    """Record a review of a risk by its owner (or an editor): checked, locked and audited.

    Raises :class:`NotFound`, :class:`Forbidden`, :class:`InvalidInput` (every bad field) or
    :class:`Conflict` (someone else reviewed it first; ``current`` holds their review).
    """
    plan = current_plan(session)
    view = _current(session, risk_id, None)  # who may review, and the audit's before/after: no time judged
    ensure_can_edit(actor, [view.owner_id], what=f"risk {risk_id}", owner="owner")
    change = _parse(raw, people_directory(session), owner_allowed=edits_everything(actor), current_owner=view.owner_id)
    if seen_version == 0:
        change = RiskChange(
            **{
                **change.__dict__,
                "title": view.title,
                "description": view.description,
                "action_id": view.action_id,
                "outcome_id": view.outcome_id,
                "owner_organisation": view.owner_organisation_id,
                "illustrative": view.illustrative,
                "in_framework": view.in_framework,
            }
        )
    apply_risk_update(session, plan.pk, risk_id, seen_version, change, actor.username)
    after = _current(session, risk_id, None)
    record_audit(session, actor, "risk.update", f"risk:{risk_id}", _snapshot(view), _snapshot(after))
    return reviews(session, risk_id)[0]


def add_risk(session: Session, actor: Actor, raw: NewRiskInput, *, window: CycleWindow) -> RiskView:
    """Add a risk to the register (performance officers and admins); its id is R-<n>."""
    if not edits_everything(actor):
        raise Forbidden("Only performance officers and admins can add risks")
    plan = current_plan(session)
    problems: list[Problem] = []
    title = raw.title.strip()
    if not title:
        problems.append(Problem("Enter a title for the risk", field="title"))
    elif len(title) > 300:
        problems.append(Problem("Title must be 300 characters or fewer", field="title"))
    if raw.action and raw.action not in plan.actions:
        problems.append(Problem("Select an action from the list", field="action"))
    if raw.outcome and raw.outcome not in plan.outcomes:
        problems.append(Problem("Select an outcome from the list", field="outcome"))
    try:
        change = _parse(raw.review, people_directory(session), owner_allowed=True, current_owner=None)
    except InvalidInput as exc:
        problems += exc.problems
    if problems:
        raise InvalidInput("There is a problem with the new risk", problems=problems)
    existing = {r.id for r in plan.framework.risks} | set(risk_states(session, plan.pk))
    number = len(existing) + 1
    while f"R-{number}" in existing:
        number += 1
    risk_id = f"R-{number}"
    change = RiskChange(
        **{
            **change.__dict__,
            "title": title,
            "description": raw.description.strip() or None,
            "action_id": raw.action or None,
            "outcome_id": raw.outcome or None,
            "owner_organisation": plan.person_org.get(change.owner or ""),
            "in_framework": False,
        }
    )
    apply_risk_update(session, plan.pk, risk_id, 0, change, actor.username)
    view = get_risk(session, risk_id, window=window)
    record_audit(session, actor, "risk.create", f"risk:{risk_id}", None, _snapshot(view))
    return view
