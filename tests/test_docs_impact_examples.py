"""The worked examples of docs/statistics.md's "Impact of initiatives" section are computed by the code: each
```python block is run and must print exactly the ```text block that follows it."""

from __future__ import annotations

import pytest

from tests._docs_examples import printed_by, worked_examples


def _examples() -> list[tuple[str, str]]:
    return worked_examples("Impact of initiatives")


def test_the_section_has_worked_examples() -> None:
    assert len(_examples()) >= 4


@pytest.mark.parametrize(("code", "expected"), _examples(), ids=lambda v: v.splitlines()[0][:40])
def test_each_example_prints_what_the_docs_show(code: str, expected: str) -> None:
    assert printed_by(code) == expected
