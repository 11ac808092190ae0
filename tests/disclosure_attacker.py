"""An attacker on published open data, written independently of gapwatch's disclosure control.

It reads what anyone can download — the open data rows (CSV or JSON), the gaps and targets published with
them, and the public framework (areas and their parents, groupings, breakdowns and their categories, each
indicator's measure) — and treats every withheld figure as an unknown. Then it writes down every linear
relation a reader could use:

* a parent area is the sum of its children; a "rest of" grouping is its parent minus the areas it excludes;
  an explicit grouping is the sum of its members;
* a whole population is the sum of the categories of each breakdown;
* a pooled period ("2010-12", "2017/18 - 19/20") is the sum of the years in it — years nobody published on
  their own are unknowns too, so two overlapping rolling periods are differenced through them;
* a proportion's count is at most its denominator; counts and denominators are never negative;
* a published count is exact under the threshold rule, and within 2 of the true figure under rounding to 5
  (and a figure withheld under rounding is at most 7);
* a published value beside a published denominator gives the count; a published group gap beside one of its
  two groups gives the other group's value, and a level target's latest value gives its area's value — each
  a linear relation between a withheld count and its denominator.

For every withheld figure it solves two linear programmes (scipy's HiGHS) per protected quantity — the
count, the denominator, and a proportion's complement — and reports the feasible interval. A figure is
*recovered* when that interval is narrower than the protection needed: it proves a small count (1 to
threshold - 1) is small (its maximum stays below the threshold) — pinning it is the extreme case — or,
under rounding, pins a withheld count to one value. :meth:`Attack.pinned` lists every withheld count pinned
to one value, small or not. Nothing here imports gapwatch's publishing, analysis
or statistics code; the framework is read as the public document it is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

Cell = tuple[str, str, str, str, str]  # indicator, period, area, category type, category
WITHHELD = "[c]"


@dataclass
class Structure:
    """What the public framework says about how figures add up."""

    children: dict[str, list[str]] = field(default_factory=dict)
    rest_of: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # grouping -> (parent, excluded)
    unions: dict[str, list[str]] = field(default_factory=dict)  # explicit grouping -> members
    categories: dict[str, list[str]] = field(default_factory=dict)
    measure: dict[str, str] = field(default_factory=dict)
    multiplier: dict[str, float] = field(default_factory=dict)
    gap_sign: dict[str, float] = field(default_factory=dict)  # +1: subject - comparator
    target_area: dict[str, str] = field(default_factory=dict)  # level target id -> its area
    county: str = ""

    @classmethod
    def of(cls, framework: Any) -> Structure:
        """Read the public framework (a gapwatch Framework or anything with the same attributes)."""
        s = cls()
        for a in framework.areas:
            if a.parent:
                s.children.setdefault(a.parent, []).append(a.id)
            if str(getattr(a.level, "value", a.level)) == "county" and not s.county:
                s.county = a.id
        for g in framework.area_groupings:
            if str(getattr(g.kind, "value", g.kind)) == "rest_of_parent":
                s.rest_of[g.id] = (g.parent, list(g.excluding))
            elif g.members:
                s.unions[g.id] = list(g.members)
        for ct in framework.groups:
            s.categories[ct.id] = [c.id for c in ct.categories]
        for i in framework.indicators:
            s.measure[i.id] = str(getattr(i.measure, "value", i.measure))
            s.multiplier[i.id] = float(i.multiplier)
            direction = str(getattr(i.gap_direction, "value", i.gap_direction))
            s.gap_sign[i.id] = -1.0 if direction == "comparator_minus_subject" else 1.0
        for t in framework.targets:
            if str(getattr(t.kind, "value", t.kind)) == "level" and t.indicator:
                s.target_area[t.id] = t.area or s.county
        return s


def _years(period: str) -> list[str] | None:
    """The single years a pooled period is made of, as they are written ("2010-12" -> 2010, 2011, 2012)."""
    m = re.fullmatch(r"(\d{4})\s*-\s*(\d{2}|\d{4})", period)
    if m:
        first = int(m[1])
        last = int(m[2]) if len(m[2]) == 4 else first // 100 * 100 + int(m[2])
        if last > first:
            return [str(y) for y in range(first, last + 1)]
    m = re.fullmatch(r"(\d{4})/(\d{2})\s*-\s*(\d{2})/(\d{2})", period)
    if m:
        first = int(m[1])
        last = first // 100 * 100 + int(m[3])
        if last > first:
            return [f"{y}/{(y + 1) % 100:02d}" for y in range(first, last + 1)]
    return None


def _number(text: object) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(str(text).lstrip("'"))
    except ValueError:
        return None
    return None if math.isnan(value) else value


@dataclass
class Finding:
    """The feasible interval of one withheld figure's protected quantity."""

    cell: Cell
    quantity: str  # "count", "denominator" or "complement"
    low: float
    high: float


