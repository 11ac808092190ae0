"""The plausibility rules, one by one, on the canonical frame every importer builds: each refuses what it
should (naming row, field and rule), lets the plausible through, can be waived only by name (and says so),
and judges periods from the date it is given."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from gapwatch.domain.indicators import MeasureType
from gapwatch.errors import InvalidInput
from gapwatch.ingest.plausibility import FIXED, RULES, Plausibility, Rule, check_plausible
from gapwatch.ingest.tables import Problems, build_observations

TODAY = date(2025, 6, 30)
MEASURES = {
    "PCT": (MeasureType.PROPORTION, 100.0),
    "RATE": (MeasureType.RATE, 100_000.0),
    "DSR": (MeasureType.STANDARDISED_RATE, 100_000.0),
    "GAP": (MeasureType.GAP, 1.0),
    "SCORE": (MeasureType.SCORE, 1.0),
}


def frame(*rows: dict[str, str]) -> pl.DataFrame:
    base = {"indicator": "PCT", "area_code": "E1", "period": "2019", "value": None, "numerator": None}
    records = [{**base, "period": str(2000 + i), **r} for i, r in enumerate(rows)]
    columns = sorted({k for r in records for k in r})
    text = pl.DataFrame({c: [r.get(c) for r in records] for c in columns}, schema=dict.fromkeys(columns, pl.String))
    text = text.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    problems = Problems("f.csv")
    built = build_observations(text, problems)
    assert not problems, [str(p) for p in problems.items]
    return built.with_columns(pl.col("indicator").alias("indicator_id"))


def check(built: pl.DataFrame, *, allow: tuple[str, ...] = (), today: date = TODAY) -> tuple[Problems, list[str]]:
    problems = Problems("f.csv")
    warnings = check_plausible(built, problems, Plausibility.of(today, allow), MEASURES)
    return problems, warnings


def found(problems: Problems) -> set[tuple[int | None, str | None, str]]:
    return {(p.row, p.field, p.message.rsplit("[rule ", 1)[1].rstrip("]")) for p in problems.items}


def test_plausible_rows_pass() -> None:
    built = frame(
        {"value": "54", "numerator": "108", "denominator": "200", "lower_95": "47", "upper_95": "61"},
        {"indicator": "RATE", "value": "94.7", "numerator": "51897", "denominator": "54786327"},
        {"indicator": "DSR", "value": "120.3", "numerator": "40", "denominator": "30000"},
        {"indicator": "GAP", "value": "-12.5"},
        {"indicator": "SCORE", "value": "-0.3"},
        {"value": "33.3", "numerator": "1.5", "denominator": "4.5", "estimated": "yes"},
        {"value": "0", "numerator": "0", "denominator": "12"},
        {"value": "100", "numerator": "12", "denominator": "12", "period": "2030"},
        {"value": "68", "numerator": "41", "denominator": "60"},  # 68.3 rounded as published
        {"denominator": "0", "value_code": "z"},  # DfE: no pupils in the group, nothing to compute with
    )
    problems, warnings = check(built)
    assert not problems and warnings == []


@pytest.mark.parametrize(
    ("row", "rule", "field"),
    [
        ({"value": "54", "numerator": "-3", "denominator": "200"}, Rule.NEGATIVE_COUNT, "numerator"),
        ({"value": "54", "numerator": "3", "denominator": "-200"}, Rule.NEGATIVE_COUNT, "denominator"),
        ({"value": "54", "numerator": "0", "denominator": "0"}, Rule.ZERO_DENOMINATOR, "denominator"),
        ({"numerator": "0", "denominator": "0"}, Rule.ZERO_DENOMINATOR, "denominator"),
        ({"value": "54", "lower_95": "60", "upper_95": "50"}, Rule.INTERVAL_ORDER, "lower_95"),
        ({"value": "54", "lower_998": "60", "upper_998": "50"}, Rule.INTERVAL_ORDER, "lower_998"),
        ({"value": "54.25", "numerator": "108.5", "denominator": "200"}, Rule.WHOLE_COUNTS, "numerator"),
        ({"value": "54", "numerator": "108", "denominator": "200.5"}, Rule.WHOLE_COUNTS, "denominator"),
        ({"value": "100", "numerator": "999999999", "denominator": "200"}, Rule.COUNT_ABOVE_DENOMINATOR, "numerator"),
        ({"value": "54", "numerator": "12", "denominator": "200"}, Rule.VALUE_MATCHES_COUNTS, "value"),
        (
            {"indicator": "RATE", "value": "94.7", "numerator": "999999999", "denominator": "54786327"},
            Rule.VALUE_MATCHES_COUNTS,
            "value",
        ),
        ({"value": "150"}, Rule.VALUE_RANGE, "value"),
        ({"value": "-0.5"}, Rule.VALUE_RANGE, "value"),
        ({"indicator": "RATE", "value": "-4"}, Rule.VALUE_RANGE, "value"),
        ({"indicator": "DSR", "value": "-4"}, Rule.VALUE_RANGE, "value"),
        ({"indicator": "SCORE", "value": "1e308"}, Rule.MAGNITUDE, "value"),
        ({"indicator": "GAP", "value": "-1e308"}, Rule.MAGNITUDE, "value"),
        ({"indicator": "SCORE", "value": "3", "numerator": "1e11", "denominator": "1e11"}, Rule.MAGNITUDE, "numerator"),
        ({"value": "54", "period": "9999"}, Rule.PERIOD_WINDOW, "period"),
        ({"value": "54", "period": "1066"}, Rule.PERIOD_WINDOW, "period"),
        ({"value": "54", "period": "2031/32"}, Rule.PERIOD_WINDOW, "period"),
    ],
)
def test_each_rule_refuses_what_it_should(row: dict[str, str], rule: Rule, field: str) -> None:
    problems, _ = check(frame({"value": "50"}, row))
    assert (3, field, rule.value) in found(problems)
    assert all(p.row == 3 and p.file == "f.csv" for p in problems.items)
    if rule in FIXED:
        assert f"--allow {rule.value}" not in " ".join(problems.hints)
    else:
        assert f"--allow {rule.value}" in problems.hints[0]
        problems, warnings = check(frame({"value": "50"}, row), allow=(rule.value,))
        assert rule.value not in {r for _, _, r in found(problems)}
        assert warnings == [f"Rule {rule.value} waived (--allow {rule.value}): 1 row(s) that break it were kept."]


def test_counts_may_be_fractional_for_means_scores_and_flagged_estimates() -> None:
    built = frame(
        {"indicator": "SCORE", "value": "46.2", "numerator": "4620.5", "denominator": "100"},
        {"value": "9.2", "numerator": "701892.17", "denominator": "7602069", "estimated": "yes"},
        {"indicator": "DSR", "value": "12", "numerator": "3", "denominator": "25000.5"},
    )
    assert not check(built)[0]


def test_the_period_window_is_judged_from_the_date_given() -> None:
    built = frame({"value": "54", "period": "2029/30"})
    assert not check(built, today=date(2025, 1, 1))[0]
    assert Rule.PERIOD_WINDOW.value in {r for _, _, r in found(check(built, today=date(2023, 1, 1))[0])}
    assert Plausibility.of(date(2023, 1, 1)).latest == date(2028, 12, 31)


def test_only_named_waivable_rules_can_be_allowed() -> None:
    with pytest.raises(InvalidInput, match="Unknown plausibility rule"):
        Plausibility.of(TODAY, ["no-such-rule"])
    for rule in FIXED:
        with pytest.raises(InvalidInput, match="cannot be allowed"):
            Plausibility.of(TODAY, [rule.value])
    assert Plausibility.of(TODAY, [" Value-Range "]).allow == {Rule.VALUE_RANGE}
    assert set(RULES) == set(Rule)


def test_refusal_lists_every_row_and_says_how_to_waive() -> None:
    built = frame(*({"value": "150"} for _ in range(3)), {"value": "54", "period": "9999"})
    problems, _ = check(built)
    with pytest.raises(InvalidInput, match="4 problem") as err:
        problems.raise_if_any()
    assert {p.row for p in err.value.problems} == {2, 3, 4, 5}
    assert "--allow period-window" in (err.value.hint or "") and "--allow value-range" in (err.value.hint or "")
