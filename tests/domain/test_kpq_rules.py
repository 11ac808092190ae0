"""The KPQ combination rules, on findings where the right answer is known."""

from __future__ import annotations

import pytest

from gapwatch.domain.kpq import Answer, Direction, EvidenceFinding, combine

S, A, N, M = Direction.SUPPORTS, Direction.AGAINST, Direction.NEUTRAL, Direction.MISSING


def finding(direction: Direction, weight: float = 1.0) -> EvidenceFinding:
    return EvidenceFinding(label="x", measure="group_gap", direction=direction, verdict=direction.value, weight=weight)


@pytest.mark.parametrize(
    ("directions", "expected"),
    [
        ([], Answer.NOT_ENOUGH_EVIDENCE),
        ([M, M], Answer.NOT_ENOUGH_EVIDENCE),
        ([N], Answer.NOT_ENOUGH_EVIDENCE),  # narrowing but not significantly
        ([S], Answer.YES),  # narrowing significantly
        ([S, N], Answer.YES),
        ([S, N, N], Answer.PARTLY),
        ([A], Answer.NO),  # widening
        ([A, N, N], Answer.PARTLY),
        ([S, A], Answer.PARTLY),
        ([S, M, M], Answer.NOT_ENOUGH_EVIDENCE),  # coverage: only 1 of 3 items has data (rule 6)
        ([S, S, M], Answer.YES),  # 2 of 3 have data: enough
    ],
)
def test_combination_rules(directions: list[Direction], expected: Answer) -> None:
    result = combine("K1", "Is the gap narrowing?", [finding(d) for d in directions])
    assert result.answer is expected
    assert len(result.reasons) == len(directions)


def test_weights_count() -> None:
    assert combine("K", "q", [finding(S, 1), finding(N, 3)]).answer is Answer.PARTLY
    assert combine("K", "q", [finding(S, 3), finding(N, 1)]).answer is Answer.YES
