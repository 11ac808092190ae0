"""Confidence levels and the names of the columns that hold their limits.

The naming follows PHEindicatormethods: one level gives ``lowercl``/``uppercl``; several give
``lower95_0cl``/``upper95_0cl``, ``lower99_8cl``/``upper99_8cl`` and so on, so that analysts who know the
reference package recognise the output at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

__all__ = ["ConfidenceArg", "cl_column_names", "levels", "level_label", "z_value"]

ConfidenceArg = float | Sequence[float]


def levels(confidence: ConfidenceArg) -> list[float]:
    """Normalise a confidence argument to a list of levels in (0, 1].

    Accepts 0.95, 95 (a percentage), or a sequence of either. Raises ``ValueError`` on anything else.
    """
    raw = [confidence] if isinstance(confidence, int | float) else list(confidence)
    if not raw:
        raise ValueError("confidence: at least one confidence level is needed")
    out: list[float] = []
    for value in raw:
        level = float(value)
        if 50 <= level <= 100:  # a percentage such as 95 or 99.8
            level = level / 100.0
        elif level > 1:
            raise ValueError(f"confidence: {value!r} is not a level between 0 and 1 (or a percentage from 50 to 100)")
        if level <= 0 or level > 1:
            raise ValueError(f"confidence: {value!r} is not a level between 0 and 1 (or 0 and 100)")
        out.append(level)
    return out


def level_label(level: float) -> str:
    """The reference package's label for a level: 0.95 -> "95_0", 0.998 -> "99_8"."""
    return f"{level * 100:.1f}".replace(".", "_")


def cl_column_names(confidence: ConfidenceArg) -> list[tuple[float, str, str]]:
    """(level, lower column, upper column) for each level, named as PHEindicatormethods names them."""
    lv = levels(confidence)
    if len(lv) == 1:
        return [(lv[0], "lowercl", "uppercl")]
    return [(level, f"lower{level_label(level)}cl", f"upper{level_label(level)}cl") for level in lv]


def z_value(level: float) -> float:
    """Two-sided standard normal quantile for a confidence level (1.959964 for 95%)."""
    return float(np.sqrt(2.0) * special.erfinv(level))
