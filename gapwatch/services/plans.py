"""The stored plan as the pages, board papers and commands read it: the framework with its look-ups.

This is the public face of :mod:`gapwatch.services._plan` (which caches the plan per framework revision):
shells call :func:`current_plan` inside their own session, or :func:`plan_of` with an engine.
"""

from __future__ import annotations

from sqlalchemy import Engine

from gapwatch.domain.catalogue import Plan
from gapwatch.services._plan import current_plan
from gapwatch.store.engine import session_scope

__all__ = ["Plan", "current_plan", "plan_of"]


def plan_of(engine: Engine, framework_id: str | None = None) -> Plan:
    """The stored framework (the named one, or the latest loaded) with its indexes, from the cache."""
    with session_scope(engine) as session:
        return current_plan(session, framework_id)
