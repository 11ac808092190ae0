"""Local plans nested in a county plan (issue 12, item 5): a local board sees the county plan's indicators for its
own area plus its locally agreed measures; Kent's generic LCSP board, whose boundaries are not in the seeds, says
so in its report instead of passing county figures off as its own; a grouping or plan inside itself is refused."""

from __future__ import annotations

from gapwatch.domain.areas import AreaGrouping
from gapwatch.domain.catalogue import build_plan
from gapwatch.domain.framework import reference_problems
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.partnership import Board
from gapwatch.domain.plan import Plan as PlanItem
from gapwatch.domain.plan import Priority
from gapwatch.services.frameworks import bundled_framework_path, validate_framework

KENT = validate_framework(bundled_framework_path("kent")).framework


def test_kent_lcsp_board_says_its_area_is_not_defined() -> None:
    plan = build_plan(KENT)
    lcsp = plan.boards["lcsp-board"]
    note = plan.board_scope_note(lcsp)
    assert note is not None and "no area is defined" in note and "gapwatch area load" in note
    assert plan.board_scope_note(plan.boards["kct-board"]) is None  # a county board needs no such note
    assert plan.board_scope_note(plan.boards["locality-board-thanet"]) is None  # it has its area


def test_a_local_plan_brings_the_county_plans_indicators_for_its_area() -> None:
    local_plan = PlanItem(
        id="example-lcsp-plan", title="Example LCSP plan", parent="cypp-2008-11", area="example-margate-wards"
    )
    measure = Indicator(id="LOCAL-1", code="LOCAL 1", title="A locally agreed measure", priorities=["LP1"])
    priority = Priority(id="LP1", plan="example-lcsp-plan", number=1, title="A local priority")
    grouping = AreaGrouping(
        id="example-margate-wards", name="Example", members=["E05005093", "E05005088"], parent="E07000114"
    )
    board = Board(id="example-lcsp-board", name="Example LCSP Board", kind="lcsp", plans=["example-lcsp-plan"])
    fw = KENT.model_copy(
        update={
            "plans": [*KENT.plans, local_plan],
            "priorities": [*KENT.priorities, priority],
            "indicators": [*KENT.indicators, measure],
            "area_groupings": [*KENT.area_groupings, grouping],
            "boards": [*KENT.boards, board],
        }
    )
    assert reference_problems(fw) == []
    plan = build_plan(fw)
    covered = {i.id for i in fw.indicators if plan.board_covers_indicator(board, i)}
    county = {i.id for i in fw.indicators if plan.board_covers_indicator(plan.boards["kct-board"], i)}
    assert "LOCAL-1" in covered and "LOCAL-1" not in county  # its own measure, not the county's
    assert county <= covered  # and every county CYPP indicator, disaggregated to its area
    assert plan.board_area(board) == "example-margate-wards" and plan.board_scope_note(board) is None


def test_groupings_and_plans_inside_themselves_are_refused() -> None:
    a = AreaGrouping(id="a", name="A", members=["b"])
    b = AreaGrouping(id="b", name="B", members=["a"])
    p1 = PlanItem(id="p1", title="P1", parent="p2")
    p2 = PlanItem(id="p2", title="P2", parent="p1")
    fw = KENT.model_copy(update={"area_groupings": [*KENT.area_groupings, a, b], "plans": [*KENT.plans, p1, p2]})
    found = {(path, msg) for path, msg in reference_problems(fw)}
    n = len(KENT.area_groupings)
    assert (("area_groupings", n, "members"), "grouping 'a' contains itself: a > b > a") in found
    assert any(path[0] == "plans" and "nested in itself" in msg for path, msg in found)
