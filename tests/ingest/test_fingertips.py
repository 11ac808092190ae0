"""The Fingertips export format on real exports: County/UA with deprivation deciles, District/UA for all of
Kent, and the two South East files whose headers were edited (read with a column mapping)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from gapwatch.errors import InvalidInput
from gapwatch.ingest.fingertips import deprivation_rank, read_fingertips

RENAMED = {
    "IndicatorID": "Indicator ID",
    "IndicatorName": "Indicator Name",
    "AreaCode": "Area Code",
    "AreaName": "Area Name",
    "AreaType": "Area Type",
    "Category_Type": "Category Type",
    "Timeperiod": "Time period",
    "Lower_CI_95.0_limit": "Lower CI 95.0 limit",
    "Upper_CI_95.0_limit": "Upper CI 95.0 limit",
    "Value_note": "Value note",
    "ParentCode": "Parent Code",
}
KENT_DISTRICTS = {f"E07000{n}" for n in range(105, 117)}


def test_county_export_with_deprivation_deciles(shared_data: Path) -> None:
    parsed = read_fingertips(shared_data / "fingertips" / "indicators-CountyUA.data.csv")
    frame = parsed.frame
    assert set(frame["indicator"]) == {"93356"}
    # The indicator name's embedded newline (a quirk of this export) is tidied away.
    assert frame["indicator_name"][0] == "Campylobacter incidence rate/100,000"
    deciles = frame.filter(pl.col("category_type").str.contains("deprivation deciles"))
    assert deciles.height > 0 and deciles["numerator"].null_count() == 0
    ranks = {deprivation_rank(c) for c in deciles["category"].unique()}
    assert ranks == set(range(1, 11))
    kent = frame.filter((pl.col("area_code") == "E10000016") & (pl.col("age") == "All ages"))
    assert sorted(kent["period"]) == ["2015", "2016", "2017"]
    assert parsed.rows_read == frame.height + parsed.skipped


def test_district_export_covers_every_kent_district_with_intervals(shared_data: Path) -> None:
    parsed = read_fingertips(shared_data / "fingertips" / "indicators-DistrictUApre419.data.csv")
    kent = parsed.frame.filter(pl.col("area_code").is_in(list(KENT_DISTRICTS)))
    assert set(kent["area_code"]) == KENT_DISTRICTS
    assert kent["lower_95"].null_count() == 0 and (kent["lower_95"] <= kent["value"]).all()
    # England's decile rows have no values: they carry nothing and are skipped, and the count says so.
    assert parsed.skipped > 0 and "skipped" in parsed.warnings[-1]


@pytest.mark.parametrize(
    "name", ["cypmh_southeast_CountyUA_renamed_headers.csv", "suicide_southeast_CountyUA_renamed_headers.csv"]
)
def test_edited_headers_need_and_accept_a_mapping(shared_data: Path, name: str) -> None:
    path = shared_data / "fingertips" / name
    with pytest.raises(InvalidInput, match="missing column") as err:
        read_fingertips(path)
    assert '--map "Timeperiod=Time period"' in (err.value.hint or "")
    parsed = read_fingertips(path, mapping=RENAMED)
    assert "E10000016" in set(parsed.frame["area_code"])
    assert parsed.frame["period"].null_count() == 0


def test_value_notes_become_flags(shared_data: Path) -> None:
    parsed = read_fingertips(
        shared_data / "fingertips" / "cypmh_southeast_CountyUA_renamed_headers.csv", mapping=RENAMED
    )
    frame = parsed.frame
    suppressed = frame.filter(pl.col("note").str.contains("suppressed").fill_null(False))
    assert suppressed.height > 0 and suppressed["suppressed"].all() and suppressed["value"].is_null().all()
    modelled = frame.filter(pl.col("note").str.contains("modelled").fill_null(False))
    assert modelled.height > 0 and modelled["estimated"].all()


def test_suicide_rolling_periods_are_parsed(shared_data: Path) -> None:
    parsed = read_fingertips(
        shared_data / "fingertips" / "suicide_southeast_CountyUA_renamed_headers.csv", mapping=RENAMED
    )
    kinds = dict(parsed.frame.select("period", "period_kind").unique().iter_rows())
    assert kinds["2015-17"] == "rolling" and kinds["2013-17"] == "rolling"


@pytest.mark.parametrize(
    ("label", "rank"),
    [
        ("Most deprived decile (IMD2015)", 1),
        ("Second most deprived decile (IMD2015)", 2),
        ("Fifth more deprived decile (IMD2015)", 5),
        ("Fifth less deprived decile (IMD2015)", 6),
        ("Least deprived decile (IMD2015)", 10),
        ("Most deprived quintile (IMD2019)", 1),
        ("Second least deprived quintile (IMD2019)", 4),
        ("d3", 3),
        ("Persons", None),
        (None, None),
    ],
)
def test_deprivation_rank(label: str | None, rank: int | None) -> None:
    assert deprivation_rank(label) == rank
