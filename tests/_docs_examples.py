"""Worked examples in docs/statistics.md that tests run: in a section, each ```python block followed by a
```text block is an example, and running the code must print exactly the text (docs that cannot drift)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

STATISTICS = Path(__file__).resolve().parents[1] / "docs" / "statistics.md"
_EXAMPLE = re.compile(r"```python\n(.*?)```\n\n```text\n(.*?)```", flags=re.S)


def section(heading: str) -> str:
    """The text of docs/statistics.md's ``## heading`` section, up to the next ``## `` heading."""
    text = STATISTICS.read_text(encoding="utf-8")
    return text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def worked_examples(heading: str) -> list[tuple[str, str]]:
    """(code, what it must print) for each worked example of the section."""
    return _EXAMPLE.findall(section(heading))


def printed_by(code: str) -> str:
    """What ``code`` prints, run in a fresh namespace (as a reader pasting it would)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(STATISTICS), "exec"), {})
    return out.getvalue()
