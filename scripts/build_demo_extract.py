"""Build the Kent demo's real-data extract from the public files in ../shared/data, with gapwatch's own readers.

Usage: python scripts/build_demo_extract.py [DATA_DIR] [--out FOLDER]
(defaults: /work/shared/data, or $GAPWATCH_PUBLIC_DATA; gapwatch/frameworks/kent/data)

Every file is read exactly as ``gapwatch demo --public-data DIR`` reads it: the same
:class:`~gapwatch.ingest.tidy.TableMapping` recipes (``gapwatch/services/_demo_recipes.py``), validated by
:func:`gapwatch.services.imports.read_data_file`. The rows kept are those of Kent (E10000016), its twelve
districts, the South East, England and Kent's ten DfE statistical neighbours (so that comparator groups
work), plus Kent's LSOAs for the one LSOA-level indicator. Real series whose definition matches one of the
framework's own indicators are written under that indicator (``_demo_recipes.FRAMEWORK_IDS``); breakdowns a
framework category type names (by id, name or alias: Fingertips' deprivation deciles of each IMD edition) under
that category type and its categories.

Output, deterministic (same bytes on every run): ``public-extract.csv.gz`` in gapwatch's tidy columns plus a
``source`` column (publisher and file of every row), and ``DATA-LICENCE.md`` (Open Government Licence v3.0
attribution and the source of every series).
"""

from __future__ import annotations

import gzip
import io
import os
import sys
from pathlib import Path

import polars as pl

from gapwatch.domain.groups import match_category_type
from gapwatch.ingest.imd import read_imd
from gapwatch.ingest.tidy import TableMapping
from gapwatch.services import _demo_recipes as recipes
from gapwatch.services.frameworks import bundled_framework_path, validate_framework
from gapwatch.services.imports import read_data_file

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("GAPWATCH_PUBLIC_DATA", "/work/shared/data"))
DEFAULT_OUT = ROOT / "gapwatch" / "frameworks" / "kent" / "data"
EXTRACT = "public-extract.csv.gz"
LICENCE = "DATA-LICENCE.md"

KENT = "E10000016"
DISTRICTS = tuple(f"E07000{n}" for n in range(105, 117))
SOUTH_EAST = "E12000008"
ENGLAND = "E92000001"
SN_FILE = "New_Statistical_Neighbour_Groupings_April_2021.csv"
KENT_DFE_NUMBER = "886"

#: The tidy columns the extract carries, in this order (see gapwatch.ingest.tidy.TIDY_COLUMNS), then ``source``.
COLUMNS = (
    "indicator",
    "indicator_name",
    "measure",
    "unit",
    "multiplier",
    "polarity",
    "area_code",
    "area_name",
    "area_type",
    "parent_code",
    "period",
    "sex",
    "age",
    "category_type",
    "category",
    "value",
    "numerator",
    "denominator",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    "suppressed",
    "value_code",
    "note",
    "source",
)


def _find(folder: Path, name: str) -> Path | None:
    direct = folder / name
    if direct.is_file():
        return direct
    return next(iter(sorted(folder.rglob(name))), None)


def statistical_neighbours(folder: Path) -> dict[str, str]:
    """Kent's ten DfE statistical neighbours as {GSS code: name}, DfE LA numbers mapped through the DfE files'
    own ``old_la_code``/``new_la_code`` columns."""
    sn_path = _find(folder, SN_FILE)
    if sn_path is None:
        raise SystemExit(f"{SN_FILE} not found under {folder}")
    text = sn_path.read_text(encoding="utf-8-sig").splitlines()
    row = next(line.split(",") for line in text if line.split(",")[0] == KENT_DFE_NUMBER)
    numbers = [row[i] for i in range(5, 25, 2)]
    codes: dict[str, tuple[str, str]] = {}
    for name in ("cla_number_and_rate_per_10k_children.csv", "ks2_la.csv"):
        path = _find(folder, name)
        if path is None:
            continue
        frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy").filter(
            pl.col("old_la_code").is_not_null()
        )
        for old, new, la in frame.select("old_la_code", "new_la_code", "la_name").unique().iter_rows():
            codes.setdefault(old, (new, la))
    missing = [n for n in numbers if n not in codes]
    if missing:
        raise SystemExit(f"{SN_FILE}: DfE LA numbers {missing} have no GSS code in the DfE files")
    return {codes[n][0]: codes[n][1] for n in numbers}


