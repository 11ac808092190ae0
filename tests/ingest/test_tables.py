"""Reading data files safely: encodings, byte-order marks, empty, binary, truncated and ragged files, and the
column-wise parsing of numbers, withheld-value codes, flags and periods (every problem located)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from gapwatch.errors import InvalidInput
from gapwatch.ingest.csvfile import read_csv_table
from gapwatch.ingest.tables import Problems, build_observations, parse_numbers

HEADER = "indicator,area_code,period,value,numerator,denominator\n"


def write(tmp_path: Path, data: bytes | str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_byte_order_mark_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    table = read_csv_table(write(tmp_path, b"\xef\xbb\xbf" + HEADER.encode() + b"A,E1,2007,1,,\n"))
    assert table.frame.columns[:2] == ["row", "indicator"]
    assert table.warnings == []


def test_windows_1252_is_read_with_a_warning(tmp_path: Path) -> None:
    data = (HEADER + "A,E1,2007,1,,\n").replace("indicator", "indicator").encode("cp1252") + b"A,E1,2008,2,,\n"
    data += "A,E1,2009,3,,Caf\u00e9 \u00a3\n".encode("cp1252")
    table = read_csv_table(write(tmp_path, data))
    assert "Windows-1252" in table.warnings[0]
    assert table.frame["denominator"].to_list()[-1] == "Caf\u00e9 \u00a3"


def test_forced_utf8_refuses_cp1252_naming_the_line(tmp_path: Path) -> None:
    data = (HEADER + "A,E1,2007,1,,\nA,E1,2008,\u00a35,,\n").encode("cp1252")
    with pytest.raises(InvalidInput, match=r"not valid UTF-8 \(byte 0xa3 on line 3\)") as err:
        read_csv_table(write(tmp_path, data), encoding="utf-8")
    assert "cp1252" in (err.value.hint or "")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"PK\x03\x04rest-of-a-zip", "an Excel workbook, not a CSV file"),
        (b"\xff\xfei\x00n\x00", "UTF-16"),
        (b"abc\x00\x01\x02", "binary"),
    ],
)
def test_files_that_are_not_csv_tables(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_csv_table(write(tmp_path, data))


def test_a_truncated_file_is_refused_at_its_last_row(tmp_path: Path) -> None:
    text = HEADER + "A,E1,2007,1,2,3\nA,E1,2008,1"
    with pytest.raises(InvalidInput, match="stops after 4 of 6 fields: the file looks truncated") as err:
        read_csv_table(write(tmp_path, text))
    assert err.value.problems[0].row == 3


def test_a_file_cut_inside_quotes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="quoted field is never closed"):
        read_csv_table(write(tmp_path, HEADER + 'A,E1,2007,1,2,"unfinished'))


def test_rows_with_extra_fields_are_located(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="more fields than the header") as err:
        read_csv_table(write(tmp_path, HEADER + "A,E1,2007,1,2,3\nA,E1,2008,1,2,3,4\n"))
    assert [p.row for p in err.value.problems] == [3]


def test_duplicate_headers_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="header row") as err:
        read_csv_table(write(tmp_path, "indicator,value,value\nA,1,2\n"))
    assert "column 'value' appears more than once" in str(err.value.problems[0])


def test_numbers_thousands_codes_and_garbage() -> None:
    frame = pl.DataFrame({"row": [2, 3, 4, 5, 6, 7, 8], "v": ["29,199", "1,296.5", "c", "low", "NA", "12%", "1,2"]})
    problems = Problems("f.csv")
    numbers, codes = parse_numbers(frame, "v", problems)
    assert numbers.to_list()[:2] == [29199.0, 1296.5]
    assert numbers.to_list()[2:6] == [None, None, None, 12.0]
    assert codes.to_list()[2:4] == ["c", "low"]
    assert [(p.row, p.field) for p in problems.items] == [(8, "v")]  # "1,2" is not a thousands separator


def test_build_reports_every_problem_with_row_and_column() -> None:
    frame = pl.DataFrame(
        {
            "row": [2, 3, 4, 5, 6],
            "indicator": ["A", "A", "A", "A", None],
            "area_code": ["E1", "E1", "E1", "E1", "E2"],
            "period": ["2007", "2007", "2008/09", "Spring 2009", "2010"],
            "value": ["1", "2", "x", "3", "4"],
            "numerator": ["5", None, None, "-1", None],
            "denominator": ["10", None, None, "4", None],
        }
    )
    problems = Problems("f.csv")
    build_observations(frame, problems)
    found = {(p.row, p.field, p.message.split(" (")[0]) for p in problems.items}
    assert (3, "period", "repeats the key of row 2") in found
    assert (5, "period", "'Spring 2009' is not a period gapwatch understands") in found
    assert (6, "indicator", "the indicator is missing") in found
    # A negative count parses: it is the plausibility rules (tests/ingest/test_plausibility.py) that refuse it.
    assert not any(p.row == 5 and p.field == "numerator" for p in problems.items)
    with pytest.raises(InvalidInput, match="3 problem"):
        problems.raise_if_any()


def test_withheld_codes_become_flags_never_numbers() -> None:
    frame = pl.DataFrame(
        {
            "row": [2, 3, 4],
            "indicator": ["A"] * 3,
            "area_code": ["E1"] * 3,
            "period": ["2019", "2020", "2021"],
            "value": ["c", "z", "7"],
        }
    )
    problems = Problems("f.csv")
    out = build_observations(frame, problems)
    assert not problems
    assert out["value"].to_list() == [None, None, 7.0]
    assert out["value_code"].to_list() == ["c", "z", None]
    assert out["suppressed"].to_list() == [True, False, False]


def test_two_year_dash_periods_are_pooled_with_a_warning() -> None:
    frame = pl.DataFrame(
        {
            "row": [2, 3],
            "indicator": ["A", "A"],
            "area_code": ["E1", "E1"],
            "period": ["2019-20", "2017-19"],
            "value": ["1", "2"],
        }
    )
    problems, warnings = Problems("f.csv"), []
    out = build_observations(frame, problems, warnings=warnings)
    assert not problems and out["period_kind"].to_list() == ["rolling", "rolling"]
    assert len(warnings) == 1 and "2019-20 were read as two calendar years pooled" in warnings[0]
    assert "2019/20" in warnings[0] and "2017-19" not in warnings[0]
