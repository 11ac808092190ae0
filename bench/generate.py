"""Seeded generator of a national-scale indicator table for the statistics benchmark.

Shape (full size): about 33,000 small areas (LSOA-like codes ``E01000001``…), each with a deprivation
decile (1 = most deprived) and a parent district (~330 districts, ``E07000001``…) × 30 indicators
(15 proportions, 15 rates per 100,000) × 10 periods = 9.9 million area rows, plus FSM-style group rows
(free-school-meals / not) for the district × the first 6 proportion indicators × periods, about 40,000 more.

The numbers are simulated, not real: denominators vary around an area population, outcomes worsen with
deprivation, drift over the periods and carry an area effect, so that gaps, SII and trends have something
to find. Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``: the same arguments
give the same table, on any machine.

Run ``python bench/generate.py --areas 66`` to print a small sample.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import polars as pl

__all__ = ["GROUP_INDICATORS", "Tables", "generate", "rows_for"]

#: Indicators 1..15 are proportions, 16..30 rates (when there are 30).
_PROPORTION_SHARE = 0.5
#: How many (proportion) indicators get FSM-style group rows.
GROUP_INDICATORS = 6
_AREAS_PER_DISTRICT = 100
_FIRST_PERIOD = 2015


@dataclass(frozen=True)
class Tables:
    """The generated tables. ``observations`` is the big one; the others are small."""

    areas: pl.DataFrame  # area_code, district_code, decile, population
    indicators: pl.DataFrame  # indicator_id, indicator_type ("proportion" | "rate"), polarity, multiplier
    observations: pl.DataFrame  # area_code, district_code, decile, indicator_id, indicator_type, polarity,
    #                             period, numerator, denominator
    groups: pl.DataFrame  # district_code, indicator_id, period, group ("FSM" | "Not FSM"), numerator, denominator

    @property
    def rows(self) -> int:
        """Observations in all: area rows plus group rows."""
        return self.observations.height + self.groups.height


def rows_for(n_areas: int, n_indicators: int = 30, n_periods: int = 10) -> int:
    """Area rows the generator makes for these sizes (group rows come on top)."""
    return n_areas * n_indicators * n_periods


def generate(n_areas: int = 33_000, n_indicators: int = 30, n_periods: int = 10, seed: int = 20_240_601) -> Tables:
    """Build the seeded tables. All draws are vectorised; 10 million rows take a few seconds."""
    if n_areas < 10 or n_indicators < 2 or n_periods < 5:
        raise ValueError("need at least 10 areas, 2 indicators and 5 periods")
    rng = np.random.default_rng(seed)

    # Areas: deprivation decile from the rank of a latent deprivation score, so each decile holds a tenth.
    n_districts = max(1, round(n_areas / _AREAS_PER_DISTRICT))
    district_of_area = np.sort(rng.integers(0, n_districts, n_areas))
    district_of_area[:n_districts] = np.arange(n_districts)  # every district has at least one area
    district_of_area.sort()
    district_level = rng.normal(0.0, 0.8, n_districts)  # districts differ in deprivation, too
    score = district_level[district_of_area] + rng.normal(0.0, 1.0, n_areas)
    rank = np.argsort(np.argsort(-score))  # 0 = most deprived
    decile = (rank * 10 // n_areas + 1).astype(np.int8)
    population = rng.normal(1_600, 250, n_areas).clip(700, 3_500).round().astype(np.int64)
    area_effect = rng.normal(0.0, 0.12, n_areas)

    n_prop = max(1, round(n_indicators * _PROPORTION_SHARE))
    is_prop = np.arange(n_indicators) < n_prop
    # Share of the area population in each indicator's denominator (pupils, adults, older people ...).
    denom_share = np.where(is_prop, rng.uniform(0.04, 0.7, n_indicators), rng.uniform(0.5, 1.0, n_indicators))
    base_prop = rng.uniform(0.05, 0.8, n_indicators)  # proportions: share with the outcome
    base_rate = np.exp(rng.uniform(np.log(20e-5), np.log(3_000e-5), n_indicators))  # rates: events / person
    grad = rng.uniform(0.05, 0.35, n_indicators) * rng.choice([-1.0, 1.0], n_indicators)  # deprivation slope
    drift = rng.normal(0.0, 0.02, n_indicators)  # change per period on the log-odds / log scale

    # Full grid in (indicator, period, area) order, so each indicator-period is one contiguous block.
    n_rows = rows_for(n_areas, n_indicators, n_periods)
    ind = np.repeat(np.arange(n_indicators, dtype=np.int16), n_periods * n_areas)
    per = np.tile(np.repeat(np.arange(n_periods, dtype=np.int16), n_areas), n_indicators)
    area = np.tile(np.arange(n_areas, dtype=np.int32), n_indicators * n_periods)

    dep = (5.5 - decile[area].astype(np.float64)) / 4.5  # +1 most deprived .. -1 least deprived
    growth = 1.0 + 0.01 * per  # populations grow a little
    denominator = rng.poisson(population[area] * denom_share[ind] * growth).astype(np.int64)
    linear = grad[ind] * dep + drift[ind] * per + area_effect[area]
    p_prop = 1.0 / (1.0 + np.exp(-(np.log(base_prop[ind] / (1.0 - base_prop[ind])) + linear)))
    p_rate = base_rate[ind] * np.exp(linear)
    prop_rows = is_prop[ind]
    numerator = np.empty(n_rows, dtype=np.int64)
    numerator[prop_rows] = rng.binomial(denominator[prop_rows], p_prop[prop_rows])
    numerator[~prop_rows] = rng.poisson(denominator[~prop_rows] * p_rate[~prop_rows])
    del dep, linear, p_prop, p_rate, growth

    area_codes = np.array([f"E01{i + 1:06d}" for i in range(n_areas)])
    district_codes = np.array([f"E07{i + 1:06d}" for i in range(n_districts)])
    types = np.where(is_prop, "proportion", "rate")
    # Worse where more deprived: a positive slope on deprivation means lower is better.
    polarity = np.where(grad > 0, "lower_is_better", "higher_is_better")
    areas = pl.DataFrame(
        {
            "area_code": area_codes,
            "district_code": district_codes[district_of_area],
            "decile": decile,
            "population": population,
        }
    )
    indicators = pl.DataFrame(
        {
            "indicator_id": np.arange(1, n_indicators + 1, dtype=np.int16),
            "indicator_type": types,
            "polarity": polarity,
            "multiplier": np.where(is_prop, 100, 100_000).astype(np.int64),
        }
    )
    area_code_cat = pl.Series("area_code", area_codes, dtype=pl.Categorical)
    district_code_cat = pl.Series("district_code", district_codes[district_of_area], dtype=pl.Categorical)
    observations = pl.DataFrame(
        {
            "area_code": area_code_cat.gather(area),
            "district_code": district_code_cat.gather(area),
            "decile": decile[area],
            "indicator_id": (ind + 1).astype(np.int16),
            "indicator_type": pl.Series(types, dtype=pl.Categorical).gather(ind),
            "polarity": pl.Series(polarity, dtype=pl.Categorical).gather(ind),
            "period": (per + _FIRST_PERIOD).astype(np.int16),
            "numerator": numerator,
            "denominator": denominator,
        }
    )
    del ind, per, area, numerator, denominator

    groups = _group_rows(rng, observations, min(GROUP_INDICATORS, n_prop))
    return Tables(areas=areas, indicators=indicators, observations=observations, groups=groups)


def _group_rows(rng: np.random.Generator, observations: pl.DataFrame, n_group_indicators: int) -> pl.DataFrame:
    """FSM-style rows: each district's pupils split into FSM (about 22%, more where deprived) and the rest.

    FSM pupils' outcome is about 0.7 times the district's odds, the rest's a little above it, as in
    attainment data.
    """
    district = (
        observations.lazy()
        .filter(pl.col("indicator_id") <= n_group_indicators)
        .group_by("district_code", "indicator_id", "period")
        .agg(
            pl.col("numerator").sum(),
            pl.col("denominator").sum(),
            (pl.col("decile").cast(pl.Float64).mean()).alias("mean_decile"),
        )
        .sort("indicator_id", "period", "district_code")
        .collect()
    )
    n_den = district["denominator"].to_numpy()
    p = district["numerator"].to_numpy() / np.maximum(n_den, 1)
    fsm_share = np.clip(0.22 + 0.03 * (5.5 - district["mean_decile"].to_numpy()), 0.05, 0.6)
    fsm_den = rng.binomial(n_den, fsm_share)
    rest_den = n_den - fsm_den
    odds = p / np.clip(1.0 - p, 1e-9, None)
    p_fsm = 0.7 * odds / (1.0 + 0.7 * odds)
    p_rest = 1.08 * odds / (1.0 + 1.08 * odds)
    fsm_num = rng.binomial(fsm_den, np.clip(p_fsm, 0.0, 1.0))
    rest_num = rng.binomial(rest_den, np.clip(p_rest, 0.0, 1.0))
    base = district.select("district_code", "indicator_id", "period")
    return pl.concat(
        [
            base.with_columns(
                pl.lit("FSM").alias("group"),
                pl.Series("numerator", fsm_num),
                pl.Series("denominator", fsm_den),
            ),
            base.with_columns(
                pl.lit("Not FSM").alias("group"),
                pl.Series("numerator", rest_num),
                pl.Series("denominator", rest_den),
            ),
        ]
    ).sort("indicator_id", "period", "district_code", "group")


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--areas", type=int, default=66)
    parser.add_argument("--seed", type=int, default=20_240_601)
    args = parser.parse_args()
    tables = generate(args.areas, seed=args.seed)
    with pl.Config(tbl_rows=12, tbl_cols=10):
        print(tables.areas.head())
        print(tables.observations)
        print(tables.groups)
    print(f"{tables.rows:,} rows")


if __name__ == "__main__":
    _main()
