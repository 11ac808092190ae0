"""Publication with disclosure control, on SQLite and PostgreSQL, and on adversarial tables.

"No published cell reveals a count of 1-4, directly or by subtraction" is checked by an attacker written
independently of the suppression code: it reads the published CSV, derives counts from percentages and
denominators, and solves every additive table (districts within the county, FSM + non-FSM within the
whole population) that has exactly one unknown cell.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from gapwatch.domain.framework import Framework
from gapwatch.errors import Conflict, Forbidden, InvalidInput, NotFound
from gapwatch.services import approvals, cycles, publishing
from gapwatch.services._plan import Plan
from gapwatch.services.accounts import create_user
from gapwatch.store.audit import query_audit
from gapwatch.store.engine import session_scope
from tests.services import cycle_data

SMALL = range(1, 5)


@pytest.fixture
def closed(engine: Engine, tmp_path: Path) -> Engine:
    return cycle_data.close_2011_h2(engine, tmp_path)


def _reveals(rows: list[dict[str, str]]) -> list[str]:
    """Every way a count of 1-4 can be read from published rows (empty when the publication is safe)."""
    found = []

    def num(v: str) -> float | None:
        return float(v) if v not in ("", None) and not v.startswith("[") else None

    cells: dict[tuple[str, str, str, str], tuple[float | None, float | None]] = {}
    for r in rows:
        count, den, value = num(r["count"]), num(r["denominator"]), num(r["value"])
        if count is None and value is not None and den is not None:
            count = round(value / 100 * den)
        for name, c in (
            ("count", count),
            ("denominator", den),
            ("complement", None if count is None or den is None else den - count),
        ):
            if c is not None and round(c) in SMALL:
                found.append(f"{name} {c} published for {r['area_code']} {r['category_id']}")
        cells[(r["indicator"], r["period"], r["area_code"], r["category_id"])] = (count, den)
    # Additive tables: districts within the county (each category), groups within each area.
    tables: dict[tuple[str, ...], list[tuple[str, bool]]] = {}
    for ind, period, area, cat in cells:
        parent = "C0" if area != "C0" else None
        tables.setdefault((ind, period, cat, "C0"), []).append((area, parent is None))
        tables.setdefault((ind, period, area, "groups"), []).append((cat, cat == ""))
    for key, members in tables.items():
        if not any(total for _, total in members) or len(members) < 2:
            continue
        ind, period = key[0], key[1]
        if key[3] == "C0":
            cat = key[2]
            vals = {a: cells[(ind, period, a, cat)] for a, _ in members}
            total_id = "C0"
        else:
            area = key[2]
            vals = {c: cells[(ind, period, area, c)] for c, _ in members}
            total_id = ""
        for i in (0, 1):
            unknown = [k for k, v in vals.items() if v[i] is None]
            if len(unknown) != 1:
                continue
            total = vals[total_id][i]
            parts = sum(v[i] or 0 for k, v in vals.items() if k != total_id)
            derived = parts if unknown[0] == total_id else (total or 0) - parts
            if round(derived) in SMALL:
                found.append(f"{key}: {unknown[0]} = {derived} by subtraction")
    return found


def _published_rows(engine: Engine, board: str) -> list[dict[str, str]]:
    text = publishing.open_data(engine, None, board, "csv")
    return list(csv.DictReader(io.StringIO(text)))


def test_publishing_needs_an_approved_frozen_report(closed: Engine) -> None:
    with pytest.raises(Conflict, match="has not been approved"):
        publishing.publish(closed, None, "forum", by="po")
    approvals.approve_report(closed, None, "forum", by="chris", approve=False)
    with pytest.raises(Conflict, match="was rejected"):
        publishing.publish(closed, None, "forum", by="po")
    assert publishing.list_publications(closed) == []
    with pytest.raises(NotFound, match="has not been published"):
        publishing.public_report(closed, None, "forum")
    approvals.approve_report(closed, None, "forum", by="chris")
    info = publishing.publish(closed, None, "forum", by="po")
    assert info.board == "forum" and info.suppressed >= 4 and info.cells > info.suppressed
    with pytest.raises(Conflict, match="already published"):
        publishing.publish(closed, None, "forum", by="po")
    assert [p.board for p in publishing.list_publications(closed)] == ["forum"]
    assert cycles.cycle_status(closed).published == ["forum"]


def test_an_open_cycle_cannot_be_published(engine: Engine, tmp_path: Path) -> None:
    cycle_data.load(engine, tmp_path)
    cycles.open_cycle(engine, "2011 H2", data_cutoff=date(2011, 12, 31), action_deadline=date(2012, 1, 31), by="tests")
    with pytest.raises(Conflict, match="still open"):
        publishing.publish(engine, None, "forum", by="po")


def test_adversarial_tables_reveal_no_small_count(closed: Engine) -> None:
    approvals.approve_report(closed, None, "forum", by="chris")
    publishing.publish(closed, None, "forum", by="po")
    rows = _published_rows(closed, "forum")
    sm = {(r["area_code"], r["category_id"]): r for r in rows if r["indicator"] == "SM"}
    assert sm[("D1", "")]["suppressed"] == "yes"  # the single small district (2 of 50)
    assert sm[("C0", "fsm")]["suppressed"] == "yes"  # the small group (3 of 40)
    # Its complement and the other districts cannot all stay published beside the published totals.
    assert "yes" in {sm[("D2", "")]["suppressed"], sm[("D3", "")]["suppressed"], sm[("C0", "")]["suppressed"]}
    assert "yes" in {sm[("C0", "non-fsm")]["suppressed"], sm[("C0", "")]["suppressed"]}
    for r in rows:
        if r["suppressed"] == "yes":
            assert r["value"] == r["count"] == r["denominator"] == r["lower_95"] == r["upper_95"] == "[c]"
    assert _reveals(rows) == []
    # Values big enough to publish still are.
    assert sm[("D2", "")]["value"] or sm[("D3", "")]["value"]


def test_derived_values_and_drafts_are_withheld_from_the_public_report(closed: Engine) -> None:
    approvals.approve_report(closed, None, "forum", by="chris")
    publishing.publish(closed, None, "forum", by="po")
    public = publishing.public_report(closed, None, "forum")
    frozen = cycles.snapshot(closed, None, "forum")
    sm_gap = next(g for g in public.gaps if g.indicator == "SM" and g.measure == "group_gap")
    assert [p.value for p in sm_gap.points] == [None] and sm_gap.latest_gap is None
    frozen_gap = next(g for g in frozen.gaps if g.indicator == "SM" and g.measure == "group_gap")
    assert frozen_gap.latest_gap is not None  # the board saw it; the public does not
    assert [c.text for c in public.commentary] == ["Approved words"]
    assert all(f.detail is None for k in public.kpqs for f in k.answer.reasons)
    gn = next(p for p in public.indicators if p.id == "GN")
    assert all(p.value is not None for p in gn.headline)  # large counts are published as they are
    doc = json.loads(publishing.open_data(closed, None, "forum", "json"))
    assert {"kpq", "answer", "reasons"} <= set(doc["kpqs"][0])
    assert doc["cycle"] == "2011 H2" and doc["observations"]


def test_a_locality_publication_protects_its_small_headline(closed: Engine) -> None:
    with session_scope(closed) as session:
        create_user(
            session, username="pat", display_name="Pat Deputy", role="board_member", password="a long passphrase 2"
        )
    approvals.delegate_approval(closed, "d1-board", "pat", by="admin")
    approvals.approve_report(closed, None, "d1-board", by="pat")
    publishing.publish(closed, None, "d1-board", by="po")
    rows = _published_rows(closed, "d1-board")
    d1 = next(r for r in rows if r["indicator"] == "SM" and r["area_code"] == "D1")
    assert d1["suppressed"] == "yes" and d1["count"] == "[c]"
    area_gap = next(
        g
        for g in publishing.public_report(closed, None, "d1-board").gaps
        if g.indicator == "SM" and g.measure == "area_gap"
    )
    assert all(p.value is None for p in area_gap.points)


def test_open_data_mark_every_blank_with_its_gss_symbol(closed: Engine) -> None:
    approvals.approve_report(closed, None, "forum", by="chris")
    publishing.publish(closed, None, "forum", by="po")
    rows = _published_rows(closed, "forum")
    symbols = {v for r in rows for v in (r["value"], r["count"], r["denominator"], r["lower_95"]) if v.startswith("[")}
    assert symbols <= {"[c]", "[x]", "[z]", "[low]"} and "[c]" in symbols
    assert {r["disclosure_control"] for r in rows} == {"threshold"}
    doc = json.loads(publishing.open_data(closed, None, "forum", "json"))
    assert set(doc["symbols"]) == {"[c]", "[x]", "[z]", "[low]"}
    assert doc["disclosure_control"]["SM"]["threshold"] == 5
    sm_gap = next(g for g in doc["gaps"] if g["indicator"] == "SM" and g["measure"] == "group_gap")
    assert sm_gap["symbols"] == {"latest_gap": "[c]", "2010/11": "[c]"}
    notes = list(csv.DictReader(io.StringIO(publishing.open_data(closed, None, "forum", "notes"))))
    assert [n["note"] for n in notes[:4]] == ["[c]", "[x]", "[z]", "[low]"]
    assert any(n["note"] == "T SM" and "1 to 4 withheld" in n["text"] for n in notes)


def test_a_published_reports_approval_is_frozen(closed: Engine) -> None:
    """The attack: the delegate flips the approval to "rejected" after publication. Refused, and audited once."""
    with session_scope(closed) as session:
        create_user(
            session, username="pat", display_name="Pat Deputy", role="board_member", password="a long passphrase 2"
        )
    approvals.delegate_approval(closed, "forum", "pat", by="admin")
    approvals.approve_report(closed, None, "forum", by="pat")
    publishing.publish(closed, None, "forum", by="po")
    for who in ("pat", "chris"):
        with pytest.raises(Conflict, match="its approval is frozen"):
            approvals.approve_report(closed, None, "forum", by=who, approve=False, note="changed my mind")
        with pytest.raises(Conflict, match="its approval is frozen"):
            approvals.approve_report(closed, None, "forum", by=who)
    assert cycles.snapshot(closed, None, "forum").approval.status == "approved"
    assert [p.board for p in publishing.list_publications(closed)] == ["forum"]
    with session_scope(closed) as session:
        decisions = [r.action for r in query_audit(session) if r.entity == "report:2011 H2/forum"]
    assert "report.reject" not in decisions and decisions.count("report.approve") == 1


def test_withdrawal_is_its_own_audited_decision(closed: Engine) -> None:
    approvals.approve_report(closed, None, "forum", by="chris")
    publishing.publish(closed, None, "forum", by="po")
    with pytest.raises(InvalidInput, match="Give the reason"):
        approvals.withdraw_publication(closed, None, "forum", "  ", by="po")
    with pytest.raises(NotFound, match="has not been published"):
        approvals.withdraw_publication(closed, None, "d1-board", "wrong figures", by="po")
    done = approvals.withdraw_publication(closed, None, "forum", "The D2 figures were revised", by="po")
    assert done.reason == "The D2 figures were revised" and done.withdrawn_by == "po"
    assert publishing.list_publications(closed) == []
    (gone,) = publishing.list_withdrawals(closed)
    assert gone.board == "forum" and gone.withdrawal_reason == "The D2 figures were revised"
    with pytest.raises(publishing.Withdrawn, match="withdrawn on") as caught:
        publishing.public_report(closed, None, "forum")
    assert caught.value.status_code == 410
    with pytest.raises(publishing.Withdrawn):
        publishing.open_data(closed, None, "forum", "csv")
    view = publishing.public_view(closed, None, "forum")
    assert view.published is None and view.info.withdrawn and view.info.withdrawn_by_role == "an administrator"
    with pytest.raises(Conflict, match="already withdrawn"):
        approvals.withdraw_publication(closed, None, "forum", "again", by="po")
    with pytest.raises(Conflict, match="withdrawn on"):
        publishing.publish(closed, None, "forum", by="po")
    with pytest.raises(Conflict, match="its approval is frozen"):
        approvals.approve_report(closed, None, "forum", by="chris", approve=False)
    with session_scope(closed) as session:
        (entry,) = [r for r in query_audit(session) if r.action == "report.withdraw"]
    assert entry.username == "po" and entry.entity == "report:2011 H2/forum"
    assert entry.after is not None and entry.after["reason"] == "The D2 figures were revised"


def test_only_data_managers_withdraw(closed: Engine) -> None:
    from gapwatch.domain.access import Operator, Role

    approvals.approve_report(closed, None, "forum", by="chris")
    publishing.publish(closed, None, "forum", by="po")
    with pytest.raises(Forbidden):
        approvals.withdraw_publication(closed, None, "forum", "I dislike it", by=Operator("bo", role=Role.BOARD_MEMBER))
    assert [p.board for p in publishing.list_publications(closed)] == ["forum"]


# --- property: random tables --------------------------------------------------------------------------

_PLAN = Plan(pk=0, revision=0, framework=Framework.model_validate(cycle_data.framework()))
_COUNTS = st.integers(min_value=0, max_value=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_COUNTS, _COUNTS), min_size=3, max_size=3), st.integers(min_value=2, max_value=10))
def test_random_district_by_group_tables_never_reveal_a_small_count(
    cells: list[tuple[int, int]], threshold: int
) -> None:
    rows = []
    totals = [0, 0, 0]
    for district, (fsm, rest) in zip(cycle_data.DISTRICTS, cells, strict=True):
        for cat, x in (("fsm", fsm), ("non-fsm", rest), ("", fsm + rest)):
            rows.append({"area": district, "category_type": "fsm" if cat else "", "category": cat, "count": x})
        totals = [totals[0] + fsm, totals[1] + rest, totals[2] + fsm + rest]
    for cat, x in (("fsm", totals[0]), ("non-fsm", totals[1]), ("", totals[2])):
        rows.append({"area": "C0", "category_type": "fsm" if cat else "", "category": cat, "count": x})
    frame = pl.DataFrame(rows).with_columns(
        pl.lit("SM").alias("indicator"),
        pl.lit("2010/11").alias("period"),
        pl.col("count").cast(pl.Float64),
        pl.lit(None, pl.Float64).alias("denominator"),
        pl.lit(None, pl.Float64).alias("value"),
        pl.lit("count").alias("measure"),
        pl.lit(None, pl.Int64).alias("threshold"),
    )
    out = publishing.disclosure_control(_PLAN, frame, threshold)
    published = frame.join(out, on=["indicator", "period", "area", "category_type", "category"])
    for r in published.iter_rows(named=True):
        if not r["suppressed"]:
            assert not 1 <= r["count"] < threshold
    # An attacker with every published cell: solve each table with one unknown.
    known = {
        (r["area"], r["category"]): (None if r["suppressed"] else r["count"]) for r in published.iter_rows(named=True)
    }
    areas = [*cycle_data.DISTRICTS, "C0"]
    tables = [[(a, c) for c in ("fsm", "non-fsm", "")] for a in areas]
    tables += [[(a, c) for a in areas] for c in ("fsm", "non-fsm", "")]
    true = {(r["area"], r["category"]): r["count"] for r in published.iter_rows(named=True)}
    for table in tables:
        unknown = [cell for cell in table if known[cell] is None]
        if len(unknown) == 1:
            assert not 1 <= true[unknown[0]] < threshold, f"{unknown[0]} recoverable in {table}"


def test_the_attacker_catches_an_unprotected_table(closed: Engine) -> None:
    """The check above is not vacuous: the frozen (unsuppressed) report gives small counts away."""
    frozen = cycles.snapshot(closed, None, "forum")
    rows = [
        {
            "indicator": page.id,
            "period": p.period,
            "area_code": p.area,
            "category_id": p.category,
            "count": "" if p.count is None else str(p.count),
            "value": "" if p.value is None else str(p.value),
            "denominator": "" if p.denominator is None else str(p.denominator),
        }
        for page in frozen.indicators
        if page.id == "SM"
        for p in page.headline + page.breakdowns
    ]
    assert any("D1" in r for r in _reveals(rows))
    without_d1 = [dict(r, count="", value="") if r["area_code"] == "D1" else r for r in rows]
    assert any("by subtraction" in r for r in _reveals(without_d1))
