"""Publication: an approved, frozen board report on /public with its open data, small numbers protected.

Only a report its board's chair (or a delegate) approved can be published, and only the frozen version
that was approved (the approval records the snapshot's SHA-256). Before anything leaves the building every
number passes disclosure control (:func:`gapwatch.stats.suppression.suppress`):

* **primary suppression** — a cell whose count is 1 to threshold-1 (default 1-4; per indicator through
  ``suppression_threshold``, else ``settings.suppression_threshold``) is withheld; so is a proportion whose
  complement (denominator minus count) is that small, or whose denominator is, since "97% of 100" gives
  away the 3 who did not. Counts missing but derivable (value x denominator) are derived first.
* **secondary suppression** — every additive table is protected: districts within their county, and
  each breakdown (FSM / non-FSM, SEN, deprivation deciles …) within its area's whole-population total, so a
  withheld cell can never be recovered by subtraction; the pattern is computed over every board's report
  in the cycle at once, so two publications of the same cycle cannot be combined to undo it.
* **derived values** — rates, percentages and confidence limits of a withheld cell are withheld with it,
  and so are gaps, SIIs, target outturns and chart points computed from a withheld cell; finding details
  (free text with numbers) are left out of the public version; only approved commentary is published.

The suppressed report is stored with the publication, so /public shows exactly what was published, and
the open data (CSV and JSON) are generated from it.
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

from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may
from gapwatch.errors import Conflict, NotFound
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services.cycles import cycle_row, find_board
from gapwatch.services.report_data import GapVerdict, ReportData, SeriesPoint
from gapwatch.settings import Settings
from gapwatch.stats.suppression import suppress
from gapwatch.store.audit import record_audit
from gapwatch.store.cycles import CycleRow, PublicationRow, ReportApprovalRow, SnapshotRow
from gapwatch.store.engine import session_scope

__all__ = [
    "CSV_COLUMNS",
    "PublicationInfo",
    "disclosure_control",
    "list_publications",
    "open_data",
    "public_report",
    "publish",
    "suppress_report",
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
    "illustrative",
    "batch",
)
_KEY = ("indicator", "period", "area", "category_type", "category")
Key = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class PublicationInfo:
    """A publication: which report, when, by whom, and how many cells disclosure control withheld."""

    cycle: str
    board: str
    board_name: str
    published_at: datetime
    published_by: str
    cells: int
    suppressed: int


def _rows_of(report: ReportData) -> list[dict[str, Any]]:
    out = []
    for page in report.indicators:
        for p in page.headline + page.breakdowns:
            out.append(
                {
                    "indicator": page.id,
                    "period": p.period,
                    "area": p.area,
                    "category_type": p.category_type,
                    "category": p.category,
                    "count": p.count,
                    "denominator": p.denominator,
                    "value": p.value,
                    "measure": page.measure,
                    "threshold": page.suppression_threshold,
                }
            )
    return out


def _derive_counts(df: pl.DataFrame, multipliers: dict[str, float]) -> pl.DataFrame:
    mult = pl.col("indicator").replace_strict(multipliers, default=None, return_dtype=pl.Float64)
    derivable = pl.col("count").is_null() & pl.col("value").is_not_null() & pl.col("denominator").is_not_null()
    derived = (pl.col("value") / mult * pl.col("denominator")).round(0)
    return df.with_columns(
        pl.when(derivable & pl.col("measure").is_in(["proportion", "rate"]))
        .then(derived)
        .otherwise(pl.col("count"))
        .alias("count")
    )


def _small(value: pl.Expr, threshold: int) -> pl.Expr:
    return (value >= 1) & (value < threshold)


def disclosure_control(plan: Plan, rows: pl.DataFrame, default_threshold: int) -> pl.DataFrame:
    """Primary and secondary suppression of observation rows (the union of a cycle's reports).

    ``rows`` has ``indicator, period, area, category_type, category, count, denominator, value, measure,
    threshold`` ('' for the whole population). Tables: each area's children within it (one table family
    per parent level) for every breakdown, and each category type within its area's whole-population row.
    Returns one row per key with ``suppressed`` and ``suppression_reason``. Rows without any count (a
    published percentage with no numerator or denominator) reveal no count and pass through unsuppressed.
    """
    if rows.height == 0:
        return rows.with_columns(pl.lit(False).alias("suppressed"), pl.lit(None, pl.String).alias("suppression_reason"))
    rows = rows.unique(list(_KEY), keep="first", maintain_order=True)
    rows = _derive_counts(rows, {i.id: i.multiplier for i in plan.framework.indicators})
    parents = {a.id: a.parent for a in plan.framework.areas}
    levels = {a.id: a.level.value for a in plan.framework.areas}
    rows = rows.with_columns(
        pl.col("area").replace_strict(parents, default=None, return_dtype=pl.String).alias("_parent"),
        pl.col("area").replace_strict(levels, default="other", return_dtype=pl.String).alias("_level"),
        pl.col("threshold").fill_null(default_threshold).cast(pl.Int64).alias("_threshold"),
    )
    parent_levels = sorted({levels.get(p or "", "other") for p in parents.values() if p})
    specs: list[tuple[list[str], str]] = []
    extra: list[pl.Expr] = []
    for lv in parent_levels:
        is_total = pl.col("_level") == lv
        is_part = pl.col("_parent").replace_strict(levels, default="other", return_dtype=pl.String) == lv
        extra += [
            pl.when(is_total).then(pl.col("area")).when(is_part).then(pl.col("_parent")).alias(f"_t_{lv}"),
            is_total.alias(f"_f_{lv}"),
        ]
        specs.append((["indicator", "period", "category_type", "category", f"_t_{lv}"], f"_f_{lv}"))
    types = sorted(t for t in rows.get_column("category_type").unique().to_list() if t)
    for i, ct in enumerate(types):
        member = (pl.col("category_type") == ct) | (pl.col("category_type") == "")
        extra += [
            pl.when(member).then(pl.col("area")).alias(f"_g_{i}"),
            (pl.col("category_type") == "").alias(f"_h_{i}"),
        ]
        specs.append((["indicator", "period", f"_g_{i}"], f"_h_{i}"))
    rows = rows.with_columns(extra)
    has_count = pl.col("count").is_not_null() | (
        pl.col("denominator").is_not_null() & pl.col("measure").is_in(["proportion", "rate", "count"])
    )
    counted, passed = rows.filter(has_count), rows.filter(~has_count)
    results = []
    for threshold in sorted(set(counted.get_column("_threshold").to_list())):
        part = counted.filter(pl.col("_threshold") == threshold)
        part = part.with_columns(
            pl.when(
                _small(pl.col("denominator"), threshold)
                | ((pl.col("measure") == "proportion") & _small(pl.col("denominator") - pl.col("count"), threshold))
            )
            .then(pl.lit(1.0))
            .otherwise(pl.col("count"))
            .alias("_probe")
        )
        done = suppress(
            part,
            count_cols=["count", "_probe"],
            table_keys=[k for k, _ in specs],
            total_flag=[f for _, f in specs],
            threshold=threshold,
        )
        results.append(done.select(*_KEY, "suppressed", "suppression_reason"))
    results.append(
        passed.select(*_KEY).with_columns(
            pl.lit(False).alias("suppressed"), pl.lit(None, pl.String).alias("suppression_reason")
        )
    )
    return pl.concat(results, how="vertical")


def _withheld(frame: pl.DataFrame) -> set[Key]:
    hits = frame.filter(pl.col("suppressed"))
    return {(str(a), str(b), str(c), str(d), str(e)) for a, b, c, d, e in hits.select(*_KEY).iter_rows()}


def _blank(p: SeriesPoint) -> SeriesPoint:
    return p.model_copy(update={"value": None, "lower": None, "upper": None, "count": None, "denominator": None})


def _gap_withheld(g: GapVerdict, period: str, withheld: set[Key], county: str | None) -> bool:
    ind, area = g.indicator, next((p.area for p in g.points if p.area), "")
    if g.measure == "group_gap":
        types = {k[3] for k in withheld if k[0] == ind}
        return any((ind, period, area, t, c) in withheld for t in types for c in (g.subject, g.comparator))
    if g.measure == "area_gap":
        return any((ind, period, a, "", "") in withheld for a in (g.subject, county) if a)
    return any(k[0] == ind and k[1] == period and k[2] == area and k[3] for k in withheld)


def suppress_report(report: ReportData, withheld: set[Key], county: str | None) -> ReportData:
    """The public version of a report: withheld cells and everything derived from them blanked."""
    data = report.model_copy(deep=True)
    for page in data.indicators:
        page.headline = [
            _blank(p) if (page.id, p.period, p.area, p.category_type, p.category) in withheld else p
            for p in page.headline
        ]
        page.breakdowns = [
            _blank(p) if (page.id, p.period, p.area, p.category_type, p.category) in withheld else p
            for p in page.breakdowns
        ]
        page.trend_detail = None
        for g in page.gaps:
            g.points = [_blank(p) if _gap_withheld(g, p.period, withheld, county) else p for p in g.points]
            last = next((p for p in reversed(g.points) if p.value is not None), None)
            if g.latest_period and _gap_withheld(g, g.latest_period, withheld, county):
                g.latest_gap, g.lower, g.upper = None, None, None
                g.latest_period = last.period if last else None
                if last is not None:
                    g.latest_gap, g.lower, g.upper = last.value, last.lower, last.upper
        for t in page.targets:
            area = county or ""
            if t.latest_period and (page.id, t.latest_period, area, "", "") in withheld:
                t.latest, t.detail = None, "latest value withheld to protect small numbers"
    data.targets = [t for p in data.indicators for t in p.targets]
    data.gaps = [g for p in data.indicators for g in p.gaps]
    for k in data.kpqs:
        for f in k.answer.reasons:
            f.detail = None
    data.commentary = [c for c in data.commentary if c.status == "approved"]
    return data


def _snapshots(session: Session, cycle: CycleRow) -> list[SnapshotRow]:
    return list(session.scalars(select(SnapshotRow).where(SnapshotRow.cycle_pk == cycle.pk)))


def _county(plan: Plan) -> str | None:
    return next((a.id for a in plan.framework.areas if a.level.value == "county"), None)


def publish(
    engine: Engine, cycle: str | None, board: str, *, by: Actor | str, settings: Settings | None = None
) -> PublicationInfo:
    """Publish a board's approved report: disclosure control, then the public report and its open data.

    ``by`` (a name stands for an operator) needs :attr:`~gapwatch.domain.access.Permission.MANAGE_DATA`; the
    publication is audited in its own transaction. Refused with :class:`Conflict` when the cycle is still
    open, the report is not approved (or the approval was of another version), or it is already published;
    nothing is written then.
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
            raise Conflict(
                f"The {found.name} report for {row.name} is already published "
                f"({existing.published_at:%Y-%m-%d} by {existing.published_by})"
            )
        reports = {b: ReportData.model_validate_json(s.data) for b, s in snaps.items()}
        union = [r for rep in reports.values() for r in _rows_of(rep)]
        frame = pl.DataFrame(
            union,
            schema={
                "indicator": pl.String,
                "period": pl.String,
                "area": pl.String,
                "category_type": pl.String,
                "category": pl.String,
                "count": pl.Float64,
                "denominator": pl.Float64,
                "value": pl.Float64,
                "measure": pl.String,
                "threshold": pl.Int64,
            },
        )
        pattern = disclosure_control(plan, frame, threshold)
        withheld = _withheld(pattern)
        public = suppress_report(reports[found.id], withheld, _county(plan))
        own = _rows_of(public)
        blanked = sum(1 for r in own if r["value"] is None and r["count"] is None and r["denominator"] is None)
        at = datetime.now(UTC)
        text = public.model_dump_json()
        session.add(
            PublicationRow(
                cycle_pk=row.pk,
                board_id=found.id,
                published_at=at,
                published_by=who.username,
                snapshot_sha256=snap.sha256,
                data=text,
                csv=_csv(plan, public),
                cells=len(own),
                suppressed=blanked,
            )
        )
        published = {"snapshot_sha256": snap.sha256, "cells": len(own), "suppressed": blanked}
        record_audit(session, who, "report.publish", f"report:{row.name}/{found.id}", None, published)
        return PublicationInfo(row.name, found.id, found.name, at, who.username, len(own), blanked)


