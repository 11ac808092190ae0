"""ONS geography lookups, recognised by their columns: LSOA -> ward -> district (2011 LSOAs ``LSOA11CD`` …
or 2021 LSOAs ``lsoa21_code``/``ward24_code``/``ltla24_code``), district -> county, the yearly district names
and codes (renames such as Shepway -> Folkestone and Hythe), the LSOA 2001 -> 2011 and 2011 -> 2021 bridges
(change codes U unchanged, S split, M merged, X irregular), and gapwatch's own areas file (code, name, level,
parent_code[, former_names, former_codes, end_year, successor_code]) — the format of the England geography
shipped in gapwatch/geography.

Every code is checked for its GSS shape (a letter and eight digits, or the old four-character district codes
such as 29UN); an areas file is refused whole if a code repeats, a parent link loops, or one former code is
claimed by two areas.

Each becomes rows of areas with parent links and former names and codes, ready to merge into the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from gapwatch.domain.areas import AreaLevel
from gapwatch.errors import InvalidInput, Problem
from gapwatch.ingest.csvfile import read_csv_table
from gapwatch.ingest.excel import read_excel_table
from gapwatch.ingest.tables import Problems, RawTable

__all__ = ["ENGLAND_AND_REGIONS", "LookupFile", "level_for_code", "looks_like_lookup", "read_lookup"]

#: England and its nine regions (ONS codes), which no LSOA or district lookup lists.
ENGLAND_AND_REGIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("E92000001", "England", "country", None),
    ("E12000001", "North East", "region", "E92000001"),
    ("E12000002", "North West", "region", "E92000001"),
    ("E12000003", "Yorkshire and The Humber", "region", "E92000001"),
    ("E12000004", "East Midlands", "region", "E92000001"),
    ("E12000005", "West Midlands", "region", "E92000001"),
    ("E12000006", "East of England", "region", "E92000001"),
    ("E12000007", "London", "region", "E92000001"),
    ("E12000008", "South East", "region", "E92000001"),
    ("E12000009", "South West", "region", "E92000001"),
)
_PREFIX_LEVELS = {
    "E92": "country",
    "W92": "country",
    "S92": "country",
    "N92": "country",
    "E12": "region",
    "E10": "county",
    "E11": "county",
    "E06": "district",
    "E07": "district",
    "E08": "district",
    "E09": "district",
    "W06": "district",
    "S12": "district",
    "N09": "district",
    "E05": "ward",
    "W05": "ward",
    "S13": "ward",
    "E01": "lsoa",
    "W01": "lsoa",
}
_AREA_COLUMNS: dict[str, Any] = {
    "code": pl.String,
    "name": pl.String,
    "level": pl.String,
    "parent_code": pl.String,
    "former_names": pl.List(pl.String),
    "former_codes": pl.List(pl.String),
    "end_year": pl.Int64,
    "successor_code": pl.String,
    "row": pl.Int64,
}
#: A GSS code (E07000114), or an old ONS district/county code of 2009 and before (29UN, 00AA, 29).
_CODE_SHAPE = r"[EWSNK]\d{8}|\d{2}[A-Z]{2}|\d{2}"


def level_for_code(code: str | None) -> str:
    """The area level a GSS code's prefix implies (E07 district, E05 ward, E01 LSOA …); ``other`` if unknown."""
    return _PREFIX_LEVELS.get((code or "")[:3], "other")


@dataclass
class LookupFile:
    """A lookup read into areas (and, for the LSOA bridge, bridge rows)."""

    file: str
    kind: str
    areas: pl.DataFrame
    bridge: pl.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)


def _cols(headers: list[str]) -> dict[str, str]:
    return {h.lower().replace("\ufeff", "").strip(): h for h in headers}


