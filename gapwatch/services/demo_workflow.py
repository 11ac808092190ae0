"""Give the demo something to work on: accounts for every role, a few actions led by the demo lead
officer, and an illustrative risk register.

Kent's plan names no lead officers and publishes no risk register, so none of this is real: the
assignments are made by the demo performance officer and recorded in each action's history, and every
demo risk says it is illustrative in its title.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from gapwatch.domain.access import Operator, Role
from gapwatch.domain.cycle import CycleWindow
from gapwatch.errors import Conflict
from gapwatch.services.accounts import DEMO_LEAD_PERSON, create_demo_users
from gapwatch.services.actions import assign_lead_officer, get_action
from gapwatch.services.cycles import open_cycle
from gapwatch.services.risks import NewRiskInput, RiskUpdateInput, add_risk, list_risks
from gapwatch.store.engine import session_scope

__all__ = ["DEMO_ACTIONS", "DEMO_CYCLE", "DEMO_RISKS", "seed_demo_workflow"]

#: The reporting cycle the demo opens: the half-year after the plan's last data, so every board has a report.
DEMO_CYCLE = ("2012 H2", date(2012, 12, 31), date(2013, 1, 31))

#: Actions the demo lead officer leads (the first actions of the CYPP's first priority).
DEMO_ACTIONS = ("CYPP-1", "CYPP-2", "CYPP-3", "CYPP-4")

#: (title, action, likelihood, impact, mitigation) of the illustrative risks.
DEMO_RISKS = (
    (
        "Illustrative: childcare places do not keep pace with demand",
        "CYPP-1",
        3,
        4,
        "Quarterly review of sufficiency with district councils",
    ),
    (
        "Illustrative: Jobcentre Plus advisers withdrawn from children's centres",
        "CYPP-2",
        2,
        3,
        "Agreement with Jobcentre Plus renewed each year",
    ),
    (
        "Illustrative: free school meal eligibility data arrive too late for the autumn report",
        "CYPP-3",
        4,
        2,
        "Ask schools for a provisional extract in July",
    ),
)


#: The demo's assignments and risks are made as its performance officer would make them.
_DEMO_ACTOR = Operator("performance", role=Role.PERFORMANCE_OFFICER)


def seed_demo_workflow(engine: Engine) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Create the demo accounts and the illustrative assignments and risks; safe to run again.

    Returns the accounts as (username, role, password) and one line per step done.
    """
    users = create_demo_users(engine)
    actor = _DEMO_ACTOR
    done: list[str] = []
    name, cutoff, deadline = DEMO_CYCLE
    window = CycleWindow.ending(cutoff, name)  # the demo judges time as its own cycle does
    with session_scope(engine) as session:
        assigned = 0
        for action_id in DEMO_ACTIONS:
            view = get_action(session, action_id, window=window)
            if view.lead_officer_id != DEMO_LEAD_PERSON:
                assign_lead_officer(session, actor, action_id, view.version, DEMO_LEAD_PERSON)
                assigned += 1
        existing = {r.title for r in list_risks(session, window=window)}
        added = 0
        for title, action, likelihood, impact, mitigation in DEMO_RISKS:
            if title in existing:
                continue
            review = RiskUpdateInput(
                likelihood=str(likelihood),
                impact=str(impact),
                mitigations=mitigation,
                owner=DEMO_LEAD_PERSON,
                review_day="30",
                review_month="6",
                review_year="2012",
            )
            add_risk(session, actor, NewRiskInput(title=title, action=action, review=review), window=window)
            added += 1
    try:
        open_cycle(engine, name, data_cutoff=cutoff, action_deadline=deadline, by="gapwatch demo")
        done.append(f"Reporting cycle {name} opened (data cut-off {cutoff}, action updates due {deadline})")
    except Conflict:
        done.append(f"Reporting cycle {name} was already open")
    done.append(
        f"Demo lead officer leads {len(DEMO_ACTIONS)} actions ({assigned} newly assigned) and owns "
        f"{len(DEMO_RISKS)} illustrative risks ({added} added)"
    )
    return users, done