def _csv(plan: Plan, report: ReportData) -> str:
    types = {ct.id: ct.name for ct in plan.framework.groups}
    cats = {(ct.id, c.id): c.name for ct in plan.framework.groups for c in ct.categories}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for page in report.indicators:
        for p in page.headline + page.breakdowns:
            withheld = p.value is None and p.count is None and p.denominator is None
            writer.writerow(
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
                    "value": _cell(p.value),
                    "lower_95": _cell(p.lower),
                    "upper_95": _cell(p.upper),
                    "count": _cell(p.count),
                    "denominator": _cell(p.denominator),
                    "unit": page.unit,
                    "suppressed": "yes" if withheld else "no",
                    "illustrative": "yes" if p.illustrative else "no",
                    "batch": "" if p.batch is None else p.batch,
                }
            )
    return buffer.getvalue()


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _publication(session: Session, plan: Plan, cycle: str | None, board: str) -> tuple[CycleRow, PublicationRow]:
    row = cycle_row(session, plan, cycle)
    found = find_board(plan, board)
    pub = session.scalar(
        select(PublicationRow).where(PublicationRow.cycle_pk == row.pk, PublicationRow.board_id == found.id)
    )
    if pub is None:
        raise NotFound(f"The {found.name} report for {row.name} has not been published")
    return row, pub


