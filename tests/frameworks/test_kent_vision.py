"""The bundled Kent framework, Vision for Kent side: complete and faithful to the seed documents.

Counts and samples are checked against the seeds themselves where the seed text can be parsed
(the KPQs of Annex 1, the delivery plans of Diagram 1), and against the figures the seeds print
(PSA 1 targets, Thanet gap-closing targets, Ambition Board 2 template) otherwise.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from gapwatch.domain.framework import Framework
from gapwatch.domain.indicators import Polarity
from gapwatch.domain.periods import parse_period
from gapwatch.domain.targets import TargetKind, ValueAt
from gapwatch.ingest.framework_yaml import read_framework

KENT = Path(__file__).resolve().parents[2] / "gapwatch" / "frameworks" / "kent"
MY_FILES = [
    "vision.yaml",
    "partnership.yaml",
    "delivery-plans.yaml",
    "geography.yaml",
    "ab2.yaml",
    "psa.yaml",
    "evidence.yaml",
]
SEED_FILES = {
    "000_614c160ab52553dc.txt",
    "001_1ede7d43dc0ae1c4.txt",
    "002_a5ac0c5ed83af59e.txt",
    "003_2252c2e03de5a225.txt",
    "004_cfdf0846c7aaebc6.txt",
}
DISTRICTS = {
    "E07000105": "Ashford",
    "E07000106": "Canterbury",
    "E07000107": "Dartford",
    "E07000108": "Dover",
    "E07000109": "Gravesham",
    "E07000110": "Maidstone",
    "E07000111": "Sevenoaks",
    "E07000112": "Folkestone and Hythe",
    "E07000113": "Swale",
    "E07000114": "Thanet",
    "E07000115": "Tonbridge and Malling",
    "E07000116": "Tunbridge Wells",
}


@pytest.fixture(scope="module")
def fw() -> Framework:
    """The whole Kent folder, read and checked exactly as `gapwatch framework validate` reads it."""
    return read_framework(KENT).framework


def norm(text: str) -> str:
    """Compare texts ignoring line breaks, curly quotes and dash variants."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip()


def seed_text(seeds: Path, name: str) -> str:
    return norm((seeds / name).read_text(encoding="utf-8"))


# --- the folder and provenance ---------------------------------------------------------------------


def test_every_item_in_my_files_cites_a_seed_document() -> None:
    for name in MY_FILES:
        data = yaml.safe_load((KENT / name).read_text(encoding="utf-8"))
        for kind, items in data.items():
            if not isinstance(items, list):
                continue
            for item in items:
                src = item.get("source")
                assert src is not None, f"{name}: {kind} {item['id']} has no source"
                assert src["document"] in SEED_FILES, f"{name}: {kind} {item['id']} cites {src['document']}"


def test_the_whole_folder_validates(fw: Framework) -> None:
    # read_framework raises InvalidInput on any problem; check a few joins across files as well.
    assert fw.id == "kent"
    assert {"vfk-2011-21", "ab2-plan-2011", "psa1-kent-agreement"} <= set(fw.index("plans"))


# --- Vision, ambitions, KPQs, principles, information sources --------------------------------------


def test_vision_and_three_ambitions(fw: Framework) -> None:
    assert fw.vision is not None and "good quality of life" in fw.vision.statement
    ambitions = fw.index("ambitions")
    assert sorted(ambitions) == ["A1", "A2", "A3"]
    assert [ambitions[a].title for a in ("A1", "A2", "A3")] == [
        "To grow the economy",
        "To tackle disadvantage",
        "To put citizens in control",
    ]
    a2 = ambitions["A2"]
    assert a2.statement.startswith("For Kent to be a county of opportunity, where aspiration rather than dependency")
    assert len(a2.why_it_matters) == 9
    assert "The educational attainment and skills gap is narrowed" in a2.impacts
    for amb in ambitions.values():
        assert amb.why_it_matters and amb.impacts, amb.id


