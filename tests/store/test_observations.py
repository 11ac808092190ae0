"""The observation store on SQLite and PostgreSQL: series and periods, bulk writes, reads into Polars,
revisions kept in history, and rollbacks that remove exactly one batch and restore what it revised."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from gapwatch.errors import Conflict, NotFound
from gapwatch.services.frameworks import load_framework
from gapwatch.store.observations import (
    VALUE_COLUMNS,
    ObservationRevisionRow,
    ObservationRow,
    bulk_insert,
    create_batch,
    ensure_periods,
    ensure_series,
    existing_observations,
    get_batch,
    read_observations,
    revise_observations,
    rollback_batch,
)

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
KEY = {
    "indicator_id": "ATT1",
    "sex": "Persons",
    "age": "All ages",
    "category_type": "",
    "category": "",
    "value_type": "value",
}


@pytest.fixture
def framework_pk(engine: Engine) -> int:
    load_framework(engine, MINI)
    return 1


def write(engine: Engine, framework_pk: int, values: dict[tuple[str, str], float], *, batch_name: str) -> int:
    """Write values {(area, period): value} as a new batch through the store's bulk path."""
    with engine.begin() as conn:
        batch = create_batch(conn, framework_pk=framework_pk, name=batch_name)
        periods = pl.DataFrame({"label": sorted({p for _, p in values})}).with_columns(
            kind=pl.lit("calendar_year"),
            start=pl.col("label").map_elements(lambda y: date(int(y), 1, 1), return_dtype=pl.Date),
            end=pl.col("label").map_elements(lambda y: date(int(y), 12, 31), return_dtype=pl.Date),
        )
        pks = ensure_periods(conn, periods)
        keys = pl.DataFrame([{**KEY, "area_code": a} for a in sorted({a for a, _ in values})])
        series, _ = ensure_series(conn, framework_pk, keys)
        rows = pl.DataFrame([{"area_code": a, "label": p, "value": v} for (a, p), v in values.items()])
        rows = rows.join(series.select("area_code", "series_pk"), on="area_code").join(pks, on="label")
        old = existing_observations(conn, rows["series_pk"].to_list())
        rows = rows.join(old.select("pk", "series_pk", "period_pk"), on=["series_pk", "period_pk"], how="left")
        full = rows.with_columns(
            numerator=pl.col("value") * 2,
            denominator=pl.lit(200.0),
            lower_95=pl.lit(None, pl.Float64),
            upper_95=pl.lit(None, pl.Float64),
            lower_998=pl.lit(None, pl.Float64),
            upper_998=pl.lit(None, pl.Float64),
            provisional=pl.lit(False),
            estimated=pl.lit(False),
            suppressed=pl.lit(False),
            revised=pl.lit(False),
            illustrative=pl.lit(False),
            value_code=pl.lit(None, pl.String),
            note=pl.lit(None, pl.String),
            source_row=pl.lit(2),
        )
        new = full.filter(pl.col("pk").is_null())
        bulk_insert(
            conn,
            "observations",
            new.select("series_pk", "period_pk", *VALUE_COLUMNS, "source_row").with_columns(batch_pk=pl.lit(batch)),
        )
        changed = full.filter(pl.col("pk").is_not_null())
        if changed.height:
            before = old.filter(pl.col("pk").is_in(changed["pk"].implode()))
            revise_observations(conn, batch, old=before, new=changed)
    return batch


def values(engine: Engine, framework_pk: int) -> dict[tuple[str, str], tuple[float | None, int]]:
    with engine.connect() as conn:
        frame = read_observations(conn, framework_pk, indicator_ids=["ATT1"])
    return {(r["area_code"], r["period"]): (r["value"], r["batch_pk"]) for r in frame.iter_rows(named=True)}


def test_bulk_write_and_read_back(engine: Engine, framework_pk: int) -> None:
    batch = write(
        engine, framework_pk, {("N1", "2019"): 54.0, ("S1", "2019"): 61.5, ("N1", "2020"): 55.0}, batch_name="first"
    )
    with engine.connect() as conn:
        frame = read_observations(conn, framework_pk, indicator_ids=["ATT1"], area_codes=["N1"])
    assert frame.select("area_code", "period", "value", "numerator", "batch_pk").sort("period").rows() == [
        ("N1", "2019", 54.0, 108.0, batch),
        ("N1", "2020", 55.0, 110.0, batch),
    ]
    assert sorted(frame["period_end"].to_list()) == [date(2019, 12, 31), date(2020, 12, 31)]
    assert frame["illustrative"].dtype == pl.Boolean and not frame["illustrative"].any()
    with engine.connect() as conn:
        assert read_observations(conn, framework_pk, period_labels=["2021"]).is_empty()
        assert read_observations(conn, framework_pk, indicator_ids=[]).is_empty()


def test_revision_keeps_the_old_value_and_rollback_restores_it(engine: Engine, framework_pk: int) -> None:
    first = write(engine, framework_pk, {("N1", "2019"): 54.0, ("S1", "2019"): 61.5}, batch_name="first")
    second = write(engine, framework_pk, {("N1", "2019"): 56.0, ("N1", "2020"): 57.0}, batch_name="second")
    assert values(engine, framework_pk) == {
        ("N1", "2019"): (56.0, second),
        ("S1", "2019"): (61.5, first),
        ("N1", "2020"): (57.0, second),
    }
    with engine.connect() as conn:
        kept = conn.execute(select(ObservationRevisionRow.value, ObservationRevisionRow.old_batch_pk)).all()
        assert [tuple(r) for r in kept] == [(54.0, first)]
        assert read_observations(conn, framework_pk)["revised"].sum() == 1
    with engine.begin() as conn:
        assert rollback_batch(conn, second, by="tester") == {"removed": 1, "restored": 1}
    assert values(engine, framework_pk) == {("N1", "2019"): (54.0, first), ("S1", "2019"): (61.5, first)}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ObservationRevisionRow)) == 0
        batch = get_batch(conn, second)
        assert batch.status == "rolled_back" and batch.rolled_back_by == "tester"
        assert read_observations(conn, framework_pk)["revised"].sum() == 0


def test_rollback_refuses_when_a_later_batch_revised_its_values(engine: Engine, framework_pk: int) -> None:
    first = write(engine, framework_pk, {("N1", "2019"): 54.0}, batch_name="first")
    second = write(engine, framework_pk, {("N1", "2019"): 55.0}, batch_name="second")
    with engine.begin() as conn, pytest.raises(Conflict, match=f"batch {second}"):
        rollback_batch(conn, first)
    with engine.begin() as conn:
        rollback_batch(conn, second)
    with engine.begin() as conn:
        assert rollback_batch(conn, first) == {"removed": 1, "restored": 0}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ObservationRow)) == 0
    with engine.begin() as conn, pytest.raises(Conflict, match="already rolled back"):
        rollback_batch(conn, first)
    with engine.begin() as conn, pytest.raises(NotFound, match="no import batch 99"):
        rollback_batch(conn, 99)


def test_series_are_created_once(engine: Engine, framework_pk: int) -> None:
    keys = pl.DataFrame([{**KEY, "area_code": a} for a in ("N1", "S1")])
    with engine.begin() as conn:
        first, created = ensure_series(conn, framework_pk, keys)
        again, created_again = ensure_series(conn, framework_pk, pl.concat([keys, keys]))
    assert created == 2 and created_again == 0
    assert sorted(first["series_pk"]) == sorted(again["series_pk"]) and again["existed"].all()
