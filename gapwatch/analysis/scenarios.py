"""Caseload, cost and savings scenarios for an initiative: the arithmetic a board asks for, with its sources.

"Government proportioning implies c. 2,700 families across Kent at an estimated cost of £330k per family; MOSAIC
modelling indicates 5,500" and "a max of 6 families per worker" together answer "how many workers, at what
cost?" — but only as a range. :func:`caseload_scenarios` turns an initiative's
:class:`~gapwatch.domain.initiatives.CaseloadScenario` into low / central / high scenarios (workers needed, total
cost, the cost avoided at each assumed share) and a sensitivity table over caseloads per worker and avoided
shares; :func:`savings_scenarios` does the same for a :class:`~gapwatch.domain.initiatives.SavingsProposal`
(a share of a spend freed in each of several units) and checks the source's own total. Figures derived here
(a midpoint, an implied spend) are marked as derived, never passed off as sourced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from gapwatch.domain.initiatives import CaseloadScenario, SavingsProposal

__all__ = [
    "CaseloadRow",
    "CaseloadScenarios",
    "SavingsRow",
    "SavingsScenarios",
    "caseload_scenarios",
    "savings_scenarios",
]


class _Cited(Protocol):
    @property
    def document(self) -> str: ...
    @property
    def section(self) -> str | None: ...


def _cite(source: _Cited | None) -> str | None:
    if source is None:
        return None
    return source.document + (f", {source.section}" if source.section else "")


@dataclass(frozen=True)
class CaseloadRow:
    """One scenario: cases, cases per worker, workers needed, total cost and cost avoided at each share."""

    scenario: str
    cases: float
    per_worker: float | None
    workers: int | None
    total_cost: float | None
    avoidable_share: float | None
    avoidable_cost: float | None
    basis: str


@dataclass(frozen=True)
class CaseloadScenarios:
    """Low / central / high scenarios and the sensitivity table, with the sources of every input."""

    unit: str
    scenarios: list[CaseloadRow]
    sensitivity: list[CaseloadRow]
    sources: list[str]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SavingsRow:
    """One share of the spend shifted: the implied spend per unit, the saving per unit and in total."""

    share: float
    spend_per_unit: float
    saving_per_unit: float
    units: int
    total: float
    stated: bool


@dataclass(frozen=True)
class SavingsScenarios:
    """The savings at the stated share and at the sensitivity shares, with the check of the stated total."""

    spend: str
    unit: str
    rows: list[SavingsRow]
    stated_total: float | None
    computed_total: float
    total_agrees: bool | None
    sources: list[str]
    notes: list[str] = field(default_factory=list)


def _levels(values: list[tuple[str, float, str]]) -> tuple[list[tuple[str, float, str]], list[str]]:
    """Low, central and high from the sources' estimates: (name, cases, basis)."""
    ordered = sorted(values, key=lambda v: v[1])
    notes: list[str] = []
    low, high = ordered[0], ordered[-1]
    if len(ordered) == 1:
        return [("central", low[1], low[0])], notes
    if len(ordered) == 2:
        mid = (low[1] + high[1]) / 2
        notes.append(f"the central scenario ({mid:,.0f}) is the midpoint of the two sources' estimates, not a source")
        central = ("central", mid, f"derived: midpoint of {low[0]} and {high[0]}")
    else:
        m = ordered[len(ordered) // 2] if len(ordered) % 2 else None
        if m is not None:
            central = ("central", m[1], m[0])
        else:
            mid = float(np.median([v[1] for v in ordered]))
            notes.append(f"the central scenario ({mid:,.0f}) is the median of the sources' estimates")
            central = ("central", mid, "derived: median of the estimates")
    return [("low", low[1], low[0]), central, ("high", high[1], high[0])], notes


def caseload_scenarios(spec: CaseloadScenario) -> CaseloadScenarios:
    """Low / central / high caseload scenarios and a sensitivity table (vectorised over the grid).

    Workers needed = ceil(cases / cases per worker); total cost = cases x cost per case; avoidable cost = total
    cost x the share assumed avoided. Without a cost per case, or without avoided shares, those columns are
    empty and a note says why. The sensitivity table crosses every scenario with every caseload per worker
    (the stated one and ``sensitivity_per_worker``) and every avoided share.
    """
    levels, notes = _levels([(e.label, e.value, e.label) for e in spec.estimates])
    per_workers: list[float | None] = list(
        dict.fromkeys(([spec.per_worker] if spec.per_worker else []) + spec.sensitivity_per_worker)
    )
    shares: list[float | None] = list(spec.avoidable_shares) or [None]
    if spec.per_worker is None:
        notes.append("no caseload per worker given: workers needed are not computed")
    if spec.cost_per_case is None:
        notes.append("no cost per case given: costs are not computed")
    if not spec.avoidable_shares:
        notes.append("no avoided share given: avoidable cost is not computed")

    def grid(pws: list[float | None], sh: list[float | None]) -> list[CaseloadRow]:
        names = [lv[0] for lv in levels]
        cases = np.array([lv[1] for lv in levels], dtype=np.float64)
        pw = np.array([np.nan if p is None else p for p in pws], dtype=np.float64)
        sv = np.array([np.nan if s is None else s for s in sh], dtype=np.float64)
        c, w, s = (a.ravel() for a in np.meshgrid(cases, pw, sv, indexing="ij"))
        which = np.repeat(np.arange(len(levels)), len(pw) * len(sv))
        with np.errstate(invalid="ignore"):
            workers = np.ceil(c / w)
        cost = c * (spec.cost_per_case if spec.cost_per_case is not None else np.nan)
        avoid = cost * s

        def col(a: np.ndarray) -> list[float | None]:
            return [float(v) if np.isfinite(v) else None for v in a]

        return [
            CaseloadRow(
                scenario=names[i],
                cases=float(cc),
                per_worker=ww,
                workers=None if wk is None else int(wk),
                total_cost=tc,
                avoidable_share=ss,
                avoidable_cost=ac,
                basis=levels[i][2],
            )
            for i, cc, ww, wk, tc, ss, ac in zip(
                which.tolist(), c, col(w), col(workers), col(cost), col(s), col(avoid), strict=True
            )
        ]

    scenarios = grid([spec.per_worker], shares[:1])
    if len(shares) > 1 and shares[0] is not None:
        notes.append(f"the scenarios assume {shares[0]:.0%} of the cost avoided (the first share given)")
    sensitivity = grid(per_workers or [None], shares)
    sources = [
        s
        for s in (
            *(f"{e.label}: {_cite(e.source)}" for e in spec.estimates if e.source),
            f"cost per case: {_cite(spec.cost_source)}" if spec.cost_source else None,
            f"cases per worker: {_cite(spec.per_worker_source)}" if spec.per_worker_source else None,
        )
        if s
    ]
    return CaseloadScenarios(spec.unit, scenarios, sensitivity, sources, notes)


def savings_scenarios(spec: SavingsProposal) -> SavingsScenarios:
    """Savings from shifting a share of a spend in each unit, at the stated share and the sensitivity shares.

    The spend per unit is implied by the source's saving and share (saving / share: £6m at 5% implies £120m of
    acute spend per district) and marked as derived; the saving at another share is that spend x the share; the
    total is the saving per unit x the number of units. The stated total is checked against the computed one
    (within 0.5%).
    """
    implied = spec.saving_per_unit / spec.share
    shares = np.array(list(dict.fromkeys([spec.share, *spec.sensitivity_shares])), dtype=np.float64)
    per_unit = implied * shares
    totals = per_unit * spec.units
    rows = [
        SavingsRow(float(s), implied, float(p), spec.units, float(t), bool(s == spec.share))
        for s, p, t in zip(shares, per_unit, totals, strict=True)
    ]
    computed = spec.saving_per_unit * spec.units
    agrees = None if spec.stated_total is None else abs(computed - spec.stated_total) <= 0.005 * spec.stated_total
    notes = [
        f"the {spec.spend} per {spec.unit} ({implied:,.0f}) is derived: the stated saving divided by the stated share"
    ]
    if agrees is False:
        notes.append(f"the stated total ({spec.stated_total:,.0f}) differs from {spec.units} x the saving per unit")
    sources = [f"savings: {_cite(spec.source)}"] if spec.source else []
    return SavingsScenarios(spec.spend, spec.unit, rows, spec.stated_total, computed, agrees, sources, notes)
