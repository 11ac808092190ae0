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
from gapwatch.geography import ENGLAND_AREAS, SOURCE
from gapwatch.ingest.imd import read_imd
from gapwatch.ingest.lookups import LookupFile, read_lookup
from gapwatch.ingest.tables import Problems, file_sha256
from gapwatch.store.areas import (
    read_areas,
    read_deprivation,
    read_populations,
    save_bridge,
    save_bridge_2021,
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
    "england_geography",
    "load_england_geography",
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


_BUILT_IN_LEVELS = ("country", "region", "county", "district")
_GEOGRAPHY: list[LookupFile] = []


def england_geography() -> pl.DataFrame:
    """The England geography shipped in gapwatch/geography (read once per process)."""
    if not _GEOGRAPHY:
        _GEOGRAPHY.append(read_lookup(ENGLAND_AREAS))
    return _GEOGRAPHY[0].areas.drop("row")


def ensure_core_areas(conn: Connection) -> int:
    """England, its regions, counties and districts (current and abolished since 2009) are always known.

    Called before every import and lookup load, so the shipped geography is in place before anything else
    and the result does not depend on the order files are loaded in; adds only the areas the store lacks
    and returns how many.
    """
    geography = england_geography()
    known = set(read_areas(conn, levels=list(_BUILT_IN_LEVELS))["code"].to_list())
    missing = geography.filter(~pl.col("code").is_in(list(known)))
    if missing.is_empty():
        return 0
    inserted, _ = upsert_areas(conn, missing, source=SOURCE)
    return inserted


def _defer_to_geography(conn: Connection, areas: pl.DataFrame) -> pl.DataFrame:
    """A lookup may add areas and former names/codes but not re-parent, rename or re-level the built-in
    geography; rows for codes that are now former codes of a built-in area (North Yorkshire county
    E10000023 in a 2021 lookup) are dropped and links to them point at the current area."""
    built_in = read_areas(conn, levels=list(_BUILT_IN_LEVELS)).filter(pl.col("source") == SOURCE)
    codes = set(built_in["code"].to_list())
    successor = {
        old: row["code"]
        for row in built_in.iter_rows(named=True)
        for old in row["former_codes"] or []
        if old not in codes
    }
    areas = areas.filter(~pl.col("code").is_in(list(successor)))
    areas = areas.with_columns(pl.col("parent_code").replace(successor))
    own = pl.col("code").is_in(list(codes))
    return areas.with_columns(
        pl.when(own).then(None).otherwise(pl.col("name")).alias("name"),
        pl.when(own).then(None).otherwise(pl.col("level")).alias("level"),
        pl.when(own).then(None).otherwise(pl.col("parent_code")).alias("parent_code"),
    )


def _check_against_store(conn: Connection, lookup: LookupFile) -> None:
    """An areas file's parents must be known (in the file or the store), and a former code it gives must not
    already belong to a different stored area."""
    if lookup.kind != "areas":
        return
    stored = read_areas(conn)
    known = set(stored["code"].to_list()) | set(lookup.areas["code"].to_list())
    problems = Problems(lookup.file)
    problems.add_rows(
        lookup.areas,
        pl.col("parent_code").is_not_null() & ~pl.col("parent_code").is_in(list(known)),
        "parent '{value}' is not a known area (not in this file nor already loaded)",
        field="parent_code",
        show="parent_code",
    )
    owner = {old: row["code"] for row in stored.iter_rows(named=True) for old in (row["former_codes"] or [])}
    for row in lookup.areas.iter_rows(named=True):
        for old in row["former_codes"] or []:
            if old in owner and owner[old] != row["code"]:
                problems.add(
                    f"former code {old} already maps to {owner[old]}: it cannot also map to {row['code']}",
                    row=row["row"],
                    field="former_codes",
                )
    problems.raise_if_any()


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
            "end_year": [None] * len(framework.areas),
            "successor_code": [None] * len(framework.areas),
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
        pl.coalesce("end_year_db", "end_year").alias("end_year"),
        pl.coalesce("successor_code_db", "successor_code").alias("successor_code"),
    )


def _norm_name(name: str | None) -> str:
    text = (name or "").lower().replace("&", "and")
    text = re.sub(r"\b(district|borough|city|council|of|the)\b", " ", text)
    return re.sub(r"[^a-z0-9]+", "", text)


#: Levels whose names and former codes identify areas in older files, the first preferred on a tie.
_NAMED_LEVELS = ["district", "county", "region", "country"]


