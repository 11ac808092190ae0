"""The one permission model (gapwatch.domain.access): roles, permissions and the ownership rule."""

from __future__ import annotations

import pytest

from gapwatch.domain.access import (
    ANONYMOUS,
    ROLE_PERMISSIONS,
    Operator,
    Permission,
    Role,
    as_actor,
    edits_everything,
    ensure_can_edit,
    ensure_may,
    may,
    may_edit,
)
from gapwatch.errors import Forbidden

LEO = Operator("leo", role=Role.LEAD_OFFICER, person_id="leo-person")
UNLINKED_LEAD = Operator("lin", role=Role.LEAD_OFFICER)
BEA = Operator("bea", role=Role.BOARD_MEMBER, person_id="leo-person")  # linked to the lead: still reads only
PAT = Operator("pat", role=Role.PERFORMANCE_OFFICER)
ADA = Operator("ada", role=Role.ADMIN)


def test_a_lead_officer_edits_what_they_lead_and_nothing_else() -> None:
    assert may_edit(LEO, ["leo-person"]) and may_edit(LEO, [None, "someone", "leo-person"])
    assert not may_edit(LEO, ["someone-else"]) and not may_edit(LEO, [None])
    assert not may_edit(UNLINKED_LEAD, ["leo-person", None])
    ensure_can_edit(LEO, ["leo-person"], what="action 1.1")
    with pytest.raises(Forbidden, match="You cannot change action 1.2: you are not its lead officer"):
        ensure_can_edit(LEO, ["someone-else"], what="action 1.2")
    with pytest.raises(Forbidden, match="you are not its owner"):
        ensure_can_edit(LEO, ["someone-else"], what="risk R-1", owner="owner")
    assert not edits_everything(LEO)


def test_board_members_and_visitors_edit_nothing() -> None:
    for who in (BEA, None):
        assert not may_edit(who, ["leo-person"]) and not edits_everything(who)
        with pytest.raises(Forbidden, match="You cannot change action 1.1$"):
            ensure_can_edit(who, ["leo-person"], what="action 1.1")
    assert may(BEA, Permission.READ) and may(BEA, Permission.COMMENT)
    assert not may(BEA, Permission.MANAGE_DATA) and not may(BEA, Permission.UPDATE_OWN)


def test_performance_officers_and_admins_edit_everything() -> None:
    for who in (PAT, ADA):
        assert may_edit(who, ["anyone"]) and may_edit(who, [None]) and edits_everything(who)
        assert may(who, Permission.MANAGE_DATA) and may(who, Permission.VIEW_AUDIT)
    assert may(ADA, Permission.MANAGE_USERS) and not may(PAT, Permission.MANAGE_USERS)


def test_the_public_reads_only_what_is_published() -> None:
    assert may(None, Permission.PUBLIC)
    assert [p for p in Permission if may(None, p)] == [Permission.PUBLIC]
    assert ROLE_PERMISSIONS[ANONYMOUS] == frozenset({Permission.PUBLIC})
    with pytest.raises(Forbidden):
        ensure_may(None, Permission.READ, doing="read the dashboard")


def test_ensure_may_names_who_can() -> None:
    ensure_may(PAT, Permission.MANAGE_DATA, doing="import data")
    with pytest.raises(Forbidden) as err:
        ensure_may(LEO, Permission.MANAGE_DATA, doing="import data")
    assert err.value.message == "You cannot import data: only performance officers and administrators can"
    assert "lead officer" in (err.value.hint or "")


def test_every_role_is_in_the_table_and_operators_hold_everything() -> None:
    assert set(ROLE_PERMISSIONS) == {ANONYMOUS, *Role}
    operator = as_actor("cli:alice")
    assert operator.username == "cli:alice" and all(may(operator, p) for p in Permission)
    assert as_actor(LEO) is LEO