def _regional(recipe: recipes.Recipe) -> recipes.Recipe | None:
    """The regional rows of an Explore Education Statistics file, read like its national rows."""
    mapping = recipe.mapping
    if mapping.where.get("geographic_level") != ["National"]:
        return None
    columns = {k: v for k, v in mapping.columns.items() if k != "country_code"} | {
        "region_code": "area_code",
        "region_name": "area_name",
    }
    data = mapping.model_dump() | {
        "columns": columns,
        "where": {**mapping.where, "geographic_level": ["Regional"]},
        "constants": {**mapping.constants, "area_type": "region"},
    }
    return recipes.Recipe(recipe.file, recipe.name.replace("(national)", "(regional)"), TableMapping(**data))


def _tidy(frame: pl.DataFrame, meta: dict[str, dict[str, object]], source: str) -> pl.DataFrame:
    """A parsed file's canonical frame back in tidy columns, with its indicators' metadata and its source."""
    out = frame.with_columns(
        pl.col("period").alias("period"),
        pl.col("suppressed").cast(pl.String),
        pl.lit(source).alias("source"),
    )
    for column in ("indicator_name", "measure", "unit", "multiplier", "polarity"):
        key = "name" if column == "indicator_name" else column
        given = {k: str(v[key]) for k, v in meta.items() if v.get(key) is not None}
        if given:
            out = out.with_columns(
                pl.col("indicator").replace_strict(given, default=pl.col(column).cast(pl.String)).alias(column)
            )
    return out.select(
        [pl.col(c).cast(pl.String) if c in out.columns else pl.lit(None, pl.String).alias(c) for c in COLUMNS]
    )


def _idaci(folder: Path) -> pl.DataFrame | None:
    """IDACI numerators (IoD 2019 File 8) over children aged 0-15 (File 6) for Kent's LSOAs."""
    under = _find(folder, "imd2019_lsoa11_underlying_indicators.csv")
    pops = _find(folder, "File_6_-_IoD2019_Population_Denominators.csv")
    lsoas = _find(folder, "imd2019_lsoa11_score_decile.csv")
    if under is None or pops is None or lsoas is None:
        return None
    imd = read_imd(under, edition="2019")
    denominators = read_imd(pops, edition="2019")
    if imd.underlying is None or denominators.populations.is_empty():
        return None
    column = next(c for c in imd.underlying.columns if "idaci" in c and "numerator" in c)
    kids = denominators.populations.filter(pl.col("age_group") == "0-15").select(
        pl.col("area_code").alias("lsoa_code"), pl.col("population").alias("denominator")
    )
    names = pl.read_csv(lsoas, infer_schema_length=0).select(
        "lsoa_code",
        pl.col("lsoa_name").alias("area_name"),
        pl.col("la_code").alias("parent_code"),
    )
    frame = (
        imd.underlying.select("lsoa_code", pl.col(column).alias("numerator"))
        .join(kids, on="lsoa_code")
        .join(names, on="lsoa_code")
        .filter(pl.col("parent_code").is_in(DISTRICTS))
        .select(
            pl.lit("IoD2019-IDACI").alias("indicator"),
            pl.lit(
                "Children aged 0-15 living in income-deprived families (IDACI numerator / children 0-15, "
                "IoD 2019, 2015/16 data) (%)"
            ).alias("indicator_name"),
            pl.lit("proportion").alias("measure"),
            pl.lit("%").alias("unit"),
            pl.lit("lower_is_better").alias("polarity"),
            pl.col("lsoa_code").alias("area_code"),
            "area_name",
            pl.lit("lsoa").alias("area_type"),
            "parent_code",
            pl.lit("2015/16").alias("period"),
            pl.col("numerator").cast(pl.String),
            pl.col("denominator").cast(pl.String),
            (pl.col("numerator") / pl.col("denominator") * 100).cast(pl.String).alias("value"),
            pl.lit(
                "MHCLG, English Indices of Deprivation 2019, File 8 (underlying indicators) and File 6 "
                "(population denominators)"
            ).alias("source"),
        )
    )
    return frame.select([pl.col(c) if c in frame.columns else pl.lit(None, pl.String).alias(c) for c in COLUMNS])


