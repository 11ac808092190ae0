"""Quantile assignment against the reference Quantiles sheet (exact equality)."""

from __future__ import annotations

import polars as pl
import pytest

from gapwatch.stats.quantiles import quantile
from tests.stats.conftest import ReadCsv


@pytest.fixture()
def sheet(read_reference: ReadCsv) -> pl.DataFrame:
    return read_reference("csv/testdata_Quantiles__testdata_Quantiles.csv", schema_overrides={"Polarity": pl.String})


@pytest.mark.parametrize(
    ("group_set", "keys", "nquantiles", "invert"),
    [
        ("IndSexReg", ["IndSexRef", "ParentCode"], 10, "Polarity"),
        ("IndSex", ["IndSexRef"], 7, "Polarity"),
        ("None", None, 4, True),  # the literal group set name 'None': all rows together
    ],
)
def test_quantiles_match_reference_exactly(
    sheet: pl.DataFrame, group_set: str, keys: list[str] | None, nquantiles: int, invert: bool | str
) -> None:
    rows = sheet.filter(pl.col("Test").str.starts_with("Good") & (pl.col("GroupSet") == group_set))
    assert rows.height > 0
    got = quantile(rows, "Value", group_by=keys, nquantiles=nquantiles, invert=invert)
    assert got["quantile"].to_list() == rows["QuantileInGrp"].to_list()
    assert set(got["nquantiles"]) == {nquantiles}


def test_ties_take_the_minimum_rank(sheet: pl.DataFrame) -> None:
    dups = sheet.filter((pl.col("Test") == "GooddataDups") & (pl.col("GroupSet") == "IndSexReg"))
    got = quantile(dups, "Value", group_by=["IndSexRef", "ParentCode"], invert="Polarity")
    tied = got.filter(pl.col("Value").is_duplicated())
    assert tied.height > 0
    assert tied.group_by("Value").agg(pl.col("quantile").n_unique())["quantile"].max() == 1
    assert got["quantile"].to_list() == dups["QuantileInGrp"].to_list()


def test_polarity_varying_within_a_group_raises(sheet: pl.DataFrame) -> None:
    bad = sheet.filter(pl.col("Test") == "BadPolarity")
    with pytest.raises(ValueError, match="column 'Polarity': polarity varies within a group"):
        quantile(bad, "Value", group_by=["IndSexRef"], nquantiles=7, invert="Polarity")


def test_direction_groups_and_small_groups() -> None:
    frame = pl.DataFrame(
        {
            "g": ["a"] * 4 + ["b"] * 2,
            "v": [10.0, 20.0, 30.0, 40.0, 1.0, 2.0],
            "polarity": ["higher_is_better"] * 4 + ["lower_is_better"] * 2,
        }
    )
    high_first = quantile(frame, "v", group_by=["g"], nquantiles=4)
    assert high_first["quantile"].to_list()[:4] == [4, 3, 2, 1]
    assert high_first["quantile"].to_list()[4:] == [None, None]  # 2 values cannot fill 4 quantiles
    by_polarity = quantile(frame.lazy(), "v", group_by=["g"], nquantiles=2, invert="polarity").collect()
    assert by_polarity["quantile"].to_list() == [1, 1, 2, 2, 2, 1]
    assert by_polarity["groupvars"][0] == "g"
    assert by_polarity["invert"].to_list() == [False] * 4 + [True] * 2


def test_unknown_polarity_text_is_rejected() -> None:
    frame = pl.DataFrame({"v": [1.0, 2.0], "p": ["up", "up"]})
    with pytest.raises(ValueError, match="column 'p': unknown polarity in rows 0, 1"):
        quantile(frame, "v", invert="p")
