"""Publication: an approved, frozen board report on /public with its open data, small numbers protected.

Only a report its board's chair (or a delegate) approved can be published, and only the frozen version
that was approved (the approval records the snapshot's SHA-256); once published, the approval is frozen
(:mod:`gapwatch.services.approvals`), and taking the report down is its own audited decision
(:func:`gapwatch.services.approvals.withdraw_publication`) that /public reports with its date and reason.

Before anything leaves the building every figure passes disclosure control
(:func:`gapwatch.analysis.disclosure.disclosure_pattern`), decided over everything a reader could put side by
side: every board's report of the cycle at once, and every earlier publication (a cell published before is
known to the reader; a cell withheld before stays withheld). Per indicator, one of the GSS guidance's two
disciplines:

* **threshold** (default) — a count from 1 to threshold - 1 (default 1-4; per indicator through
  ``suppression_threshold``, else ``settings.suppression_threshold``) is withheld, whatever column it sits
  in: a count indicator's value (NI 48), a proportion's or rate's numerator (worked out from value x
  denominator when need be), a small denominator, a proportion's small complement. Secondary suppression
  then protects every additive relation a reader can difference — districts within their county, groupings
  such as "rest of Kent", each breakdown within its whole population, single periods within pooled or
  rolling ones — and a linear-programming audit checks that no withheld small count can be proved small by
  any combination of them;
* **rounding** — counts and denominators to the nearest 5, counts of 1 to 7 withheld, values and intervals
  worked out again from the rounded figures.

Derived figures follow their cells: intervals, gaps, gap-closing and level targets (latest and baseline, for
any area) are withheld wherever a cell they come from is; free text with numbers is left out; only approved
commentary is published. Blanks carry the GSS symbols ``[c]``, ``[x]``, ``[z]`` and ``[low]``, explained in
the notes. The public report is stored with the publication, so /public shows exactly what was published,
and the open data (CSV, JSON and the notes) are generated from it through the one formula-safe writer
(:mod:`gapwatch.services.csv_safe`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gapwatch.analysis.disclosure import ROUNDING_BASE, ROUNDING_WITHHELD_UP_TO, disclosure_pattern
from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may
from gapwatch.domain.indicators import DisclosureControl
from gapwatch.errors import Conflict, NotFound
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services._public_report import (
    CONFIDENTIAL,
    NOT_AVAILABLE,
    SYMBOLS,
    Key,
    PublicReport,
    cell_id,
    decisions_of,
    gap_id,
    public_version,
)
from gapwatch.services.csv_safe import csv_text, defuse_all
from gapwatch.services.cycles import cycle_row, find_board
from gapwatch.services.report_data import ReportData, SeriesPoint
from gapwatch.settings import Settings
from gapwatch.store.audit import record_audit
from gapwatch.store.cycles import CycleRow, PublicationRow, ReportApprovalRow, SnapshotRow
from gapwatch.store.engine import session_scope

__all__ = [
    "CSV_COLUMNS",
    "NOT_AVAILABLE",
    "SYMBOLS",
    "PublicReport",
    "PublicView",
    "PublicationInfo",
    "Withdrawn",
    "cell_id",
    "csvw_metadata",
    "disclosure_control",
    "gap_id",
    "list_publications",
    "list_withdrawals",
    "open_data",
    "public_report",
    "public_view",
    "publish",
]

CSV_COLUMNS: tuple[str, ...] = (
    "indicator",
    "indicator_code",
    "indicator_title",
    "period",
    "area_code",
    "area_name",
    "breakdown_id",
    "breakdown",
    "category_id",
    "category",
    "value",
    "lower_95",
    "upper_95",
    "count",
    "denominator",
    "unit",
    "suppressed",
    "disclosure_control",
    "illustrative",
    "batch",
)
_KEY = ("indicator", "period", "area", "category_type", "category")
_ROLE_NAMES = {"admin": "an administrator", "performance_officer": "a performance officer"}


class Withdrawn(NotFound):
    """The publication was withdrawn: it is no longer on /public (HTTP 410 Gone)."""

    code = "withdrawn"
    status_code = 410


@dataclass(frozen=True)
class PublicationInfo:
    """A publication: which report, when, by whom, how many cells disclosure control withheld, and —
    once withdrawn — when, by whom (a role, for the public) and why."""

    cycle: str
    board: str
    board_name: str
    published_at: datetime
    published_by: str
    cells: int
    suppressed: int
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawn_by_role: str | None = None
    withdrawal_reason: str | None = None

    @property
    def withdrawn(self) -> bool:
        """Whether the publication has been withdrawn from /public."""
        return self.withdrawn_at is not None


@dataclass(frozen=True)
class PublicView:
    """What /public shows of a publication: the report as published with its symbols, or its withdrawal."""

    info: PublicationInfo
    published: PublicReport | None


# --- disclosure control over the cycle ------------------------------------------------------------------


def _rows_of(report: ReportData) -> list[dict[str, Any]]:
    return [
        {
            "indicator": page.id,
            "period": p.period,
            "area": p.area,
            "category_type": p.category_type,
            "category": p.category,
            "count": p.count,
            "denominator": p.denominator,
            "value": p.value,
        }
        for page in report.indicators
        for p in page.headline + page.breakdowns
    ]


_FRAME_SCHEMA = {
    "indicator": pl.String,
    "period": pl.String,
    "area": pl.String,
    "category_type": pl.String,
    "category": pl.String,
    "count": pl.Float64,
    "denominator": pl.Float64,
    "value": pl.Float64,
}


def disclosure_control(
    plan: Plan, rows: pl.DataFrame, default_threshold: int, earlier: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The disclosure-control decision for observation rows (the union of a cycle's reports).

    ``rows`` has ``indicator, period, area, category_type, category, count, denominator, value`` ('' for the
    whole population; other columns are ignored). ``earlier``: cells of earlier publications (the same keys
    plus ``withheld``). Returns :func:`gapwatch.analysis.disclosure.disclosure_pattern`'s frame with
    ``suppressed`` (withheld) and ``suppression_reason`` besides.
    """
    frame = rows.select([pl.col(c).cast(t) for c, t in _FRAME_SCHEMA.items() if c in rows.columns])
    for c, t in _FRAME_SCHEMA.items():
        if c not in frame.columns:
            frame = frame.with_columns(pl.lit(None, t).alias(c))
    pattern = disclosure_pattern(plan.framework, frame, default_threshold=default_threshold, earlier=earlier)
    return pattern.with_columns(pl.col("withheld").alias("suppressed"), pl.col("reason").alias("suppression_reason"))