def _kind(headers: list[str]) -> str | None:
    cols = _cols(headers)
    if "lsoa01_code" in cols and "lsoa11_code" in cols:
        return "lsoa_bridge"
    if "lsoa11_code" in cols and "lsoa21_code" in cols:
        return "lsoa_bridge_2021"
    if "lsoa21_code" in cols and any(re.fullmatch(r"ltla\d{2}_code", c) for c in cols):
        return "lsoa_ward_district"
    if any(re.fullmatch(r"lsoa\d{2}cd", c) for c in cols) and any(re.fullmatch(r"lad\d{2}cd", c) for c in cols):
        return "lsoa_ward_district"
    if any(re.fullmatch(r"ltla\d{2}_code", c) for c in cols) and any(re.fullmatch(r"utla\d{2}_code", c) for c in cols):
        return "district_county"
    if len([c for c in cols if re.fullmatch(r"ltla\d{2}_code", c)]) >= 2:
        return "district_history"
    if "code" in cols and "name" in cols:
        return "areas"
    return None


def looks_like_lookup(headers: list[str]) -> bool:
    """Whether a table is one of the lookups gapwatch reads."""
    return _kind(headers) is not None


def _empty_lists(frame: pl.DataFrame) -> pl.DataFrame:
    for col in ("former_names", "former_codes"):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit([], pl.List(pl.String)).alias(col))
    for col in ("parent_code", "successor_code", "end_year", "row"):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, _AREA_COLUMNS[col]).alias(col))
    return frame.select(list(_AREA_COLUMNS)).cast(_AREA_COLUMNS)  # type: ignore[arg-type]


def _pick(cols: dict[str, str], pattern: str) -> str:
    found = sorted(h for c, h in cols.items() if re.fullmatch(pattern, c))
    return found[-1]


