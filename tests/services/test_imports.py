"""Imports end to end on SQLite and PostgreSQL: every bad-input case reports located problems and leaves the
database exactly as it was; dry runs write nothing; unknown indicators and areas are refused or added on
request; revisions keep history; rollbacks restore; an import killed half-way leaves no trace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gapwatch.domain.access import Operator, Role
from gapwatch.errors import Conflict, Forbidden, InvalidInput, NotFound
from gapwatch.ingest.tidy import TableMapping
from gapwatch.services import imports as imports_service
from gapwatch.services.frameworks import load_framework, stored_framework
from gapwatch.services.imports import ImportReport, batches, rollback
from gapwatch.services.imports import import_file as _import_file
from gapwatch.services.observations import observations_frame
from gapwatch.store.areas import AreaRow
from gapwatch.store.audit import AuditFilter, query_audit
from gapwatch.store.observations import ImportBatchRow, ObservationRevisionRow, ObservationRow, SeriesRow
from gapwatch.store.tables import FrameworkRevisionRow

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
HEADER = "indicator,area_code,period,value,numerator,denominator,category_type,category\n"
GOOD = HEADER + "ATT1,N1,2019/20 AY,54,108,200,,\nATT1,S1,2019/20 AY,61.5,123,200,,\nATT1,X0,2019/20 AY,57,,,fsm,FSM\n"


@pytest.fixture
def db(engine: Engine) -> Engine:
    load_framework(engine, MINI)
    return engine


def snapshot(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(
            int(conn.scalar(select(func.count()).select_from(t)) or 0)
            for t in (ObservationRow, ImportBatchRow, SeriesRow, ObservationRevisionRow, AreaRow, FrameworkRevisionRow)
        )


def import_file(engine: Engine, path: Path, **options: Any) -> ImportReport:
    """Import as an operator called "tester" unless the test names another actor."""
    return _import_file(engine, path, **{"actor": "tester", **options})


def csv(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_import_then_read(db: Engine, tmp_path: Path) -> None:
    steps: list[tuple[str, int, int]] = []
    report = import_file(db, csv(tmp_path, GOOD), actor="tester", progress=lambda *a: steps.append(a))
    assert (report.inserted, report.revised, report.unchanged, report.batch) == (3, 0, 0, 1)
    assert steps[0] == ("writing", 0, 3) and steps[-1] == ("writing", 3, 3)
    frame = observations_frame(db, indicator_ids=["ATT1"])
    fsm = frame.filter(pl.col("category_type") != "")
    # "FSM" is the framework's category name: it is stored as the category id, under the breakdown's id.
    assert fsm.select("area_code", "category_type", "category", "value").row(0) == ("X0", "fsm", "fsm", 57.0)
    assert set(frame["batch_pk"]) == {1} and set(frame["period_kind"]) == {"academic_year"}
    b = batches(db)[0]
    assert (b.loaded_by, b.rows_read, b.rows_inserted, len(b.sha256 or "")) == ("tester", 3, 3, 64)


BAD_FILES = [
    ("wrong columns", "ind,area,when\nA,B,C\n", "missing column(s) 'indicator', 'area_code', 'period', 'value'", None),
    ("unparseable number", HEADER + "ATT1,N1,2019,5o,,,,\n", "'5o' is not a number", (2, "value")),
    ("unparseable period", HEADER + "ATT1,N1,Spring 19,50,,,,\n", "'Spring 19' is not a period", (2, "period")),
    ("unknown area", HEADER + "ATT1,E07000999,2019,50,,,,\n", "unknown area code 'E07000999'", (2, "area_code")),
    (
        "unknown indicator",
        HEADER + "NOPE,N1,2019,50,,,,\n",
        "indicator 'NOPE' is not in the framework",
        (2, "indicator"),
    ),
    ("duplicate key", HEADER + "ATT1,N1,2019,50,,,,\nATT1,N1,2019,51,,,,\n", "repeats the key of row 2", (3, "period")),
    (
        "numerator above denominator",
        HEADER + "ATT1,N1,2019,50,300,200,,\n",
        "the numerator 300.0 is above the denominator (a proportion) [rule count-above-denominator]",
        (2, "numerator"),
    ),
    ("negative count", HEADER + "ATT1,N1,2019,50,-3,200,,\n", "the numerator -3.0 is negative", (2, "numerator")),
    (
        "proportion above 100",
        HEADER + "ATT1,N1,2019,150,,,,\n",
        "the value 150.0 is outside 0 to the multiplier for a proportion",
        (2, "value"),
    ),
    ("empty file", "", "the file is empty", None),
    ("header only", HEADER, "no data rows", None),
    ("truncated file", HEADER + "ATT1,N1,2019,50,100,200,,\nATT1,S1,20", "the file looks truncated", (3, None)),
    ("UTF-16 text", "indicator\n".encode("utf-16"), "UTF-16", None),
]


@pytest.mark.parametrize(("case", "text", "message", "where"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_input_is_reported_and_nothing_is_written(
    db: Engine, tmp_path: Path, case: str, text: str | bytes, message: str, where: tuple[int, str | None] | None
) -> None:
    import_file(db, csv(tmp_path, GOOD, "good.csv"))
    before = snapshot(db)
    with pytest.raises(InvalidInput) as err:
        import_file(db, csv(tmp_path, text))
    shown = err.value.message + " ".join(str(p) for p in err.value.problems)
    assert message in shown
    if where is not None:
        assert any((p.row, p.field) == where and message in p.message for p in err.value.problems) or any(
            p.row == where[0] for p in err.value.problems
        )
    assert snapshot(db) == before


def test_unit_and_measure_checked_against_the_indicator(db: Engine, tmp_path: Path) -> None:
    text = (
        "indicator,area_code,period,value,unit,measure\nATT1,N1,2019,50,per 1000,proportion\nATT1,S1,2019,50,%,rate\n"
    )
    with pytest.raises(InvalidInput) as err:
        import_file(db, csv(tmp_path, text))
    found = {(p.row, p.field) for p in err.value.problems}
    assert found == {(2, "unit"), (3, "measure")}
    assert "does not match indicator ATT1, measured in '%'" in err.value.problems[0].message
    ok = "indicator,area_code,period,value,unit\nATT1,N1,2019,50,Percentage\n"
    assert import_file(db, csv(tmp_path, ok)).inserted == 1


def test_at_most_fifty_problems_are_listed_but_all_are_counted(db: Engine, tmp_path: Path) -> None:
    rows = "".join(f"ATT1,N1,{2000 + i},bad{i},,,,\n" for i in range(80))
    with pytest.raises(InvalidInput, match="80 problem") as err:
        import_file(db, csv(tmp_path, HEADER + rows))
    assert len(err.value.problems) == 50 and "first 50 are listed" in err.value.message
    assert [p.row for p in err.value.problems] == list(range(2, 52))


def test_encodings(db: Engine, tmp_path: Path) -> None:
    text = HEADER + "ATT1,N1,2019,50,,,,\n"
    bom = import_file(db, csv(tmp_path, b"\xef\xbb\xbf" + text.encode(), "bom.csv"))
    assert bom.inserted == 1 and not bom.warnings
    latin = (HEADER.replace("category\n", "category,note\n") + "ATT1,S1,2019,51,,,,,Coût £5\n").encode("cp1252")
    report = import_file(db, csv(tmp_path, latin, "latin.csv"))
    assert report.inserted == 1 and "Windows-1252" in report.warnings[0]
    assert observations_frame(db, area_ids=["S1"])["note"].to_list() == ["Coût £5"]
    before = snapshot(db)
    with pytest.raises(InvalidInput, match="not valid UTF-8"):
        import_file(db, csv(tmp_path, latin, "latin2.csv"), encoding="utf-8")
    assert snapshot(db) == before


def test_dry_run_writes_nothing_but_counts_exactly(db: Engine, tmp_path: Path) -> None:
    import_file(db, csv(tmp_path, GOOD, "good.csv"))
    before = snapshot(db)
    changed = GOOD.replace("54,108", "55,110") + "ATT1,N1,2020/21 AY,60,120,200,,\n"
    report = import_file(db, csv(tmp_path, changed), dry_run=True)
    assert (report.inserted, report.revised, report.unchanged, report.batch, report.dry_run) == (1, 1, 2, None, True)
    assert report.by_indicator.row(0, named=True)["revised"] == 1
    assert snapshot(db) == before


def test_unknown_indicators_added_from_the_file_and_recorded_as_a_revision(db: Engine, tmp_path: Path) -> None:
    text = 'indicator,indicator_name,area_code,period,value\nNEW-1,"Rate of something per 1,000 people",N1,2019,4.5\n'
    with pytest.raises(InvalidInput) as err:
        import_file(db, csv(tmp_path, text))
    assert "indicator 'NEW-1' is not in the framework (1 row(s))" in str(err.value.problems[0])
    report = import_file(db, csv(tmp_path, text), add_unknown_indicators=True)
    assert report.added_indicators == ["NEW-1"]
    added = stored_framework(db).index("indicators")["NEW-1"]
    assert (added.title, added.measure.value, added.multiplier, added.unit) == (
        "Rate of something per 1,000 people",
        "rate",
        1000,
        "per 1,000",
    )
    with db.connect() as conn:
        assert conn.scalar(select(func.max(FrameworkRevisionRow.number))) == 2


def test_unknown_areas_added_with_the_names_the_file_gives(db: Engine, tmp_path: Path) -> None:
    text = (
        "indicator,area_code,area_name,area_type,parent_code,period,value\n"
        "ATT1,E07900001,Riverside,District,X0,2019,40\n"
    )
    report = import_file(db, csv(tmp_path, text), add_unknown_areas=True)
    assert report.added_areas == ["E07900001"]
    with db.connect() as conn:
        row = conn.execute(
            select(AreaRow.name, AreaRow.level, AreaRow.parent_code).where(AreaRow.code == "E07900001")
        ).one()
    assert tuple(row) == ("Riverside", "district", "X0")
    nameless = "indicator,area_code,period,value\nATT1,E07900002,2019,40\n"
    with pytest.raises(InvalidInput) as err:
        import_file(db, csv(tmp_path, nameless), add_unknown_areas=True)
    assert "area 'E07900002' is unknown and the file gives no name to add it with" in str(err.value.problems[0])


def test_former_names_and_codes_resolve(db: Engine, tmp_path: Path) -> None:
    text = "indicator,area_code,period,value\nATT1,E92000001,2019,40\n"  # England is always known
    assert import_file(db, csv(tmp_path, text)).inserted == 1


def test_revision_then_rollback_through_the_service(db: Engine, tmp_path: Path) -> None:
    first = import_file(db, csv(tmp_path, GOOD, "a.csv"))
    second = import_file(db, csv(tmp_path, GOOD.replace("54,108", "55,110"), "b.csv"))
    assert (second.inserted, second.revised, second.unchanged) == (0, 1, 2)
    value = observations_frame(db, area_ids=["N1"]).row(0, named=True)
    assert (value["value"], value["revised"], value["batch_pk"]) == (55.0, True, second.batch)
    with pytest.raises(Conflict):
        rollback(db, first.batch or 0, actor="tester")
    assert rollback(db, second.batch or 0, actor="tester") == {"removed": 0, "restored": 1}
    value = observations_frame(db, area_ids=["N1"]).row(0, named=True)
    assert (value["value"], value["revised"], value["batch_pk"]) == (54.0, False, first.batch)
    assert rollback(db, first.batch or 0, actor="tester") == {"removed": 3, "restored": 0}
    assert observations_frame(db).is_empty()
    with pytest.raises(NotFound):
        rollback(db, 42, actor="tester")


def _audit(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        return [(r.username, r.action, r.entity) for r in reversed(query_audit(session, AuditFilter(entity="batch:")))]


def test_import_and_rollback_are_audited_in_their_own_transaction(db: Engine, tmp_path: Path) -> None:
    import_file(db, csv(tmp_path, GOOD, "dry.csv"), dry_run=True)
    assert _audit(db) == []  # a dry run writes nothing, audit included
    done = import_file(db, csv(tmp_path, GOOD), actor="alice")
    rollback(db, done.batch or 0, actor="bob")
    entity = f"batch:{done.batch}"  # PostgreSQL's sequence moved on for the dry run: it need not be 1
    assert _audit(db) == [("alice", "data.import", entity), ("bob", "data.rollback", entity)]
    with Session(db) as session:
        entry = query_audit(session, AuditFilter(action="data.import"))[0]
    assert entry.after is not None and (entry.after["inserted"], entry.after["file"]) == (3, str(tmp_path / "data.csv"))


def test_an_import_whose_audit_entry_fails_is_not_written(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = import_file(db, csv(tmp_path, GOOD, "first.csv"))
    before = snapshot(db)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(imports_service, "record_audit", broken)
    with pytest.raises(RuntimeError, match="audit log"):
        import_file(db, csv(tmp_path, GOOD.replace("54,108", "55,110"), "second.csv"))
    assert snapshot(db) == before and [b.pk for b in batches(db)] == [done.batch]
    with pytest.raises(RuntimeError, match="audit log"):
        rollback(db, done.batch or 0, actor="tester")
    assert batches(db)[0].status == "active" and snapshot(db) == before


def test_only_data_managers_import_or_roll_back(db: Engine, tmp_path: Path) -> None:
    done = import_file(db, csv(tmp_path, GOOD, "first.csv"))
    before = snapshot(db)
    board_member = Operator("bea", role=Role.BOARD_MEMBER)
    with pytest.raises(Forbidden, match="import data"):
        import_file(db, csv(tmp_path, GOOD), actor=board_member)
    with pytest.raises(Forbidden, match="roll back"):
        rollback(db, done.batch or 0, actor=Operator("leo", role=Role.LEAD_OFFICER))
    assert snapshot(db) == before
    officer = Operator("pat", role=Role.PERFORMANCE_OFFICER)
    assert rollback(db, done.batch or 0, actor=officer) == {"removed": 3, "restored": 0}


def test_illustrative_batches_flag_every_value(db: Engine, tmp_path: Path) -> None:
    from gapwatch.services.imports import import_parsed, read_data_file

    path = csv(tmp_path, GOOD)
    import_parsed(db, read_data_file(path), source=str(path), illustrative=True, actor="tester")
    frame = observations_frame(db)
    assert frame["illustrative"].all()
    assert observations_frame(db, include_illustrative=False).is_empty()


def test_mapping_option_on_a_renamed_file(db: Engine, tmp_path: Path) -> None:
    text = "Ind,Place,When,Pct\nATT1,N1,2019,50\n"
    mapping = TableMapping(columns={"Ind": "indicator", "Place": "area_code", "When": "period", "Pct": "value"})
    assert import_file(db, csv(tmp_path, text), mapping=mapping).inserted == 1


_KILL_SCRIPT = """
import sys, time
from pathlib import Path
from gapwatch.settings import Settings
from gapwatch.store.engine import get_engine
from gapwatch.services.imports import import_file

