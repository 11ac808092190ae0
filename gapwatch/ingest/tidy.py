"""Tidy data files (CSV or Excel): one observation per row, in gapwatch's documented columns — or in any
columns, described by a mapping.

The documented columns are :data:`TIDY_COLUMNS` (matched ignoring case, spaces and underscores). A
:class:`TableMapping` (``--map SOURCE=TARGET`` options, or a YAML/JSON mapping file) describes other
layouts: renamed columns, fixed values, rows to keep or drop, recoded values, and "wide" files with one
column per measure (DfE and ONS publish those), each measure becoming its own indicator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import polars as pl
import yaml
from pydantic import Field, ValidationError

from gapwatch.domain import Model
from gapwatch.errors import InvalidInput, Problem
from gapwatch.ingest.csvfile import read_csv_table
from gapwatch.ingest.excel import read_excel_table
from gapwatch.ingest.limits import ReadLimits
from gapwatch.ingest.metadata import file_metadata
from gapwatch.ingest.tables import (
    ParsedFile,
    Problems,
    RawTable,
    build_observations,
    normalise_header,
)

__all__ = [
    "TIDY_COLUMNS",
    "IndicatorMeta",
    "MeasureSpec",
    "TableMapping",
    "apply_mapping",
    "load_mapping",
    "looks_like_tidy",
    "read_tidy",
]

#: The documented columns of a tidy file, with what each holds.
TIDY_COLUMNS: dict[str, str] = {
    "indicator": "Indicator id or code as in the framework (required).",
    "area_code": "GSS code of the area, e.g. E07000114 (required).",
    "period": "Period label (required): 2007; 2007/08 (financial year); 2006/07 AY (academic year); 2017-19 "
    "(calendar years 2017 to 2019 pooled); 2011 H2; 2008 Q1; March 2004; 2004-03-31. A month is never "
    "written 2004-03 (that is refused as ambiguous).",
    "value": "The value (required unless numerator is given); DfE/ONS symbols c, x, z, low, :, .. are read as codes.",
    "numerator": "Count (numerator).",
    "denominator": "Denominator (population at risk, cohort …).",
    "lower_95": "Lower 95% confidence limit.",
    "upper_95": "Upper 95% confidence limit.",
    "lower_998": "Lower 99.8% confidence limit.",
    "upper_998": "Upper 99.8% confidence limit.",
    "sex": "Sex the value is for (default Persons).",
    "age": "Age group (default All ages).",
    "category_type": "Breakdown (population group) id or name, e.g. fsm or 'Free school meal eligibility'.",
    "category": "Category of the breakdown, e.g. fsm / non-fsm.",
    "value_type": "What kind of value (default 'value').",
    "provisional": "yes/no",
    "estimated": "yes/no",
    "suppressed": "yes/no",
    "revised": "yes/no",
    "illustrative": "yes/no: made-up demonstration figures.",
    "value_code": "A withheld-value symbol, if not in the value column.",
    "note": "Free text kept with the value.",
    "area_name": "Area name (used with --add-unknown-areas).",
    "area_type": "Area level: country, region, county, district, ward, lsoa (with --add-unknown-areas).",
    "parent_code": "GSS code of the parent area (with --add-unknown-areas).",
    "indicator_name": "Indicator title (used with --add-unknown-indicators).",
    "unit": "Unit, checked against the indicator definition (e.g. %, per 1,000); with --add-unknown-indicators "
    "the new indicator's unit.",
    "measure": "Measure type, checked against the indicator: proportion (or percentage), rate, "
    "standardised_rate, ratio, count, mean, score, gap; with --add-unknown-indicators the new indicator's.",
    "multiplier": "With --add-unknown-indicators: 100 for %, 1000 for per 1,000 … (else implied by the unit).",
    "polarity": "With --add-unknown-indicators: higher_is_better, lower_is_better or no_judgement.",
}
_TARGETS = set(TIDY_COLUMNS)


class IndicatorMeta(Model):
    """What to record for an indicator the framework does not know (with --add-unknown-indicators)."""

    name: str | None = None
    measure: str | None = None
    unit: str | None = None
    multiplier: float | None = None
    polarity: str | None = None


class MeasureSpec(IndicatorMeta):
    """One measure of a wide file: its indicator and the source columns of its value and counts."""

    indicator: str
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    lower_95: str | None = None
    upper_95: str | None = None
    set: dict[str, str] = Field(default_factory=dict, description="Fixed gapwatch columns for this measure.")


class TableMapping(Model):
    """How to read a file whose layout is not gapwatch's own."""

    format: Literal["tidy", "fingertips"] | None = None
    columns: dict[str, str] = Field(default_factory=dict, description="source column -> gapwatch column")
    constants: dict[str, str] = Field(default_factory=dict, description="gapwatch column -> fixed value")
    where: dict[str, list[str]] = Field(default_factory=dict, description="keep rows whose source column is one of")
    exclude: dict[str, list[str]] = Field(default_factory=dict, description="drop rows whose source column is one of")
    recode: dict[str, dict[str, str]] = Field(default_factory=dict, description="gapwatch column -> {from: to}")
    measures: list[MeasureSpec] = Field(default_factory=list)
    academic_years: bool = Field(default=False, description="Read 2018/19 as the academic year 2018/19 AY.")
    indicators: dict[str, IndicatorMeta] = Field(default_factory=dict)
    sheet: str | None = None