def read_lookup(path: Path, *, sheet: str | None = None, encoding: str = "auto") -> LookupFile:
    """Read a geography lookup, checking that every code is present."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = read_excel_table(path, sheet=sheet, wanted=looks_like_lookup)
    else:
        raw = read_csv_table(path, encoding=encoding)
    headers = [c for c in raw.frame.columns if c != "row"]
    kind = _kind(headers)
    if kind is None:
        raise InvalidInput(
            f"{raw.file}: not a geography lookup gapwatch recognises",
            problems=[
                Problem(
                    "expected e.g. LSOA11CD/WD20CD/LAD20CD, ltla21_code/utla21_code, "
                    "lsoa01_code/lsoa11_code or code/name/level/parent_code",
                    file=raw.file,
                    line=1,
                )
            ],
        )
    cols = _cols(headers)
    problems = Problems(raw.file)
    reader = {
        "lsoa_bridge": _bridge,
        "lsoa_bridge_2021": _bridge_2021,
        "lsoa_ward_district": _lsoa_ward_district,
        "district_county": _district_county,
        "district_history": _district_history,
        "areas": _areas,
    }[kind]
    result = reader(raw, cols, problems)
    problems.raise_if_any()
    result.warnings = raw.warnings + result.warnings
    return result


def _require(raw: RawTable, problems: Problems, columns: list[str]) -> None:
    """Codes present and well-formed (GSS shape or an old ONS code)."""
    for col in columns:
        problems.add_rows(raw.frame, raw.frame[col].is_null(), "the code is missing", field=col)
        problems.add_rows(
            raw.frame,
            raw.frame[col].is_not_null() & ~raw.frame[col].str.strip_chars().str.contains(f"^(?:{_CODE_SHAPE})$"),
            "'{value}' is not a GSS area code (a letter and eight digits, e.g. E07000114)",
            field=col,
            show=col,
        )


def _bridge_2021(raw: RawTable, cols: dict[str, str], problems: Problems) -> LookupFile:
    """ONS LSOA 2011 -> LSOA 2021 (-> district 2022) best fit, with its change code."""
    f = raw.frame
    _require(raw, problems, [cols["lsoa11_code"], cols["lsoa21_code"]])
    change = cols.get("change_code") or cols.get("chgind")
    if change:
        problems.add_rows(
            f,
            f[change].is_not_null() & ~f[change].is_in(["U", "S", "M", "X"]),
            "change code '{value}' is not U, S, M or X",
            field=change,
            show=change,
        )
    district = next((h for c, h in sorted(cols.items()) if re.fullmatch(r"(ltla|lad)\d{2}_?c(ode|d)", c)), None)
    bridge = f.select(
        pl.col(cols["lsoa11_code"]).alias("lsoa11_code"),
        pl.col(cols["lsoa21_code"]).alias("lsoa21_code"),
        (pl.col(change) if change else pl.lit(None, pl.String)).alias("change_code"),
        (pl.col(district) if district else pl.lit(None, pl.String)).alias("district_code"),
    )
    empty = pl.DataFrame(schema={"code": pl.String, "name": pl.String, "level": pl.String})
    return LookupFile(raw.file, "lsoa_bridge_2021", _empty_lists(empty), bridge)


def _bridge(raw: RawTable, cols: dict[str, str], problems: Problems) -> LookupFile:
    f = raw.frame
    _require(raw, problems, [cols["lsoa01_code"], cols["lsoa11_code"]])
    bridge = f.select(
        pl.col(cols["lsoa01_code"]).alias("lsoa01_code"),
        pl.col(cols["lsoa11_code"]).alias("lsoa11_code"),
        (pl.col(cols["change_code"]) if "change_code" in cols else pl.lit(None, pl.String)).alias("change_code"),
    )
    areas = f.select(
        pl.col(cols["lsoa11_code"]).alias("code"), pl.col(cols.get("lsoa11_name", cols["lsoa11_code"])).alias("name")
    ).unique("code")
    areas = _empty_lists(areas.with_columns(level=pl.lit("lsoa")))
    return LookupFile(raw.file, "lsoa_bridge", areas.filter(pl.lit(False)), bridge)


def _lsoa_ward_district(raw: RawTable, cols: dict[str, str], problems: Problems) -> LookupFile:
    f = raw.frame
    if "lsoa21_code" in cols:  # geographr's spelling of the ONS LSOA21 -> WD24 -> LAD24 lookup
        lsoa, lsoa_nm = cols["lsoa21_code"], cols.get("lsoa21_name", cols["lsoa21_code"])
        lad, lad_nm = _pick(cols, r"ltla\d{2}_code"), _pick(cols, r"ltla\d{2}_name")
        wards = [c for c in cols if re.fullmatch(r"ward\d{2}_code", c)]
        ward = cols[wards[-1]] if wards else None
        ward_name = cols.get(wards[-1].replace("_code", "_name")) if wards else None
    else:
        lsoa, lsoa_nm = _pick(cols, r"lsoa\d{2}cd"), _pick(cols, r"lsoa\d{2}nm")
        lad, lad_nm = _pick(cols, r"lad\d{2}cd"), _pick(cols, r"lad\d{2}nm")
        ward = _pick(cols, r"wd\d{2}cd") if any(re.fullmatch(r"wd\d{2}cd", c) for c in cols) else None
        ward_name = _pick(cols, r"wd\d{2}nm") if ward else None
    _require(raw, problems, [lsoa, lad])
    parts = [
        f.select(pl.col(lad).alias("code"), pl.col(lad_nm).alias("name"))
        .unique("code")
        .with_columns(level=pl.lit("district"))
    ]
    if ward:
        parts.append(
            f.select(
                pl.col(ward).alias("code"), pl.col(ward_name or ward).alias("name"), pl.col(lad).alias("parent_code")
            )
            .unique("code")
            .with_columns(level=pl.lit("ward"))
        )
    parts.append(
        f.select(
            pl.col(lsoa).alias("code"), pl.col(lsoa_nm).alias("name"), pl.col(ward or lad).alias("parent_code")
        ).with_columns(level=pl.lit("lsoa"))
    )
    areas = pl.concat([_empty_lists(p) for p in parts])
    return LookupFile(raw.file, "lsoa_ward_district", areas)


def _district_county(raw: RawTable, cols: dict[str, str], problems: Problems) -> LookupFile:
    f = raw.frame
    lt, ut = _pick(cols, r"ltla\d{2}_code"), _pick(cols, r"utla\d{2}_code")
    lt_nm, ut_nm = _pick(cols, r"ltla\d{2}_name"), _pick(cols, r"utla\d{2}_name")
    _require(raw, problems, [lt, ut])
    counties = (
        f.filter(pl.col(lt) != pl.col(ut))
        .select(pl.col(ut).alias("code"), pl.col(ut_nm).alias("name"))
        .unique("code")
        .with_columns(level=pl.lit("county"))
    )
    districts = f.select(
        pl.col(lt).alias("code"),
        pl.col(lt_nm).alias("name"),
        pl.when(pl.col(lt) != pl.col(ut)).then(pl.col(ut)).otherwise(None).alias("parent_code"),
    ).with_columns(level=pl.col("code").map_elements(level_for_code, return_dtype=pl.String))
    return LookupFile(raw.file, "district_county", pl.concat([_empty_lists(counties), _empty_lists(districts)]))


def _district_history(raw: RawTable, cols: dict[str, str], problems: Problems) -> LookupFile:
    years = sorted(int(re.fullmatch(r"ltla(\d{2})_code", c)[1]) for c in cols if re.fullmatch(r"ltla\d{2}_code", c))  # type: ignore[index]
    last = years[-1]
    code_col, name_col = cols[f"ltla{last}_code"], cols[f"ltla{last}_name"]
    _require(raw, problems, [code_col])
    rows: dict[str, dict[str, list[str] | str]] = {}
    for rec in raw.frame.iter_rows(named=True):
        code, name = rec[code_col], rec[name_col]
        if code is None:
            continue
        entry = rows.setdefault(code, {"name": name, "former_names": [], "former_codes": []})
        for y in years[:-1]:
            old_code, old_name = rec.get(cols.get(f"ltla{y}_code", "")), rec.get(cols.get(f"ltla{y}_name", ""))
            if old_code and old_code != code and old_code not in entry["former_codes"]:
                entry["former_codes"].append(old_code)  # type: ignore[union-attr]
            if old_name and old_name != name and old_name not in entry["former_names"]:
                entry["former_names"].append(old_name)  # type: ignore[union-attr]
    areas = pl.DataFrame(
        {
            "code": list(rows),
            "name": [r["name"] for r in rows.values()],
            "level": [level_for_code(c) for c in rows],
            "former_names": [r["former_names"] for r in rows.values()],
            "former_codes": [r["former_codes"] for r in rows.values()],
        },
        schema={
            "code": pl.String,
            "name": pl.String,
            "level": pl.String,
            "former_names": pl.List(pl.String),
            "former_codes": pl.List(pl.String),
        },
    )
    return LookupFile(raw.file, "district_history", _empty_lists(areas))


def _areas(raw: RawTable, cols: dict[str, str], problems: Problems) -> LookupFile:
    """gapwatch's own areas file, checked whole: levels known, codes unique and (below "other") GSS-shaped,
    parent links free of loops, each former code claimed by one area only."""
    f = raw.frame
    for col in (cols["code"], cols["name"]):
        problems.add_rows(f, f[col].is_null(), "the value is missing", field=col)
    levels = {lv.value for lv in AreaLevel}
    level = pl.col(cols["level"]).str.to_lowercase() if "level" in cols else pl.lit(None, pl.String)
    out = f.select(
        "row",
        pl.col(cols["code"]).str.strip_chars().alias("code"),
        pl.col(cols["name"]).alias("name"),
        level.alias("level"),
        (pl.col(cols["parent_code"]) if "parent_code" in cols else pl.lit(None, pl.String)).alias("parent_code"),
        *[
            (
                pl.col(cols[c]).str.split(";").list.eval(pl.element().str.strip_chars()).list.filter(pl.element() != "")
                if c in cols
                else pl.lit([], pl.List(pl.String))
            ).alias(c)
            for c in ("former_names", "former_codes")
        ],
        (pl.col(cols["end_year"]) if "end_year" in cols else pl.lit(None, pl.String)).alias("end_year"),
        (pl.col(cols["successor_code"]) if "successor_code" in cols else pl.lit(None, pl.String)).alias(
            "successor_code"
        ),
    )
    out = out.with_columns(pl.coalesce("level", pl.col("code").map_elements(level_for_code, return_dtype=pl.String)))
    problems.add_rows(
        out,
        ~pl.col("level").is_in(list(levels)),
        f"'{{value}}' is not an area level ({', '.join(sorted(levels))})",
        field=cols.get("level", "level"),
        show="level",
    )
    # a partnership's own areas may have their own codes (X1, LCSP-THANET); a GSS-looking code must be whole
    shape = f"^(?:{_CODE_SHAPE})$"
    problems.add_rows(
        out,
        pl.col("code").str.contains(r"^[EWSNK]\d") & ~pl.col("code").str.contains(shape),
        "'{value}' is not a GSS area code (a letter and eight digits, e.g. E07000114)",
        field=cols["code"],
        show="code",
    )
    problems.add_rows(
        out,
        pl.col("code").is_duplicated() & pl.col("code").is_not_null(),
        "area {value} appears more than once",
        field=cols["code"],
        show="code",
    )
    year = pl.col("end_year").cast(pl.Int64, strict=False)
    problems.add_rows(
        out,
        pl.col("end_year").is_not_null() & (year.is_null() | (year < 1900) | (year > 2100)),
        "'{value}' is not a year",
        field=cols.get("end_year", "end_year"),
        show="end_year",
    )
    out = out.with_columns(year.alias("end_year"))
    _check_parent_loops(out, problems, cols.get("parent_code", "parent_code"))
    _check_former_codes(out, problems, cols.get("former_codes", "former_codes"))
    return LookupFile(raw.file, "areas", _empty_lists(out))


def _check_parent_loops(out: pl.DataFrame, problems: Problems, field: str) -> None:
    """A parent link that leads back to where it started (A -> B -> A) is refused at the first row of the loop."""
    parents = {c: p for c, p in zip(out["code"], out["parent_code"], strict=True) if c and p}
    rows = dict(zip(out["code"], out["row"], strict=True))
    reported: set[str] = set()
    for start in parents:
        seen: list[str] = []
        node: str | None = start
        while node is not None and node not in seen:
            seen.append(node)
            node = parents.get(node)
        if node is not None and node == start and start not in reported:
            loop = seen[: seen.index(node) + 1] if node in seen else seen
            reported.update(loop)
            problems.add(
                f"parent links of {start} go round in a loop ({' -> '.join([*loop, start])})",
                row=rows[start],
                field=field,
            )


def _check_former_codes(out: pl.DataFrame, problems: Problems, field: str) -> None:
    """One former code must lead to one area: a code claimed by two (an old code mapping to two new areas) is
    ambiguous, and a former code that is also a current code in the file contradicts itself."""
    claims = out.select("row", "code", "former_codes").explode("former_codes").drop_nulls("former_codes")
    twice = claims.filter(pl.col("former_codes").is_duplicated())
    for old, group in twice.group_by("former_codes", maintain_order=True):
        codes = group["code"].to_list()
        problems.add(
            f"former code {old[0]} is claimed by {len(codes)} areas ({', '.join(codes)}): an old code must map to "
            "one current area (keep the abolished area as an area of its own with end_year instead)",
            row=int(group["row"].max()),  # type: ignore[arg-type]
            field=field,
        )
    current = set(out["code"].drop_nulls().to_list())
    for rec in claims.filter(pl.col("former_codes").is_in(list(current))).iter_rows(named=True):
        problems.add(
            f"former code {rec['former_codes']} of {rec['code']} is itself an area in this file",
            row=rec["row"],
            field=field,
        )
