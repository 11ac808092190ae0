"""DSR (Dobson), ISR and the standardised ratio against the reference DSR/ISR workbook."""

from __future__ import annotations

import polars as pl
import pytest

from gapwatch.stats.esp2013 import ESP2013, ESP2013_AGE_BANDS, ESP2013_START_AGES, esp2013_frame
from gapwatch.stats.standardised import dsr, isr, isratio
from tests.stats.conftest import ReadCsv, assert_frame_columns_close

LIMITS = ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]
BOTH = [0.95, 0.998]


def sheet(read: ReadCsv, name: str) -> pl.DataFrame:
    return read(f"csv/testdata_DSR_ISR__{name}.csv")


def test_esp2013_constant_matches_the_package_data(read_reference: ReadCsv) -> None:
    reference = read_reference("derived/esp2013.csv")
    assert list(ESP2013) == reference["esp2013"].to_list()
    assert list(ESP2013_AGE_BANDS) == reference["ageband"].to_list()
    assert list(ESP2013_START_AGES) == reference["start_age"].to_list()
    assert esp2013_frame()["esp2013"].sum() == 100000


@pytest.mark.parametrize(("multiplier", "rows"), [(10000, slice(0, 3)), (100000, slice(4, 7))])
def test_dsr_multiarea_with_default_esp2013(read_reference: ReadCsv, multiplier: int, rows: slice) -> None:
    data = sheet(read_reference, "testdata_multiarea")
    expected = sheet(read_reference, "testresults_DSR")[rows]
    got = dsr(data, "count", "pop", group_by=["area"], confidence=BOTH, multiplier=multiplier)
    assert got["area"].to_list() == expected["area"].to_list()
    assert_frame_columns_close(got, expected, ["total_count", "total_pop", *LIMITS])
    # testdata_tiny has 9 events: no values, and the reference's note
    assert got["statistic"].to_list() == expected["statistic"].to_list()
    assert got["method"].to_list() == expected["method"].to_list()


def test_dsr_with_a_supplied_standard_population(read_reference: ReadCsv) -> None:
    data = sheet(read_reference, "testdata_1976")
    expected = sheet(read_reference, "testresults_DSR")[7:8]  # row 8; its 99.8% cells are wrong in the source
    got = dsr(data, "count", "pop", stdpop="esp1976", confidence=BOTH)
    assert_frame_columns_close(got, expected, ["total_count", "total_pop", "value", "lower95_0cl", "upper95_0cl"])
    by_vector = dsr(data, "count", "pop", stdpop=data["esp1976"].to_list(), confidence=BOTH)
    assert by_vector["value"][0] == pytest.approx(got["value"][0], rel=1e-12)


def test_dsr_for_non_independent_events(read_reference: ReadCsv) -> None:
    wide = sheet(read_reference, "testdata_nonindepe")
    long = (
        wide.unpivot(index=["area", "ageband", "count", "pop"], on=["f1", "f2", "f3", "f4"], value_name="persons")
        .with_columns(pl.col("variable").str.slice(1).cast(pl.Int64).alias("freq"), pl.col("persons").fill_null(0))
        .filter((pl.col("freq") != 4) | (pl.col("area") == "testdata_nonind_big"))
        .sort("area", "freq", maintain_order=True)  # ESP2013 attaches by position within (area, freq)
    )
    expected = sheet(read_reference, "testresults_DSR")[8:12]
    got = dsr(
        long,
        "persons",
        "pop",
        group_by=["area"],
        confidence=BOTH,
        independent_events=False,
        eventfreq="freq",
        ageband="ageband",
    )
    assert got["area"].to_list() == expected["area"].to_list()
    assert_frame_columns_close(got, expected, ["total_count", "total_pop", *LIMITS])
    assert got["method"].to_list() == expected["method"].to_list()
    assert got["statistic"].to_list() == expected["statistic"].to_list()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("testdata_err1", "column 'count': negative values in rows 5"),
        ("testdata_err2", "column 'pop': zero or negative values in rows 1"),
        ("testdata_err3", "column 'pop': zero or negative values in rows 1"),
        ("testdata_err4", "column 'stdpop': negative values in rows 5"),
    ],
)
def test_dsr_rejects_invalid_inputs(read_reference: ReadCsv, name: str, message: str) -> None:
    data = sheet(read_reference, name)
    stdpop = "stdpop" if "stdpop" in data.columns else None
    group_by = ["area"] if "area" in data.columns else None
    with pytest.raises(ValueError, match=message):
        dsr(data, "count", "pop", stdpop=stdpop, group_by=group_by)