def resolve_codes(
    areas: pl.DataFrame,
    codes: list[str],
    names: list[str | None] | None = None,
    *,
    levels: list[str] | None = None,
) -> dict[str, str]:
    """Map codes (current or former, e.g. 29UN) to current codes, falling back on names ("Thanet District",
    "Shepway", "Folkestone & Hythe"). Codes that resolve to nothing are left out. With ``levels`` only areas
    of those levels are candidates: a district code must never resolve to a region by a name that happens to
    normalise alike ("City of London" and "London")."""
    if levels is not None:
        areas = areas.filter(pl.col("level").is_in(levels))
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
        _check_against_store(conn, lookup)
        report = LoadReport(lookup.file, lookup.kind, batch, warnings=lookup.warnings)
        areas = _defer_to_geography(conn, lookup.areas.drop("row"))
        report.inserted, report.updated = upsert_areas(conn, areas, source=lookup.file, keep_parent=False)
        report.rows = lookup.areas.height
        if lookup.bridge is not None and lookup.kind == "lsoa_bridge_2021":
            report.rows = save_bridge_2021(conn, lookup.bridge)
        elif lookup.bridge is not None:
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
    if (
        imd.deprivation.is_empty()
        and imd.populations.is_empty()
        and imd.underlying is not None
        and "income_domain_numerator" in imd.underlying.columns
        and imd.edition is not None
    ):  # File 8: its income numerators (with File 7's income score) estimate denominators when none are loaded
        imd.populations = imd.underlying.select(
            pl.col("lsoa_code").alias("area_code"),
            pl.lit(imd.edition).alias("period"),
            pl.lit(INCOME_NUMERATOR).alias("age_group"),
            pl.col("income_domain_numerator").cast(pl.Float64).alias("population"),
        ).filter(pl.col("population").is_not_null())
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
        mapping = resolve_codes(
            areas, districts["district_code"].to_list(), districts["district_name"].to_list(), levels=["district"]
        )
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
            # a known area keeps its own name and level: the file only adds the old code to it
            frame = frame.with_columns(
                pl.col("name").fill_null(
                    pl.col("code").replace_strict({k: v["name"] for k, v in known.items()}, default=None)
                ),
                pl.when(pl.col("code").is_in(list(known))).then(None).otherwise(pl.col("level")).alias("level"),
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
    mapping = resolve_codes(areas, dep["district_code"].drop_nulls().unique().to_list(), levels=["district"])
    frame = dep.with_columns(
        pl.col("district_code").alias("published_district_code"),
        pl.col("district_code").replace_strict(mapping, default=None).alias("district_code"),
    )
    if frame["district_code"].is_null().any():  # IoD2025 on 2021 LSOAs names no district: use the lookups
        frame = frame.with_columns(
            pl.coalesce("district_code", _ancestor(areas, frame["lsoa_code"], "district")).alias("district_code")
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


#: The population denominators each edition's district summaries use (mid-year estimates of the LSOAs).
EDITION_POPULATION = {"IMD2007": "2005", "IMD2010": "2008", "IMD2015": "2012", "IMD2019": "2015", "IMD2025": "2022"}
#: The LSOA geography each edition is published on.
EDITION_GEOGRAPHY = {
    "IMD2004": "2001 LSOAs",
    "IMD2007": "2001 LSOAs",
    "IMD2010": "2001 LSOAs",
    "IMD2015": "2011 LSOAs",
    "IMD2019": "2011 LSOAs",
    "IMD2025": "2021 LSOAs",
}
INCOME_NUMERATOR = "income domain numerator"


def _edition_populations(conn: Connection, edition: str) -> tuple[pl.DataFrame, str]:
    """LSOA populations for an edition's summaries and where they came from: the official denominators
    (File 6/7: mid-2015 for IMD 2019) when loaded, else an estimate = income-domain numerator / income score
    (File 8 and File 7 of the same edition; the income score is the share of the population income-deprived,
    published to 3 decimals, so the estimate is close but not exact)."""
    period = EDITION_POPULATION.get(edition)
    pops = read_populations(conn, period=period, age_group="all ages") if period else pl.DataFrame()
    if not pops.is_empty():
        return pops.select(pl.col("area_code").alias("lsoa_code"), "population"), f"mid-{period} denominators"
    numer = read_populations(conn, period=edition, age_group=INCOME_NUMERATOR)
    income = read_deprivation(conn, edition=edition, domain="income")
    if numer.is_empty() or income.is_empty():
        return pl.DataFrame(schema={"lsoa_code": pl.String, "population": pl.Float64}), "none loaded"
    est = numer.select(pl.col("area_code").alias("lsoa_code"), "population").join(
        income.select("lsoa_code", "score"), on="lsoa_code"
    )
    est = est.select(
        "lsoa_code",
        pl.when(pl.col("score") > 0).then(pl.col("population") / pl.col("score")).alias("population"),
    )
    return est, "estimated: income-domain numerator / income score (official denominators not loaded)"


def district_deprivation(engine: Engine, edition: str, *, county: str | None = None) -> pl.DataFrame:
    """Per district, the official File 10 summary measures computed from the edition's LSOAs and population
    denominators (see :mod:`gapwatch.analysis.deprivation`), ranked among all districts of the edition, plus
    counts of LSOAs in England's most deprived decile and quintile. Columns ``edition``, ``lsoa_geography``
    and ``denominators`` say what the figures rest on."""
    from gapwatch.analysis.deprivation import district_summaries

    lsoas = lsoa_deprivation(engine, edition)
    with engine.connect() as conn:
        pops, how = _edition_populations(conn, edition)
        names = area_table(conn, _framework_or_none(conn)).select(pl.col("code").alias("district_code"), "name")
    lsoas = lsoas.join(pops, on="lsoa_code", how="left")
    if how.startswith("estimated"):  # an LSOA whose income numerator is withheld gets its district's mean size
        lsoas = lsoas.with_columns(pl.col("population").fill_null(pl.col("population").mean().over("district_code")))
    summaries = district_summaries(lsoas.select("lsoa_code", "district_code", "score", "rank", "population"))
    counts = lsoas.group_by("district_code").agg(
        (pl.col("decile") == 1).sum().alias("lsoas_in_most_deprived_decile"),
        (pl.col("quintile") == 1).sum().alias("lsoas_in_most_deprived_quintile"),
        pl.col("county_code").first(),
    )
    out = (
        summaries.join(counts, on="district_code", how="left")
        .with_columns(
            (pl.col("lsoas_in_most_deprived_decile") / pl.col("lsoas")).alias("share_in_most_deprived_decile"),
            (pl.col("lsoas_in_most_deprived_quintile") / pl.col("lsoas")).alias("share_in_most_deprived_quintile"),
            pl.lit(edition).alias("edition"),
            pl.lit(EDITION_GEOGRAPHY.get(edition, "LSOAs")).alias("lsoa_geography"),
            pl.lit(how).alias("denominators"),
            pl.lit(summaries.height).alias("districts_ranked"),
        )
        .join(names, on="district_code", how="left")
    )
    if county is not None:
        out = out.filter(pl.col("county_code") == county)
    return out.sort(
        ["rank_of_average_score", "lsoas_in_most_deprived_decile"], descending=[False, True], nulls_last=True
    )


def grouping_members(framework: Framework, areas: pl.DataFrame, grouping_id: str) -> list[str]:
    """The current area codes a framework grouping stands for: its members, or its parent's children minus
    exclusions — never an abolished area (one with an ``end_year``).

    A parent's children come from the geography, which keeps abolished districts for history (Shepway's old
    code, the districts merged into Somerset's unitary authority), so those are left out; otherwise a "rest
    of the county" would count an area twice, under its old and its new code. An explicit member that has
    been abolished stands for its current successor (``successor_code``, followed), listed once; one with no
    successor is left out. Areas the geography does not hold (a framework's own) are kept as named.
    """
    groupings = framework.index("area_groupings")
    if grouping_id not in groupings:
        raise NotFound(f"The framework has no area grouping '{grouping_id}'")
    g: Any = groupings[grouping_id]
    ended = _abolished(areas)
    if g.kind is GroupingKind.EXPLICIT:
        out: list[str] = []
        for member in g.members:
            named = grouping_members(framework, areas, member) if member in groupings else [member]
            for code in named:
                current: str | None = code
                for _ in range(len(ended) + 1):  # follow a chain of successors (bounded: no loops)
                    if current not in ended:
                        break
                    current = ended[current]
                if current is not None and current not in out and current not in ended:
                    out.append(current)
        return out
    children = areas.filter(pl.col("parent_code") == g.parent)["code"].to_list()
    return sorted(c for c in children if c not in set(g.excluding) and c not in ended)


def _abolished(areas: pl.DataFrame) -> dict[str, str | None]:
    """Abolished area codes -> their successor (None when the geography names none)."""
    if "end_year" not in areas.columns:
        return {}
    successor = pl.col("successor_code") if "successor_code" in areas.columns else pl.lit(None, pl.String)
    gone = areas.filter(pl.col("end_year").is_not_null()).select("code", successor.alias("successor"))
    return dict(gone.iter_rows())


def load_england_geography(engine: Engine) -> int:
    """Load the shipped England geography now (it is loaded anyway before any import or lookup)."""
    with engine.begin() as conn:
        return ensure_core_areas(conn)
