"""Consultations end to end on the Kent demo: the CLI's JSON equals the API's, the page shows the published
figures with intervals, and an illustrative generated response file is imported, coded, reviewed (audited) —
while a bad file writes nothing."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.clirunner import run_cli


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _rows(n: int) -> list[dict[str, str]]:
    texts = ["More apprenticeships", "Cheaper buses", "", "Affordable housing please"]
    return [
        {
            "response_id": f"G{i}",
            "respondent_type": "public" if i % 4 else "Parish Councils",
            "right-balance": "yes" if i % 5 else "no",
            "a2-actions": "mental-health;homes-communities" if i % 2 else "young-people-ete",
            "other-actions": texts[i % 4],
        }
        for i in range(n)
    ]


def test_cli_json_is_the_api_json_and_the_page_shows_it(
    web_db: Path, client_as: Callable[[str], TestClient], tmp_path: Path
) -> None:
    good = _write(tmp_path / "generated.csv", _rows(40))
    imported = run_cli(
        "consultation", "import", "vision-for-kent-2011", str(good), "--illustrative", "--db", str(web_db)
    )
    assert imported.exit_code == 0, imported.output
    assert "40 responses (illustrative)" in imported.stdout
    cli = json.loads(
        run_cli("consultation", "show", "vision-for-kent-2011", "--format", "json", "--db", str(web_db)).stdout
    )
    client = client_as("performance_officer")
    api = client.get("/api/v1/consultations/vision-for-kent-2011").json()["data"]
    assert cli == api
    assert api["imported_responses"] == 40 and api["illustrative_responses"]
    page = client.get("/consultations/vision-for-kent-2011").text
    balance = next(r for r in api["published"] if r["question"] == "right-balance")
    assert f"{balance['lower']:,.1f} to {balance['upper']:,.1f}" in page and "Illustrative" in page
    # the review screen: change G0's coding; the audit log has it
    review = client.get("/consultations/vision-for-kent-2011/review")
    assert review.status_code == 200 and 'id="r-G0"' in review.text
    token = review.text.split('name="csrf_token" value="')[1].split('"')[0]
    saved = client.post(
        "/consultations/vision-for-kent-2011/review",
        data={"csrf_token": token, "response_id": "G0", "themes": ["jobs-economy"]},
    )
    assert saved.status_code == 303, saved.text
    coding = json.loads(
        run_cli("consultation", "coding", "vision-for-kent-2011", "--format", "json", "--db", str(web_db)).stdout
    )
    g0 = next(r for r in coding if r["response_id"] == "G0")
    assert g0["themes"] == ["jobs-economy"] and g0["auto_themes"] == ["education-skills"] and g0["reviewed_by"]
    audit = client_as("admin").get("/admin/audit").text
    assert "consultation.review" in audit and "consultation.import" in audit
    assert client_as("board_member").get("/consultations/vision-for-kent-2011/review").status_code in (302, 303, 403)


def test_a_bad_file_writes_nothing(web_db: Path, tmp_path: Path) -> None:
    rows = _rows(3)
    rows[1]["a2-actions"] = "mental-health;homes-communities;young-people-ete"
    bad = _write(tmp_path / "bad.csv", rows)
    result = run_cli("consultation", "import", "vision-for-kent-2011", str(bad), "--db", str(web_db))
    assert result.exit_code == 1
    assert (
        "bad.csv, row 3, field 'a2-actions': 3 choices"
    )  # spreadsheet row: the header is row 1 in result.stderr and "nothing was written" in result.stderr
    doc = json.loads(
        run_cli("consultation", "show", "vision-for-kent-2011", "--format", "json", "--db", str(web_db)).stdout
    )
    assert doc["imported_responses"] == 0
