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
initiative impact             improved significantly against comparison areas (so it
                              closes the gap where its areas started worse) → supports;
                              significantly worse → against; no significant effect →
                              neutral; not credible or not computable → missing
consultation                  share of respondents (Wilson interval) wholly above the
                              rule's threshold → supports; wholly below → against;
                              interval spanning it → neutral; no figure → missing
============================  =========================================================

Studies, initiatives and consultations are the third source of performance information (research and
evaluation). An initiative is judged by its own effect, never by the raw gap between its areas and the rest: an
initiative whose areas started worse and improved more than their comparison areas is closing the gap, and
counts for, never against.

The answer then follows from the weights of the directions (each evidence item weighs 1 unless the
framework says otherwise) and from the evidence's **coverage**: how many of the rule's items have data
(context is not counted either way: a study with no judgement stated, a consultation figure with no threshold,
and an initiative or consultation linked to the KPQ that no rule of the KPQ judges):

1. No evidence with data → **Not enough evidence**.
2. Only neutral evidence → **Not enough evidence**: "no significant change" is not a yes.
3. Supporting evidence and nothing against → **Yes** when the supporting weight is at least the
   neutral weight, otherwise **Partly**.
4. Evidence against and nothing supporting → **No** when the weight against is at least the neutral
   weight, otherwise **Partly**.
5. Evidence both ways → **Partly**.
6. Coverage: a **Yes** or **No** needs at least half the evidence items to have data
   (:data:`MIN_COVERAGE`); with less, evidence pointing one way gives **Not enough evidence** (one proxy
   with data is not an answer when most of the rule is missing).

The reasons list every piece of evidence, the way it pointed, its statistical verdict and whether it rests
on illustrative (generated) values; the answer lists the items that had no data, so a board can see why
and what is missing.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from gapwatch.domain.evidence import SourceKind

__all__ = ["MIN_COVERAGE", "Answer", "Direction", "EvidenceFinding", "KpqAnswer", "combine"]

#: The share of a rule's evidence items that must have data before the answer may be Yes or No.
MIN_COVERAGE = 0.5


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
    illustrative: bool = Field(default=False, description="The numbers used include illustrative (generated) values.")
    source: SourceKind | None = Field(
        default=None, description="The source of performance information: 'actions', 'indicators' or 'research'."
    )
    value: float | None = Field(default=None, description="The estimate judged (a share, a difference in differences).")
    lower: float | None = Field(default=None, description="Lower limit of the estimate's 95% interval.")
    upper: float | None = Field(default=None, description="Upper limit of the estimate's 95% interval.")
    unit: str | None = Field(default=None, description="What the value and its limits are in, e.g. '%'.")
    counted: bool = Field(default=True, description="False for context: listed with the answer, counted neither way.")


class KpqAnswer(BaseModel):
    """A KPQ's answer with the findings behind it."""

    kpq: str
    question: str
    answer: Answer
    rule: str = Field(description="Which combination rule gave the answer.")
    reasons: list[EvidenceFinding]
    coverage: str = Field(default="", description="How many evidence items had data, e.g. '2 of 5'.")
    missing: list[str] = Field(default_factory=list, description="The evidence items that had no data.")


def _counts(findings: list[EvidenceFinding]) -> tuple[int, int, list[str]]:
    """(items with data, items counted, labels of the items without data); context is not counted."""
    counted = [f for f in findings if f.counted and not (f.measure == "study" and f.direction is Direction.MISSING)]
    missing = [f.label for f in counted if f.direction is Direction.MISSING]
    return len(counted) - len(missing), len(counted), missing


def combine(kpq: str, question: str, findings: list[EvidenceFinding]) -> KpqAnswer:
    """Apply the combination rules in this module's docstring to a KPQ's findings."""
    weight = {d: sum(f.weight for f in findings if f.direction is d and f.counted) for d in Direction}
    support, against, neutral = (
        weight[Direction.SUPPORTS],
        weight[Direction.AGAINST],
        weight[Direction.NEUTRAL],
    )
    with_data, counted, missing = _counts(findings)
    covered = counted > 0 and with_data >= MIN_COVERAGE * counted
    coverage = f"{with_data} of {counted}"
    if support == 0 and against == 0 and neutral == 0:
        answer, rule = Answer.NOT_ENOUGH_EVIDENCE, "1: no evidence with data"
    elif support == 0 and against == 0:
        answer, rule = Answer.NOT_ENOUGH_EVIDENCE, "2: only evidence of no significant change"
    elif support > 0 and against > 0:
        answer, rule = Answer.PARTLY, "5: evidence points both ways"
    elif not covered:
        way = "supports" if support > 0 else "is against"
        answer = Answer.NOT_ENOUGH_EVIDENCE
        rule = f"6: evidence {way}, but only {coverage} items have data (Yes or No needs at least half)"
    elif against == 0:
        if support >= neutral:
            answer, rule = Answer.YES, "3: evidence supports, none against"
        else:
            answer, rule = Answer.PARTLY, "3: some evidence supports, more shows no significant change"
    elif against >= neutral:
        answer, rule = Answer.NO, "4: evidence against, none supporting"
    else:
        answer, rule = Answer.PARTLY, "4: some evidence against, more shows no significant change"
    return KpqAnswer(
        kpq=kpq, question=question, answer=answer, rule=rule, reasons=findings, coverage=coverage, missing=missing
    )