def test_ambition_texts_are_in_the_seed(fw: Framework, seeds: Path) -> None:
    text = seed_text(seeds, "004_cfdf0846c7aaebc6.txt")
    for amb in fw.ambitions:
        assert norm(amb.statement or "") in text
        for line in [*amb.why_it_matters, *amb.impacts]:
            line = norm(line)
            if line.startswith(("The expansion of the state has:", "Disadvantaged ")):
                continue  # joined sub-bullets / heading prefixed to its lead-in sentence
            assert line.rstrip(":") in text, line


def test_fifteen_kpqs_exactly_as_written(fw: Framework, seeds: Path) -> None:
    kpqs = fw.index("kpqs")
    assert len(kpqs) == 15
    for amb in ("A1", "A2", "A3"):
        assert sorted(k.number for k in kpqs.values() if k.ambition == amb) == [1, 2, 3, 4, 5]
    assert kpqs["A2-KPQ4"].question == "Is the gap between deprived and non-deprived areas reducing?"
    assert kpqs["A1-KPQ1"].question == "Has GVA risen to compete with the regional / national average?"
    assert kpqs["A3-KPQ5"].question == "Are more people taking responsibility for their own lives?"
    assert all(k.evidence for k in kpqs.values())  # evidence rules added with issue 7 (KPQ answers)
    # Every KPQ of Annex 1, in order, parsed from the seed itself.
    raw = (seeds / "004_cfdf0846c7aaebc6.txt").read_text(encoding="utf-8")
    annex = raw[raw.index("Key Performance Questions for the three Countywide Ambitions") :]
    annex = annex[: annex.index("Three sources of performance information")]
    parsed: list[tuple[str, int, str]] = []
    ambition = 0
    for line in annex.splitlines():
        if m := re.match(r"Ambition (\d) - ", line):
            ambition = int(m[1])
        elif m := re.match(r"KPQ(\d): (.+)$", line.strip()):
            parsed.append((f"A{ambition}", int(m[1]), m[2].strip()))
    assert len(parsed) == 15
    for amb, number, question in parsed:
        assert kpqs[f"{amb}-KPQ{number}"].question == question


def test_ten_principles_and_three_information_sources(fw: Framework, seeds: Path) -> None:
    text = seed_text(seeds, "004_cfdf0846c7aaebc6.txt")
    principles = sorted(fw.principles, key=lambda p: p.number)
    assert [p.number for p in principles] == list(range(1, 11))
    assert principles[1].text == "Performance management will measure outcomes, not just actions delivered;"
    for p in principles:
        assert norm(p.text) in text
    sources = {s.kind.value: s for s in fw.information_sources}
    assert set(sources) == {"actions", "indicators", "research"}
    assert sources["actions"].name == "Short-term actions"
    assert sources["indicators"].horizon.startswith("longer-term")
    assert sources["research"].name == "Long-term change" and sources["research"].horizon == "long-term"


def test_vision_top_priorities(fw: Framework) -> None:
    top = [p for p in fw.priorities if p.plan == "vfk-2011-21"]
    counts = {a: sum(1 for p in top if p.ambition == a) for a in ("A1", "A2", "A3")}
    # Printed lists less items printed twice (3 under A1, 1 under A2), plus one split paragraph (A3).
    assert counts == {"A1": 15, "A2": 20, "A3": 18}
    titles = {p.title for p in top}
    assert "Continue to regenerate deprived areas to bring them up to the standards of more affluent areas" in titles


# --- geography ---------------------------------------------------------------------------------------


def test_twelve_districts_under_kent(fw: Framework) -> None:
    areas = fw.index("areas")
    assert areas["E10000016"].parent == "E12000008" and areas["E12000008"].parent == "E92000001"
    districts = {a.id: a for a in fw.areas if a.level.value == "district"}
    assert {k: v.name for k, v in districts.items()} == DISTRICTS
    assert all(d.parent == "E10000016" for d in districts.values())
    assert districts["E07000112"].former_names == ["Shepway"]
    assert districts["E07000112"].former_codes == ["29UL"]
    assert districts["E07000114"].former_codes == ["29UN"]