def test_dsr_needs_one_row_per_standard_band() -> None:
    frame = pl.DataFrame({"area": ["a"] * 18, "x": [5] * 18, "n": [100] * 18})
    message = r"group \(area='a'\) has 18 rows but the standard population \(ESP2013\) has 19 values"
    with pytest.raises(ValueError, match=message):
        dsr(frame, "x", "n", group_by=["area"])


def test_dsr_non_independent_needs_frequency_and_band_columns() -> None:
    with pytest.raises(ValueError, match="eventfreq and the ageband"):
        dsr(pl.DataFrame({"x": [1], "n": [2]}), "x", "n", independent_events=False)


def test_dsr_treats_a_missing_count_as_zero(read_reference: ReadCsv) -> None:
    data = sheet(read_reference, "testdata_multiarea")
    assert data.filter(pl.col("area") == "testdata_tiny")["count"].null_count() == 1
    got = dsr(data.lazy(), "count", "pop", group_by=["area"]).collect()
    assert got.filter(pl.col("area") == "testdata_tiny")["total_count"][0] == 9


@pytest.mark.parametrize(("multiplier", "rows"), [(100000, slice(0, 3)), (1000, slice(3, 6))])
def test_isr_with_reference_columns(read_reference: ReadCsv, multiplier: int, rows: slice) -> None:
    data = sheet(read_reference, "testdata_multiarea_isr")
    expected = sheet(read_reference, "testresults_ISR")[rows]
    got = isr(data, "count", "pop", "refcount", "refpop", group_by=["area"], confidence=BOTH, multiplier=multiplier)
    assert_frame_columns_close(got, expected, ["observed", "expected", "ref_rate", *LIMITS])
    assert got["statistic"].to_list() == expected["statistic"].to_list()
    assert got["method"].to_list() == expected["method"].to_list()


@pytest.mark.parametrize(("refvalue", "rows"), [(1, slice(6, 9)), (100, slice(9, 12))])
def test_isratio_with_reference_vectors(read_reference: ReadCsv, refvalue: int, rows: slice) -> None:
    data = sheet(read_reference, "testdata_multiarea")
    ref = sheet(read_reference, "refdata")
    expected = sheet(read_reference, "testresults_ISR")[rows]
    got = isratio(
        data,
        "count",
        "pop",
        ref["refcount"].to_list(),
        ref["refpop"].to_list(),
        group_by=["area"],
        confidence=BOTH,
        refvalue=refvalue,
    )
    assert_frame_columns_close(got, expected, ["observed", "expected", *LIMITS])
    assert got["statistic"].to_list() == expected["statistic"].to_list()
    assert got["method"].to_list() == expected["method"].to_list()


def test_isr_from_observed_totals(read_reference: ReadCsv) -> None:
    data = sheet(read_reference, "testdata_multiarea").drop("count")
    ref = sheet(read_reference, "refdata")
    totals = sheet(read_reference, "testdata_multiarea_lookup")
    expected = sheet(read_reference, "testresults_ISR")[0:3]
    got = isr(
        data,
        "total_count",
        "pop",
        ref["refcount"].to_list(),
        ref["refpop"].to_list(),
        group_by=["area"],
        confidence=BOTH,
        observed_totals=totals,
    )
    assert_frame_columns_close(got, expected, ["observed", "expected", "ref_rate", *LIMITS])


def test_indirect_standardisation_accepts_a_zero_population(read_reference: ReadCsv) -> None:
    data = sheet(read_reference, "testdata_err2")
    ref = sheet(read_reference, "refdata")
    expected = sheet(read_reference, "testresults_ISR")[12:16]
    args = ("count", "pop", ref["refcount"].to_list(), ref["refpop"].to_list())
    rates = isr(data, *args, group_by=["area"])
    ratios = isratio(data, *args, group_by=["area"], refvalue=100)
    names = {"value": "value", "lowercl": "lower95_0cl", "uppercl": "upper95_0cl", "expected": "expected"}
    assert_frame_columns_close(rates, expected[0:2], names)
    assert_frame_columns_close(ratios, expected[2:4], names)


def test_isr_rejects_zero_reference_population() -> None:
    frame = pl.DataFrame({"x": [1, 2], "n": [10, 10], "xr": [1, 1], "nr": [5, 0]})
    with pytest.raises(ValueError, match="column 'nr': zero or negative values in rows 1"):
        isr(frame, "x", "n", "xr", "nr")
