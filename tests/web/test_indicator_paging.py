"""Large indicators stay light: the data table is paged and the area chooser offers only the plan's own areas
(an LSOA-level indicator has tens of thousands of values; its page was 2.3 MB of HTML)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.clirunner import run_cli


def test_the_data_table_is_paged_and_small_areas_stay_out_of_the_chooser(
    web_db: Path, tmp_path: Path, client_as: Callable[[str], TestClient]
) -> None:
    lsoas = [f"E0100{i:04d}" for i in range(250)]
    csv = tmp_path / "lsoa.csv"
    csv.write_text(
        "indicator,area_code,area_name,period,value,numerator,denominator\n"
        + "".join(f"PSA1-gcse-5ac,{code},Small area {code},2012,50,50,100\n" for code in lsoas)
    )
    imported = run_cli("data", "import", str(csv), "--add-unknown-areas", "--db", str(web_db))
    assert imported.exit_code == 0, imported.output
    client = client_as("board_member")
    first = client.get("/indicators/PSA1-gcse-5ac")
    assert first.status_code == 200
    total = int(re.search(r"Show the (\d+) values", first.text).group(1))  # type: ignore[union-attr]
    assert total > 250
    assert f"Values 1 to 100 of {total}" in first.text and 'rel="next"' in first.text
    assert first.text.count('<tr class="govuk-table__row"><td class="govuk-table__cell">2012') <= 100
    chooser = re.search(r'<select class="govuk-select" id="area".*?</select>', first.text, re.S)
    assert chooser is not None and "E0100" not in chooser.group(0)
    last_page = -(-total // 100)
    last = client.get(f"/indicators/PSA1-gcse-5ac?rows={last_page}")
    assert f"to {total} of {total}" in last.text and 'rel="prev"' in last.text and 'rel="next"' not in last.text
    assert len(first.content) < 400_000
