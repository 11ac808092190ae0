"""The attacks of issue "Close the holes found in attack testing", replayed against publication.

Each test publishes through the service and hands everything published — every board's CSV, the gaps and
targets of the JSON, every earlier publication — to the independent attacker in
:mod:`tests.disclosure_attacker`, which bounds every withheld figure by linear programming. It must recover
nothing. Each attack is also shown to work against a naive pattern (the small cell withheld on its own), so
the attacker is not vacuous.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from gapwatch.services import approvals, cycles, publishing
from gapwatch.services.frameworks import load_framework
from gapwatch.settings import Settings
from tests.disclosure_attacker import Cell, Structure, attack

CUTOFF = date(2012, 12, 31)
CYCLE = "2012 H2"
KENT, THANET, DOVER, SWALE = "K", "T", "D", "S"
DISTRICTS = (THANET, DOVER, SWALE)

#: NI 48, children killed or seriously injured: a count indicator whose figure is its value.
NI48 = {
    THANET: {"2010": 20, "2011": 25, "2012": 3},
    DOVER: {"2010": 30, "2011": 28, "2012": 33},
    SWALE: {"2010": 40, "2011": 35, "2012": 38},
}
#: A rolling-period count: Dover's 2011 (2) follows from 2009-2011 minus 2008-2010 plus 2008.
ROLLING = {
    THANET: {"2008": 30, "2011": 31, "2008-2010": 95, "2009-2011": 96},
    DOVER: {"2008": 20, "2011": 2, "2008-2010": 60, "2009-2011": 42},
    SWALE: {"2008": 25, "2011": 27, "2008-2010": 80, "2009-2011": 82},
}
#: A proportion published under the rounding discipline: Thanet 3 of 40.
ROUNDED = {THANET: (3, 40), DOVER: (52, 400), SWALE: (61, 500)}


def _observations() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for area, years in NI48.items():
        for period, x in years.items():
            rows.append({"indicator": "NI48", "area": area, "period": period, "value": x})
        rows.append({"indicator": "NI48", "area": area, "period": "2010-2012", "value": sum(years.values())})
    for period in ("2010", "2011", "2012"):
        rows.append({"indicator": "NI48", "area": KENT, "period": period, "value": sum(NI48[a][period] for a in NI48)})
    rows.append(
        {"indicator": "NI48", "area": KENT, "period": "2010-2012", "value": sum(sum(y.values()) for y in NI48.values())}
    )
    for area, periods in ROLLING.items():
        rows += [{"indicator": "RL", "area": area, "period": p, "value": x} for p, x in periods.items()]
    for period in ROLLING[THANET]:
        rows.append(
            {"indicator": "RL", "area": KENT, "period": period, "value": sum(ROLLING[a][period] for a in ROLLING)}
        )
    for area, (x, n) in ROUNDED.items():
        rows.append(
            {"indicator": "RD", "area": area, "period": "2012", "value": 100 * x / n, "numerator": x, "denominator": n}
        )
    x, n = (sum(v[i] for v in ROUNDED.values()) for i in (0, 1))
    rows.append(
        {"indicator": "RD", "area": KENT, "period": "2012", "value": 100 * x / n, "numerator": x, "denominator": n}
    )
    for i, row in enumerate(rows):
        row["id"] = f"ob-{i}"
    return rows


def framework(area_name: str = "Thanet") -> dict[str, Any]:
    """A Kent in miniature: the county, three districts, "rest of Kent", and the attacked indicators."""
    counts = {"measure": "count", "unit": "children", "multiplier": 1, "polarity": "lower_is_better"}
    return {
        "schema_version": 1,
        "id": "minikent",
        "name": "Mini Kent plan",
        "partnership": "Mini Kent Partnership",
        "plans": [{"id": "mp", "title": "Mini Kent plan"}],
        "ambitions": [{"id": "A1", "number": 1, "title": "Safe children"}],
        "priorities": [{"id": "P1", "plan": "mp", "ambition": "A1", "number": 1, "title": "Road safety"}],
        "indicators": [
            {
                "id": "NI48",
                "code": "NI 48",
                "title": "Children killed or seriously injured",
                "priorities": ["P1"],
                **counts,
            },
            {"id": "RL", "code": "RL 1", "title": "Rolling count", "priorities": ["P1"], **counts},
            {
                "id": "RD",
                "code": "RD 1",
                "title": "A rounded proportion",
                "priorities": ["P1"],
                "measure": "proportion",
                "polarity": "higher_is_better",
                "disclosure_control": "rounding",
            },
        ],
        "targets": [
            {
                "id": "T-NI48-THANET",
                "title": "Fewer children killed or seriously injured in Thanet",
                "indicator": "NI48",
                "area": THANET,
                "baseline": {"value": 20, "period": "2010"},
                "target": {"value": 10, "period": "2014"},
            }
        ],
        "areas": [
            {"id": KENT, "name": "Kent", "level": "county"},
            {"id": THANET, "name": area_name, "level": "district", "parent": KENT},
            {"id": DOVER, "name": "Dover", "level": "district", "parent": KENT},
            {"id": SWALE, "name": "Swale", "level": "district", "parent": KENT},
        ],
        "area_groupings": [
            {
                "id": "rest-of-kent",
                "name": "Rest of Kent",
                "kind": "rest_of_parent",
                "parent": KENT,
                "excluding": [THANET],
            }
        ],
        "people": [{"id": "chair", "name": "Chris Chair"}],
        "boards": [
            {"id": "forum", "name": "Mini Kent Forum", "kind": "forum", "ambitions": ["A1"], "chair": "chair"},
            {
                "id": "thanet-board",
                "name": "Thanet Locality Board",
                "kind": "locality",
                "area": THANET,
                "ambitions": ["A1"],
            },
        ],
        "observations": _observations(),
    }


def _closed(engine: Engine, tmp_path: Path, **kwargs: Any) -> Engine:
    path = tmp_path / "minikent.yaml"
    path.write_text(yaml.safe_dump(framework(**kwargs), sort_keys=False), encoding="utf-8")
    load_framework(engine, path)
    cycles.open_cycle(engine, CYCLE, data_cutoff=CUTOFF, action_deadline=date(2013, 1, 31), by="tests")
    cycles.close_cycle(engine, by="tests")
    for board in ("forum", "thanet-board"):
        approvals.delegate_approval(engine, board, "delegate", by="admin")
        approvals.approve_report(engine, None, board, by="delegate")
    return engine


@pytest.fixture
def minikent(engine: Engine, tmp_path: Path) -> Engine:
    return _closed(engine, tmp_path)


@pytest.fixture
def closed_testshire(engine: Engine, tmp_path: Path) -> Engine:
    """The constructed Testshire framework (tests.services.cycle_data) with its cycle closed."""
    from tests.services import cycle_data

    return cycle_data.close_2011_h2(engine, tmp_path, commentary=False)


def _published(engine: Engine, board: str) -> tuple[list[dict[str, str]], dict[str, Any]]:
    rows = list(csv.DictReader(io.StringIO(publishing.open_data(engine, None, board, "csv"))))
    return rows, json.loads(publishing.open_data(engine, None, board, "json"))


def _truth(engine: Engine, boards: list[str]) -> dict[Cell, tuple[float | None, float | None]]:
    truth: dict[Cell, tuple[float | None, float | None]] = {}
    for board in boards:
        for page in cycles.snapshot(engine, None, board).indicators:
            for p in page.headline + page.breakdowns:
                n = p.count if p.count is not None else (p.value if page.measure == "count" else None)
                truth[(page.id, p.period, p.area, p.category_type, p.category)] = (n, p.denominator)
    return truth


def _structure(engine: Engine) -> Structure:
    from gapwatch.services.frameworks import stored_framework

    return Structure.of(stored_framework(engine))


def _everything(engine: Engine, boards: list[str]) -> tuple[list[dict[str, str]], list[Any], list[Any]]:
    rows: list[dict[str, str]] = []
    gaps: list[Any] = []
    targets: list[Any] = []
    for board in boards:
        r, doc = _published(engine, board)
        rows += r
        gaps += doc["gaps"]
        targets += doc["targets"]
    return rows, gaps, targets


def _row(rows: list[dict[str, str]], indicator: str, period: str, area: str) -> dict[str, str]:
    return next(
        r
        for r in rows
        if (r["indicator"], r["period"], r["area_code"], r["category_id"]) == (indicator, period, area, "")
    )


def test_ni48_small_count_in_the_value_column_is_withheld_and_unrecoverable(minikent: Engine) -> None:
    boards = ["forum", "thanet-board"]
    for board in boards:
        publishing.publish(minikent, None, board, by="po")
    rows, gaps, targets = _everything(minikent, boards)
    thanet_2012 = [r for r in rows if (r["indicator"], r["period"], r["area_code"]) == ("NI48", "2012", THANET)]
    assert thanet_2012 and all(r["suppressed"] == "yes" and r["value"] == "[c]" for r in thanet_2012)
    # The district target's latest value (Thanet, 2012) goes with it; its baseline (2010) is published.
    target = next(t for t in targets if t["target"] == "T-NI48-THANET")
    withheld = {
        r["period"] for r in rows if (r["indicator"], r["area_code"], r["suppressed"]) == ("NI48", THANET, "yes")
    }
    if target["latest_period"] in withheld:
        assert target["latest"] is None and target["symbols"] == {"latest": "[c]"}
    assert target["latest"] != 3
    found = attack(_structure(minikent), rows, gaps=gaps, targets=targets, rounding=["RD"])
    assert found.recovered(_truth(minikent, boards), {"NI48": 5, "RL": 5, "RD": 5}, rounding=["RD"]) == []
    assert found.pinned() == []
    low, high = found.interval(("NI48", "2012", THANET, "", ""))
    assert low == 0 and high >= 5


def test_differencing_across_pooled_periods_needs_more_than_the_small_cell(minikent: Engine) -> None:
    """48 (2010-2012) - 20 (2010) - 25 (2011) = 3: withholding Thanet 2012 alone gives it away."""
    publishing.publish(minikent, None, "forum", by="po")
    rows, _gaps, _targets = _everything(minikent, ["forum"])
    truth = _truth(minikent, ["forum"])
    naive = []
    for r in rows:
        cell = (r["indicator"], r["period"], r["area_code"], r["breakdown_id"], r["category_id"])
        if r["indicator"] == "NI48":
            value = "[c]" if cell == ("NI48", "2012", THANET, "", "") else str(truth[cell][0])
            r = dict(r, value=value, count=value, suppressed="yes" if value == "[c]" else "no")
        naive.append(r)
    structure = _structure(minikent)
    assert attack(structure, naive).interval(("NI48", "2012", THANET, "", "")) == (3, 3)
    # As published, Thanet's other years or the pooled period are withheld too, and nothing is pinned.
    thanet = {r["period"]: r["suppressed"] for r in rows if (r["indicator"], r["area_code"]) == ("NI48", THANET)}
    assert thanet["2012"] == "yes" and "yes" in {thanet["2010"], thanet["2011"], thanet["2010-2012"]}
    found = attack(structure, rows, rounding=["RD"])
    assert found.recovered(truth, {"NI48": 5, "RL": 5}, rounding=["RD"]) == [] and found.pinned() == []


def test_two_overlapping_rolling_periods_are_differenced_through_unpublished_years(minikent: Engine) -> None:
    """Dover 2011 = (2009-2011) - (2008-2010) + 2008 = 42 - 60 + 20 = 2, though 2009 and 2010 are never published."""
    publishing.publish(minikent, None, "forum", by="po")
    rows, _gaps, _targets = _everything(minikent, ["forum"])
    truth = _truth(minikent, ["forum"])
    structure = _structure(minikent)
    # The naive pattern: Dover 2011, and Swale 2011 as its complement within the county.
    naive = [
        dict(r, count=r["value"]) if r["value"] != "[c]" else r
        for r in [
            dict(r, value="[c]", count="[c]", suppressed="yes")
            if (r["period"], r["area_code"]) in (("2011", DOVER), ("2011", SWALE))
            else dict(r, value=f"{truth[(r['indicator'], r['period'], r['area_code'], '', '')][0]:g}", suppressed="no")
            for r in rows
            if r["indicator"] == "RL"
        ]
    ]
    assert attack(structure, naive).interval(("RL", "2011", DOVER, "", "")) == (2, 2)
    assert _row(rows, "RL", "2011", DOVER)["suppressed"] == "yes"
    found = attack(structure, rows, rounding=["RD"])
    assert found.recovered(truth, {"RL": 5, "NI48": 5}, rounding=["RD"]) == [] and found.pinned() == []


def test_a_county_with_one_small_district_and_a_group_with_its_total(closed_testshire: Engine) -> None:
    """The constructed Testshire: D1 = 2 of 50 beside its county, FSM = 3 of 40 beside the whole population."""
    approvals.approve_report(closed_testshire, None, "forum", by="chris")
    publishing.publish(closed_testshire, None, "forum", by="po")
    rows, doc = _published(closed_testshire, "forum")
    structure = _structure(closed_testshire)
    truth = _truth(closed_testshire, ["forum"])
    found = attack(structure, rows, gaps=doc["gaps"], targets=doc["targets"])
    assert {f.cell for f in found.intervals} >= {("SM", "2010/11", "D1", "", ""), ("SM", "2010/11", "C0", "fsm", "fsm")}
    assert found.recovered(truth, {}) == [] and found.pinned() == []
    # The naive pattern (the two small cells alone) is broken by the same attacker.
    naive = [
        dict(
            r,
            **{
                c: str(
                    truth[(r["indicator"], r["period"], r["area_code"], r["breakdown_id"], r["category_id"])][i] or ""
                )
                for c, i in (("count", 0), ("denominator", 1))
            },
            value="",
            suppressed="no",
        )
        if r["suppressed"] == "yes" and (r["area_code"], r["category_id"]) not in (("D1", ""), ("C0", "fsm"))
        else r
        for r in rows
    ]
    assert len(attack(structure, naive).recovered(truth, {})) >= 2


def test_revisions_keep_what_was_withheld_withheld(minikent: Engine, tmp_path: Path) -> None:
    """A later publication under a lower threshold still withholds what the first withheld."""
    publishing.publish(minikent, None, "forum", by="po")
    first, _ = _published(minikent, "forum")
    publishing.publish(minikent, None, "thanet-board", by="po", settings=Settings(suppression_threshold=2))
    second, doc = _published(minikent, "thanet-board")
    withheld_before = {
        (r["indicator"], r["period"], r["area_code"], r["category_id"]) for r in first if r["suppressed"] == "yes"
    }
    for r in second:
        if (r["indicator"], r["period"], r["area_code"], r["category_id"]) in withheld_before:
            assert r["suppressed"] == "yes" and r["value"] == "[c]", r
    truth = _truth(minikent, ["forum", "thanet-board"])
    found = attack(_structure(minikent), first + second, gaps=doc["gaps"], targets=doc["targets"], rounding=["RD"])
    assert found.recovered(truth, {"NI48": 5, "RL": 5}, rounding=["RD"]) == [] and found.pinned() == []


def test_rounding_discipline_rounds_and_withholds_one_to_seven(minikent: Engine) -> None:
    publishing.publish(minikent, None, "forum", by="po")
    rows, doc = _published(minikent, "forum")
    rd = {r["area_code"]: r for r in rows if r["indicator"] == "RD"}
    assert rd[THANET]["suppressed"] == "yes" and rd[THANET]["count"] == "[c]"
    assert (rd[DOVER]["count"], rd[DOVER]["denominator"], rd[DOVER]["value"]) == ("50", "400", "12.5")
    assert (rd[KENT]["count"], rd[KENT]["denominator"]) == ("115", "940")  # 116 of 940, rounded
    assert all(r["disclosure_control"] == "rounding" for r in rd.values())
    assert doc["disclosure_control"]["RD"]["method"] == "rounding"
    assert doc["disclosure_control"]["NI48"] == {
        "method": "threshold",
        "rule": "counts of 1 to 4 withheld, with the figures they could be worked out from",
        "threshold": 5,
    }
    truth = _truth(minikent, ["forum"])
    found = attack(_structure(minikent), rows, rounding=["RD"])
    assert found.recovered(truth, {"NI48": 5, "RL": 5}, rounding=["RD"]) == []
    low, high = found.interval(("RD", "2012", THANET, "", ""))
    assert high - low >= 1


def test_an_area_named_as_a_formula_is_inert_in_the_public_downloads(engine: Engine, tmp_path: Path) -> None:
    evil = "=cmd|' /C calc'!A0"
    closed = _closed(engine, tmp_path, area_name=evil)
    publishing.publish(closed, None, "forum", by="po")
    text = publishing.open_data(closed, None, "forum", "csv")
    names = [r["area_name"] for r in csv.DictReader(io.StringIO(text)) if r["area_code"] == THANET]
    assert names and all(n == "'" + evil for n in names)
    assert f",{evil}" not in text and "\n=" not in text
    doc = json.loads(publishing.open_data(closed, None, "forum", "json"))
    assert {o["area_name"] for o in doc["observations"] if o["area_code"] == THANET} == {"'" + evil}
    assert all(not str(g["label"]).startswith("=") for g in doc["gaps"])


# --- the Kent demo --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kent_closed(kent_2011_files: tuple[Path, Path]) -> Path:
    """A database file holding the Kent demo with its 2011 H2 cycle closed (built once per run; copied by each
    test)."""
    return kent_2011_files[1]


def _scope(engine: Engine) -> list[str]:
    from sqlalchemy import select

    from gapwatch.store.cycles import SnapshotRow
    from gapwatch.store.engine import session_scope

    with session_scope(engine) as session:
        return sorted(session.scalars(select(SnapshotRow.board_id)).all())


@pytest.mark.slow
@pytest.mark.parametrize("threshold", [5, 300])
def test_the_kent_demo_publications_give_nothing_away(kent_closed: Path, tmp_path: Path, threshold: int) -> None:
    """Every board's report of the Kent demo published, then attacked together. The demo has no count
    below 5, so the threshold is also raised to 300 to make disclosure control work on Kent's real tables
    (twelve districts in their county, pupil groups, years) and the attacker try to undo it."""
    import shutil

    from gapwatch.services.database import open_database

    copy = tmp_path / "kent.db"
    shutil.copyfile(kent_closed, copy)
    engine = open_database(Settings(database_url=f"sqlite:///{copy}", _env_file=None))  # type: ignore[call-arg]
    try:
        boards = _scope(engine)
        settings = Settings(suppression_threshold=threshold, _env_file=None)  # type: ignore[call-arg]
        for board in boards:
            approvals.delegate_approval(engine, board, "delegate", by="admin")
            approvals.approve_report(engine, None, board, by="delegate")
            publishing.publish(engine, None, board, by="po", settings=settings)
        rows, gaps, targets = _everything(engine, boards)
        found = attack(_structure(engine), rows, gaps=gaps, targets=targets)
        thresholds = {r["indicator"]: threshold for r in rows}
        assert found.recovered(_truth(engine, boards), thresholds) == []
        assert found.pinned() == []
        assert len(boards) > 10 and len(rows) > 1000
        withheld = sum(r["suppressed"] == "yes" for r in rows)
        assert (withheld == 0) if threshold == 5 else (withheld > 100 and len(found.intervals) > 100)
    finally:
        engine.dispose()
