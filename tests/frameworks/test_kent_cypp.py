"""The bundled Kent framework, Children and Young People's Plan 2008-11 side: complete and faithful.

Counts and texts are checked against the seed itself wherever its text can be parsed (outcome headings,
numbered key actions, the monitoring indicator lists, the Narrowing the Gap attainment rows), and against
figures the seed prints otherwise. The seed's evident typos ("83." for action 38, "NII 10", "NII 11",
"NII87") must be corrected, with the original kept in `note`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gapwatch.domain.framework import Framework
from gapwatch.domain.indicators import Polarity
from gapwatch.domain.periods import parse_period
from gapwatch.ingest.framework_yaml import read_framework

KENT = Path(__file__).resolve().parents[2] / "gapwatch" / "frameworks" / "kent"
SEED = "003_2252c2e03de5a225.txt"
PLAN = "cypp-2008-11"
MY_FILES = ["cypp.yaml", "cypp-indicators.yaml", "narrowing-the-gap.yaml", "groups.yaml"]
OUTCOME_CODES = [
    "1A", "1B", "1C", "2A", "2B", "2C", "2D", "3A", "3B", "3C", "4A",
    "5A", "5B", "5C", "5D", "6A", "6B", "7A", "7B", "7C", "7D", "8A", "8B", "8C",
]  # fmt: skip
#: The seed's misprinted indicator codes and what they are.
CODE_TYPOS = {"NII 10": "NI 110", "NII 11": "NI 111", "NII87": "NI 187"}
KENT_AREA, ENGLAND = "E10000016", "E92000001"


def _norm(text: str) -> str:
    """Compare texts ignoring white space, curly quotes and markdown emphasis."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text.replace("*", "")).strip()


@pytest.fixture(scope="module")
def fw() -> Framework:
    """The whole Kent folder, read and checked exactly as `gapwatch framework validate` reads it."""
    return read_framework(KENT).framework


@pytest.fixture(scope="module")
def seed_text(seeds: Path) -> str:
    return (seeds / SEED).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def chapters(seed_text: str) -> str:
    """The eight priority chapters: from the first "What we will do" to the Enablers chapter."""
    start = seed_text.index("What we will do to improve outcomes:")
    end = seed_text.index("\nEnablers\n")
    return seed_text[start:end]


def _mine(kind: str) -> list[dict]:
    """Items of one kind as written in this part's own files."""
    out: list[dict] = []
    for name in MY_FILES:
        data = yaml.safe_load((KENT / name).read_text(encoding="utf-8")) or {}
        out.extend(data.get(kind, []))
    return out


# ---------------------------------------------------------------- plan and priorities


def test_plan_and_eight_priorities(fw: Framework) -> None:
    plan = fw.index("plans")[PLAN]
    assert plan.title == "Kent Children and Young People's Plan 2008-2011"
    prios = [p for p in fw.priorities if p.plan == PLAN]
    assert sorted(p.number for p in prios) == list(range(1, 9))
    assert {p.id for p in prios} == {f"CYPP-P{n}" for n in range(1, 9)}
    for p in prios:
        assert p.ambition == "A2"
        assert p.statement and p.this_means and p.data_says, p.id
        assert _norm(p.statement).startswith(_norm(p.title)), p.id


def test_priority_statements_and_bullets_come_from_the_seed(fw: Framework, seed_text: str) -> None:
    text = _norm(seed_text)
    for p in fw.priorities:
        if p.plan != PLAN:
            continue
        for line in [*p.this_means, *p.data_says]:
            # P5's vulnerable-groups bullet joins the seed's sub-bullets with "; ": check its first part.
            assert _norm(line.split(": children and young people with")[0]) in text, (p.id, line)
    p1 = fw.index("priorities")["CYPP-P1"]
    assert "Almost 48,000 children and young people in Kent live in poverty." in p1.data_says
    p3 = fw.index("priorities")["CYPP-P3"]
    assert "increase fathers' involvement" in p3.statement  # the "To include" list is kept
    counts = {p.id: (len(p.this_means), len(p.data_says)) for p in fw.priorities if p.plan == PLAN}
    assert counts == {
        "CYPP-P1": (1, 4), "CYPP-P2": (5, 8), "CYPP-P3": (5, 5), "CYPP-P4": (4, 5),
        "CYPP-P5": (4, 4), "CYPP-P6": (4, 3), "CYPP-P7": (5, 8), "CYPP-P8": (4, 5),
    }  # fmt: skip


