"""A board report as a Word document (python-docx), because board papers circulate as Word files.

Same content and order as the HTML report: headings, the KPQ table with each answer's evidence,
exceptions, indicator pages with their charts (PNG drawn by vl-convert from the same Vega-Lite
specifications) and tables, action and risk tables, commentary and lineage. Illustrative demo data
are labelled in red beside every table and chart that shows them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from gapwatch.errors import GapwatchError
from gapwatch.reports._docx_paper import write_all_actions, write_cover, write_exceptions, write_summary
from gapwatch.reports._docx_research import write_research
from gapwatch.reports._format import fmt_date, fmt_interval, fmt_num, fmt_signed, fmt_when
from gapwatch.reports._render_pool import draw_many
from gapwatch.reports.charts import ILLUSTRATIVE_NOTE, Chart
from gapwatch.reports.model import BoardReport, IndicatorSection, ValueRow
from gapwatch.services.report_data import GapVerdict, RiskRow, TargetStatus

__all__ = ["KPQ_TABLE_HEADER", "render_docx", "render_pngs"]

#: The header row of the KPQ table (tests and readers find the table by it).
KPQ_TABLE_HEADER: tuple[str, ...] = ("KPQ", "Question", "Answer", "Rule applied")

_FILLS = {
    "red": "D4351C",
    "amber": "F47738",
    "green": "00703C",
    "Yes": "CCE2D8",
    "Partly": "FFF7BF",
    "No": "F6D7D2",
    "Not enough evidence": "E5E6E7",
}


def render_pngs(charts: list[Chart], *, scale: float = 1.5, workers: int | None = None) -> dict[str, bytes]:
    """Every chart as PNG by vl-convert, by chart id (in worker processes for a large report)."""
    drawn = draw_many([c.spec for c in charts], "png", scale=scale, workers=workers)
    return {c.id: png if isinstance(png, bytes) else png.encode() for c, png in zip(charts, drawn, strict=True)}


class _Writer:
    """Writes one report (and its annexes) into a python-docx Document."""

    def __init__(self, doc: Any, pngs: Mapping[str, bytes]) -> None:
        from docx.shared import Cm, Pt, RGBColor  # noqa: PLC0415 - optional dependency

        self.doc, self.pngs = doc, pngs
        self.Cm, self.Pt, self.RGBColor = Cm, Pt, RGBColor

    def shade(self, cell: Any, fill: str) -> None:
        from docx.oxml import OxmlElement  # noqa: PLC0415
        from docx.oxml.ns import qn  # noqa: PLC0415

        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), fill)
        cell._tc.get_or_add_tcPr().append(shd)

    def para(self, text: str, *, bold: bool = False, red: bool = False, size: float | None = None) -> Any:
        p = self.doc.add_paragraph()
        run = p.add_run(text)
        run.bold = bold
        if red:
            run.font.color.rgb = self.RGBColor(0xD4, 0x35, 0x1C)
        if size:
            run.font.size = self.Pt(size)
        return p

    def note(self, illustrative: bool) -> None:
        if illustrative:
            self.para(ILLUSTRATIVE_NOTE + ".", red=True, size=8)

    def table(
        self,
        caption: str,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        illustrative: bool = False,
        fills: Mapping[tuple[int, int], str] | None = None,
    ) -> Any:
        self.para(caption, bold=True, size=9)
        self.note(illustrative)
        t = self.doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        for i, text in enumerate(header):
            cell = t.rows[0].cells[i]
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
            self.shade(cell, "F3F2F1")
        for r, row in enumerate(rows):
            cells = t.add_row().cells
            for i, text in enumerate(row):
                cells[i].text = text
                if fills and (r, i) in fills:
                    self.shade(cells[i], fills[(r, i)])
        for row in t.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    for run in p.runs:
                        run.font.size = self.Pt(8)
        self.doc.add_paragraph()
        return t

    def chart(self, chart: Chart) -> None:
        self.doc.add_picture(io.BytesIO(self.pngs[chart.id]), width=self.Cm(16))
        self.para(chart.description, size=8)
        self.note(chart.illustrative)

    # ---- sections -------------------------------------------------------------------------------
    def values(self, caption: str, rows: Sequence[ValueRow], unit: str) -> None:
        self.table(
            f"{caption} ({unit})",
            ("Period", "Value", "95% interval", "Count", "Denominator", "Lineage"),
            [
                (
                    r.period,
                    fmt_num(r.value),
                    fmt_interval(r.lower, r.upper),
                    fmt_num(r.count, "—"),
                    fmt_num(r.denominator, "—"),
                    r.lineage,
                )
                for r in rows
            ],
            illustrative=any(r.illustrative for r in rows),
        )

    def targets(self, caption: str, targets: Sequence[TargetStatus]) -> None:
        self.table(
            caption,
            ("Target", "Baseline", "Target", "Latest", "Status"),
            [
                (
                    t.title,
                    f"{fmt_num(t.baseline)} ({t.baseline_period or '—'})",
                    ("close the gap" if t.kind == "gap_closing" else fmt_num(t.target_value))
                    + (f" by {t.target_period}" if t.target_period else ""),
                    f"{fmt_num(t.latest)} ({t.latest_period or '—'})",
                    t.status + (" (illustrative)" if t.illustrative else ""),
                )
                for t in targets
            ],
            illustrative=any(t.illustrative for t in targets),
        )

    def gaps(self, caption: str, gaps: Sequence[GapVerdict]) -> None:
        self.table(
            caption,
            ("Indicator", "Gap", "Period", "Latest gap", "95% interval", "Trend of the gap"),
            [
                (
                    g.indicator,
                    g.label,
                    g.latest_period or "—",
                    fmt_signed(g.latest_gap),
                    fmt_interval(g.lower, g.upper),
                    g.verdict + (" (illustrative)" if g.illustrative else ""),
                )
                for g in gaps
            ],
            illustrative=any(g.illustrative for g in gaps),
        )

    def risks(self, caption: str, risks: Sequence[RiskRow]) -> None:
        self.table(
            caption,
            ("Risk", "Owner", "L", "I", "Score", "Level", "Review due", "Mitigations"),
            [
                (
                    f"{r.id}: {r.title}" + (" (illustrative)" if r.illustrative else ""),
                    r.owner or "no owner",
                    str(r.likelihood),
                    str(r.impact),
                    str(r.score),
                    r.level,
                    fmt_date(r.review_date, "none set") + (" overdue" if r.review_overdue else ""),
                    "; ".join(r.mitigations) or "none recorded",
                )
                for r in risks
            ],
            illustrative=any(r.illustrative for r in risks),
        )

    def indicator(self, s: IndicatorSection, level: int) -> None:
        p = s.page
        self.doc.add_heading(f"{p.code}: {p.title}", level)
        latest = s.latest
        self.para(
            f"{s.area_name} · {p.unit} · {p.polarity.replace('_', ' ')}. Latest: "
            + (
                f"{fmt_num(latest.value)} in {latest.period} ({fmt_interval(latest.lower, latest.upper)})"
                if latest
                else f"no headline value for {s.area_name}"
            )
            + f". Trend: {p.trend}"
            + (f" ({p.trend_detail})" if p.trend_detail else "")
            + "."
        )
        self.note(s.illustrative)
        for chart in s.charts:
            self.chart(chart)
        if s.headline:
            self.values(f"Values for {s.area_name}", s.headline, p.unit)
        if p.gaps:
            self.gaps("Gaps", p.gaps)
        if s.breakdowns:
            self.table(
                f"Breakdown by population group and area ({p.unit})",
                ("Group or area", "Period", "Value", "95% interval", "Lineage"),
                [
                    (b.label, b.row.period, fmt_num(b.row.value), fmt_interval(b.row.lower, b.row.upper), b.row.lineage)
                    for b in s.breakdowns
                ],
                illustrative=any(b.row.illustrative for b in s.breakdowns),
            )
        if p.targets:
            self.targets("Targets", p.targets)
        for c in s.commentary:
            self.para(f"Commentary ({c.status}): {c.text} — {c.author}, {fmt_date(c.written_at)}")

    def report(self, r: BoardReport, level: int) -> None:
        d = r.data
        title = f"{r.annex_label}: {d.board.name}" if r.annex_label else r.title
        self.doc.add_heading(title, level - 1 if level > 1 else 0)
        self.para(d.partnership)
        self.para(r.status, bold=True)
        self.para(f"Approval: {r.approval}")
        if d.illustrative:
            self.para(
                "Illustrative data: some figures in this report come from generated demo data, not real "
                "observations. Every table and chart that shows them says so.",
                red=True,
                bold=True,
            )
        self.para(
            f"Reporting cycle {d.cycle.name}: data cut-off {fmt_date(d.cycle.data_cutoff)}, action updates "
            f"due {fmt_date(d.cycle.action_deadline)}. Generated {fmt_when(d.generated_at)} from framework "
            f"{d.framework_id} revision {d.framework_revision}."
        )
        for n in r.notes:
            self.para(f"Note: {n}")
        write_cover(self, r)
        write_summary(self, r, level)
        write_exceptions(self, r, level)
        self.doc.add_heading("Key Performance Questions", level)
        if r.kpqs:
            self.table(
                f"KPQ answers, {d.cycle.name}",
                KPQ_TABLE_HEADER,
                [(k.id, k.question, k.answer + (" (illustrative)" if k.illustrative else ""), k.rule) for k in r.kpqs],
                illustrative=any(k.illustrative for k in r.kpqs),
                fills={(i, 2): _FILLS[k.answer] for i, k in enumerate(r.kpqs)},
            )
            for k in r.kpqs:
                self.doc.add_heading(f"{k.id}: {k.question}", level + 1)
                self.para(f"Answer: {k.answer} ({k.rule}). Ambition {k.ambition}: {k.ambition_title}.")
                if k.findings:
                    self.table(
                        f"Evidence for {k.id}",
                        ("Evidence", "Kind", "Points", "Statistical verdict", "Lineage"),
                        [
                            (
                                f.label,
                                f.measure,
                                f.direction,
                                f.verdict + (f" — {f.detail}" if f.detail else ""),
                                f.lineage,
                            )
                            for f in k.findings
                        ],
                        illustrative=k.illustrative,
                    )
                for c in k.commentary:
                    self.para(f"Commentary ({c.status}): {c.text} — {c.author}, {fmt_date(c.written_at)}")
        else:
            self.para("This board's scope has no Key Performance Questions.")
        self.doc.add_heading("Indicators", level)
        self.para(
            f"{len(r.sections)} indicator(s) with data up to the cut-off; {len(r.without_data)} with none. "
            "Intervals are 95% confidence intervals."
        )
        for s in r.sections:
            self.indicator(s, level + 1)
        if r.without_data:
            self.table(
                "Indicators with no data up to the cut-off",
                ("Indicator", "Title", "Unit"),
                [(p.code, p.title, p.unit) for p in r.without_data],
            )
        if not r.annex_label:
            self.doc.add_heading("Action progress", level)
            if r.rag_chart is not None:
                self.chart(r.rag_chart)
            reds = r.exceptions.actions
            if reds:
                self.table(
                    "Actions rated red or past their deadline",
                    ("No.", "Action", "Lead", "RAG", "Why it is here"),
                    [
                        (
                            x.action.number,
                            x.action.text,
                            x.action.lead_officer or "no lead officer",
                            x.action.rag or "not updated",
                            x.reason,
                        )
                        for x in reds
                    ],
                    fills={(i, 3): _FILLS[x.action.rag] for i, x in enumerate(reds) if x.action.rag in _FILLS},
                )
            elif r.action_groups:
                self.para("No action is rated red or past its deadline.")
            if r.action_groups:
                self.para("Every action in scope, with its latest update, is listed in the annex at the end.")
            if not r.action_groups:
                self.para("No action is in this board's scope.")
            self.doc.add_heading("Risks", level)
            rs = r.risks
            if rs.risks:
                self.para(
                    f"{rs.by_level['high']} high, {rs.by_level['medium']} medium and {rs.by_level['low']} low "
                    f"open risk(s); {rs.overdue_reviews} overdue for review."
                )
                if rs.chart is not None:
                    self.chart(rs.chart)
                self.table(
                    "Heat map: open risks by likelihood (rows) and impact (columns)",
                    ("Likelihood", "1", "2", "3", "4", "5"),
                    [(str(li), *(str(rs.grid[li - 1][i]) for i in range(5))) for li in range(5, 0, -1)],
                    illustrative=rs.illustrative,
                )
                self.risks("Risk register, highest score first", rs.risks)
            else:
                self.para("No risk in the register is linked to this board's scope.")
            write_research(self, r, level)
        self.doc.add_heading("Commentary", level)
        for c in r.commentary:
            self.para(
                f"{'On the report' if c.subject_kind == 'report' else 'On outcome ' + c.subject_id} "
                f"({c.status}): {c.text} — {c.author}, {fmt_date(c.written_at)}"
            )
        if not r.commentary:
            self.para("No commentary on the report as a whole was written in this cycle.")
        self.doc.add_heading("Where the numbers come from", level)
        if r.batches:
            self.table(
                "Import batches behind this report's numbers",
                ("Batch", "Name", "File", "Loaded", "Data"),
                [
                    (
                        str(b.id),
                        b.name,
                        b.file_name or "—",
                        fmt_when(b.loaded_at, "—"),
                        "illustrative demo data" if b.illustrative else "observed",
                    )
                    for b in r.batches
                ],
                illustrative=any(b.illustrative for b in r.batches),
            )
        else:
            self.para("No imported data: every number shown is stated in the plan documents.")
        write_all_actions(self, r, level, _FILLS)
        for a in r.annexes:
            self.doc.add_page_break()
            self.report(a, level + 1)


def render_docx(report: BoardReport, pngs: Mapping[str, bytes] | None = None) -> bytes:
    """The report as a .docx file's bytes; raises :class:`GapwatchError` if python-docx is missing."""
    try:
        import docx  # noqa: PLC0415 - an optional dependency (the "reports" extra)
        from docx.shared import Cm, Pt  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise GapwatchError(
            "Word reports need python-docx, which is not installed",
            hint="Install the reports extra: pip install 'gapwatch[reports]'.",
        ) from exc
    drawn = render_pngs(report.charts) if pngs is None else pngs
    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin = section.bottom_margin = Cm(1.8)
    section.header.paragraphs[0].text = f"{report.data.board.name} · {report.data.cycle.name}" + (
        " · includes illustrative demo data" if report.illustrative else ""
    )
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(9.5)
    doc.core_properties.title = report.title
    doc.core_properties.author = "gapwatch"
    _Writer(doc, drawn).report(report, 1)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
