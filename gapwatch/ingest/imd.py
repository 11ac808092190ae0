"""The English Indices of Deprivation by LSOA, recognised by their columns whatever the edition or source.

Handles the official DCLG/MHCLG files (2015 and 2019 Files 1, 2, 5, 6, 7 as CSV or .xlsx, with their long
headers such as "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)") and the common
re-publications with short headers (``lsoa11_code``, ``IMD_score``, ``Income_rank`` …), on 2011 LSOAs
(2015, 2019) or 2001 LSOAs with old district codes such as 29UN (2007, 2010). The edition comes from the
columns (district codes of 2019 -> IMD 2019, of 2013 -> IMD 2015, of 2009 -> IMD 2010, of 2007 -> IMD
2007, or an ``imd_year`` column), else from the file name, else from ``--edition``. Population denominator
columns (File 6 and 7) and the File 8 underlying indicators are recognised too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from gapwatch.errors import InvalidInput, Problem
from gapwatch.ingest.csvfile import read_csv_table
from gapwatch.ingest.excel import read_excel_table
from gapwatch.ingest.tables import Problems, RawTable, parse_numbers

__all__ = [
    "DOMAINS",
    "EDITIONS",
    "DistrictSummaryFile",
    "ImdFile",
    "looks_like_imd",
    "read_district_summaries",
    "read_imd",
]

EDITIONS = ("IMD2004", "IMD2007", "IMD2010", "IMD2015", "IMD2019", "IMD2025")
#: Domain keys, matched in this order against the start of a header (sub-domains before domains).
DOMAINS: tuple[tuple[str, str], ...] = (
    (r"index of multiple deprivation|^imd", "imd"),
    (r"income deprivation affecting children|idaci", "idaci"),
    (r"income deprivation affecting older|idaopi", "idaopi"),
    (r"children and young people|cyp_sub", "education_children"),
    (r"adult skills", "education_adult_skills"),
    (r"geographical barriers", "barriers_geographical"),
    (r"wider barriers", "barriers_wider"),
    (r"indoors", "environment_indoors"),
    (r"outdoors", "environment_outdoors"),
    (r"^income", "income"),
    (r"^employment", "employment"),
    (r"^education", "education"),
    (r"^health", "health"),
    (r"^crime", "crime"),
    (r"barriers to housing|housing and access|housing and services|^barriers", "barriers"),
    (r"living environment|^environment", "environment"),
)
#: LSOAs in England in each edition (2001, 2011 and 2021 LSOAs).
_EDITION_LSOAS = {
    "IMD2004": 32_482,
    "IMD2007": 32_482,
    "IMD2010": 32_482,
    "IMD2015": 32_844,
    "IMD2019": 32_844,
    "IMD2025": 33_755,
}
#: Domains whose scores are standardised (can be negative); every other score is a rate or a sum of ones.
_SIGNED_DOMAINS = {
    "health",
    "crime",
    "education_children",
    "education_adult_skills",
    "barriers_geographical",
    "barriers_wider",
    "environment_indoors",
    "environment_outdoors",
}
_DISTRICT_YEAR_EDITION = {
    "2019": "IMD2019",
    "2013": "IMD2015",
    "2015": "IMD2015",
    "2009": "IMD2010",
    "2010": "IMD2010",
    "2007": "IMD2007",
    "2025": "IMD2025",
    "2024": "IMD2025",
}
_AGE_GROUPS = (
    (r"total population", "all ages"),
    (r"dependent children aged 0-15", "0-15"),
    (r"aged 16-59", "16-59"),
    (r"60 and over", "60+"),
    (r"working age", "18-59/64"),
)


@dataclass
class ImdFile:
    """What an IMD file holds, in gapwatch's shape."""

    file: str
    edition: str | None
    deprivation: pl.DataFrame
    lsoas: pl.DataFrame
    populations: pl.DataFrame
    underlying: pl.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)