def _framework_mapping(frame: pl.DataFrame) -> pl.DataFrame:
    """Real series onto the framework's own indicators and groups where the definitions match."""
    rename = {k: v for k, (v, _) in recipes.FRAMEWORK_IDS.items()}
    notes = {k: note for k, (_, note) in recipes.FRAMEWORK_IDS.items()}
    mapped = pl.col("indicator").is_in(list(rename))
    return frame.with_columns(
        pl.when(mapped)
        .then(
            pl.concat_str(
                pl.col("note").fill_null(""), pl.lit(" "), pl.col("indicator").replace_strict(notes, default="")
            ).str.strip_chars()
        )
        .otherwise(pl.col("note"))
        .alias("note"),
        pl.col("indicator").replace_strict(rename, default=pl.col("indicator")).alias("indicator"),
    ).with_columns(
        # The framework's own indicators keep their own name, unit and polarity.
        *[
            pl.when(pl.col("indicator").is_in(list(rename.values()))).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("indicator_name", "measure", "unit", "multiplier", "polarity")
        ]
    )


def _framework_groups(frame: pl.DataFrame) -> pl.DataFrame:
    """Publishers' breakdowns under the framework's own category types and categories, by name or alias (the
    rule every import applies, :func:`gapwatch.domain.groups.match_category_type`): Fingertips' "County & UA
    deprivation deciles in England (IMD2015)" / "Most deprived decile (IMD2015)" become
    ``imd2015-decile-county-ua`` / ``d1``, so the extract reads as the framework names things."""
    groups = validate_framework(bundled_framework_path("kent")).framework.groups
    types: dict[str, str] = {}
    cats: dict[str, str] = {}
    for ctype, cat in frame.select("category_type", "category").unique().drop_nulls().iter_rows():
        group = match_category_type(groups, ctype)
        cid = group.category_for(cat) if group is not None else None
        if group is not None and cid is not None:
            types[ctype] = group.id
            cats[f"{ctype}\x00{cat}"] = cid
    key = pl.concat_str("category_type", pl.lit("\x00"), "category")
    return frame.with_columns(
        key.replace_strict(cats, default=pl.col("category")).alias("category"),
        pl.col("category_type").replace_strict(types, default=pl.col("category_type")).alias("category_type"),
    )


def _ni81(frame: pl.DataFrame) -> pl.DataFrame:
    """NI 81, the Level 3 at 19 gap: non-FSM minus FSM percentage of NI 80 (DfE), area by area, year by year."""
    ni80 = frame.filter((pl.col("indicator") == "NI80") & (pl.col("category_type") == "fsm"))
    wide = (
        ni80.select("area_code", "area_name", "area_type", "parent_code", "period", "category", "value", "source")
        .filter(pl.col("value").is_not_null())
        .pivot(
            on="category",
            index=["area_code", "area_name", "area_type", "parent_code", "period", "source"],
            values="value",
        )
        .filter(pl.col("fsm").is_not_null() & pl.col("non-fsm").is_not_null())
    )
    gap = (pl.col("non-fsm").cast(pl.Float64) - pl.col("fsm").cast(pl.Float64)).round(4)
    out = wide.with_columns(
        pl.lit("NI81").alias("indicator"),
        gap.cast(pl.String).alias("value"),
        pl.lit(
            "Derived by gapwatch: non-FSM minus FSM percentage achieving Level 3 by 19 (NI 80, DfE), "
            "the NI 81 definition."
        ).alias("note"),
    )
    return out.select([pl.col(c) if c in out.columns else pl.lit(None, pl.String).alias(c) for c in COLUMNS])


