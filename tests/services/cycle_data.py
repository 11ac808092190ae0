"""A constructed framework whose KPQ answers, cycle snapshots and suppression outcomes are known in advance.

Three indicators carry an FSM gap over five years: narrowing clearly (large groups, 3 points a year), narrowing
by a point or so in small groups (not significant), and widening clearly. Another improves steadily overall
and has a level target it is ahead of. One has no data at all (stale). ``SMALL`` holds a county total whose
parts include a single small district and a small FSM group, for the disclosure-control tests.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from gapwatch.services import approvals, cycles
from gapwatch.services.accounts import create_user
from gapwatch.services.frameworks import load_framework
from gapwatch.store.engine import session_scope

PERIODS = ["2006/07", "2007/08", "2008/09", "2009/10", "2010/11"]
COUNTY, DISTRICTS = "C0", ["D1", "D2", "D3"]


def _gap_rows(ind: str, fsm: list[tuple[int, int]], rest: list[tuple[int, int]]) -> list[dict[str, Any]]:
    rows = []
    for period, (x1, n1), (x2, n2) in zip(PERIODS, fsm, rest, strict=True):
        for cat, x, n in (("fsm", x1, n1), ("non-fsm", x2, n2)):
            rows.append(
                {
                    "indicator": ind,
                    "area": COUNTY,
                    "period": period,
                    "category_type": "fsm",
                    "category": cat,
                    "value": round(100 * x / n, 6),
                    "numerator": x,
                    "denominator": n,
                }
            )
        rows.append(
            {
                "indicator": ind,
                "area": COUNTY,
                "period": period,
                "value": round(100 * (x1 + x2) / (n1 + n2), 6),
                "numerator": x1 + x2,
                "denominator": n1 + n2,
            }
        )
    return rows


def observations(*, narrowing_shift: int = 0) -> list[dict[str, Any]]:
    """Every observation of the constructed framework (``narrowing_shift`` revises the GN data)."""
    rows: list[dict[str, Any]] = []
    # GN: FSM 30% -> 46% of 2000, non-FSM 60% -> 64% of 20000: the gap closes 3 points a year.
    rows += _gap_rows(
        "GN", [(600 + 80 * i + narrowing_shift, 2000) for i in range(5)], [(12000 + 200 * i, 20000) for i in range(5)]
    )
    # GS: FSM of 40 and non-FSM of 400: the gap moves by a point or so, well within the noise.
    rows += _gap_rows(
        "GS",
        [(12, 40), (12, 40), (13, 40), (12, 40), (13, 40)],
        [(240, 400), (241, 400), (242, 400), (240, 400), (242, 400)],
    )
    # GW: FSM 46% -> 30% while non-FSM stays at 62%: the gap widens 4 points a year.
    rows += _gap_rows("GW", [(920 - 80 * i, 2000) for i in range(5)], [(12400, 20000)] * 5)
    # TR: 50% -> 58% of 10000 in the county: getting better (higher is better).
    for i, period in enumerate(PERIODS):
        x = 5000 + 200 * i
        rows.append(
            {
                "indicator": "TR",
                "area": COUNTY,
                "period": period,
                "value": x / 100,
                "numerator": x,
                "denominator": 10000,
            }
        )
    rows += SMALL
    for i, row in enumerate(rows):
        row["id"] = f"ob-{i}"
    return rows


#: One period of a small-number indicator: county 100 of 1000 = D1 2 of 50 + D2 50 of 500 + D3 48 of 450,
#: and FSM 3 of 40 + non-FSM 97 of 960.
SMALL: list[dict[str, Any]] = [
    {"indicator": "SM", "area": "C0", "period": "2010/11", "value": 10.0, "numerator": 100, "denominator": 1000},
    {"indicator": "SM", "area": "D1", "period": "2010/11", "value": 4.0, "numerator": 2, "denominator": 50},
    {"indicator": "SM", "area": "D2", "period": "2010/11", "value": 10.0, "numerator": 50, "denominator": 500},
    {"indicator": "SM", "area": "D3", "period": "2010/11", "value": 48 / 4.5, "numerator": 48, "denominator": 450},
    {
        "indicator": "SM",
        "area": "C0",
        "period": "2010/11",
        "category_type": "fsm",
        "category": "fsm",
        "value": 7.5,
        "numerator": 3,
        "denominator": 40,
    },
    {
        "indicator": "SM",
        "area": "C0",
        "period": "2010/11",
        "category_type": "fsm",
        "category": "non-fsm",
        "value": 97 / 9.6,
        "numerator": 97,
        "denominator": 960,
    },
]


def _indicator(ident: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "code": f"T {ident}",
        "title": f"Test indicator {ident}",
        "measure": "proportion",
        "polarity": "higher_is_better",
        "priorities": ["P1"],
        "disaggregation": {"area_levels": ["county", "district"], "groups": ["fsm"]},
        **extra,
    }


def _kpq(n: int, question: str, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": f"K{n}", "ambition": "A1", "number": n, "question": question, "evidence": evidence}


def gap(ind: str) -> dict[str, Any]:
    """A group-gap rule: FSM against non-FSM on ``ind``."""
    return {"measure": "group_gap", "indicator": ind, "category_type": "fsm", "subject": "fsm", "comparator": "non-fsm"}


def framework(*, narrowing_shift: int = 0) -> dict[str, Any]:
    """The constructed framework as a dict (write it with :func:`write`)."""
    return {
        "schema_version": 1,
        "id": "testshire",
        "name": "Testshire plan",
        "partnership": "Testshire Partnership",
        "plans": [{"id": "tp", "title": "Testshire plan"}],
        "ambitions": [{"id": "A1", "number": 1, "title": "Fairer outcomes"}],
        "kpqs": [
            _kpq(1, "Is the clear gap narrowing?", [gap("GN")]),
            _kpq(2, "Is the small gap narrowing?", [gap("GS")]),
            _kpq(3, "Is the widening gap narrowing?", [gap("GW")]),
            _kpq(4, "Are gaps narrowing overall?", [gap("GN"), gap("GW")]),
            _kpq(5, "Is attainment rising?", [{"measure": "trend", "indicator": "TR"}]),
            _kpq(6, "Are targets being met?", [{"measure": "target", "indicator": "TR"}]),
            _kpq(7, "Are the actions delivering?", [{"measure": "actions", "actions": ["O1"]}]),
            _kpq(
                8,
                "Does research say it works?",
                [{"measure": "study", "study": "S1", "note": "supports: tutoring raised attainment"}],
            ),
            _kpq(9, "Is there any other research?", [{"measure": "study", "study": "S2"}]),
            _kpq(10, "Is anything known?", []),
        ],
        "priorities": [{"id": "P1", "plan": "tp", "ambition": "A1", "number": 1, "title": "Close gaps"}],
        "outcomes": [{"id": "O1", "plan": "tp", "priority": "P1", "code": "1A", "title": "Pupils achieve"}],
        "actions": [
            {
                "id": f"X{i}",
                "plan": "tp",
                "number": str(i),
                "outcome": "O1",
                "text": f"Action {i}",
                "lead_officer": "lead",
                "deadline": "2030-01-01",
            }
            for i in range(1, 5)
        ],
        "indicators": [
            _indicator("GN"),
            _indicator("GS"),
            _indicator("GW"),
            _indicator("TR"),
            _indicator("SM"),
            _indicator("NODATA", frequency="annual"),
        ],
        "targets": [
            {
                "id": "T1",
                "title": "TR reaches 60% by 2012/13",
                "indicator": "TR",
                "baseline": {"value": 50, "period": "2006/07"},
                "target": {"value": 60, "period": "2012/13"},
            },
            {
                "id": "T2",
                "title": "TR reached 70% by 2003/04 (an old target, missed)",
                "indicator": "TR",
                "baseline": {"value": 40, "period": "2000/01"},
                "target": {"value": 70, "period": "2003/04"},
                "outturns": [{"value": 45, "period": "2003/04"}],
            },
        ],
        "areas": [{"id": COUNTY, "name": "Testshire", "level": "county"}]
        + [{"id": d, "name": f"District {d}", "level": "district", "parent": COUNTY} for d in DISTRICTS],
        "groups": [
            {
                "id": "fsm",
                "name": "FSM eligibility",
                "kind": "binary",
                "categories": [
                    {"id": "fsm", "name": "Eligible for FSM", "comparator": "non-fsm"},
                    {"id": "non-fsm", "name": "Not eligible for FSM", "comparator": "fsm"},
                ],
            }
        ],
        "people": [{"id": "chair", "name": "Chris Chair"}, {"id": "lead", "name": "Lee Lead"}],
        "boards": [
            {"id": "forum", "name": "Testshire Forum", "kind": "forum", "ambitions": ["A1"], "chair": "chair"},
            {"id": "d1-board", "name": "D1 Locality Board", "kind": "locality", "area": "D1", "ambitions": ["A1"]},
            {"id": "empty", "name": "Empty Board", "kind": "other"},
        ],
        "evidence": [
            {"id": "S1", "title": "Tutoring evaluation", "finding": "Tutoring raised attainment by 3 points."},
            {"id": "S2", "title": "Another study", "finding": "Results were mixed."},
        ],
        "observations": observations(narrowing_shift=narrowing_shift),
    }


def write(path: Path, **kwargs: Any) -> Path:
    """Write the framework to ``path`` (a .yaml file) and return it."""
    path.write_text(yaml.safe_dump(framework(**kwargs), sort_keys=False), encoding="utf-8")
    return path


def load(engine: Engine, tmp_path: Path, **kwargs: Any) -> None:
    """Load (or reload, recording a revision) the constructed framework into ``engine``."""
    load_framework(engine, write(tmp_path / "testshire.yaml", **kwargs))


def add_chair(engine: Engine, **kwargs: Any) -> None:
    """The account of the Forum's chair (framework person ``chair``): username ``chris``, a board member."""
    with session_scope(engine) as session:
        create_user(
            session,
            username="chris",
            display_name="Chris Chair",
            role="board_member",
            person_id="chair",
            password="a long passphrase 1",
            **kwargs,
        )


def close_2011_h2(engine: Engine, tmp_path: Path, *, commentary: bool = True) -> Engine:
    """Testshire loaded with its chair's account, and its 2011 H2 cycle opened and closed; with ``commentary``,
    the indicator SM's commentary approved and GN's left a draft before the close (what publication tests use)."""
    load(engine, tmp_path)
    add_chair(engine)
    cycles.open_cycle(engine, "2011 H2", data_cutoff=date(2011, 12, 31), action_deadline=date(2012, 1, 31), by="tests")
    if commentary:
        approvals.add_commentary(engine, None, "indicator", "SM", "Approved words", by="po")
        approvals.add_commentary(engine, None, "indicator", "GN", "Draft words", by="po")
        approvals.decide_commentary(engine, 1, "approved", by="head")
    cycles.close_cycle(engine, by="tests")
    return engine
