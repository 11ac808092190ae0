"""The /data pages: upload with a dry-run preview and every problem listed, import, lineage, rollback."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from gapwatch.store.audit import AuditFilter, query_audit

DISTRICTS = [
    "E07000105",
    "E07000106",
    "E07000107",
    "E07000108",
    "E07000109",
    "E07000110",
    "E07000111",
    "E07000112",
    "E07000113",
    "E07000114",
    "E07000115",
    "E07000116",
]


def good_csv() -> str:
    lines = ["indicator,area_code,period,numerator,denominator,illustrative"]
    for year in range(2006, 2011):
        lines.append(f"NI118,E10000016,{year}/{(year + 1) % 100:02d},{6000 + 100 * (year - 2006)},10000,yes")
        for k, code in enumerate(DISTRICTS):
            lines.append(f"NI118,{code},{year}/{(year + 1) % 100:02d},{400 + 10 * k},800,yes")
    return "\n".join(lines) + "\n"


BAD_CSV = (
    "indicator,area_code,period,numerator,denominator\n"
    "NI118,E10000016,2009/10,600,1000\n"
    "NI118,E07000113,2009/10,lots,20\n"  # not a number
    "NI118,E07000114,2009/10,-3,20\n"  # a negative count
    "NI118,E07000116,not a period,5,10\n"  # not a period
)


def _batch_links(html: str) -> list[str]:
    return re.findall(r'href="/data/batches/(\d+)"', html)


def _upload(client: Any, post_form: Callable[..., Any], name: str, body: str | bytes, **fields: str) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return post_form(client, "/data/upload", fields, files={"file": (name, content, "text/csv")})


def test_only_performance_officers_and_admins(client_as: Callable[[str], Any]) -> None:
    assert client_as("performance_officer").get("/data").status_code == 200
    assert client_as("admin").get("/data").status_code == 200
    assert client_as("lead_officer").get("/data").status_code == 403
    assert client_as("board_member").get("/data").status_code == 403


def test_bad_file_lists_every_problem_and_writes_nothing(
    client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    pat = client_as("performance_officer")
    before = _batch_links(pat.get("/data").text)
    response = _upload(pat, post_form, "ni118-bad.csv", BAD_CSV)
    assert response.status_code == 422
    text = response.text
    assert "There is a problem" in text and 'href="#file"' in text and "Nothing was written" in text
    rows = re.findall(r'<tr class="govuk-table__row"><td class="govuk-table__cell">(\d+)</td>', text)
    assert {"3", "4", "5"} <= set(rows)  # each bad row is named (the header is row 1)
    assert _batch_links(pat.get("/data").text) == before


def test_refuses_wrong_type_empty_and_missing_files(
    client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    pat = client_as("performance_officer")
    wrong = _upload(pat, post_form, "photo.png", b"\x89PNG....")
    assert wrong.status_code == 422 and "must be a CSV file or an Excel workbook" in wrong.text
    empty = _upload(pat, post_form, "empty.csv", "")
    assert empty.status_code == 422 and "The selected file is empty" in empty.text
    missing = post_form(pat, "/data/upload", {})
    assert missing.status_code == 422 and "Select a file to upload" in missing.text
    too_big = _upload(pat, post_form, "big.csv", "x" * (2 * 1024 * 1024))  # the test app's limit is 1 MB
    assert too_big.status_code == 413


def _audit_of(app: FastAPI, entity: str) -> list[tuple[str, str]]:
    with Session(app.state.engine) as session:
        return [(r.username, r.action) for r in reversed(query_audit(session, AuditFilter(entity=entity)))]


def test_error_then_good_file_preview_import_lineage_rollback(
    app: FastAPI, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    pat = client_as("performance_officer")
    assert _upload(pat, post_form, "ni118.csv", BAD_CSV).status_code == 422
    preview = _upload(pat, post_form, "ni118.csv", good_csv(), illustrative="yes")
    assert preview.status_code == 200, preview.text[:2000]
    assert "Check what the import will do" in preview.text and "65" in preview.text  # 5 periods x 13 areas
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    assert token
    other = client_as("admin")
    assert post_form(other, "/data/import", {"token": token.group(1)}).status_code == 404  # bound to its uploader
    done = post_form(pat, "/data/import", {"token": token.group(1)})
    assert done.status_code == 303
    batch_url = done.headers["location"].split("?")[0]
    number = batch_url.rsplit("/", 1)[1]
    assert post_form(pat, "/data/import", {"token": token.group(1)}).status_code == 404  # imported once only
    assert _audit_of(app, f"batch:{number}") == [("pat", "data.import")]  # audited once, by the service
    page = pat.get("/indicators/NI118")
    assert f'href="/data/batches/{number}"' in page.text  # lineage: every value names its batch
    assert "illustrative" in page.text.lower() and "Getting better" in page.text
    assert "Thanet" in page.text
    rolled = post_form(pat, f"{batch_url}/rollback", {})
    assert rolled.status_code == 303
    assert "Rolled back" in pat.get(batch_url).text
    assert _audit_of(app, f"batch:{number}") == [("pat", "data.import"), ("pat", "data.rollback")]
    assert f'href="/data/batches/{number}"' not in pat.get("/indicators/NI118").text


MISMATCH_CSV = (  # a value that is not numerator/denominator (row 3): a rule a genuine publication may break
    "indicator,area_code,period,numerator,denominator,value\n"
    "NI118,E10000016,2009/10,600,1000,60.0\n"
    "NI118,E07000113,2009/10,10,20,65.0\n"
)


def test_a_check_is_waived_only_when_named_and_the_waiver_is_recorded(
    app: FastAPI, client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    pat = client_as("performance_officer")
    page = pat.get("/data").text
    assert 'value="value-matches-counts"' in page and 'value="negative-count"' not in page  # fixed rules not offered
    refused = _upload(pat, post_form, "mismatch.csv", MISMATCH_CSV)
    assert refused.status_code == 422 and "value-matches-counts" in refused.text
    # a rule that cannot be waived stays in force whatever the form says
    negative = _upload(pat, post_form, "neg.csv", BAD_CSV, allow="negative-count")
    assert negative.status_code == 422
    content = MISMATCH_CSV.encode()
    fields = {"allow": ["value-matches-counts", "not-a-rule"]}
    preview = post_form(pat, "/data/upload", fields, files={"file": ("mismatch.csv", content, "text/csv")})
    assert preview.status_code == 200, preview.text[:1500]
    assert "value-matches-counts (recorded with the batch)" in preview.text and "not-a-rule" not in preview.text
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    assert token
    done = post_form(pat, "/data/import", {"token": token.group(1)})
    assert done.status_code == 303
    number = int(done.headers["location"].split("?")[0].rsplit("/", 1)[1])
    from gapwatch.services.imports import batch

    assert batch(app.state.engine, number).options.get("allow") == ["value-matches-counts"]