marker = Path(sys.argv[3])
def progress(stage, done, total):
    if 0 < done < total:
        marker.write_text(f"{done}/{total}")
        time.sleep(600)
import_file(get_engine(Settings(database_url=sys.argv[1])), Path(sys.argv[2]), progress=progress, actor="tester")
"""


@pytest.mark.slow
def test_an_import_killed_half_way_leaves_the_database_as_before(db: Engine, tmp_path: Path) -> None:
    import_file(db, csv(tmp_path, GOOD, "good.csv"))
    before = snapshot(db)
    ages = [f"{a}-{a + 4} yrs" for a in range(0, 100, 5)]
    rows = [
        f"ATT1,{area},{date(2000, 1, 1) + timedelta(days=day)},50,100,200,{age}\n"
        for day in range(1000)
        for area in ("N1", "S1", "X0")
        for age in ages
    ]
    big = csv(tmp_path, "indicator,area_code,period,value,numerator,denominator,age\n" + "".join(rows), "big.csv")
    marker = tmp_path / "written"
    url = db.url.render_as_string(hide_password=False)
    log = tmp_path / "stderr.txt"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILL_SCRIPT, url, str(big), str(marker)],
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            stderr=err,
        )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the import never reached its first chunk"
        time.sleep(0.1)
    done, total = (int(x) for x in marker.read_text().split("/"))
    assert 0 < done < total == len(rows)  # killed with part of the rows written inside its transaction
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    db.dispose()
    assert snapshot(db) == before
    assert import_file(db, csv(tmp_path, GOOD.replace("54,108", "56,112"), "again.csv")).revised == 1


def test_deprivation_and_lookup_files_are_pointed_to_their_own_commands(db: Engine, shared_data: Path) -> None:
    with pytest.raises(InvalidInput, match="Indices of Deprivation file") as err:
        import_file(db, shared_data / "imd" / "imd2015_lsoa11_england.csv")
    assert "gapwatch data imd load" in (err.value.hint or "")
    with pytest.raises(InvalidInput, match="geography lookup") as err:
        import_file(db, shared_data / "lookups" / "lookup_ltla21_utla21.csv")
    assert "gapwatch data areas load" in (err.value.hint or "")
