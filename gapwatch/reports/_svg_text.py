"""Chart labels drawn by WeasyPrint as one run of text each, not letter by letter.

WeasyPrint draws an SVG ``<text>`` one letter at a time (a Pango layout per letter, so that per-letter
``x``/``y``/``dx``/``dy``/``rotate`` lists work). vl-convert's charts never use those lists, and with ~2,500
labels in the county paper that was the largest single cost of drawing it (a quarter of writing the PDF,
measured with py-spy). For a label with at most one value in each of those attributes, no letter
spacing, no ``textLength`` and no rotation of its own, the whole label is laid out and drawn as one
"letter": the same text at the same anchor, as vector text (pdftotext reads it exactly as before;
rotated labels, whose letter-by-letter extraction order pdftotext depends on, are left as they were).
Glyphs follow the font's kerning instead of being placed one by one.

This module imports nothing from gapwatch (the layout helpers run it with ``runpy`` beside WeasyPrint
alone). :func:`install` is idempotent and does nothing if WeasyPrint's SVG module is not as expected.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["install"]

_ONE_VALUE = re.compile(r"^\s*[^\s,]+\s*$")
_POSITIONS = ("x", "y", "dx", "dy", "rotate")


class _Whole(str):
    """A label's text that WeasyPrint's letter loop sees as one letter."""

    __slots__ = ()

    def __iter__(self) -> Any:
        yield str(self)


def _whole_run(node: Any) -> bool:
    text = node._etree_node.text  # noqa: SLF001 - WeasyPrint's SVG node
    if not text or len(text) < 2:
        return False
    for attr in _POSITIONS:
        value = node.attrib.get(attr)
        if value is not None and not _ONE_VALUE.match(value):
            return False
    if "rotate" in (node.get("transform") or ""):
        return False
    return node.get("letter-spacing") in (None, "0", "normal") and node.get("textLength") is None


def install() -> bool:
    """Make WeasyPrint draw simple SVG labels whole; True if it does (now or already)."""
    try:
        import weasyprint.svg as wsvg  # noqa: PLC0415 - an optional dependency (the "reports" extra)
    except ImportError:  # pragma: no cover - depends on the installation
        return False
    current = getattr(wsvg, "text", None)
    if getattr(current, "_gapwatch_whole", False):
        return True
    tags = getattr(wsvg, "TAGS", None)
    if current is None or not isinstance(tags, dict) or tags.get("text") is not current:
        return False
    original: Any = current

    def text(svg: Any, node: Any, font_size: float) -> Any:
        if not _whole_run(node):
            return original(svg, node, font_size)
        etree = node._etree_node  # noqa: SLF001
        saved = etree.text
        etree.text = _Whole(saved)
        try:
            return original(svg, node, font_size)
        finally:
            etree.text = saved

    text._gapwatch_whole = True  # type: ignore[attr-defined]
    # WeasyPrint compares TAGS entries with its module-level ``text`` to find text nodes: replace both.
    wsvg.text = text
    for tag, draw in list(tags.items()):
        if draw is original:
            tags[tag] = text
    return True
