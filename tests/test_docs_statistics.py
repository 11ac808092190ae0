"""Docs that cannot drift: the statistics and framework-format pages keep up with the code.

* every public function in a ``gapwatch.stats`` module's ``__all__`` is named in docs/statistics.md, and every
  such module is named there;
* every framework kind in :data:`gapwatch.domain.framework.KINDS` has its own section in
  docs/framework-format.md, that section names each of the kind's own fields, and no section is left for a
  kind that no longer exists.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

import gapwatch.stats
from gapwatch.domain._base import Item
from gapwatch.domain.framework import KINDS, Framework

DOCS = Path(__file__).resolve().parents[1] / "docs"
STATISTICS = DOCS / "statistics.md"
FRAMEWORK_FORMAT = DOCS / "framework-format.md"

#: The modules the statistics page was written for; any module added later is picked up as well.
EXPECTED_MODULES = {
    "comparison",
    "funnels",
    "gaps",
    "inequality",
    "life_expectancy",
    "means",
    "proportions",
    "quantiles",
    "rates",
    "standardised",
    "suppression",
    "targets",
    "trends",
}


def _stats_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(gapwatch.stats.__path__) if not m.name.startswith("_"))


def _public_functions(module_name: str) -> list[str]:
    module = importlib.import_module(f"gapwatch.stats.{module_name}")
    return [name for name in module.__all__ if inspect.isfunction(getattr(module, name))]


FUNCTIONS = [(module, name) for module in _stats_modules() for name in _public_functions(module)]


def _headings(text: str) -> list[tuple[int, str, str]]:
    """(level, title, body) for every Markdown heading outside fenced code blocks."""
    found: list[tuple[int, str, list[str]]] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else re.match(r"^(#{1,6}) (.+?)\s*$", line)
        if match:
            found.append((len(match.group(1)), match.group(2), []))
        elif found:
            found[-1][2].append(line)
    out = []
    for i, (level, title, body) in enumerate(found):
        lines = list(body)
        for deeper_level, deeper_title, deeper_body in found[i + 1 :]:
            if deeper_level <= level:
                break
            lines += [f"{'#' * deeper_level} {deeper_title}", *deeper_body]
        out.append((level, title, "\n".join(lines)))
    return out


def _kind_model(kind: str) -> type[BaseModel]:
    model: type[BaseModel] = get_args(Framework.model_fields[kind].annotation)[0]
    return model


def test_the_statistics_modules_are_all_found() -> None:
    missing = EXPECTED_MODULES - set(_stats_modules())
    assert not missing, f"statistics modules not found: {sorted(missing)}"
    assert len(FUNCTIONS) >= len(EXPECTED_MODULES)


@pytest.mark.parametrize("module", _stats_modules())
def test_every_statistics_module_is_named(module: str) -> None:
    text = STATISTICS.read_text(encoding="utf-8")
    assert f"gapwatch.stats.{module}" in text, f"docs/statistics.md does not name gapwatch.stats.{module}"


@pytest.mark.parametrize(("module", "name"), FUNCTIONS, ids=[f"{m}.{n}" for m, n in FUNCTIONS])
def test_every_public_statistics_function_is_documented(module: str, name: str) -> None:
    text = STATISTICS.read_text(encoding="utf-8")
    assert re.search(rf"`{re.escape(name)}[`(]", text), (
        f"docs/statistics.md does not document gapwatch.stats.{module}.{name} (write it as `{name}` or `{name}(…)`)"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_framework_kind_has_a_section_naming_its_fields(kind: str) -> None:
    sections = {title: body for _level, title, body in _headings(FRAMEWORK_FORMAT.read_text(encoding="utf-8"))}
    title = f"`{kind}`"
    assert title in sections, f"docs/framework-format.md has no section headed {title}"
    own = [name for name in _kind_model(kind).model_fields if name not in Item.model_fields]
    missing = [name for name in own if f"`{name}`" not in sections[title]]
    assert not missing, f"the `{kind}` section of docs/framework-format.md does not describe {missing}"


def test_fields_every_item_has_are_documented() -> None:
    sections = {title: body for _level, title, body in _headings(FRAMEWORK_FORMAT.read_text(encoding="utf-8"))}
    body = sections.get("Fields every item has", "")
    assert body, "docs/framework-format.md has no 'Fields every item has' section"
    missing = [name for name in Item.model_fields if f"`{name}`" not in body]
    assert not missing, f"the common fields section does not describe {missing}"


def test_no_section_for_a_kind_that_no_longer_exists() -> None:
    headed = {
        match.group(1)
        for _level, title, _body in _headings(FRAMEWORK_FORMAT.read_text(encoding="utf-8"))
        if (match := re.fullmatch(r"`([a-z_]+)`", title))
    }
    assert headed == set(KINDS), f"sections for unknown kinds: {sorted(headed - set(KINDS))}"
