"""Areas and deprivation use cases: load ONS lookups and IMD files, resolve codes old and new, derive
deprivation deciles and quintiles nationally and within a county, summarise districts, and resolve the
framework's named groupings ("rest of Kent") and deprived / non-deprived sets of LSOAs.

Deciles and quintiles: the national ones are published with each edition (where a file lacks the decile
it is derived from the rank: decile = ceil(10 x rank / N)); within a county the county's LSOAs are ranked
by their national rank and cut the same way — the "local deciles" of PHE's inequality tools
(Fingertips technical guidance; PHE "Local deprivation deciles" method note). Quintile = ceil(decile / 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from gapwatch.domain.areas import GroupingKind
from gapwatch.domain.framework import Framework
from gapwatch.errors import InvalidInput, NotFound
from gapwatch.ingest.imd import read_imd
from gapwatch.ingest.lookups import ENGLAND_AND_REGIONS, read_lookup
from gapwatch.ingest.tables import file_sha256
from gapwatch.store.areas import (
    read_areas,
    read_deprivation,
    read_populations,
    save_bridge,
    save_deprivation,
    save_populations,
    upsert_areas,
)
from gapwatch.store.frameworks import get_framework
from gapwatch.store.observations import create_batch, finish_batch

__all__ = [
    "LoadReport",
    "area_table",
    "district_deprivation",
    "ensure_core_areas",
    "grouping_members",
    "load_areas_file",
    "load_imd_file",
    "lsoa_deprivation",
    "resolve_codes",
]


@dataclass
class LoadReport:
    """What loading a lookup or IMD file did."""

    file: str
    kind: str
    batch: int
    inserted: int = 0
    updated: int = 0
    rows: int = 0
    edition: str | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI."""
        what = f"{self.edition} " if self.edition else ""
        return (
            f"{self.file}: {what}{self.kind} — {self.rows:,} row(s) stored, {self.inserted:,} area(s) added, "
            f"{self.updated:,} updated (batch {self.batch})"
        )


def ensure_core_areas(conn: Connection) -> None:
    """England and its regions, which ONS lookups leave out, are always known."""
    frame = pl.DataFrame(
        [(c, n, lv, p) for c, n, lv, p in ENGLAND_AND_REGIONS],
        orient="row",
        schema={"code": pl.String, "name": pl.String, "level": pl.String, "parent_code": pl.String},
    )
    known = read_areas(conn, levels=["country", "region"])["code"].to_list()
    missing = frame.filter(~pl.col("code").is_in(known))
    if not missing.is_empty():
        upsert_areas(conn, missing, source="gapwatch (ONS codes of England and its regions)")


def area_table(conn: Connection, framework: Framework | None = None) -> pl.DataFrame:
    """Every known area: the stored geography plus the framework's own areas (which fill gaps, never override)."""
    stored = read_areas(conn)
    if framework is None or not framework.areas:
        return stored
    own = pl.DataFrame(
        {
            "code": [a.id for a in framework.areas],
            "name": [a.name for a in framework.areas],
            "level": [a.level.value for a in framework.areas],
            "parent_code": [a.parent for a in framework.areas],
            "former_names": [list(a.former_names) for a in framework.areas],
            "former_codes": [list(a.former_codes) for a in framework.areas],
            "source": ["framework"] * len(framework.areas),
        },
        schema=stored.schema,
    )
    merged = own.join(stored, on="code", how="full", coalesce=True, suffix="_db")
    return merged.select(
        "code",
        pl.coalesce("name_db", "name").alias("name"),
        pl.coalesce("level_db", "level").alias("level"),
        pl.coalesce("parent_code_db", "parent_code").alias("parent_code"),
        pl.concat_list(pl.col("former_names").fill_null([]), pl.col("former_names_db").fill_null([]))
        .list.unique()
        .alias("former_names"),
        pl.concat_list(pl.col("former_codes").fill_null([]), pl.col("former_codes_db").fill_null([]))
        .list.unique()
        .alias("former_codes"),
        pl.coalesce("source_db", "source").alias("source"),
    )