# ---------------------------------------------------------------- outcomes


def _seed_outcomes(chapters: str) -> dict[str, str]:
    """Outcome code -> heading text as printed (heading on the same line after ':' or on the next line)."""
    lines = [ln.strip().replace("*", "") for ln in chapters.splitlines()]
    out: dict[str, str] = {}
    for i, line in enumerate(lines):
        m = re.match(r"^Outcome (\d[A-D])\s*:?\s*(.*)$", line)
        if not m:
            continue
        title = m[2].strip()
        j = i + 1
        while not title:
            title = lines[j].strip()
            j += 1
        out[m[1]] = title
    return out


def test_24_outcomes_with_codes_1a_to_8c(fw: Framework) -> None:
    outcomes = [o for o in fw.outcomes if o.plan == PLAN]
    assert [o.code for o in outcomes] == OUTCOME_CODES
    for o in outcomes:
        assert o.id == f"CYPP-{o.code}"
        assert o.priority == f"CYPP-P{o.code[0]}"
        assert o.horizon.value == "medium"
    assert fw.index("outcomes")["CYPP-1C"].title == (
        "Families struggling to manage financially have access to help and support"
    )


def test_outcome_titles_and_laa_flags_match_the_seed(fw: Framework, chapters: str) -> None:
    seed = _seed_outcomes(chapters)
    assert sorted(seed) == OUTCOME_CODES
    for o in (o for o in fw.outcomes if o.plan == PLAN):
        printed = seed[o.code]
        assert o.laa == ("(LAA)" in printed), o.code
        assert _norm(o.title) == _norm(printed.replace("(LAA)", "")), o.code
    assert {o.code for o in fw.outcomes if o.plan == PLAN and o.laa} == {
        "2B", "2C", "2D", "3C", "4A", "6A", "6B", "7D", "8B",
    }  # fmt: skip


# ---------------------------------------------------------------- actions


def _seed_actions(chapters: str) -> list[tuple[int, str]]:
    """(printed number, text) of every numbered key action in the priority chapters."""
    found = []
    for line in chapters.splitlines():
        m = re.match(r"^\s*(?:-\s*)?(\d{1,2})\.\s+(\S.*)$", line)
        if m:
            found.append((int(m[1]), m[2]))
    return found


def test_75_numbered_actions_each_under_an_existing_outcome(fw: Framework) -> None:
    numbered = [a for a in fw.actions if a.plan == PLAN and a.outcome is not None]
    assert sorted(int(a.number) for a in numbered) == list(range(1, 76))
    outcomes = fw.index("outcomes")
    for a in numbered:
        assert a.id == f"CYPP-{a.number}"
        assert a.outcome in outcomes and outcomes[a.outcome].plan == PLAN
    assert fw.index("actions")["CYPP-3"].text == (
        "Narrow the educational attainment gap between those children and young people eligible for free "
        "school meals and their peers"
    )


def test_action_texts_and_outcomes_follow_the_priority_chapters(fw: Framework, chapters: str) -> None:
    seed = _seed_actions(chapters)
    assert len(seed) == 75
    printed_numbers = [n for n, _ in seed]
    assert printed_numbers.count(83) == 1 and 38 not in printed_numbers  # the seed's typo
    actions = fw.index("actions")
    for n, text in seed:
        number = 38 if n == 83 else n
        assert _norm(actions[f"CYPP-{number}"].text) == _norm(text), number
    # outcome of each action: the last "Outcome XX" heading above it in the chapter
    current = None
    for line in chapters.splitlines():
        m = re.match(r"^\s*\**Outcome (\d[A-D])", line)
        if m:
            current = m[1]
            continue
        a = re.match(r"^\s*(?:-\s*)?(\d{1,2})\.\s+\S", line)
        if a:
            number = 38 if int(a[1]) == 83 else int(a[1])
            assert actions[f"CYPP-{number}"].outcome == f"CYPP-{current}", number


def test_action_38_typo_is_corrected_with_a_note(fw: Framework) -> None:
    a38 = fw.index("actions")["CYPP-38"]
    assert a38.number == "38" and a38.outcome == "CYPP-5B"
    assert a38.note is not None and '"83."' in a38.note
    assert a38.text.startswith("Develop services to provide early and effective diagnosis")


