"""Assembling a board report from its content: exceptions first, no data stated as such, annexes compact."""

from __future__ import annotations

from gapwatch.reports.build import assemble
from tests.reports.sample import NAMES, report_data


def test_exceptions_are_the_off_track_targets_widening_gaps_red_or_overdue_actions_and_overdue_reviews() -> None:
    report = assemble(report_data(), NAMES)
    e = report.exceptions
    assert [t.target for t in e.targets] == ["T1"]
    assert [g.indicator for g in e.gaps] == ["IND-A"]
    assert {x.action.id: x.reason for x in e.actions} == {
        "a1": "rated red",
        "a2": "overdue (deadline 30 September 2011)",
    }
    # R3 is closed: its review being late is no longer the board's business.
    assert [r.id for r in e.risks] == ["R1"]
    assert e.count == 5


def test_indicators_without_data_get_no_page_and_no_chart() -> None:
    report = assemble(report_data(), NAMES)
    assert [s.page.id for s in report.sections] == ["IND-A", "IND-B"]
    assert [p.id for p in report.without_data] == ["IND-C"]
    kinds = {s.page.id: [c.kind for c in s.charts] for s in report.sections}
    assert kinds["IND-A"] == ["trend", "gap", "breakdown-groups", "breakdown-areas"]
    assert kinds["IND-B"] == ["trend", "gap"]  # no breakdowns in the data, so no breakdown chart


def test_a_missing_value_stays_missing_and_the_latest_value_is_the_last_one_observed() -> None:
    report = assemble(report_data(), NAMES)
    section = next(s for s in report.sections if s.page.id == "IND-B")
    assert [r.value for r in section.headline] == [40.0, None, 44.0, 47.0, 49.0]
    assert section.latest is not None and section.latest.period == "2010/11"
    trend = section.charts[0].spec
    plotted = trend["datasets"]["values"]
    assert [row["period"] for row in plotted] == ["2006/07", "2008/09", "2009/10", "2010/11"]


def test_illustrative_values_are_flagged_on_rows_charts_and_lineage() -> None:
    report = assemble(report_data(), NAMES)
    a = next(s for s in report.sections if s.page.id == "IND-A")
    b = next(s for s in report.sections if s.page.id == "IND-B")
    assert a.illustrative and all(c.illustrative for c in a.charts)
    assert all(r.illustrative and r.lineage == "batch 7; illustrative" for r in a.headline)
    assert not b.headline[0].illustrative and b.headline[0].lineage.startswith("plan: 003_seed.txt")
    assert not b.charts[0].illustrative
    k1 = report.kpqs[0]
    assert k1.illustrative and [f.direction for f in k1.with_data] == ["against", "supports"]
    assert [f.label for f in k1.missing] == ["IC 3: recent trend"]


def test_breakdowns_are_the_latest_period_with_readable_names() -> None:
    report = assemble(report_data(), NAMES)
    a = next(s for s in report.sections if s.page.id == "IND-A")
    assert {(b.kind, b.label, b.row.period) for b in a.breakdowns} == {
        ("groups", "Eligible for FSM", "2010/11"),
        ("groups", "Not eligible for FSM", "2010/11"),
        ("areas", "North District", "2010/11"),
        ("areas", "South District", "2010/11"),
    }


def test_actions_risks_and_commentary() -> None:
    report = assemble(report_data(), NAMES)
    assert report.rag_counts == {"red": 1, "amber": 1, "green": 1, "not updated": 1}
    assert [g.outcome for g in report.action_groups] == ["1A Attainment", "2B Health"]
    rs = report.risks
    assert [r.id for r in rs.risks] == ["R1", "R2", "R3"]  # open ones first, by score
    assert rs.grid[3][4] == 1 and rs.grid[1][1] == 1 and sum(map(sum, rs.grid)) == 2  # the closed risk is left out
    assert rs.by_level == {"high": 1, "medium": 0, "low": 1} and rs.overdue_reviews == 1
    assert [c.id for c in report.commentary] == [1]
    assert [c.id for c in next(s for s in report.sections if s.page.id == "IND-A").commentary] == [2]


def test_status_and_approval_lines_say_whether_the_report_is_final() -> None:
    final = assemble(report_data(frozen=True), NAMES)
    draft = assemble(report_data(frozen=False), NAMES)
    assert final.status.startswith("Final: frozen when cycle 2011 H2 closed")
    assert final.approval == "Awaiting approval by Carol Chair or a delegate"
    assert draft.status.startswith("Draft: cycle 2011 H2 is open")
    assert draft.approval.startswith("Not yet submitted")


def test_an_annex_is_compact_an_overview_of_the_area_not_a_page_per_indicator() -> None:
    annex = assemble(report_data(board_area="D1"), NAMES, annex_label="Annex A")
    assert annex.compact and annex.anchor == "annex-a"
    assert annex.sections == [] and annex.action_groups == [] and annex.rag_chart is None
    assert [o.code for o in annex.overview] == ["IA 1", "IB 2"]
    assert annex.exceptions.actions == [] and annex.exceptions.risks == []
    assert [t.target for t in annex.exceptions.targets] == ["T1"]
    assert all(c.id.startswith("annex-a-") for c in annex.charts)