def _norm_name(name: str | None) -> str:
    text = (name or "").lower().replace("&", "and")
    text = re.sub(r"\b(district|borough|city|council|of|the)\b", " ", text)
    return re.sub(r"[^a-z0-9]+", "", text)


#: Levels whose names and former codes identify areas in older files, the first preferred on a tie.
_NAMED_LEVELS = ["district", "county", "region", "country"]


def resolve_codes(areas: pl.DataFrame, codes: list[str], names: list[str | None] | None = None) -> dict[str, str]:
    """Map codes (current or former, e.g. 29UN) to current codes, falling back on names ("Thanet District",
    "Shepway", "Folkestone & Hythe"). Codes that resolve to nothing are left out."""
    current = set(areas["code"].to_list())
    former: dict[str, str] = {}
    by_name: dict[str, str] = {}
    ranked = (
        areas.filter(pl.col("level").is_in(_NAMED_LEVELS))
        .with_columns(
            pl.col("level")
            .replace_strict({lv: i for i, lv in enumerate(_NAMED_LEVELS)}, return_dtype=pl.Int64)
            .alias("_o")
        )
        .sort("_o")
    )
    for row in ranked.iter_rows(named=True):
        for old in row["former_codes"] or []:
            former.setdefault(old, row["code"])
        for nm in [row["name"], *(row["former_names"] or [])]:
            by_name.setdefault(_norm_name(nm), row["code"])
    out: dict[str, str] = {}
    for i, code in enumerate(codes):
        if code in current:
            out[code] = code
        elif code in former:
            out[code] = former[code]
        elif names is not None and _norm_name(names[i]) in by_name:
            out[code] = by_name[_norm_name(names[i])]
    return out


def _framework_or_none(conn: Connection) -> Framework | None:
    with Session(bind=conn) as session:
        try:
            return get_framework(session)
        except NotFound:
            return None


def load_areas_file(
    engine: Engine, path: Path, *, loaded_by: str | None = None, sheet: str | None = None
) -> LoadReport:
    """Load an ONS lookup or a gapwatch areas file, in one transaction (recorded as a batch)."""
    lookup = read_lookup(path, sheet=sheet)
    with engine.begin() as conn:
        batch = create_batch(
            conn,
            kind="areas",
            name=f"Areas: {lookup.file}",
            file_name=str(path),
            sha256=file_sha256(path),
            format=lookup.kind,
            loaded_by=loaded_by,
        )
        ensure_core_areas(conn)
        report = LoadReport(lookup.file, lookup.kind, batch, warnings=lookup.warnings)
        report.inserted, report.updated = upsert_areas(conn, lookup.areas, source=lookup.file)
        report.rows = lookup.areas.height
        if lookup.bridge is not None:
            report.rows = save_bridge(conn, lookup.bridge)
        finish_batch(
            conn,
            batch,
            rows_read=report.rows,
            rows_inserted=report.inserted,
            rows_revised=report.updated,
            warnings=report.warnings,
        )
    return report


