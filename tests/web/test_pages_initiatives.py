"""Initiative pages: the list and one initiative on the Kent demo (dates said plainly when the seeds give none,
scenarios with sources, the reason impact cannot be computed), and on a constructed partnership with a known
effect the page shows the API's impact figures (one answer)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from gapwatch.services.accounts import create_user
from gapwatch.services.database import open_database
from gapwatch.settings import Settings
from gapwatch.store.engine import session_scope
from gapwatch.web import create_app
from tests.cli.test_initiative_cli import _framework
from tests.clirunner import run_cli
from tests.web.conftest import USERS, make_client, page_text, sign_in


def test_list_links_every_initiative_and_the_nav_has_it(client_as: Callable[[str], TestClient]) -> None:
    client = client_as("board_member")
    page = client.get("/initiatives")
    assert page.status_code == 200
    api = client.get("/api/v1/initiatives").json()["data"]
    assert {i["id"] for i in api} >= {"sip", "community-budgets-pilot", "families-multiple-problems"}
    for item in api:
        assert f'href="/initiatives/{item["id"]}"' in page.text
    assert 'href="/initiatives"' in client.get("/plan").text  # in the main navigation


def test_sip_says_what_the_seeds_do_not_give(client_as: Callable[[str], TestClient]) -> None:
    client = client_as("board_member")
    text = page_text(client.get("/initiatives/sip").text)
    assert "Start: 2002 (as the source words it; no exact date). End: not given in the sources." in text
    assert "The sources give no phases" in text
    assert "Impact cannot be computed: initiative 'sip' names no indicator to judge its impact on" in text
    assert "Oxford University research on the Supporting Independence Programme" in text
    assert "A2-KPQ1" in text


def test_families_scenarios_equal_the_api(client_as: Callable[[str], TestClient]) -> None:
    client = client_as("board_member")
    page = client.get("/initiatives/families-multiple-problems").text
    doc = client.get("/api/v1/initiatives/families-multiple-problems/scenarios").json()["data"]
    text = page_text(page)
    for row in doc["caseload"]["sensitivity"]:
        assert f"£{row['total_cost']:,.0f}" in text
        if row["workers"] is not None:
            assert f" {row['workers']:,} " in text
    assert "2,700" in text and "5,500" in text and "£891,000,000" in text  # 2,700 x £330k
    assert "Families with Multiple Problems in Kent" in text  # the source is named
    assert 'id="chart-caseload-spec"' in page
    health = page_text(client.get("/initiatives/kent-health-commission").text)
    assert "£72,000,000" in health and "it agrees with" in health


def test_unknown_initiative_is_a_not_found_page(client_as: Callable[[str], TestClient]) -> None:
    response = client_as("board_member").get("/initiatives/nope")
    assert response.status_code == 404
    assert "There is no initiative" in response.text


@pytest.fixture
def testshire(tmp_path: Path) -> Iterator[TestClient]:
    """An app on a constructed partnership whose initiative raised its areas' rate by 5 points."""
    fw = tmp_path / "fw.yaml"
    fw.write_text(yaml.safe_dump(_framework(effect=0.05), sort_keys=False))
    db = tmp_path / "t.db"
    assert run_cli("framework", "load", str(fw), "--db", str(db)).exit_code == 0
    settings = Settings(database_url=f"sqlite:///{db}", secret_key="k" * 32, _env_file=None)  # type: ignore[call-arg]
    engine = open_database(settings, migrate=False)
    with session_scope(engine) as session:
        username, password = USERS["board_member"]
        create_user(session, username=username, display_name="Bea", role="board_member", password=password)
    engine.dispose()
    app = create_app(settings)
    with make_client(app) as client:
        yield sign_in(client, "board_member")
    app.state.engine.dispose()


def test_impact_on_the_page_is_the_api_impact(testshire: TestClient) -> None:
    page = testshire.get("/initiatives/tip")
    assert page.status_code == 200, page.text
    api = testshire.get("/api/v1/initiatives/tip/impact").json()["data"]
    assert api["verdict"] == "improved"
    text = page_text(page.text)
    assert api["verdict_text"] in text
    did = api["did"]
    assert f"{did['value']:,.2f}" in text and f"{did['lower']:,.2f} to {did['upper']:,.2f}" in text
    rr = api["relative_chance"]
    assert f"{rr['ratio']:,.2f}" in text and f"{rr['lower']:,.2f} to {rr['upper']:,.2f}" in text
    assert "Parallel trends before the start: parallel" in text
    assert "Testshire County Council" in text  # the lead by name
