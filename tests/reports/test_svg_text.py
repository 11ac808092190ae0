"""Chart labels are drawn as one run of text each (gapwatch.reports._svg_text), still as text pdftotext reads."""

from __future__ import annotations

import base64
import io

import pytest

from gapwatch.reports._svg_text import install

weasyprint = pytest.importorskip("weasyprint")
pypdf = pytest.importorskip("pypdf")

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100" viewBox="0 0 300 100">'
    '<text x="10" y="20" font-family="DejaVu Sans" font-size="10px">Free school meals</text>'
    '<text text-anchor="end" transform="translate(200,60) rotate(320)" font-size="9px">2004/05 AY</text>'
    "</svg>"
)


def _page_streams(reader: pypdf.PdfReader) -> bytes:
    page = reader.pages[0]
    data = page.get_contents().get_data()
    for ref in page["/Resources"].get("/XObject", {}).values():
        data += ref.get_object().get_data()
    return data


def test_labels_drawn_whole_and_still_text() -> None:
    assert install() is True
    assert install() is True  # idempotent
    src = "data:image/svg+xml;base64," + base64.b64encode(_SVG.encode()).decode()
    reader = pypdf.PdfReader(io.BytesIO(weasyprint.HTML(string=f'<img src="{src}">').write_pdf()))
    # One text matrix for the straight label (15 without this: one per letter but spaces); the rotated
    # label as before, one per letter.
    assert _page_streams(reader).count(b" Tm") == 1 + len("2004/05AY")
    assert "Free school meals" in reader.pages[0].extract_text()