def _earlier(session: Session, plan: Plan) -> pl.DataFrame:
    """Every cell of every earlier publication of this framework (withdrawn ones too: they were public)."""
    texts = session.scalars(
        select(PublicationRow.csv)
        .join(CycleRow, CycleRow.pk == PublicationRow.cycle_pk)
        .where(CycleRow.framework_pk == plan.pk)
    ).all()
    rows = [
        (r["indicator"], r["period"], r["area_code"], r["breakdown_id"], r["category_id"], r["suppressed"] == "yes")
        for text in texts
        for r in csv.DictReader(io.StringIO(text))
    ]
    return pl.DataFrame(
        rows,
        schema={**{k: pl.String for k in _KEY}, "withheld": pl.Boolean},
        orient="row",
    )


def _snapshots(session: Session, cycle: CycleRow) -> list[SnapshotRow]:
    return list(session.scalars(select(SnapshotRow).where(SnapshotRow.cycle_pk == cycle.pk)))


def publish(
    engine: Engine, cycle: str | None, board: str, *, by: Actor | str, settings: Settings | None = None
) -> PublicationInfo:
    """Publish a board's approved report: disclosure control, then the public report and its open data.

    ``by`` (a name stands for an operator) needs :attr:`~gapwatch.domain.access.Permission.MANAGE_DATA`; the
    publication is audited in its own transaction. Refused with :class:`Conflict` when the cycle is still
    open, the report is not approved (or the approval was of another version), or it is already published
    (or was, and was withdrawn); nothing is written then.
    """
    who = as_actor(by)
    ensure_may(who, Permission.MANAGE_DATA, doing="publish a report")
    threshold = (settings or Settings()).suppression_threshold
    with session_scope(engine) as session:
        plan = current_plan(session)
        row = cycle_row(session, plan, cycle)
        found = find_board(plan, board)
        if row.status != "closed":
            raise Conflict(f"Reporting cycle '{row.name}' is still open: close and approve the report first")
        snaps = {s.board_id: s for s in _snapshots(session, row)}
        snap = snaps.get(found.id)
        if snap is None:
            raise NotFound(f"Cycle '{row.name}' has no report for '{found.name}' (not in its scope)")
        approval = session.scalar(
            select(ReportApprovalRow).where(
                ReportApprovalRow.cycle_pk == row.pk, ReportApprovalRow.board_id == found.id
            )
        )
        if approval is None or approval.status != "approved":
            state = "has not been approved" if approval is None else f"was {approval.status}"
            raise Conflict(
                f"The {found.name} report for {row.name} {state}: only approved reports are published",
                hint="The board's chair (or a delegate) approves it with `gapwatch cycle approve`.",
            )
        if approval.snapshot_sha256 != snap.sha256:
            raise Conflict("The approval was given to another version of this report; approve it again")
        existing = session.scalar(
            select(PublicationRow).where(PublicationRow.cycle_pk == row.pk, PublicationRow.board_id == found.id)
        )
        if existing is not None:
            withdrawn = f", withdrawn on {existing.withdrawn_at:%Y-%m-%d}" if existing.withdrawn_at is not None else ""
            raise Conflict(
                f"The {found.name} report for {row.name} is already published "
                f"({existing.published_at:%Y-%m-%d} by {existing.published_by}{withdrawn})"
            )
        reports = {b: ReportData.model_validate_json(s.data) for b, s in snaps.items()}
        original: dict[Key, SeriesPoint] = {}
        for rep in reports.values():
            for page in rep.indicators:
                for p in page.headline + page.breakdowns:
                    original.setdefault((page.id, p.period, p.area, p.category_type, p.category), p)
        union = pl.DataFrame([r for rep in reports.values() for r in _rows_of(rep)], schema=_FRAME_SCHEMA)
        pattern = disclosure_control(plan, union, threshold, _earlier(session, plan))
        public = public_version(reports[found.id], decisions_of(pattern), plan, original, threshold)
        own = sum(len(p.headline) + len(p.breakdowns) for p in public.report.indicators)
        withheld = len(public.withheld)
        at = datetime.now(UTC)
        session.add(
            PublicationRow(
                cycle_pk=row.pk,
                board_id=found.id,
                published_at=at,
                published_by=who.username,
                snapshot_sha256=snap.sha256,
                data=public.model_dump_json(),
                csv=_csv(plan, public),
                cells=own,
                suppressed=withheld,
            )
        )
        reasons: dict[str, int] = {}
        for why in public.withheld.values():
            reasons[why] = reasons.get(why, 0) + 1
        published = {"snapshot_sha256": snap.sha256, "cells": own, "suppressed": withheld, "reasons": reasons}
        record_audit(session, who, "report.publish", f"report:{row.name}/{found.id}", None, published)
        return PublicationInfo(row.name, found.id, found.name, at, who.username, own, withheld)


