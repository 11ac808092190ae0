"""How a partnership's districts moved between two editions of the IMD, from district summary files.

The seeds claim "8 out of 12 Districts rank higher in the Indices of Deprivation in 2010 than they did in
2007". MHCLG published district summaries for each edition on that edition's districts; the files at hand for
2004-2015 are a third party's re-aggregation of the LSOA scores to 2021 districts (population-weighted, not
official). This use case reads two such files, ranks every district of each file by average score (1 = most
deprived) unless the file publishes ranks, and says which files it used and whether they are official.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from gapwatch.errors import InvalidInput, NotFound
from gapwatch.ingest.imd import DistrictSummaryFile, read_district_summaries

__all__ = ["RankHistory", "district_rank_history"]


@dataclass
class RankHistory:
    """Districts of an area in two editions: their ranks, and how many have a more deprived rank later."""

    area: str
    area_name: str
    earlier: DistrictSummaryFile
    later: DistrictSummaryFile
    districts: pl.DataFrame
    more_deprived_later: int

    def statement(self) -> str:
        """One sentence saying what the data show and what they rest on."""
        n = self.districts.height
        files = f"{self.earlier.file} and {self.later.file}"
        official = (
            "official summaries"
            if self.earlier.official and self.later.official
            else "summaries re-aggregated by a third party (population-weighted, NOT official MHCLG figures)"
        )
        return (
            f"{self.more_deprived_later} of {self.area_name}'s {n} districts had a more deprived rank of average "
            f"score in {self.later.edition} than in {self.earlier.edition} (1 = most deprived; ranked among all "
            f"{self.earlier.frame.height} and {self.later.frame.height} districts of each file). "
            f"Source: {files}, {official}."
        )

    def to_dict(self) -> dict[str, object]:
        """The JSON the CLI prints."""
        return {
            "area": self.area,
            "area_name": self.area_name,
            "earlier": {"edition": self.earlier.edition, "file": self.earlier.file, "note": self.earlier.note},
            "later": {"edition": self.later.edition, "file": self.later.file, "note": self.later.note},
            "more_deprived_later": self.more_deprived_later,
            "districts": self.districts.to_dicts(),
            "statement": self.statement(),
        }


def _pick(files: list[Path], edition: str) -> Path:
    found = [f for f in files if edition[3:] in f.name and f.suffix.lower() == ".csv"]
    if not found:
        raise NotFound(f"No district summary file for {edition} among {len(files)} file(s)")
    return sorted(found, key=lambda f: ("ltla" not in f.name, f.name))[0]


def district_rank_history(
    engine: Engine, area: str, folder: Path, *, earlier: str = "IMD2007", later: str = "IMD2010"
) -> RankHistory:
    """Compare the districts of ``area`` (a county, or a district itself) between two editions."""
    from gapwatch.analysis.deprivation import rank_changes
    from gapwatch.services.areas import area_table

    files = sorted(folder.iterdir()) if folder.is_dir() else [folder]
    first = read_district_summaries(_pick(files, earlier))
    second = read_district_summaries(_pick(files, later))
    with engine.begin() as conn:
        from gapwatch.services.areas import ensure_core_areas

        ensure_core_areas(conn)
        areas = area_table(conn)
    known = areas.filter(pl.col("code") == area)
    if known.is_empty():
        raise InvalidInput(f"Unknown area '{area}'", hint="e.g. E10000016 for Kent")
    current = areas.filter(pl.col("end_year").is_null())
    districts = current.filter((pl.col("parent_code") == area) & (pl.col("level") == "district"))["code"].to_list()
    if not districts and known["level"][0] == "district":
        districts = [area]
    table = rank_changes(first.frame, second.frame, sorted(districts))
    names = areas.select(pl.col("code").alias("district_code"), "name")
    table = table.join(names, on="district_code", how="left").select("district_code", "name", *table.columns[1:])
    return RankHistory(
        area, known["name"][0], first, second, table, int(table["more_deprived_rank_later"].fill_null(False).sum())
    )
