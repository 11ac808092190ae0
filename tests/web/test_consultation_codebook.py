"""The published summary uploaded on the consultation page (refused with row and field, nothing written; or
imported, audited), and the codebook edited on a web form (rename, add and remove a theme, its keywords and
phrases): a framework revision, audited, recoding only the responses no officer has reviewed; a bad theme refused
on its field with nothing written; only those who manage data may edit it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.clirunner import run_cli
from tests.web.test_consultations import _rows, _write

CID = "vision-for-kent-2011"


def _doc(db: Path, *what: str) -> Any:
    result = run_cli("consultation", *what, CID, "--format", "json", "--db", str(db))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _token(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _form(codebook: list[dict[str, Any]], **changes: str) -> dict[str, str]:
    form: dict[str, str] = {}
    for i, t in enumerate(codebook):
        form |= {
            f"id-{i}": t["id"],
            f"label-{i}": t["label"],
            f"keywords-{i}": ", ".join(t["keywords"]),
            f"phrases-{i}": "\n".join(t["phrases"]),
        }
    return form | changes


def test_edit_the_codebook_on_the_form(web_db: Path, client_as: Callable[[str], TestClient], tmp_path: Path) -> None:
    assert (
        run_cli(
            "consultation",
            "import",
            CID,
            str(_write(tmp_path / "g.csv", _rows(40))),
            "--illustrative",
            "--db",
            str(web_db),
        ).exit_code
        == 0
    )
    # An officer reviews G5 ("Cheaper buses") as transport: that coding must survive the edit.
    assert run_cli("consultation", "review", CID, "G5", "--theme", "transport", "--db", str(web_db)).exit_code == 0
    before = _doc(web_db, "codebook")
    client = client_as("performance_officer")
    page = client.get(f"/consultations/{CID}/codebook")
    assert page.status_code == 200 and 'name="label-0"' in page.text and 'name="id-new"' in page.text
    i_transport = next(i for i, t in enumerate(before) if t["id"] == "transport")
    form = _form(
        before,
        **{
            "label-0": "Learning and skills",  # rename
            "keywords-3": "housing, homes, rent, affordable, landlords",  # housing gains a keyword
            f"remove-{i_transport}": "1",  # remove transport
            "id-new": "public-transport",  # add a theme
            "label-new": "Buses and trains",
            "keywords-new": "buses\ntrains",
            "phrases-new": "",
            "csrf_token": _token(page.text),
        },
    )
    saved = client.post(f"/consultations/{CID}/codebook", data=form)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/consultations/{CID}/codebook?recoded=39"
    shown = client.get(saved.headers["location"]).text
    assert "39 responses not yet reviewed recoded" in shown

    after = {t["id"]: t for t in _doc(web_db, "codebook")}
    assert after["education-skills"]["label"] == "Learning and skills"
    assert "transport" not in after and after["public-transport"]["keywords"] == ["buses", "trains"]
    assert "landlords" in after["housing"]["keywords"]
    api = client.get(f"/api/v1/consultations/{CID}").json()["data"]["codebook"]
    assert {t["id"]: t for t in api} == after  # the form, the CLI and the API: one codebook

    coding = {r["response_id"]: r for r in _doc(web_db, "coding")}
    assert coding["G1"]["themes"] == ["public-transport"] and coding["G1"]["reviewed_by"] is None
    assert coding["G5"]["themes"] == ["transport"] and coding["G5"]["reviewed_by"]  # reviewed: kept
    audit = client_as("admin").get("/admin/audit").text
    assert "consultation.codebook" in audit


def test_a_bad_theme_is_refused_on_its_field_and_nothing_is_written(
    web_db: Path, client_as: Callable[[str], TestClient]
) -> None:
    before = _doc(web_db, "codebook")
    client = client_as("performance_officer")
    page = client.get(f"/consultations/{CID}/codebook")
    form = _form(before, **{"id-new": "empty", "label-new": "No words", "csrf_token": _token(page.text)})
    refused = client.post(f"/consultations/{CID}/codebook", data=form)
    assert refused.status_code == 400
    assert "There is a problem" in refused.text and 'href="#id-new"' in refused.text
    assert "needs at least one keyword or phrase" in refused.text
    assert 'value="No words"' in refused.text  # what was typed is kept
    assert _doc(web_db, "codebook") == before


def test_only_those_who_manage_data_may_edit_it(web_db: Path, client_as: Callable[[str], TestClient]) -> None:
    assert client_as("board_member").get(f"/consultations/{CID}/codebook").status_code in (302, 303, 403)
    link = client_as("performance_officer").get(f"/consultations/{CID}").text
    assert f'href="/consultations/{CID}/codebook"' in link


def test_upload_the_published_summary_on_the_page(web_db: Path, client_as: Callable[[str], TestClient]) -> None:
    client = client_as("performance_officer")
    page = client.get(f"/consultations/{CID}")
    assert 'action="/consultations/vision-for-kent-2011/summary"' in page.text
    before = _doc(web_db, "show")["published"]
    header = "question,option,respondent_type,count,base\n"
    bad = (
        header
        + "a2-actions,young-people-ete,,90,100\n"
        + "a2-actions,mental-health,,80,100\n"
        + "a2-actions,homes-communities,,40,100\n"
    )
    refused = client.post(
        f"/consultations/{CID}/summary",
        data={"csrf_token": _token(page.text)},
        files={"file": ("summary.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422
    assert (
        "summary.csv, row 4, field &#39;count&#39;: the counts of question &#39;a2-actions&#39; add up to 210"
        in refused.text
    )
    assert _doc(web_db, "show")["published"] == before  # nothing written
    good = header + "right-balance,yes,,642,793\n"
    saved = client.post(
        f"/consultations/{CID}/summary",
        data={"csrf_token": _token(page.text)},
        files={"file": ("summary.csv", good.encode(), "text/csv")},
    )
    assert saved.status_code == 303, saved.text
    assert "1 published figures imported" in client.get(saved.headers["location"]).text
    (figure,) = _doc(web_db, "show")["published"]
    assert (figure["count"], figure["base"], round(figure["lower"], 1), round(figure["upper"], 1)) == (
        642,
        793,
        78.1,
        83.5,
    )
    assert "consultation.summary" in client_as("admin").get("/admin/audit").text
    assert client_as("board_member").post(f"/consultations/{CID}/summary").status_code in (302, 303, 403)
