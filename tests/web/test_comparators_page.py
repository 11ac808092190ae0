"""The indicator page's comparator section: a select that works without JavaScript (GET), England and the
South East as benchmark rows, the same numbers as the API, and plain words when neighbours have no data."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

URL = "/indicators/PSA1-gcse-5ac"
SN = "kent-statistical-neighbours"


def test_the_page_offers_kents_neighbours_and_shows_benchmarks(client_as: Callable[[str], TestClient]) -> None:
    client = client_as("board_member")
    html = client.get(URL).text
    assert 'id="comparators"' in html and '<select class="govuk-select" id="comparator" name="comparator">' in html
    assert f'<option value="{SN}">' in html  # offered for Kent, not yet chosen
    chosen = client.get(f"{URL}?comparator={SN}&colour=england")
    assert chosen.status_code == 200
    page = chosen.text
    assert f'<option value="{SN}" selected>' in page and '<option value="england" selected>' in page
    table = page[page.index('id="benchmarks"') : page.index("</table>", page.index('id="benchmarks"'))]
    for name in ("Kent&#39;s statistical neighbours", "England", "South East"):
        assert name in table or name.replace("&#39;", "'") in table
    # the demo store holds no values for Kent's neighbours: the page says so plainly
    assert "holds no" in page and "for any of Kent" in page
    api = client.get(f"/api/v1/indicators/PSA1-gcse-5ac?comparator={SN}&colour=england").json()["data"]["comparators"]
    assert api["group"] == SN and api["colour_against"] == "england"
    assert f"{api['area_name']} in {api['period']}" in page
    assert [b["kind"] for b in api["benchmarks"]] == ["group", "england", "region"]


def test_an_unknown_group_is_refused_plainly(client_as: Callable[[str], TestClient]) -> None:
    client = client_as("board_member")
    page = client.get(f"{URL}?comparator=nonesuch")
    assert page.status_code in (400, 422) and "There is no comparator group" in page.text
    assert not re.search(r"Traceback", page.text)
    api = client.get("/api/v1/indicators/PSA1-gcse-5ac?comparator=nonesuch")
    assert api.status_code in (400, 422) and "nonesuch" in api.text
