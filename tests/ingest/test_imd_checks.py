"""IMD files get the same plausibility checks as other imports: LSOA codes well-formed, scores non-negative
(except the standardised domains), ranks within 1..N and, in a whole file, a proper ranking, deciles 1..10,
each problem named by file, row and field; the real files of every edition pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapwatch.errors import InvalidInput
from gapwatch.ingest.imd import read_imd

HEADER = "lsoa11_code,lad19_code,IMD_score,IMD_rank,IMD_decile,Health_score\n"
GOOD = "E01000001,E09000001,6.2,29006,9,-1.2\n"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ("E0100001,E09000001,6.2,29006,9,0.1", "lsoa11_code", "is not an LSOA code"),
        ("E01000002,E09000001,-3.5,29007,9,0.1", "IMD_score", "score -3.5 is negative"),
        ("E01000002,E09000001,3.5,40000,9,0.1", "IMD_rank", "above the number of LSOAs (32,844)"),
        ("E01000002,E09000001,3.5,29007,11,0.1", "IMD_decile", "decile 11 is above 10"),
        ("E01000002,E09000001,3.5,0,9,0.1", "IMD_rank", "is not a valid rank"),
    ],
)
def test_implausible_imd_rows_are_refused(tmp_path: Path, row: str, field: str, message: str) -> None:
    path = tmp_path / "imd2019_extract.csv"
    path.write_text(HEADER + GOOD + row + "\n")
    with pytest.raises(InvalidInput) as err:
        read_imd(path)
    assert any(
        p.file == path.name and p.row == 3 and p.field == field and message in p.message for p in err.value.problems
    ), [(p.row, p.field, p.message) for p in err.value.problems]


def test_a_negative_health_score_is_plausible(tmp_path: Path) -> None:
    path = tmp_path / "imd2019_extract.csv"
    path.write_text(HEADER + GOOD)
    assert read_imd(path).deprivation.height == 2


def test_a_whole_file_with_a_broken_ranking_is_refused(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "imd/imd2015_lsoa11_england.csv").read_text().splitlines()
    cells = lines[5].split(",")
    cells[5] = lines[6].split(",")[5]  # two LSOAs of different scores given one rank
    path = tmp_path / "imd2015_lsoa11_england.csv"
    path.write_text("\n".join([*lines[:5], ",".join(cells), *lines[6:]]) + "\n")
    with pytest.raises(InvalidInput) as err:
        read_imd(path)
    assert any(p.field == "IMD_rank" and "breaks the ranking" in p.message for p in err.value.problems)


@pytest.mark.parametrize(
    "rel",
    ["imd/imd2007_lsoa01_england.csv", "imd/imd2015_lsoa11_england.csv", "imd2025/imd2025_england_lsoa21.csv"],
)
def test_the_real_files_pass(shared_data: Path, rel: str) -> None:
    assert read_imd(shared_data / rel).deprivation.height > 32_000
