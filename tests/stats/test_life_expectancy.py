"""Life expectancy (Chiang II with Silcocks' variance) against the reference test literals."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gapwatch.stats.life_expectancy import LE_AGE_BANDS, life_expectancy
from tests.stats.conftest import ReadCsv, assert_close

LABELS = ["0", "1-4", *[f"{a} - {a + 4}" for a in range(5, 90, 5)], "90 +"]


@pytest.fixture()
def reference(read_reference: ReadCsv) -> pl.DataFrame:
    return read_reference("derived/life_expectancy_reference.csv")


def test_all_ages_match_reference_to_four_decimals(reference: pl.DataFrame) -> None:
    got = life_expectancy(reference, "startage", "pops", "deaths", group_by=["case"], le_age="all")
    assert got.select("case", "startage").equals(reference.select("case", "startage"))
    for column in ("value", "lowercl", "uppercl"):
        # the reference CIs used z = 1.96; the package uses 1.959964 (README): 4 dp as the R tests
        assert_close(got[column].round(4), reference[column].round(4), atol=1.01e-4, label=column)
    known = reference["pops_used"].is_not_null()
    assert_close(got["pops_used"].filter(known), reference["pops_used"].filter(known), label="pops_used")
    assert_close(got["dths_used"].filter(known), reference["dths_used"].filter(known), label="dths_used")


def test_value_suppressed_when_interval_wider_than_twenty_years(reference: pl.DataFrame) -> None:
    area2 = reference.filter(pl.col("case") == "widecis_area2_95")
    got = life_expectancy(area2, "startage", "pops", "deaths", le_age="all")
    wide = (got["uppercl"] - got["lowercl"]) > 20
    assert wide.sum() == 11
    assert got.filter(wide)["value"].null_count() == 11
    assert got.filter(wide)["lowercl"].null_count() == 0  # limits are still shown
    assert set(got.filter(wide)["statistic"]) == {"life expectancy NA for 95% confidence interval wider than 20 years"}


def test_default_is_life_expectancy_at_birth_with_labels_in_any_order(reference: pl.DataFrame) -> None:
    df1 = reference.filter(pl.col("case") == "df1_default_95").with_columns(
        pl.Series("band", LABELS), pl.lit("Area 1").alias("area")
    )
    shuffled = df1.sample(fraction=1.0, shuffle=True, seed=3)
    got = life_expectancy(shuffled.lazy(), "band", "pops", "deaths", group_by=["area"], confidence=[0.95, 0.998])
    assert isinstance(got, pl.LazyFrame)
    out = got.collect()
    assert out.height == 1 and out["band"][0] == "0"
    assert out["value"][0] == pytest.approx(reference["value"][0], abs=1e-4)
    assert out["lower95_0cl"][0] == pytest.approx(reference["lowercl"][0], abs=1e-4)
    assert out["lower99_8cl"][0] < out["lower95_0cl"][0]
    assert out["statistic"][0] == "life expectancy at age 0"


def test_several_ages(reference: pl.DataFrame) -> None:
    df1 = reference.filter(pl.col("case") == "df1_default_95")
    got = life_expectancy(df1, "startage", "pops", "deaths", le_age=[65, 5])
    assert got["startage"].to_list() == [5, 65]
    expected = df1.filter(pl.col("startage").is_in([5, 65]))["value"]
    assert_close(got["value"], expected, atol=1e-6, rtol=0)


DEATHS = [5, 1, 1, 1, 2, 2, 3, 4, 6, 10, 15, 25, 40, 60, 100, 160, 250, 400, 600, 900]


def _bands() -> pl.DataFrame:
    """A plausible area: 10,000 people per band (3,000 at 90+), mortality rising with age."""
    return pl.DataFrame({"age": list(LE_AGE_BANDS), "pops": [10000] * 19 + [3000], "deaths": DEATHS})


@pytest.mark.parametrize(
    ("change", "note"),
    [
        (pl.col("pops") // 100, "life expectancy NA for total population < 5000"),
        (pl.when(pl.col("age") == 40).then(0).otherwise(pl.col("pops")), "zero population in an age band"),
        (pl.when(pl.col("age") == 90).then(800).otherwise(pl.col("pops")), "deaths greater than population"),
    ],
)
def test_unusable_groups_give_null_with_a_note(change: pl.Expr, note: str) -> None:
    good = _bands()
    bad = _bands().with_columns(change.alias("pops"))
    frame = pl.concat([good.with_columns(area=pl.lit("good")), bad.with_columns(area=pl.lit("bad"))])
    got = life_expectancy(frame, "age", "pops", "deaths", group_by=["area"])
    assert got["area"].to_list() == ["bad", "good"]
    assert got["value"][0] is None and got["lowercl"][0] is None
    assert note in got["statistic"][0]
    assert got["value"][1] is not None and np.isfinite(got["value"][1])


def test_no_deaths_at_ninety_plus_gives_null() -> None:
    frame = _bands().with_columns(pl.when(pl.col("age") == 90).then(0).otherwise(pl.col("deaths")).alias("deaths"))
    got = life_expectancy(frame, "age", "pops", "deaths")
    assert got["value"][0] is None
    assert got["statistic"][0] == "life expectancy NA for no deaths in the 90+ age band"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (_bands().head(19), "has 19 rows for 19 distinct age bands"),
        (_bands().with_columns(pl.col("age").replace(5, 6)), "unrecognised in rows 2"),
        (_bands().with_columns(pl.col("deaths").replace(60, -1)), "column 'deaths': negative values"),
        (_bands().with_columns(pl.lit(None, dtype=pl.Int64).alias("pops")), "column 'pops': missing values"),
    ],
)
def test_bad_input_raises(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        life_expectancy(frame, "age", "pops", "deaths")