# --- the open data --------------------------------------------------------------------------------------


def _number(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _method_text(method: str, threshold: int) -> str:
    if method == DisclosureControl.ROUNDING.value:
        return f"rounded to the nearest {ROUNDING_BASE}, 1 to {ROUNDING_WITHHELD_UP_TO} withheld"
    return f"counts of 1 to {threshold - 1} withheld, with the figures they could be worked out from"


def _observations(plan: Plan, public: PublicReport) -> list[dict[str, object]]:
    types = {ct.id: ct.name for ct in plan.framework.groups}
    cats = {(ct.id, c.id): c.name for ct in plan.framework.groups for c in ct.categories}
    rows: list[dict[str, object]] = []
    for page in public.report.indicators:
        method = public.methods.get(page.id, DisclosureControl.THRESHOLD.value)
        for p in page.headline + page.breakdowns:
            cid = cell_id(page.id, p.period, p.area, p.category_type, p.category)
            marks = public.cells.get(cid, {})
            rows.append(
                {
                    "indicator": page.id,
                    "indicator_code": page.code,
                    "indicator_title": page.title,
                    "period": p.period,
                    "area_code": p.area,
                    "area_name": plan.areas.get(p.area, p.area),
                    "breakdown_id": p.category_type,
                    "breakdown": types.get(p.category_type, p.category_type),
                    "category_id": p.category,
                    "category": cats.get((p.category_type, p.category), p.category),
                    "value": marks.get("value") or _number(p.value),
                    "lower_95": marks.get("lower") or _number(p.lower),
                    "upper_95": marks.get("upper") or _number(p.upper),
                    "count": marks.get("count") or _number(p.count),
                    "denominator": marks.get("denominator") or _number(p.denominator),
                    "unit": page.unit,
                    "suppressed": "yes" if cid in public.withheld else "no",
                    "disclosure_control": method,
                    "illustrative": "yes" if p.illustrative else "no",
                    "batch": "" if p.batch is None else p.batch,
                }
            )
    return rows


def _csv(plan: Plan, public: PublicReport) -> str:
    """The open data CSV: one row per published figure, blanks marked with their GSS symbol."""
    return csv_text(CSV_COLUMNS, _observations(plan, public))


def _rule(public: PublicReport, indicator: str) -> dict[str, object]:
    """How an indicator's small numbers were protected, for the JSON open data."""
    method = public.methods.get(indicator, DisclosureControl.THRESHOLD.value)
    threshold = public.thresholds.get(indicator, 5)
    rule: dict[str, object] = {"method": method, "rule": _method_text(method, threshold)}
    if method == DisclosureControl.ROUNDING.value:
        rule.update(base=ROUNDING_BASE, withheld_up_to=ROUNDING_WITHHELD_UP_TO)
    else:
        rule.update(threshold=threshold)
    return rule


def _notes(public: PublicReport, plan: Plan) -> list[dict[str, str]]:
    """The notes sheet: what each symbol means, and how each indicator's small numbers were protected."""
    notes = [{"note": symbol, "text": meaning} for symbol, meaning in SYMBOLS.items()]
    for page in public.report.indicators:
        method = public.methods.get(page.id, DisclosureControl.THRESHOLD.value)
        threshold = public.thresholds.get(page.id, 5)
        notes.append({"note": f"{page.code}", "text": f"{page.title}: {_method_text(method, threshold)}"})
    return notes


def _load(pub: PublicationRow) -> PublicReport:
    """The stored public report (publications made before symbols were stored are read as they were)."""
    doc = json.loads(pub.data)
    if "report" in doc:
        return PublicReport.model_validate(doc)
    report = ReportData.model_validate(doc)
    public = PublicReport(report=report)
    for r in csv.DictReader(io.StringIO(pub.csv)):
        if r.get("suppressed") == "yes":
            cid = cell_id(r["indicator"], r["period"], r["area_code"], r["breakdown_id"], r["category_id"])
            public.cells[cid] = {c: CONFIDENTIAL for c in ("value", "lower", "upper", "count", "denominator")}
            public.withheld[cid] = "withheld"
    return public


def _info(pub: PublicationRow, cycle: str, plan: Plan) -> PublicationInfo:
    return PublicationInfo(
        cycle,
        pub.board_id,
        plan.boards[pub.board_id].name if pub.board_id in plan.boards else pub.board_id,
        pub.published_at,
        pub.published_by,
        pub.cells,
        pub.suppressed,
        pub.withdrawn_at,
        pub.withdrawn_by,
        _ROLE_NAMES.get(pub.withdrawn_role or "", "the partnership") if pub.withdrawn_at else None,
        pub.withdrawal_reason,
    )


def _publication(
    session: Session, plan: Plan, cycle: str | None, board: str, *, withdrawn_too: bool = False
) -> tuple[CycleRow, PublicationRow]:
    row = cycle_row(session, plan, cycle)
    found = find_board(plan, board)
    pub = session.scalar(
        select(PublicationRow).where(PublicationRow.cycle_pk == row.pk, PublicationRow.board_id == found.id)
    )
    if pub is None:
        raise NotFound(f"The {found.name} report for {row.name} has not been published")
    if pub.withdrawn_at is not None and not withdrawn_too:
        raise Withdrawn(
            f"The {found.name} report for {row.name} was withdrawn on {pub.withdrawn_at:%d %B %Y}: "
            f"{pub.withdrawal_reason}"
        )
    return row, pub


def public_report(engine: Engine, cycle: str | None, board: str) -> ReportData:
    """The report as published (suppressed), for /public; :class:`Withdrawn` once withdrawn."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        _, pub = _publication(session, plan, cycle, board)
        return _load(pub).report


def public_view(engine: Engine, cycle: str | None, board: str) -> PublicView:
    """What /public shows: the published report with its symbols, or — once withdrawn — only the withdrawal."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        row, pub = _publication(session, plan, cycle, board, withdrawn_too=True)
        info = _info(pub, row.name, plan)
        return PublicView(info=info, published=None if info.withdrawn else _load(pub))


def open_data(engine: Engine, cycle: str | None, board: str, fmt: str = "csv") -> str:
    """The open data behind a published report: ``csv`` of every figure (symbols for blanks), ``json`` with
    the KPQ answers, targets and gaps too, or ``notes`` (CSV: what the symbols mean, how each indicator's
    small numbers were protected). Every cell and string goes through the formula-safe writer."""
    if fmt not in ("csv", "json", "notes"):
        raise NotFound(f"Open data come as csv, json or notes, not '{fmt}'")
    with session_scope(engine) as session:
        plan = current_plan(session)
        row, pub = _publication(session, plan, cycle, board)
        public = _load(pub)
        if fmt == "notes":
            return csv_text(("note", "text"), _notes(public, plan))
        # Read back through the writer: publications stored before it was shared are made safe on the way out.
        rows = list(csv.DictReader(io.StringIO(pub.csv)))
        if fmt == "csv":
            return csv_text(list(rows[0]) if rows else CSV_COLUMNS, rows)
        report = public.report
        doc = {
            "partnership": report.partnership,
            "framework": report.framework_id,
            "cycle": row.name,
            "board": report.board.name,
            "published_at": pub.published_at.isoformat(),
            "illustrative": report.illustrative,
            "symbols": SYMBOLS,
            "disclosure_control": {page.id: _rule(public, page.id) for page in report.indicators},
            "kpqs": [
                {
                    "kpq": k.answer.kpq,
                    "question": k.answer.question,
                    "answer": k.answer.answer.value,
                    "rule": k.answer.rule,
                    "reasons": [
                        {"label": f.label, "measure": f.measure, "direction": f.direction.value, "verdict": f.verdict}
                        for f in k.answer.reasons
                    ],
                }
                for k in report.kpqs
            ],
            "targets": [
                {**t.model_dump(mode="json", exclude={"batches"}), "symbols": public.targets.get(t.target, {})}
                for t in report.targets
            ],
            "gaps": [
                {
                    **g.model_dump(mode="json", exclude={"batches"}),
                    "symbols": {
                        **({"latest_gap": public.gap_latest[gap_id(g)]} if gap_id(g) in public.gap_latest else {}),
                        **{
                            p.period: public.gap_points[f"{gap_id(g)}|{p.period}"]
                            for p in g.points
                            if f"{gap_id(g)}|{p.period}" in public.gap_points
                        },
                    },
                }
                for g in report.gaps
            ],
            "observations": rows,
        }
        return json.dumps(defuse_all(doc), indent=1, ensure_ascii=False)


# --- the data dictionary (CSV on the Web) -----------------------------------------------------------------

#: Each open-data column: its title, what it holds, and its CSVW datatype. Numeric columns may hold a GSS
#: symbol instead of a number (declared as the column's ``null`` values, so a CSVW reader sees a blank).
CSV_DICTIONARY: dict[str, tuple[str, str, str]] = {
    "indicator": ("Indicator id", "The indicator's id in the partnership's framework.", "string"),
    "indicator_code": ("Indicator code", "The indicator's published code, e.g. 'NI 102'.", "string"),
    "indicator_title": ("Indicator", "What the indicator measures.", "string"),
    "period": (
        "Period",
        "The period the figure is for (year, academic year 'AY', financial year 'FY' or span).",
        "string",
    ),
    "area_code": ("Area code", "The area's GSS code (ONS), or the partnership's code for a local area.", "string"),
    "area_name": ("Area", "The area's name.", "string"),
    "breakdown_id": ("Breakdown id", "The population breakdown's id; blank for the whole population.", "string"),
    "breakdown": (
        "Breakdown",
        "The population breakdown (e.g. free school meal eligibility); blank for all.",
        "string",
    ),
    "category_id": ("Group id", "The group's id within the breakdown; blank for the whole population.", "string"),
    "category": ("Group", "The group within the breakdown (e.g. eligible for free school meals).", "string"),
    "value": ("Value", "The indicator's value, in the unit of the 'unit' column.", "number"),
    "lower_95": ("Lower 95% limit", "Lower limit of the 95% confidence interval of the value.", "number"),
    "upper_95": ("Upper 95% limit", "Upper limit of the 95% confidence interval of the value.", "number"),
    "count": ("Count", "The numerator: how many people or events the value counts.", "number"),
    "denominator": ("Denominator", "The population the count is out of (blank [z] for counts).", "number"),
    "unit": ("Unit", "The unit of value and limits (e.g. '%', 'per 1,000', 'percentage points').", "string"),
    "suppressed": ("Withheld", "'yes' when disclosure control withheld this row's figures, else 'no'.", "string"),
    "disclosure_control": (
        "Disclosure control",
        "How small numbers were protected: 'threshold' (small counts withheld, with what they could be worked "
        "out from) or 'rounding' (counts to the nearest 5, small ones withheld).",
        "string",
    ),
    "illustrative": ("Illustrative", "'yes' for generated demonstration values, not real data.", "string"),
    "batch": ("Import batch", "The import the figure came from; blank for figures stated in the plan.", "string"),
}
_NULLS = ["", *SYMBOLS]
#: How intervals are computed for each kind of measure (docs/statistics.md; PHEindicatormethods' methods).
INTERVAL_METHODS: dict[str, str] = {
    "proportion": "95% interval by the Wilson score method (Wilson 1927; PHEindicatormethods phe_proportion)",
    "rate": "95% interval by exact Poisson limits below 10 events and Byar's method from 10 (phe_rate)",
    "count": "95% interval by exact Poisson limits below 10 events and Byar's method from 10",
    "standardised_rate": "95% interval by Dobson's method (phe_dsr)",
}


def _csvw(plan: Plan, public: PublicReport, cycle: str, pub: PublicationRow, csv_url: str) -> dict[str, Any]:
    report = public.report
    columns: list[dict[str, Any]] = []
    for name in CSV_COLUMNS:
        title, description, datatype = CSV_DICTIONARY[name]
        column: dict[str, Any] = {"name": name, "titles": title, "dc:description": description, "datatype": datatype}
        column["null"] = _NULLS if datatype == "number" else [""]
        if name in ("indicator", "period", "area_code", "suppressed", "disclosure_control", "illustrative"):
            column["required"] = True
        columns.append(column)
    indicators = []
    for page in report.indicators:
        ind = plan.indicators.get(page.id)
        measure = ind.measure.value if ind else page.measure
        indicators.append(
            {
                "dc:identifier": page.id,
                "dc:title": f"{page.code}: {page.title}",
                "unit": page.unit,
                "measure": measure,
                "method": INTERVAL_METHODS.get(measure, "95% interval as published by the source, when it gives one"),
                "disclosure_control": _rule(public, page.id),
                "dc:source": (ind.data_source if ind is not None and ind.data_source else None),
            }
        )
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": csv_url,
        "dc:title": f"{report.partnership}: {report.board.name}, {cycle} - open data",
        "dc:description": (
            "Every figure in the published report, one row per indicator, period, area and group. Small numbers "
            "are protected by disclosure control before publication; a withheld or missing figure is shown by "
            "its Government Statistical Service symbol, explained in 'notes'."
        ),
        "dc:publisher": report.partnership,
        "dc:issued": pub.published_at.date().isoformat(),
        "dc:license": {"@id": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"},
        "dialect": {"header": True, "encoding": "utf-8"},
        "tableSchema": {
            "columns": columns,
            "primaryKey": ["indicator", "period", "area_code", "breakdown_id", "category_id"],
        },
        "notes": [
            {"type": "symbols", "dc:description": "GSS symbols used in place of numbers", "symbols": dict(SYMBOLS)},
            {
                "type": "indicators",
                "dc:description": "Each indicator's unit, measure, method",
                "indicators": indicators,
            },
        ],
    }


def csvw_metadata(engine: Engine, cycle: str | None, board: str, *, csv_url: str = "data.csv") -> str:
    """The W3C CSV on the Web metadata of a publication's open-data CSV: a ``tableSchema`` describing every column
    (title, description, datatype, which GSS symbols stand in for a number), and per indicator its unit,
    measure, interval method and disclosure control. Served beside the CSV as ``data.csv-metadata.json``
    (the CSVW convention, https://www.w3.org/TR/tabular-data-primer/)."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        row, pub = _publication(session, plan, cycle, board)
        doc = _csvw(plan, _load(pub), row.name, pub, csv_url)
        return json.dumps(defuse_all(doc), indent=1, ensure_ascii=False)


def _listed(engine: Engine, withdrawn: bool) -> list[PublicationInfo]:
    with session_scope(engine) as session:
        plan = current_plan(session)
        query = (
            select(PublicationRow, CycleRow.name)
            .join(CycleRow, CycleRow.pk == PublicationRow.cycle_pk)
            .where(CycleRow.framework_pk == plan.pk)
        )
        if withdrawn:
            query = query.where(PublicationRow.withdrawn_at.is_not(None)).order_by(PublicationRow.withdrawn_at.desc())
        else:
            query = query.where(PublicationRow.withdrawn_at.is_(None)).order_by(PublicationRow.published_at.desc())
        return [_info(p, name, plan) for p, name in session.execute(query).all()]


def list_publications(engine: Engine) -> list[PublicationInfo]:
    """Every publication of the current framework that is on /public, newest first (withdrawn ones are not)."""
    return _listed(engine, withdrawn=False)


def list_withdrawals(engine: Engine) -> list[PublicationInfo]:
    """Every withdrawn publication of the current framework, most recently withdrawn first."""
    return _listed(engine, withdrawn=True)
