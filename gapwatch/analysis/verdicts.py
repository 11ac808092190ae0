"""Verdicts and the significance level of every test, stated once and shown beside every verdict.

Each kind of test has one level, used wherever it runs and printed next to its verdict ("no significant
change at the 95% level (p = 0.31)"), so a reader never has to guess what "significant" meant:

* recent trend of an indicator — 99.9%, the chi-squared test for trend over the last five points as
  OHID Fingertips reports recent trends (Fingertips technical guidance);
* trend of a gap — 95%, a weighted least-squares slope of the gap (each period weighted by 1/SE^2);
* a gap at one period, a benchmark comparison, a target judged with its interval — 95% intervals
  (Newcombe 1998 for differences of proportions; Fingertips' 95% benchmark comparison);
* the slope index of inequality — 95% simulated interval (Low & Low 2004), with one simulation setting
  (:data:`SII_SIMULATION`) so the same request gives the same interval on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "LEVELS",
    "SII_SIMULATION",
    "GapVerdict",
    "SiiSimulation",
    "TestKind",
    "TrendResult",
    "describe_level",
]


class TestKind(StrEnum):
    """The kinds of statistical test gapwatch runs."""

    RECENT_TREND = "recent trend"
    GAP_TREND = "gap trend"
    GAP = "gap"
    BENCHMARK = "benchmark comparison"
    TARGET = "target"
    SII = "slope index of inequality"


#: The confidence level of each kind of test (1 - the significance level).
LEVELS: dict[TestKind, float] = {
    TestKind.RECENT_TREND: 0.999,
    TestKind.GAP_TREND: 0.95,
    TestKind.GAP: 0.95,
    TestKind.BENCHMARK: 0.95,
    TestKind.TARGET: 0.95,
    TestKind.SII: 0.95,
}


@dataclass(frozen=True)
class SiiSimulation:
    """How the SII's interval is simulated: the same count and seed for every page, paper and answer."""

    repetitions: int = 10_000
    seed: int = 20080401


SII_SIMULATION = SiiSimulation()


def describe_level(level: float) -> str:
    """``0.95`` -> "95%", ``0.999`` -> "99.9%"."""
    return f"{level * 100:.10g}%"


class GapVerdict(StrEnum):
    """What happened to the size of a gap (never its sign).

    ``closed``: the gap was significant at the first period used and its interval now includes zero, or it
    changed sign without a significant gap the other way; ``reversed``: it changed sign and the latest gap
    is significant the other way round.
    """

    NARROWING = "narrowing"
    WIDENING = "widening"
    NO_SIGNIFICANT_CHANGE = "no significant change"
    CLOSED = "closed"
    REVERSED = "reversed"
    NOT_CALCULATED = "could not be calculated"


@dataclass(frozen=True)
class TrendResult:
    """A trend verdict with its method, level, p-value and the periods it used (or why it is missing)."""

    verdict: str
    kind: TestKind
    method: str | None = None
    level: float | None = None
    p: float | None = None
    periods_used: int = 0
    periods_total: int = 0
    reason: str | None = None

    @property
    def detail(self) -> str:
        """What qualifies the verdict: the level, p and periods used — or why there is no verdict."""
        return self.describe().removeprefix(self.verdict).lstrip(": ").strip()

    def describe(self) -> str:
        """One line for pages and papers: verdict, level, p and the periods used, or the reason."""
        if self.reason:
            return f"{self.verdict}: {self.reason}"
        parts = [self.verdict]
        if self.level is not None:
            parts.append(f"at the {describe_level(self.level)} level")
        if self.p is not None:
            parts.append(f"(p = {self.p:.2g})" if self.p >= 0.0001 else "(p < 0.0001)")
        text = " ".join(parts)
        if self.periods_total:
            text += f"; {self.periods_used} of {self.periods_total} periods used"
        return text