#: A mapping file is a page of text: anything larger is not one.
MAPPING_MAX_BYTES = 1024 * 1024


class _NoAliases(yaml.SafeLoader):
    """YAML without anchors and aliases: a few lines of them can expand to billions of nodes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("a mapping file may not use YAML aliases (*name)")
        return super().compose_node(parent, index)


def load_mapping(path: Path) -> TableMapping:
    """Read a mapping file (YAML or JSON, at most 1 MB, no YAML aliases), reporting every problem with its place."""
    try:
        if path.stat().st_size > MAPPING_MAX_BYTES:
            raise InvalidInput(f"{path.name}: a mapping file is at most 1 MB; this is not one")
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_NoAliases) if path.suffix != ".json" else json.loads(text)
    except (OSError, yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput(f"{path.name}: cannot read the mapping file ({exc})") from exc
    try:
        return TableMapping.model_validate(data or {})
    except ValidationError as exc:
        raise InvalidInput(
            f"{path.name}: the mapping file is not valid",
            problems=[
                Problem(e["msg"], file=path.name, field=".".join(str(p) for p in e["loc"])) for e in exc.errors()
            ],
        ) from exc


def looks_like_tidy(headers: list[str]) -> bool:
    """Whether headers name the required tidy columns."""
    loose = {normalise_header(h) for h in headers}
    return all(normalise_header(c) in loose for c in ("indicator", "area_code", "period"))


def _filter(raw: RawTable, mapping: TableMapping) -> pl.DataFrame:
    frame = raw.frame
    for rule, keep in ((mapping.where, True), (mapping.exclude, False)):
        for column, values in rule.items():
            if column not in frame.columns:
                raise InvalidInput(f"{raw.file}: the mapping filters on '{column}', which the file does not have")
            hit = frame[column].is_in(values).fill_null(False)
            frame = frame.filter(hit if keep else ~hit)
    return frame


def apply_mapping(raw: RawTable, mapping: TableMapping) -> pl.DataFrame:
    """The file's columns renamed to gapwatch's, wide measures melted to rows, constants and recodes applied."""
    frame = _filter(raw, mapping)
    missing = [c for c in mapping.columns if c not in frame.columns]
    for spec in mapping.measures:
        missing += [
            c
            for c in (spec.value, spec.numerator, spec.denominator, spec.lower_95, spec.upper_95)
            if c is not None and c not in frame.columns
        ]
    if missing:
        raise InvalidInput(
            f"{raw.file}: the mapping names column(s) the file does not have: {', '.join(sorted(set(missing)))}",
            hint=f"The file's columns are: {', '.join(c for c in raw.frame.columns if c != 'row')}",
        )
    loose = {normalise_header(t): t for t in _TARGETS}
    renames = dict(mapping.columns)
    targets = list(renames.values()) + [
        k
        for s in mapping.measures
        for k in ("value", "numerator", "denominator", "lower_95", "upper_95")
        if getattr(s, k)
    ]
    clash = sorted({t for t in mapping.columns.values() if list(mapping.columns.values()).count(t) > 1})
    if clash:
        raise InvalidInput(f"{raw.file}: the mapping sends several columns to {', '.join(clash)}")
    for col in frame.columns:
        target = loose.get(normalise_header(col))
        if col not in renames and col != "row" and target is not None and target not in targets:
            renames[col] = target
            targets.append(target)
    ids = [c for c, t in renames.items() if t in _TARGETS]
    if mapping.measures:
        parts = []
        for spec in mapping.measures:
            cols = {k: getattr(spec, k) for k in ("value", "numerator", "denominator", "lower_95", "upper_95")}
            part = frame.select(
                "row",
                *[pl.col(c).alias(renames[c]) for c in ids if renames[c] not in cols or cols[renames[c]] is None],
                *[pl.col(src).alias(dst) for dst, src in cols.items() if src is not None],
            ).with_columns(
                pl.lit(spec.indicator).alias("indicator"), *[pl.lit(v).alias(k) for k, v in spec.set.items()]
            )
            parts.append(part)
        out = pl.concat(parts, how="diagonal")
    else:
        out = frame.select("row", *[pl.col(c).alias(renames[c]) for c in ids])
    out = out.with_columns([pl.lit(v, pl.String).alias(k) for k, v in mapping.constants.items()])
    for column, table in mapping.recode.items():
        if column in out.columns:
            out = out.with_columns(pl.col(column).replace(table))
    used = (
        set(ids)
        | set(mapping.where)
        | set(mapping.exclude)
        | {c for s in mapping.measures for c in (s.value, s.numerator, s.denominator, s.lower_95, s.upper_95) if c}
    )
    ignored = [c for c in raw.frame.columns if c not in used and c != "row"]
    if ignored:
        raw.warnings.append(f"Column(s) not imported: {', '.join(ignored[:12])}{' …' if len(ignored) > 12 else ''}")
    raw.frame = raw.frame.clear()  # release the columns not imported
    return out


def read_tidy(
    path: Path,
    *,
    mapping: TableMapping | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    raw: RawTable | None = None,
    defer: bool = False,
    limits: ReadLimits | None = None,
) -> ParsedFile:
    """Read and validate a tidy CSV or Excel file (every row checked before anything is written).

    With ``defer`` row problems are returned on the result instead of raised (see ``read_fingertips``).
    """
    mapping = mapping or TableMapping()
    if raw is None:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raw = read_excel_table(
                path,
                sheet=sheet or mapping.sheet,
                wanted=looks_like_tidy if not mapping.columns else None,
                limits=limits,
            )
        else:
            raw = read_csv_table(path, encoding=encoding, limits=limits)
    frame = apply_mapping(raw, mapping)
    absent = [c for c in ("indicator", "area_code", "period") if c not in frame.columns]
    if "value" not in frame.columns and "numerator" not in frame.columns:
        absent.append("value")
    if absent:
        raise InvalidInput(
            f"{raw.file}: missing column(s) {', '.join(repr(a) for a in absent)}",
            problems=[Problem(f"column '{a}' is missing", file=raw.file, line=1, field=a) for a in absent],
            hint="Name the file's columns with --map SOURCE=TARGET or a --mapping file (see `gapwatch data columns`).",
        )
    if frame.is_empty():
        raise InvalidInput(
            f"{raw.file}: the file has a header but no data rows"
            + (" (after the mapping's filters)" if mapping.where or mapping.exclude else "")
        )
    problems = Problems(raw.file)
    built = build_observations(frame, problems, academic_years=mapping.academic_years, warnings=raw.warnings)
    meta = file_metadata(built, problems)
    if not defer:
        problems.raise_if_any()
    for spec in mapping.measures:
        extra = spec.model_dump(include={"name", "measure", "unit", "multiplier", "polarity"}, exclude_none=True)
        meta[spec.indicator] = {**meta.get(spec.indicator, {}), **extra}
    for code, given in mapping.indicators.items():  # what the mapping says wins over the file's columns
        meta[code] = {**meta.get(code, {}), **given.model_dump(exclude_none=True)}
    return ParsedFile(raw.file, built, raw.warnings, "excel" if raw.sheet else "tidy", meta, problems)
