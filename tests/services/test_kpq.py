"""KPQ answers on constructed data whose right answer is known, on SQLite and PostgreSQL.

The framework in :mod:`tests.services.cycle_data` holds an FSM gap that narrows clearly (large groups), one
that narrows by about a point in small groups (within the noise) and one that widens; the rules of
:mod:`gapwatch.domain.kpq` must give Yes, Not enough evidence and No, with the statistical verdict listed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from gapwatch.domain.cycle import CycleWindow
from gapwatch.domain.kpq import Answer, Direction
from gapwatch.errors import NotFound
from gapwatch.services._plan import current_plan
from gapwatch.services.evidence import ILLUSTRATIVE, evidence_context
from gapwatch.services.kpq import answer_kpqs, dashboard_answers, evaluate
from gapwatch.store.engine import session_scope
from gapwatch.store.progress import ActionStateRow
from tests.services import cycle_data


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    cycle_data.load(engine, tmp_path)
    return engine


#: The 2011 H2 cycle's window: every period of the constructed data ends by its cut-off.
H2_2011 = CycleWindow.ending(date(2011, 12, 31), "2011 H2")


def _by_id(engine: Engine, window: CycleWindow = H2_2011, **kwargs: object) -> dict[str, object]:
    return {a.kpq: a for a in answer_kpqs(engine, window=window, **kwargs)}  # type: ignore[arg-type]


def test_gap_narrowing_significantly_is_yes(loaded: Engine) -> None:
    answer = _by_id(loaded)["K1"]
    assert answer.answer is Answer.YES  # type: ignore[attr-defined]
    (finding,) = answer.reasons  # type: ignore[attr-defined]
    assert finding.direction is Direction.SUPPORTS
    assert finding.verdict == "narrowing"
    assert finding.measure == "group_gap"
    assert "2006/07: -30" in (finding.detail or "") and "2010/11: -18" in (finding.detail or "")


def test_gap_narrowing_within_the_noise_is_not_enough_evidence(loaded: Engine) -> None:
    answer = _by_id(loaded)["K2"]
    assert answer.answer is Answer.NOT_ENOUGH_EVIDENCE  # type: ignore[attr-defined]
    assert answer.rule.startswith("2")  # type: ignore[attr-defined]
    assert answer.reasons[0].direction is Direction.NEUTRAL  # type: ignore[attr-defined]
    assert answer.reasons[0].verdict == "no significant change"  # type: ignore[attr-defined]


def test_gap_widening_is_no(loaded: Engine) -> None:
    answer = _by_id(loaded)["K3"]
    assert answer.answer is Answer.NO  # type: ignore[attr-defined]
    assert answer.reasons[0].direction is Direction.AGAINST  # type: ignore[attr-defined]
    assert answer.reasons[0].verdict == "widening"  # type: ignore[attr-defined]


def test_evidence_both_ways_is_partly_and_lists_each_reason(loaded: Engine) -> None:
    answer = _by_id(loaded)["K4"]
    assert answer.answer is Answer.PARTLY  # type: ignore[attr-defined]
    assert [f.direction for f in answer.reasons] == [Direction.SUPPORTS, Direction.AGAINST]  # type: ignore[attr-defined]
    assert ["GN" in f.label for f in answer.reasons] == [True, False]  # type: ignore[attr-defined]


def test_trend_and_target(loaded: Engine) -> None:
    answers = _by_id(loaded)
    trend = answers["K5"].reasons[0]  # type: ignore[attr-defined]
    assert trend.verdict == "getting better" and trend.direction is Direction.SUPPORTS
    assert "chi-squared test for trend" in trend.detail
    target = answers["K6"].reasons[0]  # type: ignore[attr-defined]
    # T1 is on track; T2 was missed in 2003/04, which is history by 2011 and does not count against.
    assert target.direction is Direction.SUPPORTS and "T1" not in target.verdict
    assert "TR reaches 60% by 2012/13: on track" in target.verdict
    assert "historical (not achieved by 2003/04)" in target.verdict


def test_cutoff_leaves_later_periods_out(loaded: Engine) -> None:
    # Up to March 2008 there are only two periods: too few to test a trend or a gap's trend.
    answers = _by_id(loaded, CycleWindow.ending(date(2008, 3, 31)))
    assert answers["K1"].answer is Answer.NOT_ENOUGH_EVIDENCE  # type: ignore[attr-defined]
    assert answers["K5"].reasons[0].direction is Direction.MISSING  # type: ignore[attr-defined]
    assert "there are 2" in answers["K5"].reasons[0].detail  # type: ignore[attr-defined]


def test_actions_rule_follows_the_rag_of_updated_actions(loaded: Engine) -> None:
    assert _by_id(loaded)["K7"].answer is Answer.NOT_ENOUGH_EVIDENCE  # type: ignore[attr-defined]
    with session_scope(loaded) as session:
        pk = current_plan(session).pk
        for action_id, rag in (("X1", "green"), ("X2", "green"), ("X3", "green"), ("X4", "amber")):
            session.add(
                ActionStateRow(
                    framework_pk=pk,
                    action_id=action_id,
                    rag=rag,
                    updated_by="t",
                    updated_at=datetime(2011, 9, 1, tzinfo=UTC),
                )
            )
    k7 = _by_id(loaded)["K7"]
    assert k7.answer is Answer.YES  # type: ignore[attr-defined]
    assert k7.reasons[0].verdict.startswith("3 green, 0 red")  # type: ignore[attr-defined]
    with session_scope(loaded) as session:
        rows = session.query(ActionStateRow).filter(ActionStateRow.action_id.in_(["X1", "X2"])).all()
        for row in rows:
            row.rag = "red"
    k7 = _by_id(loaded)["K7"]
    assert k7.answer is Answer.NO  # type: ignore[attr-defined]
    assert "2 red or overdue" in k7.reasons[0].verdict  # type: ignore[attr-defined]


def test_action_evidence_is_judged_at_the_windows_as_of_date_and_kept_per_window(loaded: Engine) -> None:
    with session_scope(loaded) as session:
        pk = current_plan(session).pk
        for action_id in ("X1", "X2", "X3", "X4"):  # all green; all fall due on 1 January 2030
            at = datetime(2011, 9, 1, tzinfo=UTC)
            session.add(
                ActionStateRow(framework_pk=pk, action_id=action_id, rag="green", updated_by="t", updated_at=at)
            )
    # The same data cut-off, judged before and after the actions fell due.
    later = CycleWindow(start=date(2011, 7, 1), as_of=date(2030, 6, 30), cutoff=date(2011, 12, 31))
    with session_scope(loaded) as session:
        plan = current_plan(session)
        k7 = [
            {a.kpq: a for a in dashboard_answers(session, plan, window=w)["A1"]}["K7"]
            for w in (H2_2011, later, H2_2011)
        ]
    assert [a.answer for a in k7] == [Answer.YES, Answer.NO, Answer.YES]
    assert k7[1].reasons[0].verdict.startswith("0 green, 4 red or overdue")


def test_studies_count_only_with_a_stated_judgement(loaded: Engine) -> None:
    answers = _by_id(loaded)
    assert answers["K8"].answer is Answer.YES  # type: ignore[attr-defined]
    assert answers["K8"].reasons[0].detail == "tutoring raised attainment"  # type: ignore[attr-defined]
    assert answers["K9"].answer is Answer.NOT_ENOUGH_EVIDENCE  # type: ignore[attr-defined]
    assert answers["K9"].reasons[0].verdict == "finding not judged in the framework"  # type: ignore[attr-defined]
    assert answers["K10"].rule.startswith("1") and answers["K10"].reasons == []  # type: ignore[attr-defined]


def test_findings_from_illustrative_data_say_so(loaded: Engine) -> None:
    with session_scope(loaded) as session:
        plan = current_plan(session)
        ctx = evidence_context(session, plan, window=CycleWindow.ending(date(2012, 1, 1)))
        ctx.frame = ctx.frame.with_columns(
            pl.when(pl.col("indicator") == "GN").then(True).otherwise(pl.col("illustrative")).alias("illustrative")
        )
        kpqs = {k.id: k for k in plan.framework.kpqs}
        gn, gw = evaluate(ctx, [kpqs["K1"], kpqs["K3"]])
    assert ILLUSTRATIVE in gn.reasons[0].verdict
    assert ILLUSTRATIVE not in gw.reasons[0].verdict


def test_ambition_filter_and_unknown_ambition(loaded: Engine) -> None:
    assert len(answer_kpqs(loaded, window=H2_2011, ambition=1)) == 10
    assert len(answer_kpqs(loaded, window=H2_2011, ambition="A1")) == 10
    with pytest.raises(NotFound, match="no ambition '7'"):
        answer_kpqs(loaded, window=H2_2011, ambition=7)
