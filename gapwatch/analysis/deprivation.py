"""District summaries of the English Indices of Deprivation, computed the official way from LSOA data.

Method (English Indices of Deprivation 2019 technical report, section 3.7 "Summary measures", and the IoD2025
research report, which keeps them): every measure weights an LSOA by its population denominator, and every
district is ranked among *all* districts of the edition, 1 = most deprived.

- average score: population-weighted mean of the LSOA scores; *rank of average score*, highest first.
- average rank: population-weighted mean of the LSOA ranks, with ranks reversed so that the most deprived
  LSOA has rank N (as File 10 publishes it); *rank of average rank*, highest first.
- extent: the share of the population living in the most deprived 30% of LSOAs nationally, weighted 1.0 in
  the most deprived 10% (percentiles 1-10) and on a sliding scale from 0.95 (11th percentile) to 0.05 (30th);
  percentile = ceil(100 x rank / N).
- local concentration: the population-weighted average (reversed) rank of the district's most deprived LSOAs
  that hold exactly 10% of its population (the last one counted in part).
- proportion of LSOAs in the most deprived 10% nationally (not population-weighted, as published).

Checked against the published File 10 (tests/services/test_district_summaries.py): IMD 2019 from File 1 ranks,
File 7 scores and File 6 mid-2015 denominators gives every district's average score within 0.001, and the
same rank of average score and rank of average rank for all 317 districts; extent within 0.0001.
"""

from __future__ import annotations

from typing import Any

import polars as pl

__all__ = ["SUMMARY_COLUMNS", "district_summaries", "rank_changes"]

#: Columns of :func:`district_summaries`, each with what it means.
SUMMARY_COLUMNS: dict[str, str] = {
    "district_code": "district (current GSS code)",
    "lsoas": "LSOAs of the edition in the district",
    "population": "sum of the LSOA population denominators",
    "average_score": "population-weighted average LSOA score",
    "rank_of_average_score": "rank of the average score among all districts (1 = most deprived)",
    "average_rank": "population-weighted average LSOA rank, most deprived LSOA = N",
    "rank_of_average_rank": "rank of the average rank among all districts (1 = most deprived)",
    "extent": "population share in the most deprived 30% of LSOAs, sliding weights beyond 10%",
    "rank_of_extent": "rank of extent (1 = most deprived)",
    "local_concentration": "average reversed rank of the most deprived LSOAs holding 10% of the population",
    "rank_of_local_concentration": "rank of local concentration (1 = most deprived)",
    "proportion_in_most_deprived_decile": "share of LSOAs in England's most deprived 10%",
    "unweighted_mean_lsoa_score": "plain mean of LSOA scores (not an official measure)",
}


def _weighted(value: pl.Expr, weight: pl.Expr) -> pl.Expr:
    return (value * weight).sum() / weight.filter(value.is_not_null()).sum()


def district_summaries(lsoas: pl.DataFrame) -> pl.DataFrame:
    """Official district summary measures from one edition's LSOAs.

    ``lsoas`` holds every LSOA of the edition in England (the ranks are among all districts, so pass them
    all): ``lsoa_code``, ``district_code``, ``score``, ``rank`` (1 = most deprived) and ``population``. A
    district with a missing population gets no population-weighted measure (never a silently unweighted one).
    """
    n = lsoas.height
    pct = (pl.col("rank") * 100 / n).ceil()
    weight = pl.when(pct <= 10).then(1.0).when(pct <= 30).then(0.95 - (pct - 11) * 0.9 / 19).otherwise(0.0)
    frame = lsoas.with_columns(
        (n + 1 - pl.col("rank")).alias("_reversed"),
        weight.alias("_extent_weight"),
    ).sort("rank")
    frame = frame.with_columns(
        pl.col("population").cum_sum().over("district_code").alias("_cum"),
        pl.col("population").sum().over("district_code").alias("_total"),
    )
    frame = frame.with_columns(
        pl.min_horizontal(
            pl.col("population"),
            pl.max_horizontal(0.1 * pl.col("_total") - (pl.col("_cum") - pl.col("population")), pl.lit(0.0)),
        ).alias("_lc_weight")
    )
    pop = pl.col("population")
    complete = pop.is_not_null().all()
    out = frame.group_by("district_code").agg(
        pl.len().alias("lsoas"),
        pl.when(complete).then(pop.sum()).alias("population"),
        pl.when(complete).then(_weighted(pl.col("score"), pop)).alias("average_score"),
        pl.when(complete).then(_weighted(pl.col("_reversed").cast(pl.Float64), pop)).alias("average_rank"),
        pl.when(complete).then(_weighted(pl.col("_extent_weight"), pop)).alias("extent"),
        pl.when(complete)
        .then(_weighted(pl.col("_reversed").cast(pl.Float64), pl.col("_lc_weight")))
        .alias("local_concentration"),
        ((pl.col("rank") * 10 / n).ceil() == 1).mean().alias("proportion_in_most_deprived_decile"),
        pl.col("score").mean().alias("unweighted_mean_lsoa_score"),
    )
    ranks: dict[str, Any] = {
        "rank_of_average_score": "average_score",
        "rank_of_average_rank": "average_rank",
        "rank_of_extent": "extent",
        "rank_of_local_concentration": "local_concentration",
    }
    out = out.with_columns(
        [pl.col(src).rank("min", descending=True).cast(pl.Int64).alias(name) for name, src in ranks.items()]
    )
    return out.select(list(SUMMARY_COLUMNS)).sort("rank_of_average_score", nulls_last=True)


def rank_changes(earlier: pl.DataFrame, later: pl.DataFrame, districts: list[str]) -> pl.DataFrame:
    """Each of ``districts`` with its rank of average score in two editions and whether the later rank is
    more deprived (a smaller number: 1 = most deprived).

    ``earlier`` and ``later`` hold ``district_code`` and ``average_score`` for *every* district of their
    edition (and ``rank_of_average_score`` where published); a missing rank is computed among all districts
    of that file, highest score first, ties sharing the lowest rank.
    """
    ranked = []
    for frame in (earlier, later):
        rank = pl.col("average_score").rank("min", descending=True).cast(pl.Int64)
        ranked.append(
            frame.with_columns(
                pl.coalesce(pl.col("rank_of_average_score"), rank).alias("rank"), pl.len().alias("of")
            ).select("district_code", "average_score", "rank", "of")
        )
    out = (
        pl.DataFrame({"district_code": districts}, schema={"district_code": pl.String})
        .join(ranked[0], on="district_code", how="left")
        .join(ranked[1], on="district_code", how="left", suffix="_later")
    )
    return out.select(
        "district_code",
        pl.col("average_score").alias("score_earlier"),
        pl.col("rank").alias("rank_earlier"),
        pl.col("of").alias("districts_earlier"),
        pl.col("average_score_later").alias("score_later"),
        pl.col("rank_later"),
        pl.col("of_later").alias("districts_later"),
        (pl.col("rank_later") < pl.col("rank")).alias("more_deprived_rank_later"),
    )
