"""The worked examples in docs/statistics.md are the code's own output.

Every ```python block of the page is run in order in one namespace (the page's set-up block first, as a
reader would); where a block prints, the ```text block that follows it must be exactly what it printed. An
example whose numbers drift from the code fails here, so the page cannot quietly go stale.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import polars as pl
import pytest

STATISTICS = Path(__file__).resolve().parents[2] / "docs" / "statistics.md"
BLOCK = re.compile(r"```(python|text)\n(.*?)```", re.S)


def _examples() -> list[tuple[int, str, str]]:
    """(line, code, the text block after it) for each python block followed by a text block."""
    text = STATISTICS.read_text(encoding="utf-8")
    blocks = [(text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2)) for m in BLOCK.finditer(text)]
    found = []
    for (line, kind, body), following in zip(blocks, [*blocks[1:], None], strict=True):
        if kind == "python":
            found.append((line, body, following[2] if following and following[1] == "text" else ""))
    return found


def test_every_printed_example_matches_the_page() -> None:
    namespace: dict[str, object] = {}
    checked, wrong = 0, []
    with pl.Config():  # the page's set-up block changes Polars' printing; restore it afterwards
        for line, code, expected in _examples():
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"docs/statistics.md:{line}", "exec"), namespace)
            if not printed.getvalue():
                continue
            checked += 1
            if printed.getvalue().rstrip("\n") != expected.rstrip("\n"):
                wrong.append(f"line {line}:\n{printed.getvalue()}\n--- the page shows ---\n{expected}")
    assert checked >= 25, f"only {checked} examples found"
    if wrong:
        pytest.fail("examples in docs/statistics.md differ from the code's output:\n" + "\n".join(wrong[:3]))
