"""England's geography shipped with gapwatch (see README.md here): regions, counties and districts with
current GSS codes, parents and history since 2009, built by scripts/build_geography.py from ONS lookups."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ENGLAND_AREAS", "SOURCE"]

#: The areas file, in gapwatch's areas-file format (code, name, level, parent_code, former_*, end_year …).
ENGLAND_AREAS = Path(__file__).resolve().parent / "england_areas.csv"
#: How stored areas from it are labelled.
SOURCE = "gapwatch England geography (ONS, OGL v3.0)"
