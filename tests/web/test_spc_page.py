"""An operational (monthly or quarterly) indicator gets an SPC chart on its page and in its JSON: the same
XmR centre, limits and special-cause signals in both."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.clirunner import run_cli

QUARTERS = [f"{y} Q{q}" for y in range(2008, 2012) for q in (1, 2, 3, 4)]


def test_a_quarterly_indicator_shows_its_xmr_chart(
    web_db: Path, tmp_path: Path, client_as: Callable[[str], TestClient]
) -> None:
    values = [10, 11, 10, 10, 11, 10, 10, 11, 10, 10, 11, 10, 16, 10, 11, 10]  # one special cause: 16 (of 4-16)
    csv = tmp_path / "ni51.csv"
    csv.write_text(
        "indicator,area_code,period,value\n"
        + "".join(f"NI51,E10000016,{p},{v}\n" for p, v in zip(QUARTERS, values, strict=True))
    )
    imported = run_cli("data", "import", str(csv), "--db", str(web_db))
    assert imported.exit_code == 0, imported.output
    shown = run_cli("indicator", "show", "NI51", "--format", "json", "--db", str(web_db))
    assert shown.exit_code == 0, shown.output
    spc = json.loads(shown.stdout)["spc"]
    assert spc["reason"] is None and spc["centre"] == pytest.approx(sum(values) / len(values))
    flagged = [p["period"] for p in spc["points"] if p["signals"]]
    assert "2011 Q1" in flagged
    page = client_as("board_member").get("/indicators/NI51")
    assert page.status_code == 200
    assert "Statistical process control (XmR chart)" in page.text and "beyond" in page.text.lower()
