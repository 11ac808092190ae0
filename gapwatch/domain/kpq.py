"""How a Key Performance Question is answered from its evidence: explicit rules, no black box.

Each piece of evidence first gets a *direction* from its own statistical verdict:

============================  =========================================================
evidence                      direction
============================  =========================================================
trend                         getting better → supports; getting worse → against;
                              no significant change → neutral; too few points → missing
target                        achieved / on track → supports; off track / not achieved →
                              against; at risk → neutral; no data → missing
group, area, deprivation gap  narrowing (significant) → supports; widening → against;
                              no significant change → neutral
SII across deprivation        SII falling significantly → supports; rising → against
actions                       mostly green → supports; any red (or overdue) beyond a
                              quarter of them → against; otherwise neutral
study                         positive finding → supports; negative → against
============================  =========================================================

The answer then follows from the weights of the directions (each evidence item weighs 1 unless the
framework says otherwise):

1. No evidence with data → **Not enough evidence**.
2. Only neutral evidence → **Not enough evidence**: "no significant change" is not a yes.
3. Supporting evidence and nothing against → **Yes** when the supporting weight is at least the
   neutral weight, otherwise **Partly**.
4. Evidence against and nothing supporting → **No** when the weight against is at least the neutral
   weight, otherwise **Partly**.
5. Evidence both ways → **Partly**.

The reasons list every piece of evidence, the way it pointed and its statistical verdict, so a board
can see why.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

__all__ = ["Answer", "Direction", "EvidenceFinding", "KpqAnswer", "combine"]


class Direction(StrEnum):
    """Which way one piece of evidence points for the question."""

    SUPPORTS = "supports"
    AGAINST = "against"
    NEUTRAL = "neutral"
    MISSING = "missing"


class Answer(StrEnum):
    """The four answers a KPQ can get."""

    YES = "Yes"
    PARTLY = "Partly"
    NO = "No"
    NOT_ENOUGH_EVIDENCE = "Not enough evidence"


class EvidenceFinding(BaseModel):
    """One piece of evidence as assessed: what it is, its statistical verdict and its direction."""

    label: str
    measure: str
    direction: Direction
    verdict: str = Field(description="The statistical verdict in words, e.g. 'narrowing (p < 0.05)'.")
    detail: str | None = None
    weight: float = 1.0
    batches: list[int] = Field(default_factory=list, description="Import batches of the numbers used.")


class KpqAnswer(BaseModel):
    """A KPQ's answer with the findings behind it."""

    kpq: str
    question: str
    answer: Answer
    rule: str = Field(description="Which combination rule gave the answer.")
    reasons: list[EvidenceFinding]


def combine(kpq: str, question: str, findings: list[EvidenceFinding]) -> KpqAnswer:
    """Apply the combination rules in this module's docstring to a KPQ's findings."""
    weight = {d: sum(f.weight for f in findings if f.direction is d) for d in Direction}
    support, against, neutral = (
        weight[Direction.SUPPORTS],
        weight[Direction.AGAINST],
        weight[Direction.NEUTRAL],
    )
    if support == 0 and against == 0 and neutral == 0:
        answer, rule = Answer.NOT_ENOUGH_EVIDENCE, "1: no evidence with data"
    elif support == 0 and against == 0:
        answer, rule = Answer.NOT_ENOUGH_EVIDENCE, "2: only evidence of no significant change"
    elif against == 0:
        if support >= neutral:
            answer, rule = Answer.YES, "3: evidence supports, none against"
        else:
            answer, rule = Answer.PARTLY, "3: some evidence supports, more shows no significant change"
    elif support == 0:
        if against >= neutral:
            answer, rule = Answer.NO, "4: evidence against, none supporting"
        else:
            answer, rule = Answer.PARTLY, "4: some evidence against, more shows no significant change"
    else:
        answer, rule = Answer.PARTLY, "5: evidence points both ways"
    return KpqAnswer(kpq=kpq, question=question, answer=answer, rule=rule, reasons=findings)
