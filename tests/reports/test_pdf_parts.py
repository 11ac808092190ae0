"""A paper laid out in parts (county and annexes in helper processes, joined with pypdf) reads as one document.

The paper here is small and synthetic but has what the real one has: the report stylesheet, a cover with a
contents list whose page numbers point into the annexes, annexes that start on a new page with their own
contents, a running header, "Page n of N" and an illustrative banner whose running note carries on.
pdftotext of both layouts must be identical, and so must the bookmarks, named destinations and every page's
pixels.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gapwatch.reports._pdf_parts import grouped, render_in_parts, split_parts
from gapwatch.reports.html import report_css

pytest.importorskip("weasyprint")
pypdf = pytest.importorskip("pypdf")


def _article(anchor: str, title: str, annex: bool, paragraphs: int, illustrative: bool) -> str:
    sections = ["exceptions", "kpqs", "indicators"]
    entries = "".join(f'<li><a href="#{anchor}-{s}">{s.title()}</a></li>' for s in sections)
    if not annex:
        entries += "".join(f'<li><a href="#annex-{x}">Annex {x.upper()}: a locality board</a></li>' for x in "ab")
    banner = '<p class="gw-warning gw-illustrative-banner">Illustrative data.</p>' if illustrative else ""
    h1, h2 = ("h2", "h3") if annex else ("h1", "h2")
    body = []
    for s in sections:
        text = "".join(
            f"<p>{title} {s} paragraph {k}: " + "words to fill the line " * 12 + "</p>" for k in range(paragraphs)
        )
        css = "gw-section gw-section--flow" if s != "exceptions" or annex else "gw-section"
        body.append(f'<section class="{css}" id="{anchor}-{s}"><{h2}>{s.title()}</{h2}>{text}</section>')
    kind = "gw-report gw-annex" if annex else "gw-report"
    return (
        f'<article class="{kind}" id="{anchor}"><header class="gw-cover">'
        f'<p class="gw-running">{title} · 2011 H2</p><{h1} class="gw-title">{title}</{h1}>{banner}'
        f'<nav class="gw-contents" aria-label="Contents"><{h2}>Contents</{h2}><ol>{entries}</ol></nav></header>'
        + "".join(body)
        + "</article>"
    )


def _paper() -> str:
    articles = _article("report", "Kent Forum", False, 30, True)
    articles += _article("annex-a", "Annex A: Ashford", True, 14, False)
    articles += _article("annex-b", "Annex B: Canterbury", True, 9, False)
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Paper</title>'
        f"<style>\n{report_css()}\n</style></head><body>"
        f'<div class="gw-report-root gw-print">{articles}</div></body></html>'
    )


def test_split_and_group() -> None:
    parts = split_parts(_paper())
    assert parts is not None
    assert [b[:40] for b in parts.bodies] == [
        '<article class="gw-report" id="report"><',
        '<article class="gw-report gw-annex" id="',
        '<article class="gw-report gw-annex" id="',
    ]
    assert parts.head + "".join(parts.bodies) + parts.tail == _paper()
    assert len(grouped(parts, 1).bodies) == 2
    assert grouped(parts, 5).bodies == parts.bodies
    assert split_parts("<html><body><p>no paper</p></body></html>") is None


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def _outline(reader: pypdf.PdfReader) -> list[tuple[int, str, int | None]]:
    out: list[tuple[int, str, int | None]] = []

    def walk(items: list[object], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))  # type: ignore[attr-defined]

    walk(reader.outline, 0)
    return out


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_parts_read_as_one_document(tmp_path: Path) -> None:
    import weasyprint  # noqa: PLC0415

    html = _paper()
    one = weasyprint.HTML(string=html).write_pdf()
    joined = render_in_parts(html, workers=2)
    assert joined is not None, "the paper was not laid out in parts"
    (tmp_path / "one.pdf").write_bytes(one)
    (tmp_path / "parts.pdf").write_bytes(joined[0])
    text = _text(tmp_path / "parts.pdf")
    assert text == _text(tmp_path / "one.pdf")
    pages = len(pypdf.PdfReader(tmp_path / "one.pdf").pages)
    assert joined[1] == pages > 4
    assert f"Page {pages} of {pages}" in text
    assert "Includes illustrative demo data" in text.split("\f")[-2]  # the running note carries into the annexes
    a, b = pypdf.PdfReader(tmp_path / "one.pdf"), pypdf.PdfReader(tmp_path / "parts.pdf")
    assert _outline(b) == _outline(a)
    assert {k: a.get_destination_page_number(v) for k, v in a.named_destinations.items()} == {
        k: b.get_destination_page_number(v) for k, v in b.named_destinations.items()
    }
    links = [str(annot.get_object().get("/Dest")) for page in b.pages[:1] for annot in page.get("/Annots", [])]
    assert "annex-b" in links  # a contents entry pointing into another part still links there
    # Every page looks the same (borders and backgrounds too, which pdftotext does not see).
    for name in ("one", "parts"):
        subprocess.run(
            ["pdftoppm", "-r", "30", "-png", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True
        )
    for png in sorted(tmp_path.glob("one-*.png")):
        assert png.read_bytes() == (tmp_path / png.name.replace("one-", "parts-")).read_bytes(), png.name