def public_report(engine: Engine, cycle: str | None, board: str) -> ReportData:
    """The report as published (suppressed), for /public."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        _, pub = _publication(session, plan, cycle, board)
        return ReportData.model_validate_json(pub.data)


def open_data(engine: Engine, cycle: str | None, board: str, fmt: str = "csv") -> str:
    """The open data behind a published report: CSV of every (suppressed) value, or JSON with the KPQs too."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        row, pub = _publication(session, plan, cycle, board)
        if fmt == "csv":
            return pub.csv
        if fmt != "json":
            raise NotFound(f"Open data come as csv or json, not '{fmt}'")
        report = ReportData.model_validate_json(pub.data)
        rows = list(csv.DictReader(io.StringIO(pub.csv)))
        doc = {
            "partnership": report.partnership,
            "framework": report.framework_id,
            "cycle": row.name,
            "board": report.board.name,
            "published_at": pub.published_at.isoformat(),
            "illustrative": report.illustrative,
            "disclosure_control": "counts of 1 to threshold-1 withheld (primary) and complementary cells withheld "
            "(secondary); values derived from withheld counts withheld too",
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
            "targets": [t.model_dump(mode="json", exclude={"batches"}) for t in report.targets],
            "gaps": [g.model_dump(mode="json", exclude={"batches"}) for g in report.gaps],
            "observations": rows,
        }
        return json.dumps(doc, indent=1, ensure_ascii=False)


def list_publications(engine: Engine) -> list[PublicationInfo]:
    """Every publication of the current framework, newest first."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        rows = session.execute(
            select(PublicationRow, CycleRow.name)
            .join(CycleRow, CycleRow.pk == PublicationRow.cycle_pk)
            .where(CycleRow.framework_pk == plan.pk)
            .order_by(PublicationRow.published_at.desc())
        ).all()
        return [
            PublicationInfo(
                name,
                p.board_id,
                plan.boards[p.board_id].name if p.board_id in plan.boards else p.board_id,
                p.published_at,
                p.published_by,
                p.cells,
                p.suppressed,
            )
            for p, name in rows
        ]
