"""Closing a cycle reads every observation once (``keep_whole_frame``) and answers the papers' own reads from it:
the rows must be exactly those a read of the store gives, and a new batch must make the next read fresh."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from gapwatch.services import cache
from gapwatch.services._obsframe import _read_frame, keep_whole_frame, observation_frame
from gapwatch.services.imports import import_file
from gapwatch.services.plans import current_plan
from gapwatch.store.engine import session_scope
from tests.conftest import copy_database, sqlite_engine_on

KEYS = ["indicator", "area", "category_type", "category", "period"]


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort(KEYS, nulls_last=True)


def test_the_kept_frame_gives_what_a_read_gives_until_the_data_change(kent_demo_file: Path, tmp_path: Path) -> None:
    engine: Engine = sqlite_engine_on(copy_database(kent_demo_file, tmp_path / "demo.db"))
    cache.clear()
    with session_scope(engine) as session:
        plan = current_plan(session)
        wanted = sorted(plan.indicators)[:7] + ["IoD2019-IDACI"]
        read = _read_frame(session, plan, wanted)
        whole = keep_whole_frame(session, plan)
        assert whole.height > read.height > 0
        assert keep_whole_frame(session, plan) is whole  # kept, not read again
        served = observation_frame(session, plan, wanted)
        assert _sorted(served).equals(_sorted(read))
        assert _sorted(observation_frame(session, plan)).equals(_sorted(_read_frame(session, plan, None)))
    csv = tmp_path / "new.csv"
    csv.write_text(f"indicator,area_code,period,value\n{wanted[0]},E10000016,2031,50\n")
    import_file(engine, csv, actor="test", allow=("period-window",))
    with session_scope(engine) as session:
        plan = current_plan(session)
        fresh = observation_frame(session, plan, [wanted[0]])
        assert "2031" in fresh.get_column("period").to_list()  # the new batch is seen: the kept frame is stale
    engine.dispose()
