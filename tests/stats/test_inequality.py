"""SII/RII against PHEindicatormethods' own test data (testdata_SII.xlsx), block by block.

The block table is in ../shared/data/phe-reference/README.md. Point estimates are deterministic
(rtol 1e-9); the confidence limits are Monte Carlo results and are checked within 5% relative, as the
reference's own tests do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from gapwatch.stats.inequality import sii

KEYS = ["Area", "Grouping1", "Grouping2"]
REPS = 10_000


@pytest.fixture(scope="module")
def sii_data(phe_reference: Path) -> pl.DataFrame:
    path = phe_reference / "csv" / "testdata_SII__testdata_SII.csv"
    return pl.read_csv(path, null_values=[""], infer_schema_length=10_000).with_row_index("row", offset=1)


def _rows(data: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    return data.filter(pl.col("row").is_between(first, last))


def _run(data: pl.DataFrame, first: int, last: int, **kwargs: Any) -> pl.DataFrame:
    args: dict[str, Any] = {
        "quantile_col": "Quantile",
        "population": "Population",
        "value": "Value",
        "group_by": KEYS,
        "repetitions": REPS,
        "rii": True,
        "seed": 5,
    }
    args.update(kwargs)
    return sii(_rows(data, first, last), **args)


# (rows run, expected rows, keyword arguments) — one entry per call in the reference's test file.
CASES: list[tuple[str, tuple[int, int], tuple[int, int], dict[str, Any]]] = [
    ("default, se", (1, 20), (1, 11), {"se": "StandardError"}),
    ("default, limits", (1, 20), (1, 11), {"lower": "LowerCL", "upper": "UpperCL"}),
    ("default, intercept", (1, 20), (246, 256), {"lower": "LowerCL", "upper": "UpperCL", "intercept": True}),
    ("99% as a fraction", (21, 40), (21, 31), {"lower": "LowerCL", "upper": "UpperCL", "confidence": 0.99}),
    ("99% as a percentage", (21, 40), (21, 31), {"se": "StandardError", "confidence": 99}),
    ("95% and 99%", (226, 245), (226, 236), {"se": "StandardError", "confidence": [95, 99]}),
    ("100,000 repetitions", (41, 60), (41, 51), {"se": "StandardError", "repetitions": 100_000}),
    ("rate, se", (71, 90), (71, 81), {"se": "StandardError", "value_type": 1}),
    ("rate, limits", (71, 90), (71, 81), {"lower": "LowerCL", "upper": "UpperCL", "value_type": 1}),
    (
        "rate, intercept",
        (71, 90),
        (266, 276),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 1, "intercept": True},
    ),
    (
        "rate, log",
        (306, 325),
        (306, 316),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 1, "intercept": True, "transform": True},
    ),
    (
        "rate, log, multiplier -1",
        (386, 405),
        (386, 396),
        {
            "lower": "LowerCL",
            "upper": "UpperCL",
            "value_type": 1,
            "intercept": True,
            "transform": True,
            "multiplier": -1,
        },
    ),
    (
        "rate, log, 98%",
        (406, 425),
        (406, 416),
        {
            "lower": "LowerCL",
            "upper": "UpperCL",
            "value_type": 1,
            "intercept": True,
            "transform": True,
            "confidence": 98,
        },
    ),
    (
        "rate, log, 95% and 98%",
        (366, 385),
        (366, 376),
        {
            "lower": "LowerCL",
            "upper": "UpperCL",
            "value_type": 1,
            "intercept": True,
            "transform": True,
            "confidence": [95, 98],
        },
    ),
    (
        "rate, log, no RII",
        (426, 445),
        (426, 436),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 1, "transform": True, "rii": False},
    ),
    ("proportion, se", (91, 110), (91, 101), {"se": "StandardError", "value_type": 2}),
    ("proportion, limits", (91, 110), (91, 101), {"lower": "LowerCL", "upper": "UpperCL", "value_type": 2}),
    (
        "proportion, count instead of value",
        (91, 110),
        (91, 101),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 2, "value": None, "x": "Count"},
    ),
    (
        "proportion run as a rate, intercept",
        (91, 110),
        (286, 296),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 1, "intercept": True},
    ),
    (
        "proportion, multiplier 100",
        (111, 130),
        (111, 121),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 2, "multiplier": 100},
    ),
    (
        "proportion, multiplier 100, no RII",
        (111, 130),
        (111, 121),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 2, "multiplier": 100, "rii": False},
    ),
    (
        "proportion, multiplier -100",
        (131, 150),
        (131, 141),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 2, "multiplier": -100},
    ),
    (
        "proportion, logit",
        (326, 345),
        (326, 336),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 2, "intercept": True, "transform": True},
    ),
    (
        "proportion, logit, multiplier -1",
        (346, 365),
        (346, 356),
        {
            "lower": "LowerCL",
            "upper": "UpperCL",
            "value_type": 2,
            "intercept": True,
            "transform": True,
            "multiplier": -1,
        },
    ),
    (
        "proportion, logit, 98%",
        (466, 485),
        (466, 476),
        {
            "lower": "LowerCL",
            "upper": "UpperCL",
            "value_type": 2,
            "intercept": True,
            "transform": True,
            "confidence": 98,
        },
    ),
    (
        "proportion, logit, 95% and 98%",
        (486, 505),
        (486, 496),
        {
            "lower": "LowerCL",
            "upper": "UpperCL",
            "value_type": 2,
            "intercept": True,
            "transform": True,
            "confidence": [95, 98],
        },
    ),
    (
        "proportion, logit, no RII",
        (446, 465),
        (446, 456),
        {"lower": "LowerCL", "upper": "UpperCL", "value_type": 2, "transform": True, "rii": False},
    ),
]


def _level_names(confidence: Any) -> list[tuple[str, str, str]]:
    """(our lower suffix, our upper suffix, reference column suffix) per level."""
    if isinstance(confidence, list):
        labels = [f"{float(c):.1f}".replace(".", "_") for c in confidence]
        return [(f"lower{lab}cl", f"upper{lab}cl", str(k + 1)) for k, lab in enumerate(labels)]
    return [("lowercl", "uppercl", "1")]


@pytest.mark.parametrize(("name", "run_rows", "expected_rows", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_sii_matches_reference(
    sii_data: pl.DataFrame,
    name: str,
    run_rows: tuple[int, int],
    expected_rows: tuple[int, int],
    kwargs: dict[str, Any],
) -> None:
    got = _run(sii_data, *run_rows, **kwargs)
    expected = sii_data.filter(pl.col("row").is_in(list(expected_rows))).sort("row")
    assert got.get_column("Area").to_list() == expected.get_column("Area").to_list()
    assert got.get_column("sii_note").null_count() == got.height

    np.testing.assert_allclose(got["sii"].to_numpy(), expected["sii"].to_numpy(), rtol=1e-9)
    with_rii = kwargs.get("rii", True)
    if with_rii:
        np.testing.assert_allclose(got["rii"].to_numpy(), expected["rii"].to_numpy(), rtol=1e-9)
    else:
        assert "rii" not in got.columns
    if kwargs.get("intercept"):
        np.testing.assert_allclose(got["intercept"].to_numpy(), expected["Intercept"].to_numpy(), rtol=1e-9)
    for lower, upper, ref in _level_names(kwargs.get("confidence", 0.95)):
        stats = ["sii", "rii"] if with_rii else ["sii"]
        for stat in stats:
            for ours, theirs in ((lower, f"{stat}_lowercl_{ref}"), (upper, f"{stat}_uppercl_{ref}")):
                np.testing.assert_allclose(
                    got[f"{stat}_{ours}"].to_numpy(), expected[theirs].to_numpy(), rtol=0.05, err_msg=name
                )


def test_quintiles_point_estimate(sii_data: pl.DataFrame) -> None:
    got = _run(sii_data, 61, 70, se="StandardError")
    expected = sii_data.filter(pl.col("row").is_in([61, 66])).sort("row")
    np.testing.assert_allclose(got["sii"].to_numpy(), expected["sii"].to_numpy(), rtol=1e-9)


def test_ungrouped_data_gives_one_row(sii_data: pl.DataFrame) -> None:
    got = _run(sii_data, 1, 10, lower="LowerCL", upper="UpperCL", group_by=None)
    assert got.height == 1
    expected = sii_data.filter(pl.col("row") == 1)
    np.testing.assert_allclose(got["sii"].to_numpy(), expected["sii"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(got["sii_lowercl"].to_numpy(), expected["sii_lowercl_1"].to_numpy(), rtol=0.05)


def test_same_seed_same_limits_other_seed_other_limits(sii_data: pl.DataFrame) -> None:
    first = _run(sii_data, 1, 20, se="StandardError", repetitions=2000, seed=11)
    again = _run(sii_data, 1, 20, se="StandardError", repetitions=2000, seed=11)
    other = _run(sii_data, 1, 20, se="StandardError", repetitions=2000, seed=12)
    assert first.equals(again)
    assert not np.allclose(first["sii_lowercl"].to_numpy(), other["sii_lowercl"].to_numpy(), rtol=1e-12)


def test_lazy_in_lazy_out(sii_data: pl.DataFrame) -> None:
    lazy = _rows(sii_data, 1, 20).lazy()
    got = sii(
        lazy,
        quantile_col="Quantile",
        population="Population",
        value="Value",
        se="StandardError",
        group_by="Area",
        repetitions=1000,
        seed=1,
    )
    assert isinstance(got, pl.LazyFrame)
    assert got.collect().height == 2


def test_reliability_statistic_columns(sii_data: pl.DataFrame) -> None:
    got = _run(sii_data, 1, 20, se="StandardError", repetitions=1000, reliability_stat=True)
    assert {"sii_mad", "rii_mad"} <= set(got.columns)
    mad = got["sii_mad"].to_numpy()
    width = (got["sii_uppercl"] - got["sii_lowercl"]).to_numpy()
    assert np.all(mad > 0)
    assert np.all(mad < width / 4)  # run-to-run wobble is small next to the interval


# --- invalid input and the reference's rules for not computing ------------------------------------


def test_negative_population_is_an_error(sii_data: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"column 'Population': negative values in rows 1\b"):
        _run(sii_data, 151, 160, se="StandardError")


def test_negative_standard_error_is_an_error(sii_data: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="column 'StandardError': negative values"):
        _run(sii_data, 161, 165, se="StandardError")


def test_proportions_outside_zero_one_are_errors(sii_data: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="column 'Value': proportions must lie between 0 and 1"):
        _run(sii_data, 1, 20, se="StandardError", value_type=2)
    for first, last in ((171, 175), (176, 180)):
        with pytest.raises(ValueError, match="proportions must lie between 0 and 1"):
            _run(sii_data, first, last, lower="LowerCL", upper="UpperCL", value_type=2)


def test_too_few_quantiles_is_an_error(sii_data: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="number of quantiles must be between 5 and 100, found 3"):
        _run(sii_data, 1, 3, lower="LowerCL", upper="UpperCL")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"value_type": 3}, "value_type: should be 0, 1 or 2"),
        ({"repetitions": 0}, "repetitions: must be 1000 or greater"),
        ({"confidence": 0.35}, "confidence: levels must be between 0.9 and 1"),
        ({"confidence": 135}, "not a level between 0 and 1"),
        ({"transform": True}, "transform: value_type should be 1"),
        ({"value": None}, "value: a value column is needed"),
        ({"se": None}, "se: give se, or lower and upper"),
    ],
)
def test_invalid_arguments(sii_data: pl.DataFrame, kwargs: dict[str, Any], message: str) -> None:
    args = {"se": "StandardError", **kwargs}
    with pytest.raises(ValueError, match=message):
        _run(sii_data, 1, 20, **args)


def test_missing_quantile_leaves_group_without_sii_and_warns(sii_data: pl.DataFrame) -> None:
    data = _rows(sii_data, 1, 20).filter(pl.col("row") != 16)
    with pytest.warns(UserWarning, match="1 group\\(s\\) left without an SII"):
        got = sii(
            data,
            quantile_col="Quantile",
            population="Population",
            value="Value",
            lower="LowerCL",
            upper="UpperCL",
            group_by="Area",
            repetitions=1000,
            seed=1,
        )
    assert got.filter(pl.col("Area") == "area2").row(0, named=True)["sii_note"] == "only 9 of 10 quantiles"
    assert got.filter(pl.col("Area") == "area2")["sii"].is_null().all()
    np.testing.assert_allclose(got.filter(pl.col("Area") == "area1")["sii"].to_numpy(), [6.934616473668819])


def test_missing_values_leave_group_without_sii(sii_data: pl.DataFrame) -> None:
    # rows 201-210: a missing population and a missing value; rows 191-200: missing standard errors
    with pytest.warns(UserWarning, match="left without an SII"):
        got = _run(sii_data, 201, 210, se="StandardError")
    assert got["sii"].is_null().all()
    assert got["sii_note"].to_list() == ["missing or zero population"]
    with pytest.warns(UserWarning, match="left without an SII"):
        got = _run(sii_data, 191, 200, lower="LowerCL", upper="UpperCL")
    assert got["sii_note"].to_list() == ["missing or zero standard error"]


def test_zero_count_proportion_cannot_be_logit_transformed(sii_data: pl.DataFrame) -> None:
    data = _rows(sii_data, 166, 170).with_columns(pl.col("Quantile") - 5)
    with pytest.warns(UserWarning, match="left without an SII"):
        got = sii(
            data,
            quantile_col="Quantile",
            population="Population",
            x="Count",
            value_type=2,
            group_by="Area",
            repetitions=1000,
            seed=1,
        )
    assert "logit" in got["sii_note"][0]


def test_more_than_ten_quantiles_warns(sii_data: pl.DataFrame) -> None:
    with pytest.warns(UserWarning, match="small values can make the SII unstable"):
        got = _run(sii_data, 211, 225, lower="LowerCL", upper="UpperCL", repetitions=1000)
    assert got["sii"].is_not_null().all()


def test_counts_alone_give_intervals_for_proportions_and_rates() -> None:
    pop = np.array([1000.0, 1100, 1200, 1300, 1400])
    count = np.array([300.0, 280, 240, 200, 150])
    data = pl.DataFrame({"q": [1, 2, 3, 4, 5], "pop": pop, "x": count})
    for value_type in (1, 2):
        got = sii(data, quantile_col="q", population="pop", x="x", value_type=value_type, repetitions=5000, seed=3)
        row = got.row(0, named=True)
        assert row["sii_lowercl"] < row["sii"] < row["sii_uppercl"] < 0


def test_repeated_quantile_is_an_error() -> None:
    data = pl.DataFrame({"q": [1, 2, 3, 4, 5, 5], "pop": [10] * 6, "v": [1.0] * 6, "se": [1.0] * 6})
    with pytest.raises(ValueError, match="column 'q': each group needs one row per quantile; repeated in rows 4, 5"):
        sii(data, quantile_col="q", population="pop", value="v", se="se", repetitions=1000)