def test_districts_match_the_ons_lookups(fw: Framework, shared_data: Path) -> None:
    with (shared_data / "lookups" / "lookup_ltla21_utla21.csv").open(encoding="utf-8-sig") as fh:
        kent = {r["ltla21_code"]: r["ltla21_name"] for r in csv.DictReader(fh) if r["utla21_code"] == "E10000016"}
    districts = {a.id: a.name for a in fw.areas if a.level.value == "district"}
    assert districts == kent
    with (shared_data / "imd" / "imd2007_lsoa01_england.csv").open(encoding="utf-8-sig") as fh:
        old = {r["lad07_name"]: r["lad07_code"] for r in csv.DictReader(fh) if r["lad07_code"].startswith("29U")}
    assert len(old) == 12
    for area in fw.areas:
        if area.level.value == "district":
            name = area.former_names[0] if area.former_names else area.name
            assert area.former_codes == [old[name]], area.name


def test_rest_of_kent_excludes_thanet(fw: Framework) -> None:
    rok = fw.index("area_groupings")["rest-of-kent"]
    assert rok.kind.value == "rest_of_parent"
    assert rok.parent == "E10000016" and rok.excluding == ["E07000114"]


# --- partnership -------------------------------------------------------------------------------------


def test_boards(fw: Framework) -> None:
    boards = fw.index("boards")
    assert boards["kent-forum"].kind.value == "forum" and len(boards["kent-forum"].roles) == 8
    assert boards["kent-forum"].chair == "paul-carter"
    assert boards["joint-kent-chiefs"].kind.value == "chiefs"
    ambition_boards = {b.id: b.ambitions for b in fw.boards if b.kind.value == "ambition"}
    assert ambition_boards == {
        "ambition-board-1": ["A1"],
        "ambition-board-2": ["A2"],
        "ambition-board-3": ["A3"],
    }
    assert boards["ambition-board-2"].priorities == ["AB2-F1", "AB2-F2", "AB2-F3", "AB2-F4"]
    localities = [b for b in fw.boards if b.kind.value == "locality"]
    assert len(localities) == 12
    assert sorted(b.area for b in localities if b.area) == sorted(DISTRICTS)
    kct = boards["kct-board"]
    assert kct.plans == ["cypp-2008-11"] and kct.chair == "graham-badman"
    assert kct.reporting_cycle.value == "twice_yearly"
    assert [b.id for b in fw.boards if b.kind.value == "lcsp"] == ["lcsp-board"]


def test_people_and_organisations(fw: Framework) -> None:
    people = fw.index("people")
    assert people["jenny-dixon"].role == "Senior Partnership Officer, Kent Forum Team"
    assert people["graham-badman"].role == "Chair of the Kent Children's Trust"
    assert all(p.email is None and p.phone is None for p in fw.people)  # the seeds give no contact details
    orgs = fw.index("organisations")
    assert {
        "kcc",
        "thanet-dc",
        "kent-police",
        "kent-fire",
        "nhs-west-kent",
        "nhs-eastern-coastal-kent",
        "kent-probation",
        "kent-can",
        "jobcentre-plus",
    } <= set(orgs)
    assert sum(1 for o in fw.organisations if o.kind == "district council") == 12


# --- delivery plans (Diagram 1) ---------------------------------------------------------------------


def _diagram1(seeds: Path) -> list[tuple[str, list[int], int | None]]:
    raw = (seeds / "004_cfdf0846c7aaebc6.txt").read_text(encoding="utf-8")
    block = raw[raw.index("Delivery plans spanning sectors") : raw.index("Diagram 2:")]
    block = re.sub(r"\n\s*-\s+(?=\d)", " - ", block)  # a plan whose numbers wrap onto the next line
    out = []
    for line in block.splitlines():
        m = re.match(r"^(.*?) - (\d(?:(?:, | and )\d)*)(?: \(primary is (\d)\))?\s*$", line.strip())
        if m:
            out.append((norm(m[1]), [int(n) for n in re.findall(r"\d", m[2])], int(m[3]) if m[3] else None))
    return out


