"""The European Standard Population 2013 (ESP2013) in 19 five-year age bands.

A published constant: Eurostat (2013), Revision of the European Standard Population, Report of Eurostat's
task force, table 1, with the 90-94 and 95+ bands combined into 90+ as ONS and OHID Fingertips use it.
It is the default standard population of :func:`gapwatch.stats.standardised.dsr`.
"""

from __future__ import annotations

import polars as pl

__all__ = ["ESP2013", "ESP2013_AGE_BANDS", "ESP2013_START_AGES", "esp2013_frame"]

#: Standard population per age band, youngest first; the bands sum to 100,000.
ESP2013: tuple[int, ...] = (
    5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
    7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
)  # fmt: skip

#: Age band labels in the same order.
ESP2013_AGE_BANDS: tuple[str, ...] = tuple([f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"])

#: First age of each band.
ESP2013_START_AGES: tuple[int, ...] = tuple(range(0, 95, 5))


def esp2013_frame() -> pl.DataFrame:
    """ESP2013 as a frame with ``ageband``, ``start_age`` and ``esp2013`` columns, youngest first."""
    return pl.DataFrame(
        {
            "ageband": list(ESP2013_AGE_BANDS),
            "start_age": list(ESP2013_START_AGES),
            "esp2013": list(ESP2013),
        },
        schema={"ageband": pl.String, "start_age": pl.Int64, "esp2013": pl.Int64},
    )
