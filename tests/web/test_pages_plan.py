"""Dashboard, plan, indicator and gaps pages through HTTP, on the Kent demo and on constructed data."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gapwatch.services.accounts import create_user
from gapwatch.services.database import open_database
from gapwatch.services.frameworks import load_framework
from gapwatch.settings import Settings
from gapwatch.store.engine import session_scope
from gapwatch.web import create_app
from tests.services.test_indicator_view import YEARS, _framework
from tests.web.conftest import make_client, sign_in

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2", category=UserWarning)
    from starlette.testclient import TestClient


@pytest.fixture
def riverton_client(tmp_path: Path) -> Iterator[TestClient]:
    """A board member signed in to an app on the constructed Riverton data (gaps that narrow, SII …)."""
    db = tmp_path / "riverton.db"
    settings = Settings(database_url=f"sqlite:///{db}", secret_key="k", _env_file=None)  # type: ignore[call-arg]
    engine = open_database(settings)
    load_framework(engine, _framework(tmp_path))
    with session_scope(engine) as s:
        create_user(s, username="bea", display_name="Bea", role="board_member", password="board-member-password-1")
    engine.dispose()
    app = create_app(settings)
    with make_client(app) as client:
        yield sign_in(client, "board_member")
    app.state.engine.dispose()


def test_dashboard_for_a_board_member(client_as: Callable[[str], Any]) -> None:
    bea = client_as("board_member")
    page = bea.get("/dashboard")
    assert page.status_code == 200
    assert "By ambition" in page.text and "By board" in page.text
    for heading in ("Indicators by target status", "Gaps over time", "Actions by RAG"):
        assert heading in page.text
    board = bea.get("/dashboard?board=ambition-board-2")
    assert board.status_code == 200 and "Ambition Board 2" in board.text
    assert bea.get("/dashboard?board=no-such-board").status_code == 404
    thanet = bea.get("/dashboard?locality=E07000114")
    assert "Actions are not held by area" in thanet.text


def test_dashboard_shows_kpq_answers_with_their_evidence(client_as: Callable[[str], Any]) -> None:
    from gapwatch.domain.kpq import Answer

    page = client_as("board_member").get("/dashboard")
    assert page.status_code == 200
    assert "Key Performance Questions, answered from the evidence" in page.text
    assert "A2-KPQ4: Is the gap between deprived and non-deprived areas reducing?" in page.text
    assert any(f">{answer.value}</strong>" in page.text for answer in Answer)
    assert "pieces of evidence" in page.text and "rule " in page.text


def test_plan_tree_and_search(client_as: Callable[[str], Any]) -> None:
    bea = client_as("board_member")
    tree = bea.get("/plan")
    assert tree.status_code == 200 and "Ambition 2" in tree.text and 'href="/actions/CYPP-1"' in tree.text
    found = bea.get("/plan?q=credit+unions")
    assert "1 match" in found.text and 'href="/actions/CYPP-7"' in found.text
    assert 'href="/actions/CYPP-1"' not in found.text
    nothing = bea.get("/plan?q=%3Cscript%3E")
    assert "Nothing in the plan matches" in nothing.text and "&lt;script&gt;" in nothing.text


def test_indicator_page_on_kent_targets_and_outturns(client_as: Callable[[str], Any]) -> None:
    bea = client_as("board_member")
    page = bea.get("/indicators/PSA1-children-in-care")
    assert page.status_code == 200
    assert "To reduce the number of children in the care of KCC" in page.text
    assert "1,163" in page.text and "March 2004" in page.text  # the outturn the plan reports
    assert "Achieved" in page.text
    assert bea.get("/indicators/NOPE").status_code == 404


def test_indicator_list_and_gaps_targets_on_kent(client_as: Callable[[str], Any]) -> None:
    bea = client_as("board_member")
    listing = bea.get("/indicators")
    assert listing.status_code == 200 and "/indicators/PSA1-children-in-care" in listing.text
    gaps = bea.get("/gaps")
    assert gaps.status_code == 200
    thanet = re.findall(r"Closing the gap between Thanet and the rest of Kent", gaps.text)
    assert len(thanet) == 9  # the nine PSA 1 Target 12 gaps
    assert bea.get("/gaps?comparison=bogus").status_code == 400


def test_indicator_page_with_statistics(riverton_client: TestClient) -> None:
    page = riverton_client.get("/indicators/ATT1")
    assert page.status_code == 200
    text = page.text
    assert "Getting better" in text  # recent trend, polarity applied
    assert "FSM compared with Not FSM" in text and "Closed" in text and "at the 95% level" in text
    assert "Slope index of inequality" in text
    assert "South Riverton" in text and "Better" in text and "Worse" in text
    specs = re.findall(r'<script type="application/json" id="([^"]+)-spec">(.*?)</script>', text, re.S)
    names = {name for name, _ in specs}
    assert {"chart-trend", "chart-districts", "chart-groups"} <= names
    trend = json.loads(dict(specs)["chart-trend"])
    values = [v for layer in trend["layer"] for v in layer.get("data", {}).get("values", [])]
    assert {v["period"] for v in values if "value" in v and "target" not in v} >= set(YEARS)
    assert '<script src="/vendor/vega-embed/vega-embed.min.js">' in text


def test_indicator_csv_download(riverton_client: TestClient) -> None:
    response = riverton_client.get("/indicators/ATT1/data.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="ATT1.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 10 * len(YEARS)
    county = [r for r in rows if r["area"] == "X0" and not r["breakdown"] and r["period"] == YEARS[-1]]
    assert float(county[0]["value"]) == pytest.approx(72.5) and county[0]["illustrative"] == "no"
    assert float(county[0]["lower_95"]) < 72.5 < float(county[0]["upper_95"])


def test_gaps_explorer_comparisons(riverton_client: TestClient) -> None:
    group = riverton_client.get("/gaps?indicator=ATT1&comparison=group")
    assert "FSM compared with Not FSM" in group.text and "Closed" in group.text
    area = riverton_client.get("/gaps?indicator=ATT1&comparison=area&subject=N1&comparator=rest-of-riverton")
    assert "North Riverton compared with Rest of Riverton" in area.text and "Widening" in area.text
    deprived = riverton_client.get("/gaps?indicator=ATT1&comparison=deprivation")
    assert "most deprived fifth" in deprived.text
    sii = riverton_client.get("/gaps?indicator=ATT1&comparison=sii")
    assert "Slope index of inequality" in sii.text and "chart-gap-sii" in sii.text
    assert "Close the North gap by 30% by 2021/22" in area.text and "Off track" in area.text
