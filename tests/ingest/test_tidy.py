"""Tidy files and mappings: documented columns, renamed columns, filters, recodes, wide files with one column
per measure (a real DfE file), and Excel workbooks."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from gapwatch.errors import InvalidInput
from gapwatch.ingest.tidy import TableMapping, load_mapping, read_tidy


def test_documented_columns_match_loosely(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "Indicator,Area Code,Period,Value,Numerator,Denominator,Category_Type,Category\n"
        "ATT1,N1,2019/20 AY,54.5,109,200,fsm,fsm\n"
    )
    frame = read_tidy(path).frame
    assert frame.select("indicator", "area_code", "period", "value", "numerator", "category").row(0) == (
        "ATT1",
        "N1",
        "2019/20 AY",
        54.5,
        109.0,
        "fsm",
    )


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("ind,area,when,amount\nA,E1,2007,3\n")
    with pytest.raises(InvalidInput, match="missing column") as err:
        read_tidy(path)
    assert {p.field for p in err.value.problems} == {"indicator", "area_code", "period", "value"}
    mapped = read_tidy(
        path,
        mapping=TableMapping(columns={"ind": "indicator", "area": "area_code", "when": "period", "amount": "value"}),
    )
    assert mapped.frame["value"].to_list() == [3.0]


def test_mapping_file_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("columns: {a: indicator}\nwhere: 3\n")
    with pytest.raises(InvalidInput, match="not valid") as err:
        load_mapping(path)
    assert err.value.problems[0].field == "where"


def test_hostile_mapping_files_are_refused(tmp_path: Path) -> None:
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text(
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))
        + "columns: {x: indicator}\n"
    )
    with pytest.raises(InvalidInput, match="laughs.yaml: cannot read the mapping file .*aliases"):
        load_mapping(laughs)
    big = tmp_path / "big.yaml"
    big.write_text("columns:\n" + "".join(f"  c{i}: indicator\n" for i in range(80_000)))
    with pytest.raises(InvalidInput, match="big.yaml: a mapping file is at most 1 MB"):
        load_mapping(big)
    recursive = tmp_path / "deep.json"
    recursive.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InvalidInput, match="deep.json: cannot read the mapping file"):
        load_mapping(recursive)


def test_real_wide_dfe_file_becomes_one_row_per_measure(shared_data: Path) -> None:
    mapping = TableMapping.model_validate(
        {
            "columns": {"la_code_9": "area_code", "cohort_19_in": "period", "fsm": "category"},
            "where": {
                "la_code_9": ["E10000016"],
                "sen": ["ALL"],
                "gender": ["ALL"],
                "fsm": ["Eligible for FSM", "Not eligible for FSM"],
            },
            "exclude": {"cohort_19_in": ["2023", "2024", "2025"]},
            "constants": {"category_type": "fsm"},
            "recode": {"category": {"Eligible for FSM": "fsm", "Not eligible for FSM": "non-fsm"}},
            "measures": [
                {
                    "indicator": "L3",
                    "numerator": "l3_by19",
                    "denominator": "number_in_ss_cohort",
                    "value": "l3_by19_rate",
                },
                {
                    "indicator": "L2EM",
                    "numerator": "l2_with_em_by19",
                    "denominator": "number_in_ss_cohort",
                    "value": "l2_with_em_by19_rate",
                    "name": "Level 2 with English and maths by 19",
                },
            ],
        }
    )
    parsed = read_tidy(
        shared_data / "dfe" / "attainment_age19" / "LA_Dashboard_2022_without_Scilly.csv", mapping=mapping
    )
    frame = parsed.frame
    assert frame.height == 18 * 2 * 2  # cohorts 2005-2022, FSM and non-FSM, two measures
    em = frame.filter((pl.col("indicator") == "L2EM") & (pl.col("period") == "2008"))
    # PROVENANCE.md: Kent, L2 with English and maths by 19, 2008: 19.8% (FSM) vs 55.5% (non-FSM).
    values = dict(em.select("category", "value").iter_rows())
    assert round(values["fsm"], 1) == 19.8 and round(values["non-fsm"], 1) == 55.5
    assert parsed.indicator_meta["L2EM"]["name"] == "Level 2 with English and maths by 19"
    assert any("not imported" in w for w in parsed.warnings)


def test_excel_workbook_with_a_notes_sheet_and_title_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes["A1"] = "Read me first"
    data = book.create_sheet("Data")
    data.append(["Kent attainment (a title row)"])
    data.append([])
    data.append(["indicator", "area_code", "period", "value", "numerator", "denominator"])
    data.append(["ATT1", "N1", 2019, 54.0, 108, 200])
    data.append([None] * 6)
    data.append(["ATT1", "N1", 2020, 55.5, 111, 200])
    path = tmp_path / "data.xlsx"
    book.save(path)
    parsed = read_tidy(path)
    assert parsed.format == "excel"
    assert parsed.frame.select("row", "period", "value").rows() == [(4, "2019", 54.0), (6, "2020", 55.5)]


def test_excel_problems_use_spreadsheet_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["indicator", "area_code", "period", "value"])
    sheet.append(["ATT1", "N1", "2019", "n/k?"])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(InvalidInput) as err:
        read_tidy(path)
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "value")]