@dataclass
class Attack:
    """Everything the attacker worked out."""

    intervals: list[Finding]
    unknowns: int
    relations: int

    def interval(self, cell: Cell, quantity: str = "count") -> tuple[float, float]:
        for f in self.intervals:
            if f.cell == cell and f.quantity == quantity:
                return f.low, f.high
        raise KeyError(cell)

    def pinned(self) -> list[str]:
        """Every withheld count the published figures pin to one value, whatever its size."""
        return [
            f"{f.cell} pinned to [{f.low:g}, {f.high:g}]"
            for f in self.intervals
            if f.quantity == "count" and f.high - f.low < 0.5
        ]

    def recovered(
        self,
        truth: Mapping[Cell, tuple[float | None, float | None]],
        thresholds: Mapping[str, int],
        rounding: Iterable[str] = (),
    ) -> list[str]:
        """Every withheld figure narrowed beyond its protection, given the true (count, denominator)."""
        rounded = set(rounding)
        out = []
        for f in self.intervals:
            n, d = truth.get(f.cell, (None, None))
            value = {"count": n, "denominator": d, "complement": None if n is None or d is None else d - n}[f.quantity]
            if value is None:
                continue
            t = thresholds.get(f.cell[0], 5)
            if f.cell[0] in rounded:
                if f.high - f.low < 1 - 1e-6 and 1 <= value <= 7:
                    out.append(f"{f.cell} {f.quantity} = {value} pinned to [{f.low:g}, {f.high:g}]")
            elif 1 <= round(value) < t and f.high < t - 1e-6:
                out.append(f"{f.cell} {f.quantity} = {value} proved small: [{f.low:g}, {f.high:g}]")
        return out


