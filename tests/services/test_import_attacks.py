"""Attack testing, repeated on every run: real public files damaged the ways attackers damaged them (see
tests/corruptions.py), each imported through the service as a user would. For every variant: no exception
but a GapwatchError (a traceback is a bug), a refusal names the file, a refusal leaves the database exactly as
it was, and what must be refused is refused. Also the five inputs that used to crash, and a re-import of
files whose indicators were added from the file's own metadata."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from gapwatch.errors import GapwatchError
from gapwatch.services.database import open_database
from gapwatch.services.frameworks import load_framework
from gapwatch.services.imports import ImportReport, import_file
from gapwatch.settings import Settings
from gapwatch.store.areas import AreaRow
from gapwatch.store.observations import ImportBatchRow, ObservationRevisionRow, ObservationRow, SeriesRow
from gapwatch.store.tables import FrameworkRevisionRow
from tests import corruptions
from tests.corruptions import ACCEPTED, CASES, REFUSED

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
TODAY = date(2025, 6, 30)
_ENGINES: dict[str, Engine] = {}


def snapshot(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(
            int(conn.scalar(select(func.count()).select_from(t)) or 0)
            for t in (ObservationRow, ImportBatchRow, SeriesRow, ObservationRevisionRow, AreaRow, FrameworkRevisionRow)
        )


def run_import(engine: Engine, path: Path, **options: Any) -> ImportReport:
    return import_file(
        engine,
        path,
        actor="attacker-test",
        add_unknown_indicators=True,
        add_unknown_areas=True,
        today=TODAY,
        **options,
    )


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[dict[str, Engine]]:
    """One database per source, with the mini framework and the clean source already imported."""
    folder = tmp_path_factory.mktemp("attacks")
    for source in corruptions.SOURCES:
        engine = open_database(Settings(database_url=f"sqlite:///{folder / source}.db", _env_file=None))  # type: ignore[call-arg]
        load_framework(engine, MINI)
        path = folder / f"{source}-baseline{corruptions.SOURCES[source].suffix}"
        path.write_bytes(corruptions.clean(shared_data, source))
        mapping = corruptions.SOURCES[source].mapping
        report = run_import(engine, path, **({"mapping": mapping} if mapping else {}))
        assert report.inserted > 0
        _ENGINES[source] = engine
    yield _ENGINES
    for engine in _ENGINES.values():
        engine.dispose()


def test_there_are_enough_variants() -> None:
    assert len(CASES) >= 100
    assert sum(1 for c in CASES if corruptions.KINDS[c.split("/")[1]] == REFUSED) >= 70


@pytest.mark.parametrize("case", CASES)
def test_a_damaged_file_is_refused_cleanly_or_imported(
    case: str, databases: dict[str, Engine], shared_data: Path, tmp_path: Path
) -> None:
    variant = corruptions.make_variant(shared_data, case)
    engine = databases[case.split("/")[0]]
    path = tmp_path / variant.filename
    path.write_bytes(variant.data)
    before = snapshot(engine)
    started = time.monotonic()
    try:
        report = run_import(engine, path, **variant.options)
    except GapwatchError as exc:
        shown = " ".join([exc.message, *(str(p) for p in getattr(exc, "problems", []))])
        assert variant.filename in shown, f"the refusal does not name the file: {shown[:500]}"
        assert snapshot(engine) == before, "a refused import changed the database"
        assert variant.expect != ACCEPTED, f"refused a file that must be accepted: {shown[:500]}"
        refused = True
    except BaseException as exc:  # pragma: no cover - the failure this test exists to catch
        pytest.fail(f"{case}: uncaught {type(exc).__module__}.{type(exc).__name__}: {exc!s:.300}")
    else:
        refused = False
        assert variant.expect != REFUSED, f"accepted a file that must be refused: {report.summary()}"
    assert time.monotonic() - started < 30, "an import of a small damaged file took too long"
    if refused and variant.expect == REFUSED:
        return


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Engine]:
    engine = open_database(Settings(database_url=f"sqlite:///{tmp_path / 'fresh.db'}", _env_file=None))  # type: ignore[call-arg]
    load_framework(engine, MINI)
    yield engine
    engine.dispose()


def _refused(engine: Engine, path: Path, **options: Any) -> GapwatchError:
    before = snapshot(engine)
    with pytest.raises(GapwatchError) as err:
        run_import(engine, path, **options)
    assert snapshot(engine) == before
    assert path.name in err.value.message
    return err.value


def test_the_five_inputs_that_crashed(fresh: Engine, shared_data: Path, tmp_path: Path) -> None:
    """Each used to escape as a traceback; each is now one InvalidInput naming the file, row and field."""
    rows = corruptions.source_rows(shared_data, "fingertips")
    # 1. A row with an extra, huge field: the error reporter itself raised _csv.Error.
    ragged = [list(r) for r in rows]
    ragged[5].append("y" * 300_000)
    path = tmp_path / "ragged.csv"
    path.write_bytes(corruptions.to_csv(ragged))
    err = _refused(fresh, path)
    assert [(p.row, p.field) for p in getattr(err, "problems", [])] == [(6, "field 27 (no header)")]
    # 2. No value column in a file read with a mapping whose measure names it (a polars SchemaError once).
    path = tmp_path / "no-value.csv"
    path.write_bytes(
        corruptions.to_csv(corruptions._drop(corruptions.source_rows(shared_data, "dfe"), "gld_children_percent"))
    )
    err = _refused(fresh, path, mapping=corruptions.DFE_MAPPING)
    assert "gld_children_percent" in err.message
    # 3. An indicator id of non-ASCII digits (a pydantic ValidationError when the indicator was added).
    odd = [list(r) for r in rows]
    odd[3][0] = "\u0669\u0663\u0663\u0665\u0666"
    path = tmp_path / "arabic-digits.csv"
    path.write_bytes(corruptions.to_csv(odd))
    err = _refused(fresh, path)
    assert [(p.row, p.field) for p in getattr(err, "problems", [])] == [(4, "Indicator ID")]
    # 4. An empty indicator name (a pydantic ValidationError too): the indicator is added under its id.
    blank = [r if i == 0 else [r[0], "   ", *r[2:]] for i, r in enumerate(rows)]
    path = tmp_path / "blank-name.csv"
    path.write_bytes(corruptions.to_csv(blank))
    report = run_import(fresh, path)
    assert report.added_indicators == ["fingertips-93356"]
    # 5. The workbook declaring A1:XFD1048576 (13 GB and 47 s): see test_an_xlsx_bomb_is_read_in_bounded_memory.


def test_files_import_again_unchanged_after_adding_their_indicators(
    fresh: Engine, shared_data: Path, tmp_path: Path
) -> None:
    """--add-unknown-indicators defines each indicator from the file itself, so the same file imports again."""
    from gapwatch.services.frameworks import stored_framework

    tidy = tmp_path / "tidy.csv"
    tidy.write_bytes(corruptions.clean(shared_data, "tidy"))
    dfe = tmp_path / "dfe.csv"
    dfe.write_bytes(corruptions.clean(shared_data, "dfe"))
    cypmh = shared_data / "fingertips" / "cypmh_southeast_CountyUA_renamed_headers.csv"
    renamed = {
        "IndicatorID": "Indicator ID",
        "IndicatorName": "Indicator Name",
        "AreaCode": "Area Code",
        "Timeperiod": "Time period",
        "Value_note": "Value note",
        "Lower_CI_95.0_limit": "Lower CI 95.0 limit",
        "Upper_CI_95.0_limit": "Upper CI 95.0 limit",
        "AreaName": "Area Name",
        "AreaType": "Area Type",
    }
    from gapwatch.ingest.tidy import TableMapping

    files: list[tuple[Path, dict[str, Any]]] = [
        (tidy, {}),
        (dfe, {"mapping": corruptions.DFE_MAPPING}),
        (shared_data / corruptions.FINGERTIPS, {}),
        (cypmh, {"mapping": TableMapping(format="fingertips", columns=renamed)}),
    ]
    for path, options in files:
        first = run_import(fresh, path, **options)
        assert first.inserted > 0 and first.added_indicators, path.name
        again = run_import(fresh, path, **options)
        assert (again.inserted, again.revised, again.added_indicators) == (0, 0, []), path.name
        assert again.unchanged == first.inserted, path.name
    added = stored_framework(fresh).index("indicators")
    # The tidy file says "rate" and "per 100,000": the new indicator says so too (not "score" and "").
    campy = added["CAMPY"]
    assert (campy.measure.value, campy.unit, campy.multiplier) == ("rate", "per 100,000", 100_000)
    gld = added["DfE-EYFSP-GLD"]
    assert (gld.measure.value, gld.unit, gld.multiplier, gld.polarity.value) == (
        "proportion",
        "%",
        100,
        "higher_is_better",
    )
    # Fingertips names the value type in the title: "rate/100,000", "% population aged 5-16", "estimated number".
    assert (added["fingertips-93356"].measure.value, added["fingertips-93356"].multiplier) == ("rate", 100_000)
    assert added["fingertips-91141"].measure.value == "proportion"
    assert added["fingertips-91145"].measure.value == "count"


def test_a_fingertips_export_with_value_type_and_unit_columns(fresh: Engine, shared_data: Path, tmp_path: Path) -> None:
    rows = corruptions.source_rows(shared_data, "fingertips")
    rows = [
        r + (["Value type", "Unit", "Polarity"] if i == 0 else ["Crude rate", "per 100,000", "RAG - Low is good"])
        for i, r in enumerate(rows)
    ]
    path = tmp_path / "with-metadata.csv"
    path.write_bytes(corruptions.to_csv(rows))
    run_import(fresh, path)
    from gapwatch.services.frameworks import stored_framework

    ind = stored_framework(fresh).index("indicators")["fingertips-93356"]
    assert (ind.measure.value, ind.unit, ind.multiplier, ind.polarity.value) == (
        "rate",
        "per 100,000",
        100_000,
        "lower_is_better",
    )
    assert run_import(fresh, path).unchanged > 0
