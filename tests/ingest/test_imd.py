"""IMD / IoD files recognised by their columns, every edition, with their quirks (BOM, "29,199", xlsx,
old district codes), and refused when they are something else or broken."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from gapwatch.errors import InvalidInput
from gapwatch.ingest.imd import looks_like_imd, read_imd


@pytest.mark.parametrize(
    ("name", "edition", "lsoas", "domains", "has_score"),
    [
        ("File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv", "IMD2019", 32844, {"imd"}, False),
        (
            "File_2_-_IoD2019_Domains_of_Deprivation.csv",
            "IMD2019",
            32844,
            {"imd", "income", "employment", "education", "health", "crime", "barriers", "environment"},
            False,
        ),
        ("imd2019_lsoa11_score_decile.csv", "IMD2019", 32844, {"imd"}, True),
        ("imd2015_lsoa11_england.csv", "IMD2015", 32844, {"imd"}, True),
        ("imd2010_lsoa01_england.csv", "IMD2010", 32482, {"imd"}, True),
        ("imd2007_lsoa01_england.csv", "IMD2007", 32482, {"imd"}, True),
    ],
)
def test_editions_recognised_from_columns(
    shared_data: Path, name: str, edition: str, lsoas: int, domains: set[str], has_score: bool
) -> None:
    imd = read_imd(shared_data / "imd" / name)
    assert imd.edition == edition
    assert set(imd.deprivation["domain"]) == domains
    main = imd.deprivation.filter(pl.col("domain") == "imd")
    assert main.height == lsoas and main["lsoa_code"].n_unique() == lsoas
    assert (main["score"].null_count() == 0) is has_score
    assert main["decile"].min() == 1 and main["decile"].max() == 10


def test_thousands_separators_and_bom_in_file_1(shared_data: Path) -> None:
    imd = read_imd(shared_data / "imd" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv")
    first = imd.deprivation.filter(pl.col("lsoa_code") == "E01000001").row(0, named=True)
    assert first["rank"] == 29199  # written "29,199" in the file
    assert first["district_code"] == "E09000001"


def test_the_official_2015_workbook(shared_data: Path) -> None:
    imd = read_imd(shared_data / "imd" / "File_1_ID_2015_Index_of_Multiple_Deprivation.xlsx")
    assert imd.edition == "IMD2015"
    csv = read_imd(shared_data / "imd" / "imd2015_lsoa11_england.csv")
    joined = imd.deprivation.join(csv.deprivation, on="lsoa_code", suffix="_csv")
    assert joined.height == 32844 and (joined["rank"] == joined["rank_csv"]).all()


def test_2007_keeps_old_district_codes(shared_data: Path) -> None:
    imd = read_imd(shared_data / "imd" / "imd2007_lsoa01_england.csv")
    thanet = imd.deprivation.filter(pl.col("district_code") == "29UN")
    assert thanet.height == 84  # PROVENANCE.md: 84 LSOAs in Thanet (29UN)


def test_population_denominators(shared_data: Path) -> None:
    imd = read_imd(shared_data / "imd" / "File_6_-_IoD2019_Population_Denominators.csv")
    assert imd.deprivation.is_empty()
    assert set(imd.populations["age_group"]) == {"all ages", "0-15", "16-59", "60+", "18-59/64"}
    first = imd.populations.filter((pl.col("area_code") == "E01000001") & (pl.col("age_group") == "all ages"))
    assert first["population"].to_list() == [1296.0] and first["period"].to_list() == ["2015"]


def test_domains_file_without_districts_takes_edition_from_its_name(shared_data: Path) -> None:
    imd = read_imd(shared_data / "imd" / "imd2010_lsoa01_domains.csv")
    assert imd.edition == "IMD2010" and imd.deprivation["district_code"].null_count() == imd.deprivation.height


def test_not_an_imd_file(shared_data: Path) -> None:
    with pytest.raises(InvalidInput, match="not an Indices of Deprivation file"):
        read_imd(shared_data / "imd" / "imd2019_lad19_summary_measures.csv")
    assert not looks_like_imd(["lad_code", "Score"])


def test_bad_values_are_located(tmp_path: Path) -> None:
    path = tmp_path / "imd2019_bad.csv"
    path.write_text("lsoa11_code,IMD_score,IMD_rank,IMD_decile\nE01000001,5.1,100,1\nE01000001,x9,0,11\n,3,5,2\n")
    with pytest.raises(InvalidInput) as err:
        read_imd(path)
    found = {(p.row, p.message.split(" (")[0]) for p in err.value.problems}
    assert (3, "'x9' is not a number") in found
    assert (3, "'0' is not a valid rank") in found
    assert (3, "decile 11 is above 10") in found
    assert (4, "the LSOA code is missing") in found
    assert any("appears more than once" in m for _, m in found)


def test_edition_must_be_known_when_nothing_says(tmp_path: Path) -> None:
    path = tmp_path / "deprivation.csv"
    path.write_text("lsoa_code,imd_score\nE01000001,5.1\n")
    with pytest.raises(InvalidInput, match="which IMD edition"):
        read_imd(path)
    assert read_imd(path, edition="2019").edition == "IMD2019"