def test_no_lead_is_invented(fw: Framework) -> None:
    """The plan names no lead officer or organisation for any action."""
    for a in fw.actions:
        if a.plan == PLAN:
            assert a.lead_officer is None and a.lead_organisation is None, a.id


# ---------------------------------------------------------------- enablers


def test_enablers_a_to_d_with_their_actions(fw: Framework, seed_text: str) -> None:
    enablers = [e for e in fw.enablers if e.plan == PLAN]
    assert [e.code for e in enablers] == ["A", "B", "C", "D"]
    assert [e.id for e in enablers] == ["CYPP-EA", "CYPP-EB", "CYPP-EC", "CYPP-ED"]
    by_enabler = {e.id: [a for a in fw.actions if a.enabler == e.id] for e in enablers}
    assert {k: len(v) for k, v in by_enabler.items()} == {
        "CYPP-EA": 6,
        "CYPP-EB": 6,
        "CYPP-EC": 4,
        "CYPP-ED": 4,
    }
    section = _norm(seed_text[seed_text.index("Enabler A - ") : seed_text.index("Appendix 1\n")])
    for acts in by_enabler.values():
        for i, a in enumerate(acts, start=1):
            assert a.id == f"{a.enabler}-{i}"
            assert _norm(a.text) in section, a.id


# ---------------------------------------------------------------- indicators


def _seed_monitoring(seed_text: str) -> list[list[tuple[str, bool]]]:
    """Per priority, the (code as printed, listed under a Kent Agreement/LAA heading?) of each indicator."""
    blocks = seed_text.split("How will we know we have achieved this?")[1:]
    assert len(blocks) == 8
    out = []
    for block in blocks:
        block = re.split(r"\nThis means:|\nEnablers\n", block)[0]
        laa = False
        rows = []
        for line in block.splitlines():
            if "Kent Agreement" in line or line.startswith("LAA"):
                laa = True
            elif line.startswith(("Other", "Performance Indicators")):
                laa = False
            elif "\t" in line and not line.startswith("-"):
                rows.append((line.split("\t")[0].strip(), laa))
        out.append(rows)
    return out


def _corrected(code: str) -> str:
    code = CODE_TYPOS.get(code, code)
    m = re.fullmatch(r"NI\s*(\d+)", code)
    return f"NI {m[1]}" if m else code


def test_every_monitoring_indicator_is_listed_under_its_priority(fw: Framework, seed_text: str) -> None:
    by_code = {i.code: i for i in fw.indicators}
    monitoring = [i for i in _mine("indicators") if "Monitoring" in (i.get("source") or {}).get("section", "")]
    for n, rows in enumerate(_seed_monitoring(seed_text), start=1):
        prio = f"CYPP-P{n}"
        listed = [i for i in monitoring if prio in i.get("priorities", [])]
        assert len(listed) == len(rows), (prio, len(listed), rows)
        for code, laa in rows:
            if not re.match(r"NII?\s*\d", code):
                continue
            ind = by_code[_corrected(code)]
            assert prio in ind.priorities, (prio, code)
            assert ind.laa == laa or (ind.code == "NI 87" and ind.laa), code
    assert len(monitoring) == 56


def test_ni_102_and_the_typo_codes(fw: Framework) -> None:
    by_code = {i.code: i for i in fw.indicators}
    ni102 = by_code["NI 102"]
    assert ni102.id == "NI102" and "CYPP-P1" in ni102.priorities
    assert ni102.unit == "percentage points" and ni102.polarity is Polarity.LOWER_IS_BETTER
    assert by_code["NI 116"].polarity is Polarity.LOWER_IS_BETTER
    for printed, code in CODE_TYPOS.items():
        ind = by_code[code]
        assert ind.id == code.replace(" ", "")
        assert ind.note is not None and printed in ind.note
        assert ind.laa
    assert by_code["NI 110"].priorities == ["CYPP-P6"] and by_code["NI 187"].priorities == ["CYPP-P4"]
    assert sorted(by_code["NI 87"].priorities) == ["CYPP-P5", "CYPP-P7"]
    assert {c for c, i in by_code.items() if i.statutory} >= {"NI 72", "NI 73", "NI 75"}


