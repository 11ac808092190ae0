"""One answer for a local area (issue 12, item 5): a ward cluster loaded and its ward counts imported through the
command line, its rate from the summed counts is the same object in the CLI's JSON and the API's JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from tests.clirunner import run_cli

LOCAL = "example-margate-wards"
COUNTS = {"E05005093": (14, 310), "E05005088": (19, 402), "E05005087": (6, 355), "E05005102": (3, 288)}


def _ok(*args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_local_area_rate_is_one_answer(
    web_db: Path, shared_data: Path, tmp_path: Path, client_as: Callable[[str], TestClient]
) -> None:
    db = ["--db", str(web_db)]
    lookup = pl.read_csv(shared_data / "lookups" / "lookup_lsoa21_ward24_ltla24.csv", infer_schema_length=0)
    wards = tmp_path / "lookup_lsoa21_ward24_ltla24.csv"
    lookup.filter(pl.col("ltla24_code") == "E07000114").write_csv(wards)
    _ok("data", "areas", "load", str(wards), *db)
    local = tmp_path / "local.csv"
    local.write_text(
        "area_code,area_name,parent_code,member_code,member_level\n"
        + "".join(f"{LOCAL},Example: Margate wards,E07000114,{c},ward24\n" for c in COUNTS)
    )
    _ok("area", "load", str(local), *db)
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "indicator,area_code,period,numerator,denominator\n"
        + "".join(f"NI112,{c},2019,{x},{n}\n" for c, (x, n) in COUNTS.items())
    )
    _ok("data", "import", str(counts), *db)
    cli = json.loads(_ok("indicator", "show", "NI112", "--area", LOCAL, "--format", "json", *db))
    api = client_as("board_member").get(f"/api/v1/indicators/NI112?area={LOCAL}")
    assert api.status_code == 200, api.text
    assert cli == api.json()["data"]
    point = next(p for p in cli["series"] if p["period"] == "2019")
    assert (point["count"], point["denominator"]) == (42, 1355)
    assert point["value"] == pytest.approx(42 / 1355 * 1000)
    assert point["lower"] == pytest.approx(22.337061, abs=1e-5) and point["upper"] == pytest.approx(41.899069, abs=1e-5)
