"""The demo's accounts, assignments and risks: something for every role to do, all labelled as demo."""

from __future__ import annotations

from sqlalchemy import Engine

from gapwatch.domain.cycle import CycleWindow
from gapwatch.services.accounts import DEMO_LEAD_PERSON, authenticate
from gapwatch.services.actions import can_edit_action, get_action
from gapwatch.services.demo_workflow import DEMO_ACTIONS, DEMO_CYCLE, seed_demo_workflow
from gapwatch.services.frameworks import bundled_framework_path, load_framework
from gapwatch.services.risks import can_edit_risk, list_risks
from gapwatch.store.engine import session_scope


def test_demo_workflow_gives_the_lead_officer_work_and_is_repeatable(engine: Engine) -> None:
    load_framework(engine, bundled_framework_path("kent"))
    users, first = seed_demo_workflow(engine)
    assert {role for _, role, _ in users} == {"admin", "performance_officer", "lead_officer", "board_member"}
    assert first[0].startswith("Reporting cycle 2012 H2 opened")
    assert "4 newly assigned" in first[1] and "3 added" in first[1]
    password = {u: p for u, _, p in users}["lead"]
    window = CycleWindow.ending(DEMO_CYCLE[1], DEMO_CYCLE[0])
    with session_scope(engine) as session:
        lead = authenticate(session, "lead", password, address="127.0.0.1")
        assert lead.person_id == DEMO_LEAD_PERSON
        for action_id in DEMO_ACTIONS:
            assert can_edit_action(lead, get_action(session, action_id, window=window))
        assert not can_edit_action(lead, get_action(session, "CYPP-9", window=window))
        risks = list_risks(session, window=window)
        assert len(risks) == 3
        assert all(r.title.startswith("Illustrative:") for r in risks)
        assert all(can_edit_risk(lead, r) for r in risks)
    _, again = seed_demo_workflow(engine)
    assert again[0] == "Reporting cycle 2012 H2 was already open"
    assert "0 newly assigned" in again[1] and "0 added" in again[1]