def _year(header: str) -> str | None:
    m = re.search(r"\((\d{4})\)", header) or re.search(r"(?:lad|la|lsoa)(\d{2})", header)
    if m is None:
        return None
    year = m[1]
    return year if len(year) == 4 else ("20" + year if int(year) < 50 else "19" + year)


def _roles(headers: list[str]) -> dict[str, str]:
    roles: dict[str, str] = {}
    for h in headers:
        low = h.lower().strip()
        if "lsoa" in low and ("code" in low or re.fullmatch(r"lsoa\d{2}cd", low)):
            roles.setdefault("lsoa_code", h)
        elif "lsoa" in low and "name" in low or re.fullmatch(r"lsoa\d{2}nm", low):
            roles.setdefault("lsoa_name", h)
        elif re.search(r"local authority district code|^lad?\d{0,2}_?code$|^lad\d{2}cd$", low):
            roles.setdefault("district_code", h)
        elif re.search(r"local authority district name|^lad?\d{0,2}_?name$|^lad\d{2}nm$", low):
            roles.setdefault("district_name", h)
        elif low == "imd_year":
            roles["imd_year"] = h
    return roles


def _measure(header: str) -> tuple[str, str] | None:
    low = header.lower().strip()
    m = re.search(r"(?:\b|_)(score|rank|decile)(?:\b|_|$)", low)
    if m is None:
        return None
    prefix = low[: m.start()].strip(" _").replace("_", " ")
    for pattern, key in DOMAINS:
        if re.search(pattern, prefix):
            return key, m[1]
    return None


def looks_like_imd(headers: list[str]) -> bool:
    """Whether a table is an IMD / IoD file: an LSOA code column and deprivation, population or indicator columns."""
    if "lsoa_code" not in _roles(headers):
        return False
    return any(_measure(h) for h in headers) or any(
        re.search(r"population|numerator|_indicator", h.lower()) for h in headers
    )


def _edition(raw: RawTable, roles: dict[str, str], given: str | None, path: Path) -> str | None:
    if given:
        edition = given.upper().replace(" ", "")
        edition = edition if edition.startswith("IMD") else "IMD" + edition
        if edition not in EDITIONS:
            raise InvalidInput(f"Unknown IMD edition '{given}'", hint=f"Editions: {', '.join(EDITIONS)}")
        return edition
    if "imd_year" in roles:
        years = raw.frame[roles["imd_year"]].drop_nulls().unique().to_list()
        if len(years) == 1:
            return "IMD" + str(years[0])
    if "district_code" in roles:
        year = _year(roles["district_code"])
        if year in _DISTRICT_YEAR_EDITION:
            return _DISTRICT_YEAR_EDITION[year]
    m = re.search(r"(2004|2007|2010|2015|2019|2025)", path.name)
    return "IMD" + m[1] if m else None


