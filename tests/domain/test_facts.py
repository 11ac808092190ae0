"""'This is Kent': the facts transcribed from chapter 5 of the Vision for Kent, checked against the seed text."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from gapwatch.domain.facts import Fact
from gapwatch.ingest.framework_yaml import read_framework
from gapwatch.services.frameworks import bundled_framework_path
from tests.conftest import SHARED

SEEDS = SHARED / "seeds"
VISION = SEEDS / "004_cfdf0846c7aaebc6.txt"


@pytest.fixture(scope="module")
def facts() -> dict[str, Fact]:
    return {f.id: f for f in read_framework(bundled_framework_path()).framework.facts}


def _chapter_5() -> str:
    if not VISION.exists():
        pytest.skip(f"{VISION} is not available")
    text = VISION.read_text(encoding="utf-8")
    start = text.index("5. This is Kent")
    return " ".join(text[start : text.index("6. Delivering the Countywide Ambitions", start)].split())


def test_about_forty_facts_each_with_its_section(facts: dict[str, Fact]) -> None:
    assert 38 <= len(facts) <= 50
    assert all(f.source.document == VISION.name and f.source.section for f in facts.values())
    assert {f.topic for f in facts.values()} >= {"If Kent were 100 people", "A county of differences", "Living in Kent"}


def test_numbers_match_the_seed_text(facts: dict[str, Fact]) -> None:
    chapter = _chapter_5()
    gdhi = facts["living-gdhi"]
    assert (gdhi.value, gdhi.comparator_value, gdhi.comparator) == (15587, 16792, "South East")
    assert "£15,587" in chapter and "£16,792" in chapter
    assert facts["diff-life-expectancy"].value == 17 and "best and worst wards is 17 years" in chapter
    assert (facts["k100-nvq4"].value, facts["k100-nvq4"].comparator_value) == (26, 32)
    assert "26 would be qualified to NVQ4+" in chapter and "32 out of 100 in the South East" in chapter
    assert (facts["diff-unemployment"].value, facts["diff-unemployment"].comparator_value) == (4340, 1141)
    # every fact's text is the seed's (allowing our sentence joins): each of its numbers is printed in chapter 5
    numbers_in_chapter = set(re.findall(r"\d[\d,.]*\d|\d", chapter))
    for f in facts.values():
        for number in re.findall(r"\d[\d,.]*\d|\d", f.text):
            assert number.rstrip(".") in numbers_in_chapter, (f.id, number)
        if f.value is not None and f.unit != "£ a year" and f.id != "kent-population":
            shown = f"{f.value:,.1f}".removesuffix(".0")
            assert shown in f.text or shown.replace(",", "") in f.text, (f.id, shown)


def test_a_fact_needs_a_source_and_a_named_comparator() -> None:
    with pytest.raises(ValidationError):
        Fact.model_validate({"id": "x", "topic": "t", "text": "a fact"})
    source = {"document": "d.txt", "section": "5"}
    with pytest.raises(ValidationError, match="needs 'comparator'"):
        Fact.model_validate({"id": "x", "topic": "t", "text": "a", "value": 1, "comparator_value": 2, "source": source})
