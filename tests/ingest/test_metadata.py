"""What a file says about its indicators, in publishers' words, read into gapwatch's definitions."""

from __future__ import annotations

import polars as pl
import pytest

from gapwatch.domain.indicators import MeasureType, Polarity
from gapwatch.ingest.metadata import (
    complete_definition,
    file_metadata,
    guess_from_name,
    measure_of,
    multiplier_of,
    polarity_of,
)
from gapwatch.ingest.tables import Problems, build_observations


@pytest.mark.parametrize(
    ("word", "measure"),
    [
        ("Proportion", MeasureType.PROPORTION),
        ("percentage", MeasureType.PROPORTION),
        ("Crude rate", MeasureType.RATE),
        ("Directly standardised rate", MeasureType.STANDARDISED_RATE),
        ("standardised_rate", MeasureType.STANDARDISED_RATE),
        ("Indirectly standardised ratio", MeasureType.RATIO),
        ("Count", MeasureType.COUNT),
        ("Life expectancy", MeasureType.MEAN),
        ("vibes", None),
        (None, None),
    ],
)
def test_measure_words(word: str | None, measure: MeasureType | None) -> None:
    assert measure_of(word) is measure


def test_polarity_units_and_names() -> None:
    assert polarity_of("RAG - Low is good") is Polarity.LOWER_IS_BETTER
    assert polarity_of("RAG - High is good ") is Polarity.HIGHER_IS_BETTER
    assert polarity_of("BOB - Blue orange blue") is Polarity.NO_JUDGEMENT
    assert [multiplier_of(u) for u in ("%", "per 1,000", "per 100,000", "years", None)] == [
        100,
        1000,
        100000,
        None,
        None,
    ]
    assert guess_from_name("Campylobacter incidence rate/100,000") == (MeasureType.RATE, "per 100,000", 100000)
    assert guess_from_name("Prevalence of ADHD: estimated number aged 16 - 24")[0] is MeasureType.COUNT
    assert guess_from_name("Pupils with SEMH needs: % of school pupils")[0] is MeasureType.PROPORTION
    assert guess_from_name("Suicide rate") == (MeasureType.SCORE, "", 1.0)


@pytest.mark.parametrize(
    ("stated", "name", "expected"),
    [
        ({}, "Suicide rate", (MeasureType.SCORE, "", 1.0)),
        ({"unit": "%"}, "Anything", (MeasureType.PROPORTION, "%", 100.0)),
        ({"unit": "per 10,000"}, "Anything", (MeasureType.RATE, "per 10,000", 10000.0)),
        ({"unit": "per 100,000"}, "Age-standardised rate", (MeasureType.STANDARDISED_RATE, "per 100,000", 1e5)),
        ({"measure": MeasureType.PROPORTION}, "Anything", (MeasureType.PROPORTION, "%", 100.0)),
        ({"measure": MeasureType.RATE, "multiplier": 1000}, "x", (MeasureType.RATE, "per 1,000", 1000.0)),
        ({"measure": MeasureType.MEAN, "unit": "points"}, "Attainment 8", (MeasureType.MEAN, "points", 1.0)),
        ({"measure": MeasureType.RATE}, "Deaths per 100,000", (MeasureType.RATE, "per 100,000", 1e5)),
    ],
)
def test_a_definition_takes_what_the_file_says_and_implies_the_rest(
    stated: dict[str, object], name: str, expected: tuple[MeasureType, str, float]
) -> None:
    got = complete_definition(stated, name)
    assert (got["measure"], got["unit"], got["multiplier"]) == expected
    assert got["polarity"] is Polarity.NO_JUDGEMENT


def test_the_file_columns_give_each_indicator_its_metadata() -> None:
    text = pl.DataFrame(
        {
            "row": [2, 3, 4],
            "indicator": ["A", "A", "B"],
            "indicator_name": ["Alpha", "Alpha", "Beta"],
            "area_code": ["E1", "E2", "E1"],
            "period": ["2019"] * 3,
            "value": ["1", "2", "3"],
            "measure": ["Percentage", "percentage", None],
            "unit": ["%", "%", "per 1,000"],
            "multiplier": [None, None, "1000"],
            "polarity": [None, None, "RAG - Low is good"],
        }
    )
    problems = Problems("f.csv")
    built = build_observations(text, problems)
    assert not problems
    assert file_metadata(built, problems) == {
        "A": {"name": "Alpha", "measure": "proportion", "unit": "%"},
        "B": {"name": "Beta", "unit": "per 1,000", "multiplier": 1000.0, "polarity": "lower_is_better"},
    }
    bad = text.with_columns(pl.lit("sideways").alias("polarity"), pl.lit("-3").alias("multiplier"))
    problems = Problems("f.csv")
    file_metadata(build_observations(bad, problems), problems)
    assert {(p.row, p.field) for p in problems.items} >= {(2, "polarity"), (2, "multiplier")}
