"""The coverage rule (a Yes or No needs at least half the evidence items to have data) and the Kent KPQs
answered from the real series of the demo's public-data extract, each reason flagged illustrative or not."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from gapwatch.cli.main import app
from gapwatch.domain.cycle import CycleWindow
from gapwatch.domain.kpq import Answer, Direction, EvidenceFinding, combine
from gapwatch.services.kpq import answer_kpqs

WINDOW = CycleWindow.ending(date(2012, 12, 31), "2012 H2")


def _finding(label: str, direction: Direction) -> EvidenceFinding:
    return EvidenceFinding(label=label, measure="trend", direction=direction, verdict="v")


@pytest.mark.parametrize(
    ("with_data", "answer"),
    [(1, Answer.NOT_ENOUGH_EVIDENCE), (2, Answer.NOT_ENOUGH_EVIDENCE), (3, Answer.YES), (5, Answer.YES)],
)
def test_yes_needs_at_least_half_the_items_with_data(with_data: int, answer: Answer) -> None:
    findings = [_finding(f"item {i}", Direction.SUPPORTS if i < with_data else Direction.MISSING) for i in range(5)]
    result = combine("K", "Q?", findings)
    assert result.answer is answer
    assert result.coverage == f"{with_data} of 5"
    assert result.missing == [f"item {i}" for i in range(with_data, 5)]


def test_no_needs_coverage_too_and_both_ways_stays_partly() -> None:
    against = [_finding("a", Direction.AGAINST), *(_finding(f"m{i}", Direction.MISSING) for i in range(3))]
    assert combine("K", "Q?", against).answer is Answer.NOT_ENOUGH_EVIDENCE
    both = [_finding("a", Direction.AGAINST), _finding("s", Direction.SUPPORTS), _finding("m", Direction.MISSING)]
    assert combine("K", "Q?", both).answer is Answer.PARTLY


def test_a_context_study_is_not_counted_as_missing() -> None:
    study = EvidenceFinding(label="Study", measure="study", direction=Direction.MISSING, verdict="not judged")
    result = combine("K", "Q?", [_finding("s", Direction.SUPPORTS), study])
    assert result.answer is Answer.YES and result.coverage == "1 of 1" and result.missing == []


def test_a2_kpq3_answers_from_the_real_fsm_gap_at_19(kent_demo: tuple[Engine, Path]) -> None:
    answer = next(a for a in answer_kpqs(kent_demo[0], window=WINDOW, ambition=2) if a.kpq == "A2-KPQ3")
    real = [r for r in answer.reasons if r.label.startswith("NI 80") and "gap" in r.label]
    assert len(real) == 1 and real[0].direction is not Direction.MISSING
    assert real[0].illustrative is False and real[0].batches
    assert "2004/05 AY" in (real[0].detail or "")
    assert any(r.illustrative for r in answer.reasons)  # the others rest on generated series, and say so


def test_a1_kpq5_is_not_yes_when_three_of_five_items_have_no_data(kent_demo: tuple[Engine, Path]) -> None:
    answer = next(a for a in answer_kpqs(kent_demo[0], window=WINDOW, ambition=1) if a.kpq == "A1-KPQ5")
    assert len(answer.reasons) == 5
    assert sum(r.direction is Direction.MISSING for r in answer.reasons) == 3
    assert answer.answer is Answer.NOT_ENOUGH_EVIDENCE and answer.rule.startswith("6:")
    assert len(answer.missing) == 3 and answer.coverage == "2 of 5"


def test_cli_json_carries_coverage_missing_and_illustrative_as_the_service_decides(
    kent_demo: tuple[Engine, Path],
) -> None:
    engine, path = kent_demo
    result = CliRunner().invoke(app, ["kpq", "answer", "--db", str(path), "--cutoff", "2012-12-31", "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    shown = body if isinstance(body, list) else body["answers"]
    service = {a.kpq: a for a in answer_kpqs(engine, window=CycleWindow.ending(date(2012, 12, 31)))}
    assert len(shown) == len(service) == 15
    for item in shown:
        mine = service[item["kpq"]]
        assert item["answer"] == mine.answer.value and item["coverage"] == mine.coverage
        assert item["missing"] == mine.missing
        assert [r["illustrative"] for r in item["reasons"]] == [r.illustrative for r in mine.reasons]
