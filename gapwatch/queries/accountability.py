"""``my_work`` and ``accountability``: what a lead officer owns and what a performance officer chases.

``my_work`` answers a signed-in lead officer's question "what do I have to do this cycle?": their actions due
in the cycle window, overdue, and not updated this cycle, and the risks they own with reviews due; plus the
actions nobody leads (so a lead can offer to take one). ``accountability`` answers the performance
officer's: for each owner, when they last updated anything, and which measures (actions and risks) have no
active owner — no lead at all, or a lead with no active account to sign in with.

Both judge time in the given cycle window (as the dashboard and the cycle's report do): overdue and
"updated this cycle" come from :func:`~gapwatch.services.actions.list_actions`, never from the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from gapwatch.domain.cycle import CycleWindow
from gapwatch.services.accounts import accounts
from gapwatch.services.actions import ActionView, list_actions, people_directory
from gapwatch.services.risks import RiskView, list_risks

__all__ = ["Accountability", "MyWork", "OwnerLine", "accountability", "my_work"]


@dataclass
class MyWork:
    """A lead officer's actions and risks in a cycle window."""

    person_id: str | None
    person: str | None
    window: CycleWindow
    due: list[ActionView] = field(default_factory=list)  #: deadline within the window, not complete
    overdue: list[ActionView] = field(default_factory=list)
    not_updated: list[ActionView] = field(default_factory=list)  #: open, not updated since the window's start
    actions: list[ActionView] = field(default_factory=list)  #: everything they lead
    risks: list[RiskView] = field(default_factory=list)
    reviews_due: list[RiskView] = field(default_factory=list)
    unowned: list[ActionView] = field(default_factory=list)


def my_work(session: Session, person_id: str | None, window: CycleWindow) -> MyWork:
    """The actions and risks ``person_id`` leads, sorted by what needs doing first, and the unowned actions."""
    names = people_directory(session)
    everything = list_actions(session, window=window)
    mine = [a for a in everything if person_id and a.lead_officer_id == person_id]
    work = MyWork(person_id, names.get(person_id or ""), window, actions=mine)
    work.overdue = [a for a in mine if a.overdue]
    work.due = [
        a
        for a in mine
        if not a.complete and not a.overdue and a.deadline and window.start <= a.deadline <= window.cutoff
    ]
    work.not_updated = [a for a in mine if not a.complete and not a.updated_this_cycle]
    work.risks = [r for r in list_risks(session, window=window) if person_id and r.owner_id == person_id]
    work.reviews_due = [r for r in work.risks if r.review_overdue]
    work.unowned = [a for a in everything if not a.lead_officer_id and not a.complete]
    return work


@dataclass(frozen=True)
class OwnerLine:
    """One owner's record: how many actions and risks they hold and when they last updated any of them."""

    person_id: str
    name: str
    actions: int
    risks: int
    overdue: int
    not_updated: int
    last_update: datetime | None
    has_account: bool


@dataclass
class Accountability:
    """Owners with their last update, and the measures without an active owner."""

    window: CycleWindow
    owners: list[OwnerLine]
    actions_without_owner: list[ActionView]
    actions_owner_inactive: list[ActionView]
    risks_without_owner: list[RiskView]
    risks_owner_inactive: list[RiskView]


def accountability(session: Session, window: CycleWindow) -> Accountability:
    """Per owner: actions and risks held, overdue, not updated this cycle, last update (longest silent first);
    and every action or risk with no owner or an owner who cannot sign in."""
    names = people_directory(session)
    active = {u.person_id for u in accounts(session) if u.person_id and u.active}
    all_actions = list_actions(session, window=window)
    all_risks = list_risks(session, window=window)
    owners: dict[str, list[ActionView | RiskView]] = {}
    for a in all_actions:
        if a.lead_officer_id:
            owners.setdefault(a.lead_officer_id, []).append(a)
    for r in all_risks:
        if r.owner_id:
            owners.setdefault(r.owner_id, []).append(r)
    lines = []
    for pid, items in owners.items():
        acts = [i for i in items if isinstance(i, ActionView)]
        risks = [i for i in items if isinstance(i, RiskView)]
        stamps = [i.updated_at for i in items if i.updated_at is not None]
        lines.append(
            OwnerLine(
                person_id=pid,
                name=names.get(pid, pid),
                actions=len(acts),
                risks=len(risks),
                overdue=sum(a.overdue for a in acts) + sum(r.review_overdue for r in risks),
                not_updated=sum(not a.complete and not a.updated_this_cycle for a in acts),
                last_update=max(stamps) if stamps else None,
                has_account=pid in active,
            )
        )
    # Longest silent first: never updated, then the oldest last update.
    lines.sort(key=lambda o: (o.last_update is not None, o.last_update or datetime.min, o.name))
    return Accountability(
        window=window,
        owners=lines,
        actions_without_owner=[a for a in all_actions if not a.lead_officer_id and not a.complete],
        actions_owner_inactive=[
            a for a in all_actions if a.lead_officer_id and a.lead_officer_id not in active and not a.complete
        ],
        risks_without_owner=[r for r in all_risks if not r.owner_id],
        risks_owner_inactive=[r for r in all_risks if r.owner_id and r.owner_id not in active],
    )
