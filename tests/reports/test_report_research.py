"""The Ambition Board 2 paper's "Initiatives" and "Consultation" sections, in HTML, PDF and Word, on the Kent demo
(cycle 2011 H2 closed): each initiative's impact with its interval or the reason none is computed, its spend and
caseload, the families programme's caseload scenarios (2,700 proportioned and 5,500 modelled families, 6 per
worker, £330k a family), and the Vision for Kent shares with their Wilson intervals — the same figures as the
initiative and consultation commands print, kept in the frozen snapshot."""

from __future__ import annotations

import io
import subprocess
from dataclasses import asdict
from pathlib import Path

import docx
import pytest
from sqlalchemy import Engine

from gapwatch.queries.consultations import consultation_doc
from gapwatch.queries.initiatives import initiative_scenario_doc
from gapwatch.reports import build_board_report, render_docx, render_html
from tests.reports.test_kent_reports import checked_pdf

BOARD = "ambition-board-2"


def test_the_snapshot_holds_the_boards_initiatives_and_consultation(closed_engine: Engine) -> None:
    d = build_board_report(closed_engine, BOARD).data
    assert d.frozen
    ids = [i.id for i in d.initiatives]
    # SIP and the Margate Task Force serve A2 KPQs; the Community Budgets pilot and the families programme AB2-LT.
    assert ids == ["sip", "margate-task-force", "community-budgets-pilot", "families-multiple-problems"]
    sip = d.initiatives[0]
    assert sip.did is None and "no exact start date (the sources say '2002')" in sip.impact_text
    assert "no comparison areas stated" in sip.impact_text and "no indicator named" in sip.impact_text
    assert sip.dates == "from 2002 (no exact date)" and sip.target_areas == ["Cliftonville West"]
    families = d.initiatives[-1]
    assert families.caseload_scenarios is not None and families.max_per_worker == 6
    # The paper's scenarios are the ones `gapwatch initiative scenarios` prints.
    shown = initiative_scenario_doc(closed_engine, "families-multiple-problems")["caseload"]["scenarios"]
    assert [asdict(s) for s in families.caseload_scenarios.scenarios] == shown
    low = families.caseload_scenarios.scenarios[0]
    assert (low.cases, low.workers, low.total_cost) == (2700, 450, 2700 * 330_000)
    (vfk,) = d.consultations
    assert vfk.id == "vision-for-kent-2011" and vfk.responses == 793
    page = consultation_doc(closed_engine, vfk.id)["published"]
    assert [(f.percent, f.lower, f.upper) for f in vfk.figures] == [
        (f["percent"], f["lower"], f["upper"]) for f in page
    ]


@pytest.mark.slow  # lays the paper out as PDF and Word (issue 15: rendering only in tests marked slow)
def test_html_pdf_and_word_show_both_sections(closed_engine: Engine, tmp_path: Path) -> None:
    report = build_board_report(closed_engine, BOARD)
    html = render_html(report)
    for text in (
        'id="report-initiatives"',
        'id="report-consultation"',
        "Supporting Independence Programme (SIP)",
        "Families with multiple problems in Kent: caseload and cost scenarios (families)",
        "78.1% to 83.6%",  # 81% of 793 felt the ambitions strike the right balance
        "52.5% to 59.4%",  # 56% chose "Encourage young people to be in education, training or work"
        "£891,000,000",  # 2,700 families x £330k
    ):
        assert text in html, text
    assert 'href="#report-initiatives"' in html and 'href="#report-consultation"' in html

    pdf = checked_pdf(report, tmp_path)  # no blank page, page counts agree (as every board's paper)
    assert pdf.pages >= 2
    (tmp_path / "ab2.pdf").write_bytes(pdf.content)
    text = " ".join(
        subprocess.run(["pdftotext", str(tmp_path / "ab2.pdf"), "-"], check=True, capture_output=True, text=True)
        .stdout.replace("\u2010\n", "")
        .split()
    )
    assert "Initiatives" in text and "Consultation" in text and "78.1% to 83.6%" in text
    assert "no exact start date" in text

    document = docx.Document(io.BytesIO(render_docx(report)))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert (
        "Initiatives" in headings and "Consultation" in headings and "Vision for Kent consultation (2011)" in headings
    )
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "78.1% to 83.6%" in cells and "£891,000,000" in cells


def test_a_board_with_no_initiatives_or_consultation_has_neither_section(closed_engine: Engine) -> None:
    report = build_board_report(closed_engine, "ambition-board-1")
    assert report.data.initiatives == [] and report.data.consultations == []
    html = render_html(report)
    assert 'id="report-initiatives"' not in html and 'id="report-consultation"' not in html
