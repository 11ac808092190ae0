"""Build the demo: the bundled Kent framework, the figures it states, the real public data shipped with it
(``frameworks/kent/data/public-extract.csv.gz``), illustrative series where no real series exists, and (with
``--public-data DIR``) every real public file found in DIR instead of the extract."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from gapwatch.domain.framework import Framework
from gapwatch.errors import NotFound
from gapwatch.services.demo_data import (
    load_framework_figures,
    load_illustrative,
    load_public_data,
    load_public_extract,
)
from gapwatch.services.frameworks import bundled_framework_path, stored_framework, validate_framework
from gapwatch.store.engine import session_scope
from gapwatch.store.frameworks import save_framework

__all__ = ["build_demo"]

_ADDED = "Added by gapwatch from "


def _with_imported_indicators(engine: Engine, framework: Framework) -> Framework:
    """The bundled framework plus the indicators earlier imports added to the stored one (so a rebuilt demo
    keeps the indicators its public data belong to)."""
    try:
        stored = stored_framework(engine, framework.id)
    except NotFound:
        return framework
    known = {i.id for i in framework.indicators}
    extra = [i for i in stored.indicators if i.id not in known and (i.note or "").startswith(_ADDED)]
    if not extra:
        return framework
    data = framework.model_dump()
    data["indicators"] = [*data["indicators"], *(i.model_dump() for i in extra)]
    return Framework.model_validate(data)


def build_demo(engine: Engine, *, public_data: Path | None = None) -> list[str]:
    """Load the Kent framework and the demo data into ``engine``'s database; return one line per step."""
    path = bundled_framework_path("kent")
    loaded = validate_framework(path)
    framework = _with_imported_indicators(engine, loaded.framework)
    with session_scope(engine) as session:
        revision, _ = save_framework(
            session, framework, source=str(path), sha256=loaded.sha256, loaded_by="gapwatch demo"
        )
    counts = loaded.framework.count()
    done = [
        f"Kent framework loaded ({counts['ambitions']} ambitions, {counts['kpqs']} KPQs, "
        f"{counts['priorities']} priorities, {counts['outcomes']} outcomes, {counts['actions']} actions, "
        f"{counts['indicators']} indicators, {counts['targets']} targets)"
        + ("" if revision is not None else " — already up to date")
    ]
    done.append(load_framework_figures(engine))
    if public_data is not None:
        done.extend(load_public_data(engine, public_data))
    else:
        done.extend(load_public_extract(engine))
    done.append(load_illustrative(engine))
    return done