def test_delivery_plans_match_diagram_1(fw: Framework, seeds: Path) -> None:
    plans = fw.delivery_plans
    assert len(plans) == 40
    sectors = {
        s: sum(1 for p in plans if p.sector == s)
        for s in ("spanning sectors", "local government", "non-local government")
    }
    assert sectors == {"spanning sectors": 17, "local government": 15, "non-local government": 8}
    parsed = _diagram1(seeds)
    assert len(parsed) == 39  # plus 21st Century Kent, printed without Ambition numbers
    matched: set[str] = set()
    for name, numbers, primary in parsed:
        matches = [p for p in plans if norm(p.title) in name]
        assert matches, name
        plan = max(matches, key=lambda p: len(p.title))
        matched.add(plan.id)
        assert plan.ambitions == [f"A{n}" for n in numbers], name
        if primary is not None:
            assert plan.primary_ambition == f"A{primary}", name
        elif len(numbers) > 1:
            assert plan.primary_ambition is None, name
    assert len(matched) == 39
    housing = next(p for p in plans if p.title == "Kent and Medway Housing Strategy")
    assert housing.ambitions == ["A1", "A2"] and housing.primary_ambition == "A2"
    # "Almost all of the delivery plans contribute to tackling disadvantage."
    assert sum(1 for p in plans if "A2" in p.ambitions) > 0.8 * len(plans)


# --- PSA 1 --------------------------------------------------------------------------------------------


def _value_at(values: list[ValueAt], period: str) -> float | None:
    end = parse_period(period).end
    return next(v.value for v in values if parse_period(v.period).end == end)


HEADLINE = {
    # id: (baseline, baseline period, target, target period, outturns)
    "PSA1-T-children-in-care": (1553, "March 2000", 1200, "March 2004", [1163, 1144]),
    "PSA1-T-over65-care-admissions": (112, None, 89, None, [84.8, 72]),
    "PSA1-T-children-adopted": (58, "1999/00", 120, "March 2004", [134, 120]),
}


def test_psa1_headline_targets_were_met(fw: Framework) -> None:
    plan = fw.index("plans")["psa1-kent-agreement"]
    assert plan.reward_total == 21_600_000
    targets = fw.index("targets")
    indicators = fw.index("indicators")
    for tid, (base, base_period, goal, goal_period, outturns) in HEADLINE.items():
        t = targets[tid]
        assert t.plan == "psa1-kent-agreement" and t.kind is TargetKind.LEVEL
        assert t.baseline is not None and t.target is not None
        assert t.baseline.value == base and t.target.value == goal
        if base_period:
            assert t.baseline.period == base_period
        if goal_period:
            assert t.target.period == goal_period
        assert [o.value for o in t.outturns] == outturns
        assert t.achieved is True
        polarity = indicators[t.indicator].polarity
        assert polarity is not Polarity.NO_JUDGEMENT
        # Improvement intended from baseline to target, and the outturn at the target date is at or beyond it.
        at_target = _value_at(t.outturns, t.target.period)
        assert at_target is not None, tid
        if polarity is Polarity.LOWER_IS_BETTER:
            assert goal < base and at_target <= goal, tid
        else:
            assert goal > base and at_target >= goal, tid


THANET = {
    "PSA1-T12-looked-after-children": (50, None),
    "PSA1-T12-public-disorder": (15, 30),
    "PSA1-T12-gcse-5ac": (40, None),
    "PSA1-T12-gcse-5ag": (100, None),
    "PSA1-T12-truancy-primary": (35, None),
    "PSA1-T12-truancy-secondary": (41, None),
    "PSA1-T12-criminal-damage": (15, 30),
    "PSA1-T12-violent-crime": (15, 30),
    "PSA1-T12-domestic-burglary": (15, 30),
}