def load_imd_file(
    engine: Engine, path: Path, *, edition: str | None = None, sheet: str | None = None, loaded_by: str | None = None
) -> LoadReport:
    """Load an IoD file by LSOA (any edition), in one transaction.

    Old district codes (29UN) and names ("Thanet District") are matched to current districts, which then
    carry the old code among their former codes; LSOAs not yet known are added under their district.
    """
    imd = read_imd(path, edition=edition, sheet=sheet)
    if imd.deprivation.is_empty() and imd.populations.is_empty():
        raise InvalidInput(
            f"{imd.file}: this is the IoD underlying-indicators file (File 8): it holds indicators, not deprivation",
            hint="`gapwatch demo --public-data DIR` turns its IDACI numerators into observations.",
        )
    with engine.begin() as conn:
        batch = create_batch(
            conn,
            kind="imd",
            name=f"IMD: {imd.file}",
            file_name=str(path),
            sha256=file_sha256(path),
            format=imd.edition or "populations",
            loaded_by=loaded_by,
        )
        ensure_core_areas(conn)
        report = LoadReport(
            imd.file,
            "deprivation" if not imd.deprivation.is_empty() else "populations",
            batch,
            edition=imd.edition,
            warnings=list(imd.warnings),
        )
        areas = area_table(conn, _framework_or_none(conn))
        districts = imd.lsoas.filter(pl.col("district_code").is_not_null()).unique("district_code")
        mapping = resolve_codes(areas, districts["district_code"].to_list(), districts["district_name"].to_list())
        new_districts = []
        for row in districts.iter_rows(named=True):
            code = row["district_code"]
            if code in mapping and mapping[code] != code:
                new_districts.append({"code": mapping[code], "name": None, "level": None, "former_codes": [code]})
            elif code not in mapping and re.fullmatch(r"[EW]0[6-9]\d{6}", code):
                new_districts.append(
                    {"code": code, "name": row["district_name"], "level": "district", "former_codes": []}
                )
                mapping[code] = code
        unresolved = sorted(set(districts["district_code"].to_list()) - set(mapping))
        if unresolved:
            report.warnings.append(
                f"{len(unresolved)} district code(s) match no known district: "
                f"{', '.join(unresolved[:10])} (load the ONS district lookups first)"
            )
        if new_districts:
            frame = pl.DataFrame(
                new_districts,
                schema={"code": pl.String, "name": pl.String, "level": pl.String, "former_codes": pl.List(pl.String)},
            )
            known = {r["code"]: r for r in areas.iter_rows(named=True)}
            frame = frame.with_columns(
                pl.col("name").fill_null(
                    pl.col("code").replace_strict({k: v["name"] for k, v in known.items()}, default=None)
                ),
                pl.col("level").fill_null("district"),
            ).filter(pl.col("name").is_not_null())
            upsert_areas(conn, frame, source=imd.file, keep_parent=True)
        lsoas = imd.lsoas.with_columns(
            pl.col("code"),
            pl.coalesce("name", "code").alias("name"),
            pl.lit("lsoa").alias("level"),
            pl.col("district_code").replace_strict(mapping, default=None).alias("parent_code"),
        ).select("code", "name", "level", "parent_code")
        known_lsoas = set(areas.filter(pl.col("level") == "lsoa")["code"].to_list())
        report.inserted, _ = upsert_areas(conn, lsoas.filter(~pl.col("code").is_in(known_lsoas)), source=imd.file)
        if not imd.deprivation.is_empty():
            report.rows = save_deprivation(conn, imd.deprivation, batch_pk=batch)
        if not imd.populations.is_empty():
            report.rows += save_populations(conn, imd.populations, source=imd.file)
        finish_batch(conn, batch, rows_read=imd.lsoas.height, rows_inserted=report.inserted, warnings=report.warnings)
    return report


def _ancestor(areas: pl.DataFrame, codes: pl.Series, level: str) -> pl.Series:
    """For each code, its ancestor of ``level`` (following parent links up to six steps)."""
    parents = dict(zip(areas["code"].to_list(), areas["parent_code"].to_list(), strict=True))
    levels = dict(zip(areas["code"].to_list(), areas["level"].to_list(), strict=True))
    out: list[str | None] = []
    cache: dict[str | None, str | None] = {}
    for code in codes.to_list():
        if code not in cache:
            node, found = code, None
            for _ in range(7):
                if node is None:
                    break
                if levels.get(node) == level:
                    found = node
                    break
                node = parents.get(node)
            cache[code] = found
        out.append(cache[code])
    return pl.Series(codes.name, out, dtype=pl.String)


