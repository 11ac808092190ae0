"""A constructed board report (ReportData) whose exceptions, illustrative values and gaps are known."""

from __future__ import annotations

from datetime import UTC, date, datetime

from gapwatch.domain.kpq import Answer, Direction, EvidenceFinding, KpqAnswer
from gapwatch.reports.build import Names
from gapwatch.services.report_data import (
    ActionRow,
    ApprovalInfo,
    BatchInfo,
    BoardInfo,
    CommentaryEntry,
    CycleInfo,
    GapVerdict,
    IndicatorPage,
    ReportData,
    ReportKpq,
    RiskRow,
    SeriesPoint,
    TargetStatus,
)

PERIODS = ["2006/07", "2007/08", "2008/09", "2009/10", "2010/11"]
WHEN = datetime(2012, 1, 5, 10, 30, tzinfo=UTC)


def _series(values: list[float | None], *, illustrative: bool, area: str = "C0", **extra: str) -> list[SeriesPoint]:
    return [
        SeriesPoint(
            period=p,
            period_end=date(2007 + i, 3, 31),
            area=area,
            value=v,
            lower=None if v is None else v - 1.5,
            upper=None if v is None else v + 1.5,
            count=None if v is None else v * 10,
            denominator=None if v is None else 1000,
            batch=7 if illustrative else None,
            source="import" if illustrative else "plan: 003_seed.txt, Narrowing the Gap",
            illustrative=illustrative,
            **extra,
        )
        for i, (p, v) in enumerate(zip(PERIODS, values, strict=True))
    ]


def _gap(indicator: str, verdict: str, values: list[float], *, illustrative: bool = True) -> GapVerdict:
    points = [
        SeriesPoint(period=p, area="C0", value=v, lower=v - 2, upper=v + 2, illustrative=illustrative)
        for p, v in zip(PERIODS, values, strict=True)
    ]
    return GapVerdict(
        indicator=indicator,
        measure="group_gap",
        label="FSM vs non-FSM pupils",
        subject="fsm",
        comparator="non-fsm",
        latest_gap=values[-1],
        latest_period=PERIODS[-1],
        lower=values[-1] - 2,
        upper=values[-1] + 2,
        verdict=verdict,
        widening=verdict == "widening",
        detail="weighted least squares on the gap",
        points=points,
        illustrative=illustrative,
    )


