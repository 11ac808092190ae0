"""`gapwatch initiative list|show|impact|scenarios` on a constructed partnership whose answers are known, and the
`initiative_impact` KPQ evidence it feeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from gapwatch.cli._common import engine_for
from gapwatch.domain.kpq import Direction
from gapwatch.services.frameworks import load_framework
from tests.clirunner import run_cli

YEARS = range(2001, 2011)  # periods 2000/01 .. 2009/10; the initiative starts 1 April 2005


def _framework(*, effect: float, kpq: bool = True) -> dict[str, Any]:
    wards = {"W1": 0.10, "W2": 0.10, "W3": 0.10, "W4": 0.11, "W5": 0.09, "W6": 0.20}
    observations = []
    for ward, base in wards.items():
        for year in YEARS:
            p = base + (effect if ward in ("W1", "W2") and year >= 2006 else 0.0)
            observations.append(
                {
                    "id": f"OB-{ward}-{year}",
                    "indicator": "EXIT",
                    "area": ward,
                    "period": f"{year - 1}/{str(year)[2:]}",
                    "value": round(100 * p, 6),
                    "numerator": round(p * 10000),
                    "denominator": 10000,
                }
            )
    fw: dict[str, Any] = {
        "schema_version": 1,
        "id": "testshire",
        "name": "Testshire",
        "partnership": "Testshire Partnership",
        "ambitions": [{"id": "A1", "number": 1, "title": "Fewer people on benefits"}],
        "indicators": [
            {
                "id": "EXIT",
                "code": "EX1",
                "title": "Claimants leaving benefits",
                "measure": "proportion",
                "polarity": "higher_is_better",
                "unit": "%",
            }
        ],
        "areas": [
            {"id": "X0", "name": "Testshire", "level": "county"},
            {"id": "D1", "name": "North", "level": "district", "parent": "X0"},
            {"id": "D2", "name": "South", "level": "district", "parent": "X0"},
            *(
                {"id": w, "name": f"Ward {w}", "level": "ward", "parent": "D1" if w in ("W1", "W2", "W3") else "D2"}
                for w in wards
            ),
        ],
        "organisations": [{"id": "tcc", "name": "Testshire County Council"}],
        "initiatives": [
            {
                "id": "tip",
                "name": "Testshire Independence Programme",
                "lead": "tcc",
                "target_areas": ["W1", "W2"],
                "comparison_areas": ["W4", "W5"],
                "start": "2005-04-01",
                "indicators": ["EXIT"],
                "caseload_scenario": {
                    "estimates": [{"label": "survey", "value": 120}, {"label": "model", "value": 240}],
                    "per_worker": 6,
                    "cost_per_case": 1000,
                    "avoidable_shares": [0.5],
                },
            },
        ],
        "observations": observations,
    }
    if kpq:
        fw["kpqs"] = [
            {
                "id": "A1-KPQ1",
                "ambition": "A1",
                "number": 1,
                "question": "Are more people leaving benefits?",
                "evidence": [{"measure": "initiative_impact", "initiative": "tip", "indicator": "EXIT"}],
            }
        ]
    return fw


def _db(tmp_path: Path, **kwargs: Any) -> Path:
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(_framework(**kwargs), sort_keys=False))
    db = tmp_path / "t.db"
    result = run_cli("framework", "load", str(path), "--db", str(db))
    assert result.exit_code == 0, result.output
    return db


def test_list_and_show(tmp_path: Path) -> None:
    db = _db(tmp_path, effect=0.05)
    listed = run_cli("initiative", "list", "--db", str(db))
    assert listed.exit_code == 0 and "tip" in listed.stdout and "W1, W2" in listed.stdout
    shown = run_cli("initiative", "show", "tip", "--db", str(db), "--format", "json")
    assert json.loads(shown.stdout)["lead"] == "tcc"
    missing = run_cli("initiative", "show", "nope", "--db", str(db))
    assert missing.exit_code == 1 and "There is no initiative 'nope'" in missing.stderr


def test_impact_against_stated_and_chosen_comparisons(tmp_path: Path) -> None:
    db = _db(tmp_path, effect=0.05)
    result = run_cli("initiative", "impact", "tip", "--db", str(db), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["comparison"]["areas"] == ["W4", "W5"]
    assert doc["did"]["value"] == pytest.approx(5.0)
    assert doc["verdict"] == "improved" and doc["pre_trends"]["check"] == "parallel"
    text = run_cli("initiative", "impact", "tip", "--comparison", "W3", "--db", str(db))
    assert text.exit_code == 0, text.output
    assert "Difference in differences: +5 points" in text.stdout
    assert "Comparison areas: W3" in text.stdout


def test_overlapping_comparison_is_refused(tmp_path: Path) -> None:
    db = _db(tmp_path, effect=0.05)
    result = run_cli("initiative", "impact", "tip", "--comparison", "D1", "--db", str(db))
    assert result.exit_code == 1
    assert "overlap the target areas of initiative 'tip'" in result.stderr
    assert "field '--comparison'" in result.stderr and "'D1'" in result.stderr


def test_matched_comparison_states_its_balance(tmp_path: Path) -> None:
    db = _db(tmp_path, effect=0.05)
    result = run_cli("initiative", "impact", "tip", "--matched", "2", "--db", str(db), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    m = doc["matching"]
    # Baselines: targets 10%; W3 10%, W4 11%, W5 9%, W6 20%: the nearest two are W3 and one of W4/W5, never W6.
    assert "W3" in m["chosen"] and "W6" not in m["chosen"] and len(m["chosen"]) == 2
    baseline = next(b for b in m["balance"] if b["covariate"] == "baseline")
    assert baseline["treated_mean"] == pytest.approx(10.0)
    assert any("no deprivation loaded" in n for n in m["notes"])


def test_scenarios(tmp_path: Path) -> None:
    db = _db(tmp_path, effect=0.0)
    doc = json.loads(run_cli("initiative", "scenarios", "tip", "--db", str(db), "--format", "json").stdout)
    rows = {r["scenario"]: r for r in doc["caseload"]["scenarios"]}
    assert rows["low"]["workers"] == 20 and rows["high"]["workers"] == 40 and rows["central"]["cases"] == 180
    assert rows["high"]["total_cost"] == 240_000 and rows["high"]["avoidable_cost"] == 120_000


@pytest.mark.parametrize(("effect", "direction"), [(0.05, Direction.SUPPORTS), (0.0, Direction.NEUTRAL)])
def test_kpq_evidence_from_an_initiative(tmp_path: Path, effect: float, direction: Direction) -> None:
    from gapwatch.domain.cycle import CycleWindow
    from gapwatch.services.kpq import answer_kpqs

    db = _db(tmp_path, effect=effect)
    engine: Engine = engine_for(db)
    try:
        from datetime import date

        window = CycleWindow(start=date(2010, 4, 1), as_of=date(2010, 10, 1), cutoff=date(2010, 9, 30))
        answers = answer_kpqs(engine, window=window)
    finally:
        engine.dispose()
    finding = answers[0].reasons[0]
    assert finding.measure == "initiative_impact"
    assert finding.direction is direction
    if effect:
        assert finding.verdict == "improved"
        assert answers[0].answer.value == "Yes"


def test_without_a_start_date_the_message_names_the_item_and_field(tmp_path: Path) -> None:
    fw = _framework(effect=0.05, kpq=False)
    del fw["initiatives"][0]["start"]
    fw["initiatives"][0]["start_text"] = "2005"
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(fw, sort_keys=False))
    db = tmp_path / "t.db"
    engine = engine_for(db)
    try:
        load_framework(engine, path)
    finally:
        engine.dispose()
    result = run_cli("initiative", "impact", "tip", "--db", str(db))
    assert result.exit_code == 1
    assert "initiative 'tip' has no 'start' date (the source says '2005')" in result.stderr
