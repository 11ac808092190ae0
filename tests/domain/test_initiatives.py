"""Initiatives in a framework file: bad input gives a clear message naming the item and the field, with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gapwatch.errors import InvalidInput
from gapwatch.ingest.framework_yaml import read_framework

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"


def _with(tmp_path: Path, initiative: dict[str, object]) -> Path:
    data = yaml.safe_load(MINI.read_text())
    data["areas"].append({"id": "W1", "name": "North ward", "level": "ward", "parent": "N1"})
    data["initiatives"] = [{"id": "nip", "name": "North Independence Programme", **initiative}]
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(InvalidInput) as err:
        read_framework(path)
    return [str(p) for p in err.value.problems]


def test_a_valid_initiative_loads(tmp_path: Path) -> None:
    fw = read_framework(
        _with(
            tmp_path,
            {
                "target_areas": ["W1"],
                "comparison_areas": ["S1"],
                "start": "2020-04-01",
                "lead": "rcc",
                "studies": ["ST1"],
                "kpqs": ["R1-KPQ1"],
                "indicators": ["ATT1"],
                "target_group": {"category_type": "fsm", "category": "fsm"},
            },
        )
    ).framework
    assert fw.initiatives[0].comparison_areas == ["S1"]


def test_dates_running_backwards(tmp_path: Path) -> None:
    problems = _problems(_with(tmp_path, {"start": "2021-04-01", "end": "2020-03-31"}))
    assert len(problems) == 1
    assert "initiatives 'nip'" in problems[0]
    assert "'end' (2020-03-31) is before 'start' (2021-04-01)" in problems[0]
    assert "line" in problems[0]


def test_a_phase_running_backwards(tmp_path: Path) -> None:
    problems = _problems(_with(tmp_path, {"phases": [{"name": "Pilot", "start": "2021-01-01", "end": "2020-01-01"}]}))
    assert "initiatives 'nip', phases[1]" in problems[0] and "phase 'Pilot': 'end'" in problems[0]


def test_an_unknown_target_area(tmp_path: Path) -> None:
    problems = _problems(_with(tmp_path, {"target_areas": ["W1", "NOWHERE"]}))
    assert any(
        "initiatives 'nip', target_areas[2]" in p and "unknown area 'NOWHERE' in 'target_areas'" in p for p in problems
    )


def test_a_comparison_set_overlapping_the_targets(tmp_path: Path) -> None:
    problems = _problems(_with(tmp_path, {"target_areas": ["W1", "S1"], "comparison_areas": ["S1"]}))
    assert any("'comparison_areas' overlaps 'target_areas' (S1)" in p for p in problems)


def test_a_comparison_district_holding_a_target_ward_overlaps(tmp_path: Path) -> None:
    problems = _problems(_with(tmp_path, {"target_areas": ["W1"], "comparison_areas": ["S1", "N1"]}))
    assert len(problems) == 1
    assert "initiatives 'nip', comparison_areas[2]" in problems[0]
    assert "comparison area 'N1' overlaps the initiative's target areas (W1)" in problems[0]


def test_a_comparison_grouping_holding_a_target_overlaps(tmp_path: Path) -> None:
    # rest-of-riverton is Riverton without North Riverton: South only, so it does not overlap North's ward...
    ok = read_framework(_with(tmp_path, {"target_areas": ["W1"], "comparison_areas": ["rest-of-riverton"]}))
    assert ok.framework.initiatives[0].comparison_areas == ["rest-of-riverton"]
    # ...but it does overlap South Riverton.
    problems = _problems(_with(tmp_path, {"target_areas": ["S1"], "comparison_areas": ["rest-of-riverton"]}))
    assert "overlaps the initiative's target areas (S1)" in problems[0]


def test_unknown_lead_study_and_group(tmp_path: Path) -> None:
    problems = _problems(
        _with(
            tmp_path,
            {
                "lead": "nobody",
                "studies": ["NOSTUDY"],
                "target_group": {"category_type": "fsm", "category": "martians"},
            },
        )
    )
    text = "\n".join(problems)
    assert "initiatives 'nip', lead: unknown organisation 'nobody'" in text
    assert "initiatives 'nip', studies[1]: unknown study 'NOSTUDY'" in text
    assert "'martians' is not a category of 'fsm'" in text


def test_caseload_beyond_staff_capacity(tmp_path: Path) -> None:
    problems = _problems(_with(tmp_path, {"caseload": 50, "staff": 5, "max_per_worker": 6}))
    assert "'caseload' 50 exceeds 'staff' 5 x 'max_per_worker' 6" in problems[0]


def test_kpq_evidence_names_a_known_initiative(tmp_path: Path) -> None:
    data = yaml.safe_load(MINI.read_text())
    data["kpqs"][0]["evidence"].append({"measure": "initiative_impact", "initiative": "ghost", "indicator": "ATT1"})
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    problems = _problems(path)
    assert any("evidence[2].initiative: unknown initiative 'ghost'" in p for p in problems)
    data["kpqs"][0]["evidence"][-1] = {"measure": "initiative_impact", "indicator": "ATT1"}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert any("needs an 'initiative' id" in p for p in _problems(path))
