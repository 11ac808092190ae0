"""Uploading hostile workbooks to /data: a zip bomb or a workbook declaring every cell of a sheet gets a clear
422 page naming the file and the limit, quickly, and writes nothing (it used to be a 500 after 13 GB)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from tests import corruptions

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS = [["indicator", "area_code", "period", "value"], ["NI118", "E10000016", "2009/10", "60"]]


def _upload(client: Any, post_form: Callable[..., Any], name: str, content: bytes) -> Any:
    return post_form(client, "/data/upload", {}, files={"file": (name, content, XLSX)})


def _batches(client: Any) -> list[str]:
    return re.findall(r'href="/data/batches/(\d+)"', client.get("/data").text)


def test_an_xlsx_bomb_upload_is_a_clear_422_not_a_500(
    client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    pat = client_as("performance_officer")
    before = _batches(pat)
    bombs = {
        "sheet-bomb.xlsx": (corruptions.sheet_bomb(corruptions.to_xlsx(ROWS)), "looks like a zip bomb"),
        "every-cell.xlsx": (
            corruptions.declare_dimension(corruptions.to_xlsx(ROWS), extra_cell="XFD1048576"),
            "cell XFD1048576 is beyond the limit of 1,000 columns",
        ),
    }
    for name, (content, message) in bombs.items():
        assert len(content) < 1024 * 1024  # under the test app's upload limit: it reaches the importer
        started = time.monotonic()
        response = _upload(pat, post_form, name, content)
        assert time.monotonic() - started < 10
        assert response.status_code == 422, response.text[:500]
        text = " ".join(response.text.split())
        assert "There is a problem" in text and name in text and message in text
    assert _batches(pat) == before


def test_a_workbook_declaring_a1_to_xfd1048576_is_read_by_its_used_range(
    client_as: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    pat = client_as("performance_officer")
    content = corruptions.declare_dimension(corruptions.to_xlsx(ROWS))
    started = time.monotonic()
    response = _upload(pat, post_form, "declared.xlsx", content)
    assert time.monotonic() - started < 10
    assert response.status_code == 200, response.text[:2000]
    assert "Check what the import will do" in response.text
