"""The analysis core: what the numbers mean, decided once.

Pure functions from observation frames and the plan (:class:`gapwatch.domain.catalogue.Plan`) to typed
results — the headline series, the gap an indicator shows and its trend, target assessments, the
significance level of every test — so that the dashboard, board papers, KPQ answers, the JSON API and
the command line cannot disagree. Imports only :mod:`gapwatch.domain` and :mod:`gapwatch.stats`.
"""

from __future__ import annotations

__all__: list[str] = []
