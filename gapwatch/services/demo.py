"""Build the demo: the bundled Kent framework, and (as later parts land) its data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from gapwatch.services.frameworks import bundled_framework_path, load_framework

__all__ = ["build_demo"]


def build_demo(engine: Engine, *, public_data: Path | None = None) -> list[str]:
    """Load the Kent framework into ``engine``'s database; return what was done, one line per step."""
    result = load_framework(engine, bundled_framework_path("kent"), loaded_by="gapwatch demo")
    counts = result.framework.count()
    done = [
        f"Kent framework loaded ({counts['ambitions']} ambitions, {counts['kpqs']} KPQs, "
        f"{counts['priorities']} priorities, {counts['outcomes']} outcomes, {counts['actions']} actions, "
        f"{counts['indicators']} indicators, {counts['targets']} targets)"
        + ("" if result.revision is not None else " — already up to date")
    ]
    if public_data is not None:
        done.append(f"Public data folder noted: {public_data} (importers arrive with the data issue)")
    return done
