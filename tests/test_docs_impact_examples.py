"""The worked examples of docs/statistics.md's "Impact of initiatives" section are computed by the code: each
```python block is run and must print exactly the ```text block that follows it."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

STATISTICS = Path(__file__).resolve().parents[1] / "docs" / "statistics.md"


def _examples() -> list[tuple[str, str]]:
    text = STATISTICS.read_text(encoding="utf-8")
    section = text.split("## Impact of initiatives\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```\n\n```text\n(.*?)```", section, flags=re.S)


def test_the_section_has_worked_examples() -> None:
    assert len(_examples()) >= 4


@pytest.mark.parametrize(("code", "expected"), _examples(), ids=lambda v: v.splitlines()[0][:40])
def test_each_example_prints_what_the_docs_show(code: str, expected: str) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(STATISTICS), "exec"), {})
    assert out.getvalue() == expected