def build(folder: Path) -> tuple[pl.DataFrame, dict[str, str]]:
    """The extract's rows (sorted, deterministic) and Kent's statistical neighbours."""
    neighbours = statistical_neighbours(folder)
    keep = {KENT, *DISTRICTS, SOUTH_EAST, ENGLAND, *neighbours}
    parts: list[pl.DataFrame] = []
    for name, columns in recipes.FINGERTIPS_FILES:
        path = _find(folder, name)
        if path is None:
            continue
        parsed = read_data_file(path, mapping=TableMapping(format="fingertips", columns=columns))
        parts.append(_tidy(parsed.frame, parsed.indicator_meta, f"PHE/OHID Fingertips, {name}"))
    todo = list(recipes.RECIPES)
    todo += [r for r in (_regional(x) for x in recipes.RECIPES) if r is not None]
    for recipe in todo:
        path = _find(folder, recipe.file)
        if path is None:
            continue
        parsed = read_data_file(path, mapping=recipe.mapping)
        parts.append(_tidy(parsed.frame, parsed.indicator_meta, f"{recipes.publisher(recipe.file)}, {recipe.file}"))
    frame = pl.concat(parts, how="vertical").filter(pl.col("area_code").is_in(sorted(keep)))
    idaci = _idaci(folder)
    if idaci is not None:
        frame = pl.concat([frame, idaci], how="vertical")
    frame = _framework_groups(_framework_mapping(frame))
    frame = pl.concat([frame, _ni81(frame)], how="vertical")
    frame = frame.unique(
        subset=[c for c in COLUMNS if c not in ("note", "source", "area_name")], keep="first", maintain_order=True
    )
    return frame.sort(
        ["indicator", "area_code", "period", "sex", "age", "category_type", "category"], nulls_last=False
    ), neighbours


def licence_text(frame: pl.DataFrame, neighbours: dict[str, str]) -> str:
    """DATA-LICENCE.md: the OGL v3.0 attribution and the source of every series in the extract."""
    lines = [
        "# Data licence: the Kent demo's public-data extract",
        "",
        f"`{EXTRACT}` holds real published statistics, cut down to Kent (E10000016), its twelve districts",
        "(E07000105-E07000116), the South East (E12000008), England (E92000001) and Kent's ten DfE statistical",
        "neighbours (April 2021 groupings), and Kent's LSOAs for the one LSOA-level indicator. It is regenerated",
        "by `scripts/build_demo_extract.py` from the files described in `shared/data/PROVENANCE.md`, with",
        "gapwatch's own readers; every row names its source in the `source` column.",
        "",
        "**Licence.** Contains public sector information licensed under the Open Government Licence v3.0",
        "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/). Crown copyright and",
        "database right. Publishers: Department for Education (DfE), Office for Health Improvement and",
        "Disparities / Public Health England (Fingertips), Ministry of Housing, Communities and Local Government",
        "(English Indices of Deprivation 2019), the Social Mobility Commission (State of the Nation, DfE data).",
        "",
        "Kent's statistical neighbours: " + ", ".join(f"{n} ({c})" for c, n in sorted(neighbours.items())) + ".",
        "",
        "## Series",
        "",
        "| indicator | source (publisher, file) | rows | periods |",
        "| --- | --- | --- | --- |",
    ]
    summary = (
        frame.group_by("indicator", "source")
        .agg(pl.len().alias("rows"), pl.col("period").min().alias("first"), pl.col("period").max().alias("last"))
        .sort("indicator", "source")
    )
    for ind, src, rows, first, last in summary.iter_rows():
        lines.append(f"| {ind} | {src} | {rows:,} | {first} … {last} |")
    return "\n".join(lines) + "\n"


def write(frame: pl.DataFrame, neighbours: dict[str, str], out: Path) -> tuple[Path, Path]:
    """Write the gzipped CSV (mtime 0, so the bytes do not change between runs) and its licence note."""
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    frame.write_csv(buffer, float_precision=None)
    target = out / EXTRACT
    with open(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(buffer.getvalue())
    licence = out / LICENCE
    licence.write_text(licence_text(frame, neighbours), encoding="utf-8")
    return target, licence


def main(argv: list[str]) -> int:
    args = list(argv)
    out = DEFAULT_OUT
    if "--out" in args:
        i = args.index("--out")
        out = Path(args[i + 1])
        del args[i : i + 2]
    folder = Path(args[0]) if args else DEFAULT_DATA
    if not folder.is_dir():
        print(f"{folder}: no such folder of public data", file=sys.stderr)
        return 1
    frame, neighbours = build(folder)
    target, licence = write(frame, neighbours, out)
    print(
        f"{target}: {frame.height:,} rows, {frame['indicator'].n_unique()} indicators, {target.stat().st_size:,} bytes"
    )
    print(f"{licence}: written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