def test_indicator_links_point_at_the_cypp(fw: Framework) -> None:
    outcomes = fw.index("outcomes")
    for raw in _mine("indicators"):
        ind = fw.index("indicators")[raw["id"]]
        assert ind.priorities and all(p.startswith("CYPP-P") for p in ind.priorities), ind.id
        for o in ind.outcomes:
            assert outcomes[o].priority in ind.priorities or ind.id.startswith("CYPS-ks2"), (ind.id, o)
        if ind.id.startswith("NI"):
            assert ind.code == f"NI {ind.id[2:]}"
        else:
            assert ind.id.startswith("CYPS-")


# ---------------------------------------------------------------- Appendix 2: Narrowing the Gap


def _cell(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"(\d+(?:\.\d+)?)%", text)]


@pytest.mark.parametrize(
    ("row_start", "indicator"),
    [
        ("% achieving Level 4+ in Key Stage 2 English", "CYPS-ks2-english-l4"),
        ("% achieving Level 4+ in Key Stage 2 Maths", "CYPS-ks2-maths-l4"),
        ("% achieving 5 or more GCSEs or equivalent including English and Maths", "NI75"),
    ],
)
def test_attainment_rows_match_the_seed_table(fw: Framework, seed_text: str, row_start: str, indicator: str) -> None:
    line = next(ln for ln in seed_text.splitlines() if ln.startswith(row_start))
    cells = line.split("\t")[1:]
    national, kent, boys, girls = (_cell(c)[0] for c in cells[:4])
    (fsm, non_fsm), (sen, non_sen), (lac, non_lac) = (_cell(c) for c in cells[4:7])
    gypsy_roma = _cell(cells[7])[0]
    obs = {(o.area, o.category): o for o in fw.observations if o.indicator == indicator}
    expected = {
        (ENGLAND, None): national, (KENT_AREA, None): kent, (KENT_AREA, "boys"): boys,
        (KENT_AREA, "girls"): girls, (KENT_AREA, "fsm"): fsm, (KENT_AREA, "non-fsm"): non_fsm,
        (KENT_AREA, "sen"): sen, (KENT_AREA, "non-sen"): non_sen, (KENT_AREA, "lac"): lac,
        (KENT_AREA, "non-lac"): non_lac, (KENT_AREA, "gypsy-roma"): gypsy_roma,
    }  # fmt: skip
    assert {k: o.value for k, o in obs.items()} == expected


def test_ks2_english_fsm_gap_is_26_points(fw: Framework) -> None:
    obs = {
        o.category: o
        for o in fw.observations
        if o.indicator == "CYPS-ks2-english-l4" and o.category_type == "fsm" and o.area == KENT_AREA
    }
    assert obs["fsm"].value == 54 and obs["non-fsm"].value == 80
    assert obs["non-fsm"].value - obs["fsm"].value == 26
    assert obs["fsm"].value_text == "54% (80%)"
    fsm_type = fw.index("groups")["fsm"]
    assert {c.id: c.comparator for c in fsm_type.categories}["fsm"] == "non-fsm"


def test_every_observation_is_faithful_to_its_printed_cell(fw: Framework, seed_text: str) -> None:
    table = _norm(seed_text[seed_text.index("Specifying known gaps") : seed_text.index("Appendix 3\n")])
    mine = {o["id"] for o in _mine("observations")}
    obs = [o for o in fw.observations if o.id in mine]
    assert len(obs) == 98
    for o in obs:
        assert o.value_text is not None and _norm(o.value_text) in table, o.id
        assert f"{o.value:g}%" in o.value_text, o.id
        parse_period(o.period)
        assert o.area in {KENT_AREA, ENGLAND}
    assert {o.indicator for o in obs} <= {i["id"] for i in _mine("indicators")}
    per_indicator: dict[str, int] = {}
    for o in obs:
        per_indicator[o.indicator] = per_indicator.get(o.indicator, 0) + 1
    assert len(per_indicator) == 16
    sn = next(o for o in obs if o.indicator == "NI87" and o.area == ENGLAND)
    assert sn.value == 6.7 and sn.note is not None and "statistical neighbours" in sn.note


# ---------------------------------------------------------------- provenance


def test_every_item_cites_the_cypp_seed() -> None:
    for kind in ("plans", "priorities", "outcomes", "enablers", "actions", "indicators", "observations"):
        for item in _mine(kind):
            assert item["source"]["document"] == SEED, (kind, item["id"])
            assert item["source"].get("section"), (kind, item["id"])
