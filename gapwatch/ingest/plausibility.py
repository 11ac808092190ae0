"""Plausibility: the one set of rules every import applies, whatever the file's format (tidy, Excel,
Fingertips, DfE, or frames built in code), once each row's indicator and so its measure type is known.

A value can parse and still be nonsense: a negative rate, a percentage of 1e308, 999,999,999 pupils out of
200, 3.7 deaths, a denominator of nobody, the year 9999. Each rule has a name; a row that breaks one is a
problem (file, row, field and the rule's name), and nothing is written. Some rules can be waived for one
import by naming them (``gapwatch data import --allow RULE``): the waiver, and how many rows it let through,
are recorded with the batch. The rules that guard arithmetic itself cannot be waived.

The window of plausible periods runs from 1900 to the end of the fifth year after ``today``, which the
caller gives (nothing here reads the clock).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import polars as pl

from gapwatch.domain.indicators import MeasureType
from gapwatch.errors import InvalidInput
from gapwatch.ingest.tables import Problems

__all__ = [
    "EARLIEST",
    "FIXED",
    "MAX_COUNT",
    "MAX_VALUE",
    "RULES",
    "YEARS_AHEAD",
    "Plausibility",
    "Rule",
    "check_plausible",
]


class Rule(StrEnum):
    """The name of a plausibility rule (as given to ``--allow``)."""

    NEGATIVE_COUNT = "negative-count"
    ZERO_DENOMINATOR = "zero-denominator"
    INTERVAL_ORDER = "interval-order"
    WHOLE_COUNTS = "whole-counts"
    COUNT_ABOVE_DENOMINATOR = "count-above-denominator"
    VALUE_MATCHES_COUNTS = "value-matches-counts"
    VALUE_RANGE = "value-range"
    MAGNITUDE = "magnitude"
    PERIOD_WINDOW = "period-window"


#: What each rule asks of every row.
RULES: dict[Rule, str] = {
    Rule.NEGATIVE_COUNT: "numerators and denominators are not negative",
    Rule.ZERO_DENOMINATOR: "denominators are above 0 where the row has a value or a numerator (a population of 0 "
    "with neither, as DfE publishes for a group with no pupils, is kept: it says there was no one to count)",
    Rule.INTERVAL_ORDER: "each lower confidence limit is at most its upper limit",
    Rule.WHOLE_COUNTS: "numerators of proportions, rates, ratios and counts, and denominators of proportions, "
    "crude rates and counts, are whole numbers (unless the row is flagged estimated)",
    Rule.COUNT_ABOVE_DENOMINATOR: "a proportion's numerator is at most its denominator",
    Rule.VALUE_MATCHES_COUNTS: "a proportion's or crude rate's value is its numerator over its denominator times "
    "the multiplier (within rounding: 0.5 plus 0.5%)",
    Rule.VALUE_RANGE: "a proportion lies between 0 and its multiplier (0-100 for a percentage); rates, "
    "standardised rates, ratios and counts are not negative",
    Rule.MAGNITUDE: "values and limits are within ±1e12, counts at most 1e10",
    Rule.PERIOD_WINDOW: "periods start in 1900 or later and end by the end of the fifth year after today",
}
#: Rules that cannot be waived: arithmetic on the values would be meaningless.
FIXED = frozenset({Rule.NEGATIVE_COUNT, Rule.ZERO_DENOMINATOR, Rule.INTERVAL_ORDER})
EARLIEST = date(1900, 1, 1)
YEARS_AHEAD = 5
MAX_VALUE = 1e12
MAX_COUNT = 1e10

_M = MeasureType
_COUNTED = [m.value for m in (_M.PROPORTION, _M.RATE, _M.STANDARDISED_RATE, _M.COUNT, _M.RATIO)]
_WHOLE_DENOMINATORS = [m.value for m in (_M.PROPORTION, _M.RATE, _M.COUNT)]
_FROM_COUNTS = [m.value for m in (_M.PROPORTION, _M.RATE)]
_NOT_NEGATIVE = [m.value for m in (_M.RATE, _M.STANDARDISED_RATE, _M.COUNT, _M.RATIO)]


@dataclass(frozen=True)
class Plausibility:
    """The rules of one import: the date the period window is judged from, and the rules waived."""

    today: date
    allow: frozenset[Rule] = field(default_factory=frozenset)

    @classmethod
    def of(cls, today: date, allow: Iterable[str] = ()) -> Plausibility:
        """Rules for ``today`` with ``allow`` waived; an unknown or unwaivable rule name is refused."""
        names = [a.strip().lower() for a in allow if a.strip()]
        known = {r.value for r in Rule}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise InvalidInput(
                f"Unknown plausibility rule(s): {', '.join(unknown)}",
                hint="Rules that can be allowed: " + ", ".join(r.value for r in Rule if r not in FIXED),
            )
        fixed = sorted(n for n in names if Rule(n) in FIXED)
        if fixed:
            raise InvalidInput(
                f"The rule(s) {', '.join(fixed)} cannot be allowed: values that break them cannot be computed with",
                hint="Fix the rows in the file.",
            )
        return cls(today=today, allow=frozenset(Rule(n) for n in names))

    @property
    def latest(self) -> date:
        """The last day a plausible period may end."""
        return date(self.today.year + YEARS_AHEAD, 12, 31)


def check_plausible(
    frame: pl.DataFrame,
    problems: Problems,
    rules: Plausibility,
    measures: dict[str, tuple[MeasureType, float]],
    *,
    indicator: str = "indicator_id",
) -> list[str]:
    """Check every row of a canonical frame against every rule; returns warnings for waived rules broken.

    ``measures`` gives each indicator's measure type and multiplier (rows of an indicator not in it are
    judged only by the rules that do not depend on the measure).
    """
    kinds = pl.DataFrame(
        {
            indicator: list(measures),
            "_measure": [m.value for m, _ in measures.values()],
            "_multiplier": [float(x) for _, x in measures.values()],
        },
        schema={indicator: pl.String, "_measure": pl.String, "_multiplier": pl.Float64},
    )
    rows = frame.join(kinds, on=indicator, how="left")
    measure, multiplier = pl.col("_measure"), pl.col("_multiplier")
    num, den, value = pl.col("numerator"), pl.col("denominator"), pl.col("value")
    whole = ~pl.col("estimated").fill_null(False)
    formed = num / den * multiplier
    limits = ("lower_95", "upper_95", "lower_998", "upper_998")
    checks: list[tuple[Rule, pl.Expr, str, str, str | None]] = [
        (Rule.NEGATIVE_COUNT, num < 0, "the numerator {value} is negative", "numerator", "numerator"),
        (Rule.NEGATIVE_COUNT, den < 0, "the denominator {value} is negative", "denominator", "denominator"),
        (
            Rule.ZERO_DENOMINATOR,
            (den == 0) & (value.is_not_null() | num.is_not_null()),
            "the denominator is 0",
            "denominator",
            None,
        ),
        (
            Rule.INTERVAL_ORDER,
            pl.col("lower_95") > pl.col("upper_95"),
            "the lower 95% limit is above the upper",
            "lower_95",
            None,
        ),
        (
            Rule.INTERVAL_ORDER,
            pl.col("lower_998") > pl.col("upper_998"),
            "the lower 99.8% limit is above the upper",
            "lower_998",
            None,
        ),
        (
            Rule.WHOLE_COUNTS,
            whole & measure.is_in(_COUNTED) & (num.round(0) != num),
            "the numerator {value} is not a whole number (a count of people or events)",
            "numerator",
            "numerator",
        ),
        (
            Rule.WHOLE_COUNTS,
            whole & measure.is_in(_WHOLE_DENOMINATORS) & (den.round(0) != den),
            "the denominator {value} is not a whole number",
            "denominator",
            "denominator",
        ),
        (
            Rule.COUNT_ABOVE_DENOMINATOR,
            (measure == MeasureType.PROPORTION.value) & (num > den),
            "the numerator {value} is above the denominator (a proportion)",
            "numerator",
            "numerator",
        ),
        (
            Rule.VALUE_MATCHES_COUNTS,
            measure.is_in(_FROM_COUNTS) & (den > 0) & ((value - formed).abs() > 0.5 + 0.005 * formed.abs()),
            "the value {value} is not the numerator over the denominator times the multiplier",
            "value",
            "value",
        ),
        (
            Rule.VALUE_RANGE,
            (measure == MeasureType.PROPORTION.value) & ((value < 0) | (value > multiplier)),
            "the value {value} is outside 0 to the multiplier for a proportion (0-100 for a percentage)",
            "value",
            "value",
        ),
        (
            Rule.VALUE_RANGE,
            measure.is_in(_NOT_NEGATIVE) & (value < 0),
            "the value {value} is negative, which a rate, ratio or count cannot be",
            "value",
            "value",
        ),
        (
            Rule.MAGNITUDE,
            pl.any_horizontal([pl.col(c).abs() > MAX_VALUE for c in ("value", *limits)]),
            f"a value or limit is beyond ±{MAX_VALUE:g}",
            "value",
            None,
        ),
        (
            Rule.MAGNITUDE,
            (num > MAX_COUNT) | (den > MAX_COUNT),
            f"a count is beyond {MAX_COUNT:g}",
            "numerator",
            None,
        ),
        (
            Rule.PERIOD_WINDOW,
            (pl.col("period_start") < EARLIEST) | (pl.col("period_end") > rules.latest),
            f"the period '{{value}}' is outside {EARLIEST.year} to {rules.latest.year}",
            "period",
            "period",
        ),
    ]
    warnings: list[str] = []
    waived: dict[Rule, int] = {}
    broken: set[Rule] = set()
    for rule, mask, message, column, show in checks:
        hits = rows.filter(mask.fill_null(False))
        if hits.is_empty():
            continue
        if rule in rules.allow:
            waived[rule] = waived.get(rule, 0) + hits.height
            continue
        broken.add(rule)
        problems.add_rows(hits, pl.lit(True), f"{message} [rule {rule.value}]", field=column, show=show)
    for rule, count in waived.items():
        warnings.append(f"Rule {rule.value} waived (--allow {rule.value}): {count:,} row(s) that break it were kept.")
    waivable = sorted(r.value for r in broken if r not in FIXED)
    if waivable:
        problems.hints.append(
            "If the values are genuine, name the rule to waive it for this import (recorded with the batch): "
            + " ".join(f"--allow {r}" for r in waivable)
        )
    return warnings
