"""Read models: what a page, a board paper, the JSON API and the command line show, built only from the
analysis core's results, so that they cannot disagree (the same request gives the same JSON everywhere)."""

from __future__ import annotations

__all__: list[str] = []
