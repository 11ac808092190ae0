"""The HTML report: self-contained, exceptions first, missing data said, illustrative data labelled, escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from gapwatch.reports.build import assemble
from gapwatch.reports.html import render_html
from gapwatch.services.report_data import CommentaryEntry
from tests.reports.sample import NAMES, WHEN, report_data


class _Tables(HTMLParser):
    """Collects each table's caption and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, object]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            rows = self.tables[-1]["rows"]
            assert isinstance(rows, list)
            rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        for target in (self._cell, self._caption):
            if target is not None:
                target.append(data)


def _tables(html: str) -> list[dict[str, object]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _html(**kwargs: bool) -> str:
    return render_html(assemble(report_data(), NAMES), **kwargs)


def test_the_document_stands_alone_no_script_no_external_resource() -> None:
    html = _html()
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count("<svg") == 8  # every chart inline, drawn by vl-convert


def test_sections_come_in_the_board_order_exceptions_first() -> None:
    html = _html()
    order = [
        html.index(f'id="report-{name}"')
        for name in ("exceptions", "kpqs", "indicators", "actions", "risks", "commentary", "lineage")
    ]
    assert order == sorted(order)


def test_the_kpq_table_lists_every_question_with_its_answer_and_rule() -> None:
    kpq = next(t for t in _tables(_html()) if str(t["caption"]).startswith("KPQ answers"))
    rows = kpq["rows"]
    assert isinstance(rows, list)
    assert rows[0] == ["KPQ", "Question", "Answer", "Rule applied"]
    assert rows[1][:2] == ["K1", "Is the gap reducing?"] and rows[1][2].startswith("Partly")
    assert rows[2][2] == "Not enough evidence" and rows[2][3] == "1: no evidence with data"
    assert "Includes illustrative demo data" in str(kpq["caption"])  # K1's evidence is illustrative


def test_missing_values_say_no_data_and_a_missing_interval_says_so() -> None:
    values = next(t for t in _tables(_html()) if t["caption"] == "Values for Testshire (%)")
    rows = values["rows"]
    assert isinstance(rows, list)
    assert rows[2][:3] == ["2007/08", "no data", "no interval"]
    assert rows[1][:3] == ["2006/07", "40", "38.5 to 41.5"]


def test_illustrative_tables_are_labelled_and_real_ones_are_not() -> None:
    captions = [str(t["caption"]) for t in _tables(_html())]
    illustrative = [c for c in captions if "Includes illustrative demo data" in c]
    assert "Values for Testshire (%) Includes illustrative demo data, not real observations." in captions
    assert "Values for Testshire (%)" in captions  # IND-B: real figures, no label
    assert any(c.startswith("Gaps") for c in illustrative)
    assert any(c.startswith("Targets") for c in illustrative)
    # Each exception says whether it rests on illustrative data.
    html = _html()
    exceptions = html[html.index('id="report-exceptions"') : html.index('id="report-kpqs"')]
    assert "gap widening significantly" in exceptions and "gw-tag--illustrative" in exceptions


def test_indicators_without_data_are_listed_not_invented() -> None:
    html = _html()
    table = next(t for t in _tables(html) if t["caption"] == "Indicators without data")
    assert table["rows"] == [["Indicator", "Title", "Unit"], ["IC 3", "Indicator C: never collected", "per 1,000"]]
    assert 'id="ind-ind-c"' not in html


def test_text_from_users_is_escaped() -> None:
    data = report_data()
    data.commentary.append(
        CommentaryEntry(
            id=3,
            subject_kind="report",
            subject_id="forum",
            author="Eve",
            text="<script>alert(1)</script> & more",
            written_at=WHEN,
            status="draft",
        )
    )
    html = render_html(assemble(data, NAMES))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_print_version_uses_svg_images_and_the_screen_version_inline_svg() -> None:
    screen, printed = _html(), _html(for_print=True)
    assert printed.count('src="data:image/svg+xml;base64,') == 8 and "<svg" not in printed
    assert screen.count("<svg") == 8 and "data:image/svg+xml" not in screen
