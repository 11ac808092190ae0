"""The worked examples of docs/statistics.md's "Consultations and surveys" section are computed by the code: each
```python block is run and must print exactly the ```text block that follows it (Kent's 81% of 793 with its Wilson
interval; a "choose two" question whose shares sum to 200%; a share judged against a threshold)."""

from __future__ import annotations

import pytest

from tests._docs_examples import STATISTICS, printed_by, section, worked_examples

SECTION = "Consultations and surveys"


def _section() -> str:
    return section(SECTION)


def _examples() -> list[tuple[str, str]]:
    return worked_examples(SECTION)


def test_the_section_has_the_worked_examples_the_issue_asks_for() -> None:
    examples = _examples()
    assert len(examples) >= 3
    printed = "".join(expected for _code, expected in examples)
    assert "81% of 793: 95% CI 78.1% to 83.6%" in printed
    assert "sum of the shares: 200%" in printed
    assert "- [Consultations and surveys](#consultations-and-surveys)" in STATISTICS.read_text(encoding="utf-8")


@pytest.mark.parametrize(("code", "expected"), _examples(), ids=lambda v: v.splitlines()[0][:40])
def test_each_example_prints_what_the_docs_show(code: str, expected: str) -> None:
    assert printed_by(code) == expected


def test_the_kent_figure_in_the_prose_is_the_analysis_cores() -> None:
    from gapwatch.analysis.consultations import published_results
    from gapwatch.domain.consultations import Consultation

    c = Consultation.model_validate(
        {
            "id": "vfk",
            "name": "Vision for Kent",
            "questions": [{"id": "q", "text": "Q", "options": [{"id": "yes", "label": "Yes"}]}],
            "published": [{"question": "q", "option": "yes", "percent": 81, "base": 793}],
        }
    )
    r = published_results(c)[0]
    assert f"{r.lower:.1f}% to {r.upper:.1f}%" == "78.1% to 83.6%"
    assert "56 + 48 + 31 + 25 + 19 + 17 = 196%" in _section() and 56 + 48 + 31 + 25 + 19 + 17 == 196
