"""CSV files a spreadsheet opens without running anything: the one writer behind every download.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a line break is read by Excel, LibreOffice and
Google Sheets as a formula, so text that reached gapwatch from an imported file, a framework or a form (an
area called ``=cmd|' /C calc'!A0``) could run on a reader's machine (OWASP "CSV injection"). Such text is
written with a leading apostrophe, which spreadsheets show as text. Numbers — including negative ones and
numbers that arrive as text, such as a stored CSV read back — are written as they are, so nothing that is
data is altered. The open data CSV and JSON, the indicator CSV and the audit log export all go through
:func:`defuse` (and :func:`csv_text` / :func:`csv_line` for the CSV itself).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["FORMULA_STARTS", "csv_line", "csv_text", "defuse", "defuse_all"]

#: First characters that make a spreadsheet read a cell as a formula (with their full-width forms, which
#: some spreadsheets fold to ASCII).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def _is_number(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return math.isfinite(number)


def defuse(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet runs: text that could start a formula gets a leading ``'``.

    ``None`` is the empty cell; numbers are written as Python writes them; dicts and lists
    (audit entries) as compact JSON. Text that is a finite number ("-3.5") is data and stays as it is.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def defuse_all(value: Any) -> Any:
    """Every string inside ``value`` (a JSON-like structure) defused; numbers, booleans and ``None`` kept."""
    if isinstance(value, str):
        return defuse(value)
    if isinstance(value, Mapping):
        return {k: defuse_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [defuse_all(v) for v in value]
    return value


def csv_line(cells: Sequence[object]) -> str:
    """One CSV record (with its line end) of defused cells."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([defuse(c) for c in cells])
    return buffer.getvalue()


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """A whole CSV document: a header of ``columns``, then one defused record per row (missing keys empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([defuse(c) for c in columns])
    for row in rows:
        writer.writerow([defuse(row.get(c)) for c in columns])
    return buffer.getvalue()
