"""The checks an import makes against the database and the framework, and what it adds on request.

Indicators in a file are matched to the framework's by id or code (Fingertips ids also as
``fingertips-<id>``); unknown ones are reported, or added from the file's own metadata (its measure, unit,
multiplier and polarity where it states them: :mod:`gapwatch.ingest.metadata`). Area codes are matched to
known areas, former codes (29UN) to their successors; unknown ones are reported or added with the names the
file gives. Breakdowns are matched to the framework's category types and categories by id or name. Units and
measure types given in a file must agree with the indicator. Whether the values are plausible for the
indicator's measure is judged by :mod:`gapwatch.ingest.plausibility`.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl
from pydantic import ValidationError
from sqlalchemy import Connection

from gapwatch.domain.framework import Framework
from gapwatch.domain.groups import match_category_type
from gapwatch.domain.indicators import Indicator, MeasureType
from gapwatch.ingest.lookups import level_for_code
from gapwatch.ingest.metadata import complete_definition, measure_of, polarity_of
from gapwatch.ingest.tables import ParsedFile, Problems
from gapwatch.services.areas import area_table, ensure_core_areas, resolve_codes

__all__ = ["check_definitions", "measures_of", "resolve_areas", "resolve_categories", "resolve_indicators"]


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._:-]+", "-", text).strip("-.")[:80]
    return slug if slug and slug[0].isalnum() else ("x" + slug)[:80]


def _new_indicator(code: str, meta: dict[str, Any], fmt: str, file: str, taken: set[str]) -> Indicator:
    """An indicator the file names but the framework lacks, defined by what the file (or mapping) says."""
    name = re.sub(r"\s+", " ", str(meta.get("name") or "")).strip() or code
    stated = {
        "measure": measure_of(str(meta["measure"])) if meta.get("measure") else None,
        "unit": meta.get("unit"),
        "multiplier": meta.get("multiplier"),
        "polarity": polarity_of(str(meta["polarity"])) if meta.get("polarity") else None,
    }
    for key in ("measure", "polarity"):
        if meta.get(key) and stated[key] is None:
            raise ValueError(f"the {key} '{meta[key]}' is not one gapwatch knows")
    definition = complete_definition(stated, name)
    fingertips = fmt.startswith("fingertips") and code.isascii() and code.isdigit()
    ident = f"fingertips-{code}" if fingertips else _slug(code)
    while ident.lower() in taken:
        ident = _slug(ident + "-x")
    return Indicator(
        id=ident,
        code=f"Fingertips {code}" if fingertips else code,
        title=name,
        data_source=f"OHID Fingertips indicator {code}" if fingertips else f"Imported from {file}",
        note=f"Added by gapwatch from {file} (--add-unknown-indicators); check its measure, unit and polarity.",
        **definition,
    )


def resolve_indicators(
    frame: pl.DataFrame, framework: Framework, parsed: ParsedFile, problems: Problems, add: bool
) -> tuple[pl.DataFrame, list[Indicator]]:
    """Each row's indicator id in the framework; unknown ones reported, or added from the file's metadata."""
    lookup: dict[str, str] = {}
    for ind in framework.indicators:
        for key in (ind.id, ind.code):
            lookup.setdefault(key.strip().lower(), ind.id)
    firsts = frame.group_by("indicator").agg(pl.col("row").min(), pl.len().alias("n"), pl.col("indicator_name").first())
    mapping: dict[str, str] = {}
    added: list[Indicator] = []
    taken = set(lookup)
    for rec in firsts.filter(pl.col("indicator").is_not_null()).sort("row").iter_rows(named=True):
        code = rec["indicator"]
        found = lookup.get(code.lower()) or lookup.get(f"fingertips-{code}".lower())
        if found:
            mapping[code] = found
        elif add:
            meta = {"name": rec["indicator_name"], **parsed.indicator_meta.get(code, {})}
            try:
                ind = _new_indicator(code, meta, parsed.format, parsed.file, taken)
            except (ValueError, ValidationError) as exc:  # pydantic's errors are ValueErrors too
                reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                problems.add(f"indicator '{code}' cannot be added: {reason}", row=rec["row"], field="indicator")
                continue
            taken |= {ind.id.lower(), ind.code.lower()}
            added.append(ind)
            mapping[code] = ind.id
        else:
            problems.add(
                f"indicator '{code}' is not in the framework ({rec['n']:,} row(s))", row=rec["row"], field="indicator"
            )
    frame = frame.with_columns(
        pl.col("indicator").replace_strict(mapping, default=None, return_dtype=pl.String).alias("indicator_id")
    )
    return frame, added


def _level(area_type: str | None, code: str) -> str:
    low = (area_type or "").lower()
    for word, level in (
        ("country", "country"),
        ("england", "country"),
        ("region", "region"),
        ("county", "county"),
        ("district", "district"),
        ("ward", "ward"),
        ("lsoa", "lsoa"),
    ):
        if word in low:
            return level
    return level_for_code(code)


def resolve_areas(
    conn: Connection, frame: pl.DataFrame, framework: Framework, problems: Problems, add: bool, warnings: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    ensure_core_areas(conn)
    areas = area_table(conn, framework)
    codes = frame["area_code"].unique().to_list()
    mapping = resolve_codes(areas, codes)
    # A former code maps to its successor only when nothing else in the file maps there: districts merged
    # in 2019 (Christchurch, Poole … -> BCP) keep their own old codes rather than collapsing into one.
    targets: dict[str, int] = {}
    for target in mapping.values():
        targets[target] = targets.get(target, 0) + 1
    mapping = {k: v for k, v in mapping.items() if k == v or targets[v] == 1}
    unknown = frame.filter(~pl.col("area_code").is_in(list(mapping)))
    new_areas = None
    if not unknown.is_empty():
        firsts = (
            unknown.group_by("area_code")
            .agg(
                pl.col("row").min(),
                pl.len().alias("n"),
                pl.col("area_name").first(),
                pl.col("area_type").first(),
                pl.col("parent_code").first(),
            )
            .sort("row")
        )
        if add:
            problems.add_rows(
                firsts,
                pl.col("area_name").is_null(),
                "area '{value}' is unknown and the file gives no name to add it with",
                field="area_name",
                show="area_code",
            )
            new_areas = firsts.filter(pl.col("area_name").is_not_null()).select(
                pl.col("area_code").alias("code"),
                pl.col("area_name").alias("name"),
                pl.struct("area_type", "area_code")
                .map_elements(lambda s: _level(s["area_type"], s["area_code"]), return_dtype=pl.String)
                .alias("level"),
                "parent_code",
            )
            mapping.update({c: c for c in new_areas["code"].to_list()})
        else:
            for rec in firsts.head(50).iter_rows(named=True):
                problems.add(
                    f"unknown area code '{rec['area_code']}' ({rec['n']:,} row(s))", row=rec["row"], field="area_code"
                )
            problems.total += max(0, firsts.height - 50)
    renamed = {k: v for k, v in mapping.items() if k != v}
    if renamed:
        example = ", ".join(f"{k} -> {v}" for k, v in list(renamed.items())[:3])
        warnings.append(f"{len(renamed)} former area code(s) were stored under current codes ({example}).")
    return frame.with_columns(
        pl.col("area_code").replace_strict(mapping, default=None, return_dtype=pl.String)
    ), new_areas


def resolve_categories(frame: pl.DataFrame, framework: Framework, warnings: list[str]) -> pl.DataFrame:
    """Category types and categories named as the framework names them, by id, name or alias ignoring case
    (:func:`gapwatch.domain.groups.match_category_type`), deprivation quantiles also by their place
    ("Most deprived decile (IMD2015)" -> d1), so every importer lands publishers' rows on the framework's
    breakdowns."""
    pairs = frame.select("category_type", "category").unique()
    type_map: dict[str, str] = {}
    cat_map: dict[str, str] = {}
    unmatched: list[str] = []
    for ctype, cat in pairs.iter_rows():
        group = match_category_type(framework.groups, ctype)
        if group is None:
            continue
        type_map[ctype] = group.id
        cid = group.category_for(cat)
        if cid is None:
            unmatched.append(f"{cat} ({group.id})")
        else:
            cat_map[f"{ctype}\x00{cat}"] = cid
    if unmatched:
        shown = ", ".join(sorted(set(unmatched))[:8])
        warnings.append(f"Categories kept as written (not categories of the framework's breakdown): {shown}")
    joined = pl.concat_str("category_type", pl.lit("\x00"), "category")
    return frame.with_columns(
        joined.replace_strict(cat_map, default=pl.col("category")).alias("category"),
        pl.col("category_type").replace_strict(type_map, default=pl.col("category_type")).alias("category_type"),
    )


_UNIT_SYNONYMS = {"percentage": "%", "percent": "%", "percentage(%)": "%", "(%)": "%", "percent(%)": "%", "pct": "%"}


def _normalised_units(units: pl.Series) -> pl.Series:
    return units.str.to_lowercase().str.replace_all(r"\s+", "").replace(_UNIT_SYNONYMS)


def check_definitions(frame: pl.DataFrame, framework: Framework, added: list[Indicator], problems: Problems) -> None:
    """Units and measure types given in the file must agree with the indicator (those added from it too)."""
    defs = {i.id: i for i in [*framework.indicators, *added]}
    stated = frame.filter(pl.col("unit").is_not_null() | pl.col("measure").is_not_null())
    for ind_id in stated["indicator_id"].drop_nulls().unique().sort().to_list():
        ind = defs[ind_id]
        rows = stated.filter(pl.col("indicator_id") == ind_id)
        norm = _normalised_units
        unit = _UNIT_SYNONYMS.get(re.sub(r"\s+", "", ind.unit.lower()), re.sub(r"\s+", "", ind.unit.lower()))
        problems.add_rows(
            rows,
            rows["unit"].is_not_null() & (norm(rows["unit"]) != unit),
            f"unit '{{value}}' does not match indicator {ind_id}, measured in '{ind.unit}'",
            field="unit",
            show="unit",
        )
        problems.add_rows(
            rows,
            rows["measure"].is_not_null() & (rows["measure"] != ind.measure.value),
            f"measure '{{value}}' does not match indicator {ind_id} ({ind.measure.value})",
            field="measure",
            show="measure",
        )


def measures_of(framework: Framework, added: list[Indicator]) -> dict[str, tuple[MeasureType, float]]:
    """Each indicator's measure type and multiplier, as the plausibility rules need them."""
    return {i.id: (i.measure, i.multiplier) for i in [*framework.indicators, *added]}