def lsoa_deprivation(engine: Engine, edition: str, *, domain: str = "imd", county: str | None = None) -> pl.DataFrame:
    """Every LSOA of an edition with its current district and county, score, national rank, decile and
    quintile, and its decile and quintile within its county (optionally only one county's LSOAs)."""
    with engine.connect() as conn:
        dep = read_deprivation(conn, edition=edition, domain=domain)
        if dep.is_empty():
            raise NotFound(
                f"No {edition} deprivation ({domain}) is loaded", hint="Load it with `gapwatch data imd load FILE`."
            )
        areas = area_table(conn, _framework_or_none(conn))
    n = dep.height
    mapping = resolve_codes(areas, dep["district_code"].drop_nulls().unique().to_list())
    frame = dep.with_columns(
        pl.col("district_code").alias("published_district_code"),
        pl.col("district_code").replace_strict(mapping, default=None).alias("district_code"),
    )
    frame = frame.with_columns(_ancestor(areas, frame["district_code"], "county").alias("county_code"))
    frame = frame.with_columns(pl.coalesce("county_code", "district_code").alias("county_code"))
    derived = (pl.col("rank") * 10 / n).ceil().cast(pl.Int64)
    frame = frame.with_columns(pl.coalesce("decile", derived).alias("decile"))
    order = pl.col("rank") if frame["rank"].is_not_null().all() else -pl.col("score")
    local_rank = order.rank("ordinal").over("county_code")
    local_n = pl.len().over("county_code")
    frame = frame.with_columns(
        ((pl.col("decile") + 1) // 2).alias("quintile"),
        (local_rank * 10 / local_n).ceil().cast(pl.Int64).alias("county_decile"),
        (local_rank * 5 / local_n).ceil().cast(pl.Int64).alias("county_quintile"),
    )
    if county is not None:
        frame = frame.filter(pl.col("county_code") == county)
    return frame.select(
        "edition",
        "lsoa_code",
        "district_code",
        "published_district_code",
        "county_code",
        "score",
        "rank",
        "decile",
        "quintile",
        "county_decile",
        "county_quintile",
    )


def district_deprivation(engine: Engine, edition: str, *, county: str | None = None) -> pl.DataFrame:
    """Per district: LSOAs, LSOAs in England's most deprived decile and quintile (count and share), the mean
    LSOA score and, where LSOA populations are loaded, the population-weighted score (MHCLG's "average
    score" district summary is population-weighted: English Indices of Deprivation 2019 technical report)."""
    lsoas = lsoa_deprivation(engine, edition, county=county)
    with engine.connect() as conn:
        pops = read_populations(conn, age_group="all ages")
        names = area_table(conn, _framework_or_none(conn)).select(pl.col("code").alias("district_code"), "name")
    if not pops.is_empty():
        latest = pops["period"].max()
        lsoas = lsoas.join(
            pops.filter(pl.col("period") == latest).select(pl.col("area_code").alias("lsoa_code"), "population"),
            on="lsoa_code",
            how="left",
        )
    else:
        lsoas = lsoas.with_columns(population=pl.lit(None, pl.Float64))
    out = (
        lsoas.group_by("district_code")
        .agg(
            pl.len().alias("lsoas"),
            (pl.col("decile") == 1).sum().alias("lsoas_in_most_deprived_decile"),
            (pl.col("quintile") == 1).sum().alias("lsoas_in_most_deprived_quintile"),
            pl.col("score").mean().alias("mean_score"),
            ((pl.col("score") * pl.col("population")).sum() / pl.col("population").sum()).alias(
                "population_weighted_score"
            ),
            pl.col("population").sum().alias("population"),
        )
        .with_columns(
            (pl.col("lsoas_in_most_deprived_decile") / pl.col("lsoas")).alias("share_in_most_deprived_decile"),
            (pl.col("lsoas_in_most_deprived_quintile") / pl.col("lsoas")).alias("share_in_most_deprived_quintile"),
        )
    )
    return out.join(names, on="district_code", how="left").sort(
        "lsoas_in_most_deprived_decile", "mean_score", descending=True, nulls_last=True
    )


def grouping_members(framework: Framework, areas: pl.DataFrame, grouping_id: str) -> list[str]:
    """The area codes a framework grouping stands for: its members, or its parent's children minus exclusions."""
    groupings = framework.index("area_groupings")
    if grouping_id not in groupings:
        raise NotFound(f"The framework has no area grouping '{grouping_id}'")
    g: Any = groupings[grouping_id]
    if g.kind is GroupingKind.EXPLICIT:
        out: list[str] = []
        for member in g.members:
            out += grouping_members(framework, areas, member) if member in groupings else [member]
        return out
    children = areas.filter(pl.col("parent_code") == g.parent)["code"].to_list()
    return sorted(c for c in children if c not in set(g.excluding))
