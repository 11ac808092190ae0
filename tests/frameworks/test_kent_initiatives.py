"""Kent's initiatives: every transcribed figure and quotation is checked against the seed text, and the scenarios
computed from them give the arithmetic the seeds imply."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gapwatch.analysis.scenarios import caseload_scenarios, savings_scenarios
from gapwatch.domain.framework import Framework
from gapwatch.ingest.framework_yaml import read_framework
from gapwatch.services.frameworks import bundled_framework_path


@pytest.fixture(scope="module")
def fw() -> Framework:
    return read_framework(bundled_framework_path("kent")).framework


def _seed(seeds: Path, name: str) -> str:
    return re.sub(r"\s+", " ", (seeds / name).read_text(encoding="utf-8"))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("\u2019", "'").replace("\u2018", "'")


def test_the_initiatives_the_issue_names_are_there(fw: Framework) -> None:
    ids = {i.id for i in fw.initiatives}
    assert {"sip", "margate-task-force", "community-budgets-pilot", "families-multiple-problems"} <= ids
    for ini in fw.initiatives:
        assert ini.source is not None and ini.source.document.endswith(".txt"), ini.id
        assert ini.note, f"{ini.id} has no note saying what the seeds leave out"


def test_nothing_is_invented(fw: Framework) -> None:
    # The seeds give no exact start date, budget, cost, caseload or staffing for any of them.
    for ini in fw.initiatives:
        assert ini.start is None and ini.end is None, ini.id
        assert ini.budget is None and ini.cost is None and ini.caseload is None and ini.staff is None, ini.id
    sip = fw.index("initiatives")["sip"]
    assert sip.start_text == "2002"
    assert "no list of SIP wards" in (sip.note or "")


def test_quotations_are_in_the_seeds(fw: Framework, seeds: Path) -> None:
    text = " ".join(_flat(_seed(seeds, f.name)) for f in sorted(seeds.glob("00*.txt")))
    text = text.replace("\u2013", "-").replace("*", "")  # the slides' emphasis marks are not words
    for ini in fw.initiatives:
        quotes = [q for field in (ini.description, ini.note) for q in re.findall(r'"([^"]*)"', _flat(field or ""))]
        for quote in (q for q in quotes if len(q) >= 25):
            probe = quote.replace("\u2013", "-").replace(" - ", " – ")
            assert quote in text or probe in text, f"{ini.id}: not in the seeds: {quote!r}"


def test_sip_targets_and_the_oxford_finding(fw: Framework, seeds: Path) -> None:
    picture = _seed(seeds, "002_a5ac0c5ed83af59e.txt")
    assert "launched by Lord Bruce-Lockhart back in 2002" in picture
    assert "29% higher chance of exiting benefit dependency" in picture
    sip = fw.index("initiatives")["sip"]
    areas = fw.index("areas")
    assert [areas[a].name for a in sip.target_areas] == ["Cliftonville West"]
    assert sip.studies == ["oxford-2007-sip"] and sip.lead == "kcc"


def test_margate_task_force_wards(fw: Framework, seeds: Path) -> None:
    vision = _seed(seeds, "004_cfdf0846c7aaebc6.txt")
    assert "Kent’s two most deprived wards – Margate Central and Cliftonville West" in vision
    mtf = fw.index("initiatives")["margate-task-force"]
    areas = fw.index("areas")
    assert sorted(areas[a].name for a in mtf.target_areas) == ["Cliftonville West", "Margate Central"]


def test_community_budgets_pilot(fw: Framework, seeds: Path) -> None:
    picture = _seed(seeds, "002_a5ac0c5ed83af59e.txt")
    assert "two districts in Kent (Thanet & Swale)" in picture
    assert "FIP worker model suggests a max of 6 families per worker" in picture
    cb = fw.index("initiatives")["community-budgets-pilot"]
    areas = fw.index("areas")
    assert sorted(areas[a].name for a in cb.target_areas) == ["Swale", "Thanet"]
    assert cb.max_per_worker == 6


def test_families_with_multiple_problems_figures_match_the_seed(fw: Framework, seeds: Path) -> None:
    picture = _seed(seeds, "002_a5ac0c5ed83af59e.txt")
    assert "c. 2,700 families across Kent at a estimated cost of £330k per family" in picture
    assert "MOSAIC modelling indicates 5,500 families across Kent" in picture
    spec = fw.index("initiatives")["families-multiple-problems"].caseload_scenario
    assert spec is not None
    assert {e.label: e.value for e in spec.estimates} == {"Government proportioning": 2700, "MOSAIC modelling": 5500}
    assert spec.cost_per_case == 330_000 and spec.per_worker == 6
    assert all(e.source and e.source.document == "002_a5ac0c5ed83af59e.txt" for e in spec.estimates)
    result = caseload_scenarios(spec)
    rows = {r.scenario: r for r in result.scenarios}
    assert rows["low"].workers == 450 and rows["high"].workers == 917  # 2,700 / 6; 5,500 / 6 rounded up
    assert rows["low"].total_cost == pytest.approx(891e6) and rows["high"].total_cost == pytest.approx(1815e6)
    assert rows["central"].cases == 4100 and rows["central"].basis.startswith("derived")
    assert any("not a source" in n for n in result.notes)
    # 3 scenarios x 3 caseloads per worker (6, 4, 5) x 3 avoided shares.
    assert len(result.sensitivity) == 27
    four = next(
        r for r in result.sensitivity if r.scenario == "high" and r.per_worker == 4 and r.avoidable_share == 0.25
    )
    assert four.workers == 1375 and four.avoidable_cost == pytest.approx(1815e6 / 4)


def test_health_commission_savings_match_the_seed(fw: Framework, seeds: Path) -> None:
    picture = _seed(seeds, "002_a5ac0c5ed83af59e.txt")
    assert "a minimum of 5% shift from acute spend would deliver £6m per district" in picture
    assert "a total of £72m for Community Health projects" in picture
    spec = fw.index("initiatives")["kent-health-commission"].savings
    assert spec is not None and (spec.share, spec.saving_per_unit, spec.units) == (0.05, 6e6, 12)
    result = savings_scenarios(spec)
    assert result.total_agrees is True and result.computed_total == 72e6
    stated = next(r for r in result.rows if r.stated)
    assert stated.spend_per_unit == pytest.approx(120e6)
    assert {r.share: r.total for r in result.rows} == pytest.approx({0.05: 72e6, 0.025: 36e6, 0.1: 144e6})


def test_total_place_figures_match_the_seed(fw: Framework, seeds: Path) -> None:
    picture = _seed(seeds, "002_a5ac0c5ed83af59e.txt")
    assert (
        "circa £1 million in property revenue costs and £3.5 million in capital receipts in 4 year programme" in picture
    )
    tp = fw.index("initiatives")["total-place-swale"]
    assert "£1 million in property revenue costs and £3.5 million in capital receipts" in (tp.note or "")
