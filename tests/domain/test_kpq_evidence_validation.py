"""KPQ evidence rules that cannot be answered are refused when the framework is read, with file and line.

An unknown indicator, a breakdown the indicator is not published by, a category that is not in the named
breakdown, or an area gap at a level the indicator does not cover would otherwise leave a question silently
unanswered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gapwatch.errors import InvalidInput
from gapwatch.services.frameworks import bundled_framework_path, validate_framework
from tests.services import cycle_data


def _read_with(tmp_path: Path, evidence: list[dict[str, Any]]) -> InvalidInput:
    data = cycle_data.framework()
    data["kpqs"] = [{"id": "K1", "ambition": "A1", "number": 1, "question": "Q?", "evidence": evidence}]
    data["indicators"][-1]["disaggregation"] = {"area_levels": ["county"], "groups": []}  # NODATA: county only
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        validate_framework(path)
    return caught.value


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_unknown_indicator_is_refused_with_file_and_line(tmp_path: Path) -> None:
    error = _read_with(tmp_path, [{"measure": "trend", "indicator": "NOPE"}])
    (problem,) = error.problems
    assert "unknown indicator 'NOPE'" in problem.message
    assert problem.file == str(tmp_path / "fw.yaml")
    assert problem.line == _line_of(tmp_path / "fw.yaml", "indicator: NOPE")


def test_breakdown_the_indicator_does_not_have_is_refused(tmp_path: Path) -> None:
    rule = {"measure": "group_gap", "indicator": "NODATA", "category_type": "fsm", "subject": "fsm"}
    error = _read_with(tmp_path, [rule])
    messages = [p.message for p in error.problems]
    assert any("indicator 'NODATA' is not broken down by 'fsm'" in m for m in messages), messages
    problem = next(p for p in error.problems if "not broken down" in p.message)
    assert problem.line is not None and problem.line > _line_of(tmp_path / "fw.yaml", "kpqs:")


def test_category_of_another_breakdown_and_area_level_are_refused(tmp_path: Path) -> None:
    error = _read_with(
        tmp_path,
        [
            {"measure": "group_gap", "indicator": "GN", "category_type": "fsm", "subject": "fsm", "comparator": "D1"},
            {"measure": "area_gap", "indicator": "NODATA", "subject": "D1", "comparator": "C0"},
        ],
    )
    messages = sorted(p.message for p in error.problems)
    assert any("'D1' is not a category of 'fsm'" in m for m in messages), messages
    assert any("published for county areas, not for the district 'D1'" in m for m in messages), messages


def test_the_bundled_kent_rules_are_valid_and_cover_all_fifteen_kpqs() -> None:
    framework = validate_framework(bundled_framework_path("kent")).framework
    assert len(framework.kpqs) == 15
    assert all(k.evidence for k in framework.kpqs)
    a2_kpq4 = next(k for k in framework.kpqs if k.id == "A2-KPQ4")
    assert {"sii", "deprivation_gap", "area_gap"} <= {e.measure.value for e in a2_kpq4.evidence}
    a2_kpq1 = next(k for k in framework.kpqs if k.id == "A2-KPQ1")
    assert {e.category_type for e in a2_kpq1.evidence if e.category_type} == {"fsm", "sen", "lac"}
