"""`gapwatch data …` and `gapwatch demo --public-data` through the real entry point, on real public files."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.errors import GapwatchError
from gapwatch.services import imports as imports_service
from gapwatch.services.database import open_database
from gapwatch.settings import Settings
from gapwatch.store.audit import query_audit
from gapwatch.store.observations import ImportBatchRow
from tests.clirunner import run_cli
from tests.conftest import copy_database

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
MINI_DATA = "indicator,area_code,period,value,numerator,denominator\nATT1,N1,2019/20 AY,54,108,200\n"

RENAMED = [
    "--map",
    "IndicatorID=Indicator ID",
    "--map",
    "AreaCode=Area Code",
    "--map",
    "Timeperiod=Time period",
    "--map",
    "AreaName=Area Name",
    "--map",
    "AreaType=Area Type",
    "--map",
    "Value_note=Value note",
    "--map",
    "Lower_CI_95.0_limit=Lower CI 95.0 limit",
    "--map",
    "Upper_CI_95.0_limit=Upper CI 95.0 limit",
    "--map",
    "IndicatorName=Indicator Name",
]


@pytest.fixture
def demo_db(tmp_path: Path, kent_workflow_files: tuple[Path, Path]) -> Path:
    """A copy of what `gapwatch demo` builds (the demo and its workflow, built once per run: tests/conftest.py;
    the command itself is tested in test_demo_cli.py)."""
    return copy_database(kent_workflow_files[0], tmp_path / "demo.db")


def test_import_show_and_rollback_a_renamed_fingertips_file(demo_db: Path, shared_data: Path) -> None:
    path = str(shared_data / "fingertips" / "suicide_southeast_CountyUA_renamed_headers.csv")
    refused = run_cli("data", "import", path, "--db", str(demo_db))
    assert refused.exit_code == 1
    assert "not a Fingertips export" in refused.stderr and '--map "Timeperiod=Time period"' in refused.stderr
    dry = run_cli(
        "data",
        "import",
        path,
        *RENAMED,
        "--add-unknown-indicators",
        "--add-unknown-areas",
        "--dry-run",
        "--db",
        str(demo_db),
    )
    assert dry.exit_code == 0, dry.output
    # The demo's extract already holds this file's rows for Kent, its neighbours in the file, the South East and
    # England (20 of 105): the same figures, so they are unchanged; the other counties' 85 are new.
    assert "Dry run (nothing written)" in dry.stdout and "85 new, 0 revised, 20 unchanged" in dry.stdout
    done = run_cli(
        "data",
        "import",
        path,
        *RENAMED,
        "--add-unknown-indicators",
        "--add-unknown-areas",
        "--name",
        "Suicide, South East",
        "--db",
        str(demo_db),
    )
    assert done.exit_code == 0, done.output
    batch = re.search(r"Batch (\d+): Suicide, South East", done.stdout)
    assert batch and "41001" in done.stdout
    number = batch.group(1)
    listed = run_cli("data", "batches", "--db", str(demo_db))
    assert "Suicide" in listed.stdout
    shown = run_cli("data", "show", "-i", "41001", "--csv", "--db", str(demo_db))
    lines = shown.stdout.strip().splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["indicator_id", "area_code"]
    rows = {line.split(",")[1]: dict(zip(header, next(csv.reader([line])), strict=True)) for line in lines[1:]}
    assert len(rows) == 21  # Kent, the other South East counties and UAs, the region and England
    # The file's own figures for Kent (suicide rate, males, 2015-17: 15.9 per 100,000, 309 deaths), kept from the
    # extract's batch; a county the extract does not hold (Surrey) comes from the new batch.
    kent = rows["E10000016"]
    assert (kent["sex"], kent["period"], kent["numerator"]) == ("Male", "2015-17", "309.0")
    assert float(kent["value"]) == pytest.approx(15.915062491681) and kent["batch_pk"] != number
    assert rows["E10000030"]["batch_pk"] == number
    back = run_cli("data", "rollback", number, "--db", str(demo_db))
    assert back.exit_code == 0 and "85 value(s) removed" in back.stdout
    again = run_cli("data", "rollback", number, "--db", str(demo_db))
    assert again.exit_code == 1 and "already rolled back" in again.stderr
    after = run_cli("data", "show", "-i", "41001", "-a", "E10000016", "--csv", "--db", str(demo_db))
    assert len(after.stdout.strip().splitlines()) == 2  # Kent's figure stays with the extract


def test_bad_file_exits_1_with_located_problems(demo_db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,area_code,period,value\nPSA1-gcse-5ac,E07000114,2009,fifty\nNOPE,E07000114,2009,5\n")
    result = run_cli("data", "import", str(bad), "--db", str(demo_db))
    assert result.exit_code == 1
    assert "2 problem(s) found" in result.stderr and "Nothing was written" in result.stderr
    assert "bad.csv, row 2, field 'value': 'fifty' is not a number" in result.stderr
    assert "Traceback" not in result.output


def test_areas_and_imd(tmp_path: Path, shared_data: Path) -> None:
    db = str(tmp_path / "geo.db")
    areas = run_cli("data", "areas", "load", str(shared_data / "lookups" / "lookup_ltla21_utla21.csv"), "--db", db)
    assert areas.exit_code == 0 and "district_county" in areas.stdout
    listed = run_cli("data", "areas", "list", "--parent", "E10000016", "--db", db)
    assert "12 area(s)" in listed.stdout and "Thanet" in listed.stdout
    imd = run_cli(
        "data",
        "imd",
        "load",
        str(shared_data / "imd" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"),
        "--db",
        db,
    )
    assert imd.exit_code == 0 and "IMD2019 deprivation" in imd.stdout
    table = run_cli("data", "imd", "districts", "--county", "E10000016", "--db", db)
    rows = [line for line in table.stdout.splitlines() if "E07000" in line]
    assert len(rows) == 12 and "Thanet" in rows[0] and "18 (21%)" in rows[0]


def test_columns_are_documented() -> None:
    result = run_cli("data", "columns")
    assert result.exit_code == 0 and "area_code" in result.stdout and "numerator" in result.stdout


@pytest.mark.slow
def test_demo_loads_the_public_data_folder(tmp_path: Path, shared_data: Path) -> None:
    db = str(tmp_path / "public.db")
    result = run_cli("demo", "--db", db, "--public-data", str(shared_data))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        "IMD2019 deprivation",
        "IMD2007 deprivation",
        "DfE attainment by 19",
        "Fingertips",
        "suicide_southeast",
        "IoD 2019: children in income-deprived families",
        "Illustrative demo data",
    ):
        assert expected in out, expected
    assert "not loaded" not in " ".join(out.split())  # the console wraps long lines
    table = run_cli("data", "imd", "districts", "--county", "E10000016", "--db", db)
    assert "Thanet" in [line for line in table.stdout.splitlines() if "E07000" in line][0]


def test_import_the_district_export(demo_db: Path, shared_data: Path) -> None:
    path = str(shared_data / "fingertips" / "indicators-DistrictUApre419.data.csv")
    result = run_cli("data", "import", path, "--add-unknown-indicators", "--add-unknown-areas", "--db", str(demo_db))
    assert result.exit_code == 0, result.output
    # The demo's extract already holds the Kent districts', the South East's and England's rows of this file
    # (14 areas x 8 indicators), with the same figures: those are unchanged, the rest new.
    assert "2,488 new" in result.stdout and "0 revised, 112 unchanged" in result.stdout
    assert "152 skipped" in result.stdout
    shown = run_cli("data", "show", "-i", "92659", "--csv", "--db", str(demo_db))
    areas = {line.split(",")[1] for line in shown.stdout.strip().splitlines()[1:]}
    assert {f"E07000{n}" for n in range(105, 117)} <= areas  # every Kent district, as the export names them


@pytest.fixture
def mini_db(tmp_path: Path) -> Path:
    db = tmp_path / "mini.db"
    assert run_cli("framework", "load", str(MINI), "--db", str(db)).exit_code == 0
    (tmp_path / "att.csv").write_text(MINI_DATA)
    return db


def _audit_and_batches(db: Path) -> tuple[list[tuple[str, str, str]], list[tuple[int, str]]]:
    engine = open_database(Settings(database_url=f"sqlite:///{db}"))
    try:
        with Session(engine) as session:
            audit = [(r.username, r.action, r.entity) for r in reversed(query_audit(session))]
            batches = [(b.pk, b.status) for b in session.scalars(select(ImportBatchRow).order_by(ImportBatchRow.pk))]
        return audit, batches
    finally:
        engine.dispose()


def test_cli_import_and_rollback_are_audited_under_the_cli_actor(mini_db: Path, tmp_path: Path) -> None:
    done = run_cli("data", "import", str(tmp_path / "att.csv"), "--db", str(mini_db))
    assert done.exit_code == 0, done.output
    back = run_cli("data", "rollback", "1", "--by", "pat", "--db", str(mini_db))
    assert back.exit_code == 0, back.output
    audit, batches = _audit_and_batches(mini_db)
    assert batches == [(1, "rolled_back")]
    assert [(action, entity) for _, action, entity in audit] == [
        ("framework.load", "framework:riverton"),
        ("data.import", "batch:1"),
        ("data.rollback", "batch:1"),
    ]
    assert audit[0][0].startswith("cli:") and audit[1][0] == audit[0][0] and audit[2][0] == "pat"


def test_a_cli_import_is_rolled_back_when_its_audit_entry_fails(
    mini_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise GapwatchError("the audit log is unavailable")

    monkeypatch.setattr(imports_service, "record_audit", broken)
    result = run_cli("data", "import", str(tmp_path / "att.csv"), "--db", str(mini_db))
    assert result.exit_code == 1 and "the audit log is unavailable" in result.stderr
    audit, batches = _audit_and_batches(mini_db)
    assert [action for _, action, _ in audit] == ["framework.load"] and batches == []


def test_a_rule_is_waived_only_by_name_and_the_batch_records_it(mini_db: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("indicator,area_code,period,value\nATT1,N1,2019/20 AY,140\n")
    refused = run_cli("data", "import", str(odd), "--db", str(mini_db))
    assert refused.exit_code == 1
    assert "odd.csv" in refused.stderr and "[rule value-range]" in refused.stderr
    assert "--allow value-range" in refused.stderr
    fixed = run_cli("data", "import", str(odd), "--allow", "negative-count", "--db", str(mini_db))
    assert fixed.exit_code == 1 and "cannot be allowed" in fixed.stderr
    unknown = run_cli("data", "import", str(odd), "--allow", "anything-goes", "--db", str(mini_db))
    assert unknown.exit_code == 1 and "Unknown plausibility rule" in unknown.stderr
    waived = run_cli("data", "import", str(odd), "--allow", "value-range", "--db", str(mini_db))
    assert waived.exit_code == 0, waived.output
    assert "Rule value-range waived (--allow value-range): 1 row(s)" in " ".join(waived.stdout.split())
    engine = open_database(Settings(database_url=f"sqlite:///{mini_db}"))
    try:
        with Session(engine) as session:
            batch = session.scalars(select(ImportBatchRow)).one()
            entry = query_audit(session)[0]
    finally:
        engine.dispose()
    assert batch.options["allow"] == ["value-range"] and any("waived" in w for w in batch.warnings)
    assert entry.action == "data.import" and entry.after is not None and entry.after["allowed"] == ["value-range"]


def test_a_file_beyond_the_configured_limits_is_refused(
    mini_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.csv"
    big.write_text("indicator,area_code,period,value\n" + "".join(f"ATT1,N1,{1950 + i % 70},50\n" for i in range(500)))
    monkeypatch.setenv("GAPWATCH_IMPORT_MAX_ROWS", "100")
    result = run_cli("data", "import", str(big), "--db", str(mini_db))
    assert result.exit_code == 1
    assert "big.csv: the table has more than the limit of 100 data rows" in " ".join(result.stderr.split())
    assert "GAPWATCH_IMPORT_MAX_ROWS" in result.stderr
