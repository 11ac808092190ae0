"""analysis.disclosure: the suppression problem built from the plan — counts wherever they sit, and every
relation a reader can difference (areas, groupings, breakdowns, pooled periods, earlier publications)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from gapwatch.analysis.disclosure import disclosure_pattern, pooled_components
from gapwatch.domain.framework import Framework
from gapwatch.domain.periods import parse_period


def _framework(**indicator: Any) -> Framework:
    return Framework.model_validate(
        {
            "schema_version": 1,
            "id": "t",
            "name": "T",
            "partnership": "T",
            "indicators": [{"id": "I", "code": "I 1", "title": "I", **indicator}],
            "areas": [
                {"id": "K", "name": "Kent", "level": "county"},
                *({"id": d, "name": d, "level": "district", "parent": "K"} for d in ("T", "D", "S")),
                *({"id": w, "name": w, "level": "ward", "parent": "T"} for w in ("W1", "W2")),
            ],
            "area_groupings": [
                {"id": "rest", "name": "Rest of Kent", "kind": "rest_of_parent", "parent": "K", "excluding": ["T"]}
            ],
            "groups": [
                {
                    "id": "fsm",
                    "name": "FSM",
                    "kind": "binary",
                    "categories": [{"id": "fsm", "name": "FSM"}, {"id": "non-fsm", "name": "non-FSM"}],
                }
            ],
        }
    )


def _cells(rows: list[tuple[str, str, str, str, float | None, float | None, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [("I", *r) for r in rows],
        schema={
            "indicator": pl.String,
            "period": pl.String,
            "area": pl.String,
            "category_type": pl.String,
            "category": pl.String,
            "count": pl.Float64,
            "denominator": pl.Float64,
            "value": pl.Float64,
        },
        orient="row",
    )


def _withheld(pattern: pl.DataFrame) -> set[tuple[str, str, str]]:
    hits = pattern.filter(pl.col("withheld"))
    return set(zip(hits["period"], hits["area"], hits["category"], strict=True))


@pytest.mark.parametrize(
    ("period", "kind", "expected"),
    [
        ("2010-2012", "calendar_year", ["2010", "2011", "2012"]),
        ("2017/18 - 19/20", "financial_year", ["2017/18", "2018/19", "2019/20"]),
        ("2011", "quarter", ["2011 Q1", "2011 Q2", "2011 Q3", "2011 Q4"]),
        ("2011", "half", ["2011 H1", "2011 H2"]),
        ("2011/12", "quarter", ["2011 Q2", "2011 Q3", "2011 Q4", "2012 Q1"]),
        ("2011/12", "calendar_year", None),
        ("2011", "calendar_year", None),
    ],
)
def test_pooled_periods_are_tiled_by_the_periods_inside_them(
    period: str, kind: str, expected: list[str] | None
) -> None:
    from gapwatch.domain.periods import PeriodKind

    tiles = pooled_components(parse_period(period), PeriodKind(kind))
    assert (None if tiles is None else [t.label for t in tiles]) == expected


def test_a_count_indicators_value_is_its_count() -> None:
    """NI 48: the figure arrives as a value with no count; 3 is withheld with a complement in each relation."""
    cells = _cells(
        [
            ("2012", "K", "", "", None, None, 74.0),
            ("2012", "T", "", "", None, None, 3.0),
            ("2012", "D", "", "", None, None, 33.0),
            ("2012", "S", "", "", None, None, 38.0),
        ]
    )
    out = disclosure_pattern(_framework(measure="count", multiplier=1), cells)
    assert _withheld(out) == {("2012", "T", ""), ("2012", "D", "")}
    assert out.filter(pl.col("area") == "T")["reason"].to_list() == ["primary"]
    assert out.filter(pl.col("area") == "T")["n"].to_list() == [3.0]


def test_a_proportions_count_is_worked_out_from_its_value_and_denominator() -> None:
    cells = _cells(
        [
            ("2012", "K", "", "", None, 990.0, 10.0),
            ("2012", "T", "", "", None, 40.0, 7.5),  # 3 of 40
            ("2012", "D", "", "", None, 450.0, 10.0),
            ("2012", "S", "", "", None, 500.0, 10.8),
        ]
    )
    out = disclosure_pattern(_framework(), cells)
    assert ("2012", "T", "") in _withheld(out) and len(_withheld(out)) == 2
    # A county percentage published without its count or denominator ties them (count = 10% of the
    # denominator): an unknown to the audit, never withheld or chosen itself.
    value_only = cells.with_columns(
        pl.when(pl.col("area") == "K").then(None).otherwise(pl.col("denominator")).alias("denominator")
    )
    out = disclosure_pattern(_framework(), value_only)
    assert ("2012", "T", "") in _withheld(out) and ("2012", "K", "") not in _withheld(out)


def test_rest_of_kent_and_pooled_years_are_relations() -> None:
    # "Rest of Kent" published beside Kent gives Thanet away unless one more cell is withheld.
    cells = _cells(
        [
            ("2012", "K", "", "", 74.0, None, None),
            ("2012", "T", "", "", 3.0, None, None),
            ("2012", "rest", "", "", 71.0, None, None),
        ]
    )
    out = disclosure_pattern(_framework(measure="count", multiplier=1), cells)
    assert len(_withheld(out)) == 2
    pooled = _cells(
        [
            ("2010", "T", "", "", 20.0, None, None),
            ("2011", "T", "", "", 25.0, None, None),
            ("2012", "T", "", "", 3.0, None, None),
            ("2010-2012", "T", "", "", 48.0, None, None),
        ]
    )
    assert _withheld(disclosure_pattern(_framework(measure="count", multiplier=1), pooled)) == {
        ("2012", "T", ""),
        ("2010", "T", ""),
    }


def test_groups_add_up_to_their_whole_population() -> None:
    cells = _cells(
        [
            ("2012", "K", "", "", 100.0, 1000.0, 10.0),
            ("2012", "K", "fsm", "fsm", 3.0, 40.0, 7.5),
            ("2012", "K", "fsm", "non-fsm", 97.0, 960.0, 10.1),
        ]
    )
    out = disclosure_pattern(_framework(), cells)
    assert _withheld(out) == {("2012", "K", "fsm"), ("2012", "K", "non-fsm")}


def test_wards_that_do_not_cover_their_district_get_a_remainder() -> None:
    # W1 + W2 = 50 of Thanet's 80: the rest of Thanet is nobody's published figure, so Thanet minus W2 only
    # bounds W1 by 32, which proves nothing small: W1 alone is withheld.
    cells = _cells(
        [
            ("2012", "T", "", "", 80.0, None, None),
            ("2012", "W1", "", "", 2.0, None, None),
            ("2012", "W2", "", "", 48.0, None, None),
        ]
    )
    out = disclosure_pattern(_framework(measure="count", multiplier=1), cells)
    assert _withheld(out) == {("2012", "W1", "")}
    # Wards that do cover it (2 + 78 = 80) make W1 recoverable by subtraction: a complement is withheld.
    covered = cells.with_columns(pl.when(pl.col("area") == "W2").then(78.0).otherwise(pl.col("count")).alias("count"))
    assert len(_withheld(disclosure_pattern(_framework(measure="count", multiplier=1), covered))) == 2


def test_what_was_published_before_is_known_and_what_was_withheld_stays_withheld() -> None:
    cells = _cells(
        [
            ("2012", "K", "", "", 74.0, None, None),
            ("2012", "T", "", "", 3.0, None, None),
            ("2012", "D", "", "", 33.0, None, None),
            ("2012", "S", "", "", 38.0, None, None),
            ("2011", "T", "", "", 25.0, None, None),
        ]
    )
    earlier = pl.DataFrame(
        [("I", "2012", "D", "", "", False), ("I", "2011", "T", "", "", True)],
        schema={
            "indicator": pl.String,
            "period": pl.String,
            "area": pl.String,
            "category_type": pl.String,
            "category": pl.String,
            "withheld": pl.Boolean,
        },
        orient="row",
    )
    out = disclosure_pattern(_framework(measure="count", multiplier=1), cells, earlier=earlier)
    assert _withheld(out) == {("2012", "T", ""), ("2012", "S", ""), ("2011", "T", "")}
    assert out.filter(pl.col("period") == "2011")["reason"].to_list() == ["withheld before"]


def test_the_rounding_discipline() -> None:
    cells = _cells(
        [
            ("2012", "K", "", "", 116.0, 940.0, 12.3),
            ("2012", "T", "", "", 3.0, 40.0, 7.5),
            ("2012", "D", "", "", 52.0, 400.0, 13.0),
        ]
    )
    out = disclosure_pattern(_framework(disclosure_control="rounding"), cells)
    assert out["method"].to_list() == ["rounding"] * 3
    assert out["withheld"].to_list() == [False, True, False]
    assert out["count_out"].to_list() == [115.0, None, 50.0]
    assert out["denominator_out"].to_list() == [940.0, None, 400.0]