def test_thanet_gap_closing_targets(fw: Framework) -> None:
    gap_targets = {t.id: t for t in fw.targets if t.kind is TargetKind.GAP_CLOSING and t.plan == "psa1-kent-agreement"}
    assert set(gap_targets) == set(THANET)
    indicators = fw.index("indicators")
    for tid, (low, high) in THANET.items():
        t = gap_targets[tid]
        assert t.gap is not None
        assert (t.gap.subject, t.gap.comparator) == ("E07000114", "rest-of-kent")
        assert (t.gap.percent_min, t.gap.percent_max) == (low, high)
        assert t.baseline is None  # the seed gives none
        assert t.indicator is not None and t.indicator.startswith("PSA1-")
        assert indicators[t.indicator].polarity is not Polarity.NO_JUDGEMENT
    assert indicators["PSA1-gcse-5ac"].polarity is Polarity.HIGHER_IS_BETTER
    assert indicators["PSA1-violent-crime"].polarity is Polarity.LOWER_IS_BETTER


# --- Ambition Board 2 -------------------------------------------------------------------------------


def test_ab2_long_term_aim_and_areas_of_focus(fw: Framework) -> None:
    outcomes = fw.index("outcomes")
    lt = outcomes["AB2-LT"]
    assert lt.title == "Tackling family poverty" and lt.horizon.value == "long" and lt.plan == "ab2-plan-2011"
    focus = sorted((p for p in fw.priorities if p.plan == "ab2-plan-2011"), key=lambda p: p.number)
    assert [(p.id, p.title) for p in focus] == [
        ("AB2-F1", "Welfare reform"),
        ("AB2-F2", "Youth service provision"),
        ("AB2-F3", "Early intervention (including children's centres)"),
        ("AB2-F4", "Health inequalities"),
    ]
    assert all(p.ambition == "A2" for p in focus)
    proposed = [o for o in fw.outcomes if o.plan == "ab2-plan-2011" and o.id != "AB2-LT"]
    # 5 under "Tackling Family Poverty" (two of them are the template's examples), 7 health inequalities,
    # 5 welfare reform, 4 early intervention, 4 youth service provision.
    assert len(proposed) == 25
    by_focus = {f.id: sum(1 for o in proposed if o.priority == f.id) for f in focus}
    assert by_focus == {"AB2-F1": 5, "AB2-F2": 4, "AB2-F3": 4, "AB2-F4": 7}


def test_ab2_worked_examples_with_deadlines(fw: Framework) -> None:
    actions = [a for a in fw.actions if a.plan == "ab2-plan-2011"]
    medium = [a for a in actions if a.outcome == "AB2-M1"]
    short = [a for a in actions if a.outcome == "AB2-S1"]
    assert [a.number for a in medium] == ["M1a", "M1b", "M1c"]
    assert len(short) == 1
    outcomes = fw.index("outcomes")
    assert outcomes["AB2-M1"].horizon.value == "medium" and outcomes["AB2-S1"].horizon.value == "short"
    deliverables = {d.deadline_text: d for a in actions for d in a.deliverables}
    assert deliverables["by end 2013"].deadline == date(2013, 12, 31)
    assert deliverables["by Dec 2011"].deadline == date(2011, 12, 31)
    assert short[0].text.startswith("Commission work by KCC Business Strategy")


def test_consultation_figures(fw: Framework) -> None:
    obs = {o.indicator: o for o in fw.observations}
    assert obs["VFK-consultation-responses"].value == 793
    assert obs["VFK-consultation-public-share"].value == 75
    assert obs["VFK-consultation-right-balance"].value == 81
    assert all(o.area == "E10000016" for i, o in obs.items() if i.startswith("VFK-consultation"))


# --- evidence ---------------------------------------------------------------------------------------


def test_evaluation_studies(fw: Framework) -> None:
    studies = fw.index("evidence")
    sip = studies["oxford-2007-sip"]
    assert sip.published == "2007" and sip.publisher == "Oxford University"
    assert "29% higher chance of exiting benefit dependency" in (sip.finding or "")
    assert "A2-KPQ4" in sip.kpqs
    for st in fw.evidence:
        assert st.finding, st.id