def read_imd(path: Path, *, edition: str | None = None, sheet: str | None = None, encoding: str = "auto") -> ImdFile:
    """Read an IMD/IoD file by LSOA and validate it whole (codes present and unique, numbers, deciles 1-10)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = read_excel_table(path, sheet=sheet, wanted=looks_like_imd)
    else:
        raw = read_csv_table(path, encoding=encoding)
    headers = [c for c in raw.frame.columns if c != "row"]
    roles = _roles(headers)
    if "lsoa_code" not in roles or not looks_like_imd(headers):
        raise InvalidInput(
            f"{raw.file}: not an Indices of Deprivation file by LSOA",
            problems=[
                Problem("no LSOA code column with deprivation, population or indicator columns", file=raw.file, line=1)
            ],
            hint="gapwatch recognises the official IoD files (2007, 2010, 2015, 2019) and their usual CSV versions.",
        )
    frame = raw.frame
    problems = Problems(raw.file)
    code = roles["lsoa_code"]
    problems.add_rows(frame, frame[code].is_null(), "the LSOA code is missing", field=code)
    problems.add_rows(
        frame,
        frame[code].is_duplicated() & frame[code].is_not_null(),
        "LSOA {value} appears more than once",
        field=code,
        show=code,
    )
    problems.add_rows(
        frame,
        frame[code].is_not_null() & ~frame[code].str.contains(r"^[EW]01\d{6}$"),
        "'{value}' is not an LSOA code (E01 and six digits)",
        field=code,
        show=code,
    )
    ed = _edition(raw, roles, edition, path)
    measures = {h: _measure(h) for h in headers}
    dep_parts = []
    for header, found in measures.items():
        if found is None:
            continue
        domain, kind = found
        number, _ = parse_numbers(frame, header, problems)
        if kind in ("rank", "decile"):
            bad = number.is_not_null() & ((number < 1) | (number != number.round()))
            problems.add_rows(frame, bad, f"'{{value}}' is not a valid {kind}", field=header, show=header)
            if kind == "decile":
                problems.add_rows(frame, number > 10, "decile {value} is above 10", field=header, show=header)
            else:  # ranks run 1..N over the LSOAs of England (an extract of a file keeps the national ranks)
                n = _EDITION_LSOAS.get(ed or "", frame.height)
                problems.add_rows(
                    frame, number > n, f"rank {{value}} is above the number of LSOAs ({n:,})", field=header, show=header
                )
                if frame.height == n:
                    # ties (LSOAs of equal score in the official files) share the lowest rank and skip the next
                    # ones: every rank equals one more than the number of LSOAs ranked before it
                    problems.add_rows(
                        frame,
                        number.is_not_null() & (number != number.rank("min")),
                        "rank {value} breaks the ranking 1..N (a rank repeated or skipped without a tie)",
                        field=header,
                        show=header,
                    )
        elif domain not in _SIGNED_DOMAINS:
            problems.add_rows(
                frame,
                number.is_not_null() & (number < 0),
                "score {value} is negative (only the standardised health, crime and sub-domain scores can be)",
                field=header,
                show=header,
            )
        dep_parts.append(pl.DataFrame({"lsoa_code": frame[code], "domain": domain, "kind": kind, "number": number}))
    pop_parts = []
    for header in headers:
        low = header.lower()
        age = next((g for pattern, g in _AGE_GROUPS if re.search(pattern, low)), None)
        if age is None or measures.get(header):
            continue
        m = re.search(r"mid[- ]?(\d{4})", low)
        number, _ = parse_numbers(frame, header, problems)
        pop_parts.append(
            pl.DataFrame(
                {"area_code": frame[code], "period": m[1] if m else "unknown", "age_group": age, "population": number}
            )
        )
    underlying = None
    if not dep_parts and not pop_parts:
        cols = [h for h in headers if h != code and re.search(r"numerator|indicator|_km$|rate", h.lower())]
        parsed = {h: parse_numbers(frame, h, problems)[0] for h in cols}
        underlying = pl.DataFrame({"lsoa_code": frame[code], **parsed})
    problems.raise_if_any()
    if dep_parts and ed is None:
        raise InvalidInput(
            f"{raw.file}: cannot tell which IMD edition this is", hint="Give it with --edition 2019 (etc.)."
        )
    deprivation = _deprivation(dep_parts, ed)
    district = roles.get("district_code")
    lsoas = frame.select(
        pl.col(code).alias("code"),
        (pl.col(roles["lsoa_name"]) if "lsoa_name" in roles else pl.lit(None, pl.String)).alias("name"),
        (pl.col(district) if district else pl.lit(None, pl.String)).alias("district_code"),
        (pl.col(roles["district_name"]) if "district_name" in roles else pl.lit(None, pl.String)).alias(
            "district_name"
        ),
    )
    if not deprivation.is_empty():
        deprivation = deprivation.join(
            lsoas.select(pl.col("code").alias("lsoa_code"), "district_code", "district_name"),
            on="lsoa_code",
            how="left",
        )
    populations = (
        pl.concat(pop_parts)
        if pop_parts
        else pl.DataFrame(
            schema={"area_code": pl.String, "period": pl.String, "age_group": pl.String, "population": pl.Float64}
        )
    )
    return ImdFile(raw.file, ed, deprivation, lsoas, populations, underlying, raw.warnings)


def _deprivation(parts: list[pl.DataFrame], edition: str | None) -> pl.DataFrame:
    schema = {
        "edition": pl.String,
        "lsoa_code": pl.String,
        "domain": pl.String,
        "score": pl.Float64,
        "rank": pl.Int64,
        "decile": pl.Int64,
    }
    if not parts:
        return pl.DataFrame(schema=schema)
    long = pl.concat(parts)
    wide = long.pivot(on="kind", index=["lsoa_code", "domain"], values="number", aggregate_function="first")
    for kind in ("score", "rank", "decile"):
        if kind not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(kind))
    return wide.select(
        pl.lit(edition).alias("edition"),
        "lsoa_code",
        "domain",
        pl.col("score").cast(pl.Float64),
        pl.col("rank").cast(pl.Int64),
        pl.col("decile").cast(pl.Int64),
    )


@dataclass
class DistrictSummaryFile:
    """District summaries of one edition, as a file gives them (scores, maybe ranks), with what they are."""

    file: str
    edition: str
    frame: pl.DataFrame  # district_code, average_score, rank_of_average_score (None when the file has no ranks)
    official: bool
    note: str


def read_district_summaries(path: Path) -> DistrictSummaryFile:
    """Read a district summary file of the IMD: MHCLG's File 10 (wide, ``lad_code``/``ltla24_code`` with
    average score and ranks), Trafford Data Lab's long form (``lad19cd``, ``index_domain``, ``average_score``,
    ``rank_average_score``) or humaniverse's re-aggregations to 2021 districts (``ltla21_code``, ``Score``).
    Files whose name says "reaggregated" are marked not official: a third party re-weighted LSOA scores onto
    later districts, which is not what MHCLG published."""
    raw = read_csv_table(path)
    cols = {c.lower().replace("\ufeff", ""): c for c in raw.frame.columns if c != "row"}
    frame = raw.frame
    problems = Problems(raw.file)
    code = next(
        (cols[c] for c in ("ltla21_code", "ltla24_code", "lad19cd", "lad_code", "area_code") if c in cols), None
    )
    score = next((cols[c] for c in ("score", "average_score", "imd_average_score") if c in cols), None)
    if code is None or score is None:
        raise InvalidInput(
            f"{raw.file}: not a district summary of the IMD",
            problems=[Problem("expected a district code column and an average score column", file=raw.file, line=1)],
        )
    if "index_domain" in cols:
        frame = frame.filter(pl.col(cols["index_domain"]).str.starts_with("Index of Multiple Deprivation"))
    rank = next((cols[c] for c in ("rank_average_score", "imd_rank_of_average_score") if c in cols), None)
    problems.add_rows(
        frame,
        frame[code].is_null() | ~frame[code].str.contains(r"^E0[6-9]\d{6}$"),
        "'{value}' is not a district code",
        field=code,
        show=code,
    )
    scores, _ = parse_numbers(frame, score, problems)
    problems.add_rows(frame, scores < 0, "score {value} is negative", field=score, show=score)
    ranks = parse_numbers(frame, rank, problems)[0] if rank else pl.Series([None] * frame.height, dtype=pl.Float64)
    problems.add_rows(
        frame, frame[code].is_duplicated(), "district {value} appears more than once", field=code, show=code
    )
    problems.raise_if_any()
    m = re.search(r"(2004|2007|2010|2015|2019|2025)", path.name)
    edition = "IMD" + m[1] if m else "unknown"
    official = "reaggregated" not in path.name.lower()
    note = (
        "official MHCLG district summaries (File 10)"
        if official
        else "re-aggregated by a third party to later districts (population-weighted, NOT official)"
    )
    out = pl.DataFrame(
        {
            "district_code": frame[code],
            "average_score": scores.cast(pl.Float64),
            "rank_of_average_score": ranks.cast(pl.Int64),
        }
    )
    return DistrictSummaryFile(raw.file, edition, out, official, note)