class Attacker:
    """Builds the linear system from published rows and bounds every withheld figure."""

    def __init__(self, structure: Structure, rounding: Iterable[str] = ()) -> None:
        self.s = structure
        self.rounding = set(rounding)
        self.var: dict[tuple[Cell, str], int] = {}
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.eq: list[tuple[dict[int, float], float]] = []
        self.ub: list[tuple[dict[int, float], float]] = []
        self.withheld: list[Cell] = []

    # -- variables ---------------------------------------------------------------------------------------

    def _has_d(self, indicator: str) -> bool:
        return self.s.measure.get(indicator) in ("proportion", "rate", "standardised_rate")

    def v(self, cell: Cell, family: str) -> int:
        key = (cell, family)
        if key not in self.var:
            self.var[key] = len(self.lo)
            self.lo.append(0.0)
            self.hi.append(math.inf)
        return self.var[key]

    def _fix(self, cell: Cell, family: str, value: float) -> None:
        i = self.v(cell, family)
        spread = 2.0 if cell[0] in self.rounding else 0.0
        self.lo[i] = max(self.lo[i], value - spread, 0.0)
        self.hi[i] = min(self.hi[i], value + spread)

    # -- reading what was published ---------------------------------------------------------------------

    def read(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Open data rows as published (CSV or the JSON's observations)."""
        for r in rows:
            cell: Cell = (r["indicator"], r["period"], r["area_code"], r["breakdown_id"] or "", r["category_id"] or "")
            ind = cell[0]
            self.v(cell, "n")
            if self._has_d(ind):
                self.v(cell, "d")
            if WITHHELD in (r["value"], r["count"]):
                self.withheld.append(cell)
                if ind in self.rounding and self.s.measure.get(ind) in ("count", "proportion"):
                    i = self.v(cell, "n")
                    self.hi[i] = min(self.hi[i], 7.0)
                continue
            count, den, value = _number(r["count"]), _number(r["denominator"]), _number(r["value"])
            mult = self.s.multiplier.get(ind, 100.0)
            measure = self.s.measure.get(ind)
            if count is None and measure == "count" and value is not None:
                count = value
            if count is None and value is not None and den is not None and measure in ("proportion", "rate"):
                count = round(value / mult * den)
            if count is not None:
                self._fix(cell, "n", count)
            if den is not None and self._has_d(ind):
                self._fix(cell, "d", den)
            if count is None and value is not None and den is None and measure in ("proportion", "rate"):
                self.value_of(cell, value)

    def value_of(self, cell: Cell, value: float) -> None:
        """A known value for ``cell``: count = value / multiplier x denominator (or the count itself)."""
        ind = cell[0]
        measure = self.s.measure.get(ind)
        if measure == "count":
            self.eq.append(({self.v(cell, "n"): 1.0}, value))
        elif measure in ("proportion", "rate") and ind not in self.rounding:
            self.eq.append(({self.v(cell, "n"): 1.0, self.v(cell, "d"): -value / self.s.multiplier[ind]}, 0.0))

    def read_derived(
        self, gaps: Iterable[Mapping[str, Any]], targets: Iterable[Mapping[str, Any]], rows: Iterable[Mapping[str, Any]]
    ) -> None:
        """Group gaps and level targets published beside the rows: each gives a value of a cell."""
        values: dict[Cell, float] = {}
        for r in rows:
            v = _number(r["value"])
            if v is not None:
                values[
                    (r["indicator"], r["period"], r["area_code"], r["breakdown_id"] or "", r["category_id"] or "")
                ] = v
        types = {c: t for t, cs in self.s.categories.items() for c in cs}
        for g in gaps:
            if g.get("measure") != "group_gap" or not g.get("subject") or not g.get("comparator"):
                continue
            ind, ct = g["indicator"], types.get(g["subject"], "")
            sign = self.s.gap_sign.get(ind, 1.0)
            for p in g.get("points", []):
                gap = _number(p.get("value"))
                if gap is None:
                    continue
                s_cell = (ind, p["period"], p.get("area") or self.s.county, ct, g["subject"])
                c_cell = (ind, p["period"], p.get("area") or self.s.county, ct, g["comparator"])
                if s_cell in values and c_cell not in values:
                    self.value_of(c_cell, values[s_cell] - sign * gap)
                elif c_cell in values and s_cell not in values:
                    self.value_of(s_cell, values[c_cell] + sign * gap)
        for t in targets:
            area = self.s.target_area.get(t.get("target", ""))
            latest = _number(t.get("latest"))
            if area and latest is not None and t.get("latest_period") and t.get("indicator"):
                cell = (t["indicator"], t["latest_period"], area, "", "")
                if cell not in values:
                    self.value_of(cell, latest)

    # -- relations -----------------------------------------------------------------------------------------

    def relations(self) -> None:
        """Every additivity relation among the cells seen (and the unpublished cells they imply)."""
        cells = {c for c, _f in self.var}
        families = ["n", "d"]
        areas_of: dict[tuple[str, str, str, str], set[str]] = {}
        cats_of: dict[tuple[str, str, str, str], set[str]] = {}
        for c in cells:
            areas_of.setdefault((c[0], c[1], c[3], c[4]), set()).add(c[2])
            if c[3]:
                cats_of.setdefault((c[0], c[1], c[2], c[3]), set()).add(c[4])
        for (ind, period, ct, cat), here in areas_of.items():
            fams = families if self._has_d(ind) else ["n"]
            for parent, kids in self.s.children.items():
                if parent in here or here & set(kids):
                    for f in fams:
                        self._sum((ind, period, parent, ct, cat), [(ind, period, k, ct, cat) for k in kids], f)
            for g, (parent, excluded) in self.s.rest_of.items():
                if g in here:
                    for f in fams:
                        self._sum(
                            (ind, period, parent, ct, cat), [(ind, period, a, ct, cat) for a in [g, *excluded]], f
                        )
            for g, members in self.s.unions.items():
                if g in here:
                    for f in fams:
                        self._sum((ind, period, g, ct, cat), [(ind, period, a, ct, cat) for a in members], f)
        for (ind, period, area, ct), present in cats_of.items():
            fams = families if self._has_d(ind) else ["n"]
            cats = self.s.categories.get(ct) or sorted(present)
            for f in fams:
                self._sum((ind, period, area, "", ""), [(ind, period, area, ct, c) for c in cats], f)
        for c in list(cells):
            years = _years(c[1])
            if years:
                fams = families if self._has_d(c[0]) else ["n"]
                for f in fams:
                    self._sum(c, [(c[0], y, c[2], c[3], c[4]) for y in years], f)
        for (c, f), i in list(self.var.items()):
            if f == "n" and self.s.measure.get(c[0]) == "proportion" and (c, "d") in self.var:
                self.ub.append(({i: 1.0, self.var[(c, "d")]: -1.0}, 0.0))

    def _sum(self, total: Cell, parts: list[Cell], family: str) -> None:
        row = {self.v(total, family): -1.0}
        for p in parts:
            j = self.v(p, family)
            row[j] = row.get(j, 0.0) + 1.0
        self.eq.append((row, 0.0))

    # -- solving -------------------------------------------------------------------------------------------

    def attack(self) -> Attack:
        self.relations()
        # Indicators never share a relation: solve each indicator's system on its own (the same answers,
        # far smaller programmes).
        owner = np.array([c[0] for c, _f in sorted(self.var, key=self.var.__getitem__)], dtype=object)
        findings: list[Finding] = []
        for ind in sorted({c[0] for c in self.withheld}):
            findings += self._solve(ind, np.flatnonzero(owner == ind))
        return Attack(findings, unknowns=len(self.lo), relations=len(self.eq))

    def _matrix(self, rows: list[tuple[dict[int, float], float]], local: dict[int, int]) -> tuple[Any, Any]:
        data, ri, ci, rhs = [], [], [], []
        for row, b in rows:
            if not any(j in local for j in row):
                continue
            for j, c in row.items():
                data.append(c)
                ri.append(len(rhs))
                ci.append(local[j])
            rhs.append(b)
        if not rhs:
            return None, None
        return sparse.csr_matrix((data, (ri, ci)), shape=(len(rhs), len(local))), np.array(rhs)

    def _solve(self, ind: str, columns: np.ndarray) -> list[Finding]:
        local = {int(j): k for k, j in enumerate(columns)}
        a_eq, b_eq = self._matrix(self.eq, local)
        a_ub, b_ub = self._matrix(self.ub, local)
        bounds = [(self.lo[j], None if math.isinf(self.hi[j]) else self.hi[j]) for j in columns]
        width = len(local)
        probe = linprog(np.zeros(width), A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if probe.status == 2 and a_eq is not None:
            # The figures do not add up exactly (illustrative data, or sources that disagree): assume they add
            # up as nearly as they can - the least total discrepancy - and bound every cell under that.
            m = a_eq.shape[0]
            eye = sparse.identity(m, format="csr")
            a_eq = sparse.hstack([a_eq, eye, -eye]).tocsr()
            slack = np.concatenate([np.zeros(width), np.ones(2 * m)])
            pad = sparse.csr_matrix((0 if a_ub is None else a_ub.shape[0], 2 * m))
            a_ub = None if a_ub is None else sparse.hstack([a_ub, pad]).tocsr()
            bounds = bounds + [(0.0, None)] * (2 * m)
            least = linprog(slack, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            row = sparse.csr_matrix(slack)
            a_ub = row if a_ub is None else sparse.vstack([a_ub, row]).tocsr()
            b_ub = np.concatenate([[] if b_ub is None else b_ub, [least.fun + 1e-6]])
            width += 2 * m
        findings = []
        seen: set[Cell] = set()
        for cell in self.withheld:
            if cell[0] != ind or cell in seen:
                continue
            seen.add(cell)
            objectives = {"count": {self.var[(cell, "n")]: 1.0}}
            if (cell, "d") in self.var:
                objectives["denominator"] = {self.var[(cell, "d")]: 1.0}
                if self.s.measure.get(cell[0]) == "proportion":
                    objectives["complement"] = {self.var[(cell, "d")]: 1.0, self.var[(cell, "n")]: -1.0}
            for name, weights in objectives.items():
                c = np.zeros(width)
                for j, w in weights.items():
                    c[local[j]] = w
                ends = []
                for sign in (1.0, -1.0):
                    res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
                    if res.status == 3:  # unbounded
                        ends.append(-math.inf if sign > 0 else math.inf)
                    elif res.status == 0:
                        ends.append(sign * res.fun)
                    else:
                        raise AssertionError(f"the published figures of {ind} are inconsistent: {res.message}")
                findings.append(Finding(cell, name, ends[0], ends[1]))
        return findings


def attack(
    structure: Structure,
    rows: list[Mapping[str, Any]],
    *,
    gaps: Iterable[Mapping[str, Any]] = (),
    targets: Iterable[Mapping[str, Any]] = (),
    rounding: Iterable[str] = (),
) -> Attack:
    """Everything published in one go (several publications' rows may be concatenated)."""
    attacker = Attacker(structure, rounding)
    attacker.read(rows)
    attacker.read_derived(gaps, targets, rows)
    return attacker.attack()
