"""The checks an import makes against the database and the framework, and what it adds on request.

Indicators in a file are matched to the framework's by id or code (Fingertips ids also as
``fingertips-<id>``); unknown ones are reported, or added from the file's own metadata. Area codes are
matched to known areas, former codes (29UN) to their successors; unknown ones are reported or added with
the names the file gives. Breakdowns are matched to the framework's category types and categories by id or
name. Units and measure types given in a file must agree with the indicator, and proportions must be
proportions (0-100, numerator not above denominator).
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl
from sqlalchemy import Connection

from gapwatch.domain.framework import Framework
from gapwatch.domain.indicators import Indicator, MeasureType, Polarity
from gapwatch.ingest.lookups import level_for_code
from gapwatch.ingest.tables import ParsedFile, Problems
from gapwatch.services.areas import area_table, ensure_core_areas, resolve_codes

__all__ = ["check_definitions", "resolve_areas", "resolve_categories", "resolve_indicators"]


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._:-]+", "-", text).strip("-.")[:80]
    return slug if slug and slug[0].isalnum() else ("x" + slug)[:80]


def _guess(name: str) -> tuple[MeasureType, str, float]:
    low = name.lower()
    m = re.search(r"(?:per|/)\s*(100,000|100000|10,000|10000|1,000|1000)", low)
    if m:
        mult = float(m[1].replace(",", ""))
        kind = MeasureType.STANDARDISED_RATE if "standardised" in low else MeasureType.RATE
        return kind, f"per {int(mult):,}", mult
    if re.search(r"\bnumber\b|\bcount\b", low):
        return MeasureType.COUNT, "", 1.0
    if re.search(r"%|percent|proportion|prevalence|\bshare\b", low):
        return MeasureType.PROPORTION, "%", 100.0
    return MeasureType.SCORE, "", 1.0


def _new_indicator(code: str, meta: dict[str, Any], fmt: str, file: str, taken: set[str]) -> Indicator:
    name = str(meta.get("name") or code)
    measure, unit, mult = _guess(name)
    ident = f"fingertips-{code}" if fmt.startswith("fingertips") and code.isdigit() else _slug(code)
    while ident.lower() in taken:
        ident = _slug(ident + "-x")
    return Indicator(
        id=ident,
        code=f"Fingertips {code}" if ident.startswith("fingertips-") else code,
        title=name,
        measure=MeasureType(meta.get("measure", measure)),
        unit=str(meta.get("unit", unit)),
        multiplier=float(meta.get("multiplier", mult)),
        polarity=Polarity(meta.get("polarity", Polarity.NO_JUDGEMENT)),
        data_source=f"OHID Fingertips indicator {code}" if ident.startswith("fingertips-") else f"Imported from {file}",
        note=f"Added by gapwatch from {file} (--add-unknown-indicators); check its measure, unit and polarity.",
    )


def resolve_indicators(
    frame: pl.DataFrame, framework: Framework, parsed: ParsedFile, problems: Problems, add: bool
) -> tuple[pl.DataFrame, list[Indicator], set[str]]:
    lookup: dict[str, str] = {}
    for ind in framework.indicators:
        for key in (ind.id, ind.code):
            lookup.setdefault(key.strip().lower(), ind.id)
    firsts = frame.group_by("indicator").agg(pl.col("row").min(), pl.len().alias("n"), pl.col("indicator_name").first())
    mapping: dict[str, str] = {}
    added: list[Indicator] = []
    taken = set(lookup)
    checked = {ind.id for ind in framework.indicators}
    for rec in firsts.filter(pl.col("indicator").is_not_null()).sort("row").iter_rows(named=True):
        code = rec["indicator"]
        found = lookup.get(code.lower()) or lookup.get(f"fingertips-{code}".lower())
        if found:
            mapping[code] = found
        elif add:
            meta = {"name": rec["indicator_name"], **parsed.indicator_meta.get(code, {})}
            ind = _new_indicator(code, meta, parsed.format, parsed.file, taken)
            taken |= {ind.id.lower(), ind.code.lower()}
            added.append(ind)
            mapping[code] = ind.id
            if "measure" in parsed.indicator_meta.get(code, {}):
                checked.add(ind.id)
        else:
            problems.add(
                f"indicator '{code}' is not in the framework ({rec['n']:,} row(s))", row=rec["row"], field="indicator"
            )
    frame = frame.with_columns(pl.col("indicator").replace_strict(mapping, default=None).alias("indicator_id"))
    return frame, added, checked


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
    return frame.with_columns(pl.col("area_code").replace_strict(mapping, default=None)), new_areas


def resolve_categories(frame: pl.DataFrame, framework: Framework, warnings: list[str]) -> pl.DataFrame:
    types: dict[str, str] = {}
    cats: dict[tuple[str, str], str] = {}
    for group in framework.groups:
        types[group.id.lower()] = group.id
        types.setdefault(group.name.lower(), group.id)
        for c in group.categories:
            cats[(group.id, c.id.lower())] = c.id
            cats.setdefault((group.id, c.name.lower()), c.id)
    pairs = frame.select("category_type", "category").unique()
    type_map: dict[str, str] = {}
    cat_map: dict[str, str] = {}
    unmatched: list[str] = []
    for ctype, cat in pairs.iter_rows():
        gid = types.get(ctype.lower()) if ctype else None
        if gid is None:
            continue
        type_map[ctype] = gid
        cid = cats.get((gid, cat.lower()))
        if cid is None:
            unmatched.append(f"{cat} ({gid})")
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


def check_definitions(
    frame: pl.DataFrame, framework: Framework, added: list[Indicator], checked: set[str], problems: Problems
) -> None:
    """Units and measure types given in the file must agree with the indicator; proportions must be proportions."""
    defs = {i.id: i for i in [*framework.indicators, *added] if i.id in checked}
    for ind_id, ind in defs.items():
        rows = frame.filter(pl.col("indicator_id") == ind_id)
        if rows.is_empty():
            continue
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
            rows["measure"].is_not_null() & (rows["measure"].str.to_lowercase() != ind.measure.value),
            f"measure '{{value}}' does not match indicator {ind_id} ({ind.measure.value})",
            field="measure",
            show="measure",
        )
        if ind.measure is MeasureType.PROPORTION:
            problems.add_rows(
                rows,
                (pl.col("value") < 0) | (pl.col("value") > ind.multiplier),
                f"value {{value}} is outside 0-{ind.multiplier:g} for a proportion ({ind_id})",
                field="value",
                show="value",
            )
            problems.add_rows(
                rows,
                pl.col("numerator") > pl.col("denominator"),
                f"the numerator {{value}} is above the denominator ({ind_id} is a proportion)",
                field="numerator",
                show="numerator",
            )