def report_data(*, frozen: bool = True, board_area: str | None = None) -> ReportData:
    """Two indicators with data (one illustrative, with an FSM gap widening and a target off track) and
    one without; four actions (red, overdue, green, never updated); two risks (one overdue review)."""
    widening = _gap("IND-A", "widening", [-20.0, -21.0, -23.0, -25.0, -27.0])
    narrowing = _gap("IND-B", "narrowing", [-30.0, -28.0, -25.0, -22.0, -20.0], illustrative=False)
    off_track = TargetStatus(
        target="T1",
        title="Raise IND-A to 60% by 2010/11",
        indicator="IND-A",
        kind="level",
        baseline=50.0,
        baseline_period="2006/07",
        target_value=60.0,
        target_period="2010/11",
        latest=52.0,
        latest_period="2010/11",
        status="off track",
        off_track=True,
        illustrative=True,
    )
    on_track = TargetStatus(
        target="T2",
        title="Raise IND-B",
        indicator="IND-B",
        kind="level",
        baseline=40.0,
        baseline_period="2006/07",
        target_value=50.0,
        target_period="2010/11",
        latest=49.0,
        latest_period="2010/11",
        status="on track",
    )
    ind_a = IndicatorPage(
        id="IND-A",
        code="IA 1",
        title="Indicator A: pupils achieving the threshold",
        unit="%",
        measure="proportion",
        polarity="higher_is_better",
        area=board_area or "C0",
        headline=_series([50.0, 50.5, 51.0, 51.5, 52.0], illustrative=True, area=board_area or "C0"),
        breakdowns=[
            *_series([30.0, 30.0, 29.0, 28.0, 27.0], illustrative=True, category_type="fsm", category="fsm"),
            *_series([50.0, 51.0, 52.0, 53.0, 54.0], illustrative=True, category_type="fsm", category="non-fsm"),
            *_series([48.0, 49.0, 50.0, 51.0, 53.0], illustrative=True, area="D1"),
            *_series([47.0, 48.0, 49.0, 50.0, 51.0], illustrative=True, area="D2"),
        ],
        trend="getting better",
        trend_detail="chi-squared test for trend, p = 0.01",
        gaps=[widening],
        targets=[off_track],
        illustrative=True,
    )
    ind_b = IndicatorPage(
        id="IND-B",
        code="IB 2",
        title="Indicator B: real figures only",
        unit="%",
        measure="proportion",
        polarity="higher_is_better",
        area=board_area or "C0",
        headline=_series([40.0, None, 44.0, 47.0, 49.0], illustrative=False, area=board_area or "C0"),
        trend="not enough data",
        gaps=[narrowing],
        targets=[on_track],
    )
    empty = IndicatorPage(
        id="IND-C",
        code="IC 3",
        title="Indicator C: never collected",
        unit="per 1,000",
        measure="rate",
        polarity="lower_is_better",
        area=board_area or "C0",
    )
    finding = EvidenceFinding(
        label="IA 1: gap (FSM vs non-FSM)",
        measure="group_gap",
        direction=Direction.AGAINST,
        verdict="widening (illustrative demo data)",
        detail="slope -1.8 points a year",
        batches=[7],
    )
    missing = EvidenceFinding(
        label="IC 3: recent trend",
        measure="trend",
        direction=Direction.MISSING,
        verdict="could not be calculated",
        detail="needs 5 periods of data; there are 0",
    )
    supports = EvidenceFinding(
        label="IB 2: gap (FSM vs non-FSM)",
        measure="group_gap",
        direction=Direction.SUPPORTS,
        verdict="narrowing",
    )
    kpqs = [
        ReportKpq(
            ambition="A1",
            ambition_title="Tackle disadvantage",
            answer=KpqAnswer(
                kpq="K1",
                question="Is the gap reducing?",
                answer=Answer.PARTLY,
                rule="5: evidence points both ways",
                reasons=[finding, supports, missing],
            ),
        ),
        ReportKpq(
            ambition="A1",
            ambition_title="Tackle disadvantage",
            answer=KpqAnswer(
                kpq="K2",
                question="Are we collecting data?",
                answer=Answer.NOT_ENOUGH_EVIDENCE,
                rule="1: no evidence with data",
                reasons=[missing],
            ),
        ),
    ]
    actions = [
        ActionRow(
            id="a1",
            number="1",
            text="Run the FSM tutoring scheme",
            outcome="1A Attainment",
            lead_officer="Ann",
            rag="red",
            percent_complete=20,
            deadline=date(2012, 6, 30),
        ),
        ActionRow(
            id="a2",
            number="2",
            text="Open two children's centres",
            outcome="1A Attainment",
            rag="amber",
            percent_complete=60,
            deadline=date(2011, 9, 30),
            overdue=True,
        ),
        ActionRow(
            id="a3", number="3", text="Publish the strategy", outcome="2B Health", rag="green", percent_complete=100
        ),
        ActionRow(id="a4", number="4", text="Never updated action", outcome="2B Health"),
    ]
    risks = [
        RiskRow(
            id="R1",
            title="Funding ends",
            owner="Bob",
            likelihood=4,
            impact=5,
            score=20,
            level="high",
            review_date=date(2011, 10, 1),
            review_overdue=True,
        ),
        RiskRow(
            id="R2", title="Staff turnover", likelihood=2, impact=2, score=4, level="low", review_date=date(2012, 6, 1)
        ),
        RiskRow(
            id="R3",
            title="Closed risk",
            likelihood=5,
            impact=5,
            score=25,
            level="high",
            status="closed",
            review_overdue=True,
        ),
    ]
    commentary = [
        CommentaryEntry(
            id=1,
            subject_kind="report",
            subject_id="forum",
            text="A mixed half-year.",
            author="Pat",
            written_at=WHEN,
            status="approved",
            decided_by="pat",
            decided_at=WHEN,
        ),
        CommentaryEntry(
            id=2,
            subject_kind="indicator",
            subject_id="IND-A",
            text="The FSM gap needs attention.",
            author="Pat",
            written_at=WHEN,
            status="draft",
        ),
    ]
    return ReportData(
        framework_id="test",
        framework_revision=3,
        partnership="Test Partnership",
        cycle=CycleInfo(
            name="2011 H2",
            data_cutoff=date(2011, 12, 31),
            action_deadline=date(2012, 1, 31),
            status="closed" if frozen else "open",
            closed_at=WHEN if frozen else None,
        ),
        board=BoardInfo(
            id="forum", name="Test Forum", kind="forum", ambitions=["A1"], area=board_area, chair="Carol Chair"
        ),
        frozen=frozen,
        generated_at=WHEN,
        kpqs=kpqs,
        indicators=[ind_a, ind_b, empty],
        targets=[off_track, on_track],
        gaps=[widening, narrowing],
        actions=actions,
        risks=risks,
        commentary=commentary,
        approval=ApprovalInfo(status="awaiting approval" if frozen else "not submitted"),
        batches=[BatchInfo(id=7, name="Illustrative demo data", illustrative=True)],
        illustrative=True,
        notes=["1 indicator(s) in scope have no value recent enough for the cut-off 31 December 2011"],
    )


NAMES = Names(
    areas={"C0": "Testshire", "D1": "North District", "D2": "South District"},
    category_types={"fsm": "Free school meals"},
    categories={("fsm", "fsm"): "Eligible for FSM", ("fsm", "non-fsm"): "Not eligible for FSM"},
    county="C0",
)
