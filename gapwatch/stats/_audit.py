"""The attacker's view of a suppression pattern: how far linear programming narrows each withheld cell.

Used by :mod:`gapwatch.stats.suppression`. Everything published is a constant; every withheld cell (and
every cell nobody publishes, such as a single year inside a published pooled period) is an unknown. The
additivity relations, and the fact that counts, denominators and complements are never negative, bound
the unknowns: the feasible interval of a withheld cell is [min, max] over that polytope (Fischetti and
Salazar-González 1999; Hundepool et al. 2012, *Statistical Disclosure Control*, §5.3 on auditing a
suppression pattern; the audit τ-ARGUS runs). A withheld small count is protected when its maximum
reaches the threshold — the reader cannot prove it is small.

One linear programme answers every question at once: each checked cell gets its own copy of its block
(the connected part of the relations among unknowns), with an extra variable ``z`` ≤ threshold that may
not exceed the checked quantity; maximising the sum of the ``z`` maximises each independently. The
copies are built with array arithmetic (segment gathers), never a Python loop over cells or blocks, and
HiGHS solves the block-diagonal programme in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse import csgraph

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Copies per linear programme: big enough to solve most publications in one call, small enough for memory.
_MAX_COPY_VARIABLES = 400_000
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Problem:
    """The unknowns of a suppression pattern and the equations and inequalities that bind them.

    ``var_cell``/``var_family``: the cell and family of each unknown. ``eq_*``: "sum of coef x var = b" as
    (row, var, coef) triplets; ``ub_*``: "sum of coef x var <= rhs" (forms that cannot be negative).
    ``ub_rhs``: the published part of each inequality. ``truth``: a point that satisfies everything (true
    values, or calibrated ones where nobody knows them).
    """

    var_cell: IntArray
    var_family: IntArray
    eq_row: IntArray
    eq_var: IntArray
    eq_coef: FloatArray
    eq_rhs: FloatArray
    ub_row: IntArray
    ub_var: IntArray
    ub_coef: FloatArray
    ub_rhs: FloatArray
    truth: FloatArray
    lower: FloatArray


def _segments(starts: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """(segment number, index) of every element of the concatenated ranges [start, start + count)."""
    total = int(counts.sum())
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.repeat(starts, counts) + (np.arange(total, dtype=np.int64) - first)


def build_problem(
    values: FloatArray,
    defined: BoolArray,
    variable: BoolArray,
    rel: IntArray,
    cell: IntArray,
    family: IntArray,
    coef: FloatArray,
    forms: FloatArray,
    applies: BoolArray,
) -> Problem:
    """The attacker's problem: unknowns are the defined families of ``variable`` cells.

    Published cells are constants moved to the right-hand side. Unknowns whose true value nobody knows
    (NaN: cells nobody publishes, counts missing from the data) are given values that satisfy the
    relations as nearly as possible (a small calibration programme), and each relation's right-hand side
    is then taken at the resulting point — so the true point is always feasible, and a relation that does
    not add up exactly in the data is assumed known to the reader with its discrepancy (the cautious view).
    """
    n_cells, n_fam = values.shape
    index = np.full((n_cells, n_fam), -1, dtype=np.int64)
    var_mask = (variable[:, None] | np.isnan(values)) & defined
    var_cell, var_family = np.nonzero(var_mask)
    var_cell, var_family = var_cell.astype(np.int64), var_family.astype(np.int64)
    index[var_cell, var_family] = np.arange(var_cell.size, dtype=np.int64)
    truth = values[var_cell, var_family].copy()

    # Relations: unknown part as triplets, published part summed into a constant.
    usable = defined[cell, family]
    rel, cell, family, coef = rel[usable], cell[usable], family[usable], coef[usable]
    var_of = index[cell, family]
    is_var = var_of >= 0
    const = np.where(is_var, 0.0, coef * np.nan_to_num(values[cell, family]))
    rel_ids, rel_local = np.unique(rel, return_inverse=True)
    constant = np.asarray(np.bincount(rel_local, weights=const, minlength=rel_ids.size), dtype=np.float64)
    has_var = np.bincount(rel_local, weights=is_var.astype(np.float64), minlength=rel_ids.size) > 0
    keep = is_var & has_var[rel_local]
    eq_rel = rel_local[keep]
    eq_ids, eq_row = np.unique(eq_rel, return_inverse=True)
    eq_var, eq_coef = var_of[keep], coef[keep]
    eq_const = constant[eq_ids]

    # Forms (count, denominator, complement) are never negative: -W.x(unknown) <= W.x(published).
    has_unknown = np.zeros(applies.shape, dtype=np.bool_)
    for f in range(n_fam):  # a handful of families, not rows
        has_unknown |= (forms[:, f] != 0)[None, :] & (index[:, f] >= 0)[:, None]
    ub_cell, ub_form = np.nonzero(applies & has_unknown)
    ub_rows, ub_vars, ub_coefs = [], [], []
    ub_rhs = np.zeros(ub_cell.size)
    for f in range(n_fam):
        weight = forms[ub_form, f]
        var = index[ub_cell, f]
        use = (weight != 0) & (var >= 0)
        ub_rows.append(np.flatnonzero(use).astype(np.int64))
        ub_vars.append(var[use])
        ub_coefs.append(-weight[use])
        fixed = (weight != 0) & (var < 0)
        ub_rhs[fixed] += weight[fixed] * np.nan_to_num(values[ub_cell[fixed], f])
    ub_row_all = np.concatenate(ub_rows) if ub_rows else np.zeros(0, dtype=np.int64)
    ub_var_all = np.concatenate(ub_vars) if ub_vars else np.zeros(0, dtype=np.int64)
    ub_coef_all = np.concatenate(ub_coefs) if ub_coefs else np.zeros(0)

    unknown = np.isnan(truth)
    if unknown.any():
        truth = _calibrate(
            truth, unknown, eq_row, eq_var, eq_coef, eq_const, ub_row_all, ub_var_all, ub_coef_all, ub_rhs
        )
    rhs = np.asarray(np.bincount(eq_row, weights=eq_coef * truth[eq_var], minlength=eq_ids.size), dtype=np.float64)
    return Problem(
        var_cell=var_cell,
        var_family=var_family,
        eq_row=eq_row.astype(np.int64),
        eq_var=eq_var,
        eq_coef=eq_coef,
        eq_rhs=rhs,
        ub_row=ub_row_all.astype(np.int64),
        ub_var=ub_var_all,
        ub_coef=ub_coef_all,
        ub_rhs=ub_rhs,
        truth=truth,
        lower=np.minimum(truth, 0.0),
    )


def _calibrate(
    truth: FloatArray,
    unknown: BoolArray,
    eq_row: IntArray,
    eq_var: IntArray,
    eq_coef: FloatArray,
    eq_const: FloatArray,
    ub_row: IntArray,
    ub_var: IntArray,
    ub_coef: FloatArray,
    ub_rhs: FloatArray,
) -> FloatArray:
    """Values for the unknowns nobody knows that make the relations hold as nearly as possible (L1)."""
    out = truth.copy()
    free = np.flatnonzero(unknown)
    position = np.full(truth.size, -1, dtype=np.int64)
    position[free] = np.arange(free.size)
    touched = np.unique(eq_row[unknown[eq_var]])
    n_rows = int(eq_row.max()) + 1 if eq_row.size else 0
    row_pos = np.full(n_rows, -1, dtype=np.int64)
    row_pos[touched] = np.arange(touched.size)
    on = row_pos[eq_row] >= 0 if eq_row.size else np.zeros(0, dtype=np.bool_)
    known_part = np.where(unknown[eq_var], 0.0, eq_coef * np.nan_to_num(truth[eq_var]))
    m, k = touched.size, free.size
    b = -(np.bincount(row_pos[eq_row[on]], weights=known_part[on], minlength=m) + eq_const[touched])
    sel = on & unknown[eq_var]
    a_x = sparse.coo_matrix((eq_coef[sel], (row_pos[eq_row[sel]], position[eq_var[sel]])), shape=(m, k))
    eye = sparse.identity(m, format="coo")
    a_eq = sparse.hstack([a_x, eye, -eye]).tocsc() if m else None
    # The forms stay non-negative at the calibrated point (a complement cannot be below zero).
    ub_touched = np.unique(ub_row[unknown[ub_var]])
    a_ub = None
    b_ub = None
    if ub_touched.size:
        rp = np.full(ub_rhs.size, -1, dtype=np.int64)
        rp[ub_touched] = np.arange(ub_touched.size)
        on_ub = rp[ub_row] >= 0
        fixed = np.where(unknown[ub_var], 0.0, ub_coef * np.nan_to_num(truth[ub_var]))
        b_ub = ub_rhs[ub_touched] - np.bincount(rp[ub_row[on_ub]], weights=fixed[on_ub], minlength=ub_touched.size)
        pick = on_ub & unknown[ub_var]
        a_ub = sparse.coo_matrix(
            (ub_coef[pick], (rp[ub_row[pick]], position[ub_var[pick]])), shape=(ub_touched.size, k + 2 * m)
        ).tocsc()
    if a_eq is None and a_ub is None:
        out[free] = 0.0
        return out
    cost = np.concatenate([np.zeros(k), np.ones(2 * m)])
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b if m else None,
        bounds=(0, None),
        method="highs",
    )
    if result.status != 0:  # pragma: no cover - the slack variables make every calibration feasible
        raise ValueError(f"suppression audit: could not calibrate the unknown cells ({result.message})")
    out[free] = np.maximum(result.x[:k], 0.0)
    return out


def blocks(problem: Problem) -> IntArray:
    """Block (connected component) of every unknown: linked by a relation or by belonging to one cell."""
    n_var = problem.var_cell.size
    if n_var == 0:
        return np.zeros(0, dtype=np.int64)
    n_eq = int(problem.eq_row.max()) + 1 if problem.eq_row.size else 0
    n_ub = problem.ub_rhs.size
    _cells, cell_node = np.unique(problem.var_cell, return_inverse=True)
    size = n_var + n_eq + n_ub + _cells.size
    src = np.concatenate(
        [problem.eq_var, problem.ub_var, np.arange(n_var, dtype=np.int64)],
    )
    dst = np.concatenate(
        [n_var + problem.eq_row, n_var + n_eq + problem.ub_row, n_var + n_eq + n_ub + cell_node],
    )
    graph = sparse.coo_matrix((np.ones(src.size), (src, dst)), shape=(size, size))
    _n, labels = csgraph.connected_components(graph, directed=False)
    _ids, compact = np.unique(labels[:n_var], return_inverse=True)
    return compact.astype(np.int64)


def maxima(
    problem: Problem, block: IntArray, target_cell: IntArray, target_form: FloatArray, cap: FloatArray
) -> FloatArray:
    """For each target (cell, form weights over families), min(cap, max of the form over the feasible set).

    ``target_form`` has one row of family weights per target. Every target's cell must be unknown.
    """
    n_t = target_cell.size
    out = np.zeros(n_t)
    if n_t == 0:
        return out
    n_var = problem.var_cell.size
    order = np.argsort(block, kind="stable")
    n_blocks = int(block.max()) + 1
    block_size = np.bincount(block, minlength=n_blocks).astype(np.int64)
    block_start = np.cumsum(block_size) - block_size
    local = np.empty(n_var, dtype=np.int64)
    local[order] = np.arange(n_var) - np.repeat(block_start, block_size)

    eq_block = block[problem.eq_var]
    eq_order = np.argsort(eq_block, kind="stable")
    eq_count = np.bincount(eq_block, minlength=n_blocks).astype(np.int64)
    eq_start = np.cumsum(eq_count) - eq_count
    n_eq_rows = int(problem.eq_row.max()) + 1 if problem.eq_row.size else 0
    row_block = np.zeros(n_eq_rows, dtype=np.int64)
    row_block[problem.eq_row] = eq_block
    row_order = np.argsort(row_block, kind="stable")
    rows_in_block = np.bincount(row_block, minlength=n_blocks).astype(np.int64)
    row_local = np.empty(n_eq_rows, dtype=np.int64)
    row_local[row_order] = np.arange(n_eq_rows) - np.repeat(np.cumsum(rows_in_block) - rows_in_block, rows_in_block)

    ub_block = block[problem.ub_var]
    ub_order = np.argsort(ub_block, kind="stable")
    ub_count = np.bincount(ub_block, minlength=n_blocks).astype(np.int64)
    ub_start = np.cumsum(ub_count) - ub_count
    n_ub_rows = problem.ub_rhs.size
    ub_row_block = np.zeros(n_ub_rows, dtype=np.int64)
    ub_row_block[problem.ub_row] = ub_block
    ub_row_order = np.argsort(ub_row_block, kind="stable")
    ub_rows_in_block = np.bincount(ub_row_block, minlength=n_blocks).astype(np.int64)
    ub_row_local = np.empty(n_ub_rows, dtype=np.int64)
    ub_row_local[ub_row_order] = np.arange(n_ub_rows) - np.repeat(
        np.cumsum(ub_rows_in_block) - ub_rows_in_block, ub_rows_in_block
    )

    n_fam = target_form.shape[1]
    cell_fam = np.full((int(problem.var_cell.max()) + 1, n_fam), -1, dtype=np.int64)
    cell_fam[problem.var_cell, problem.var_family] = np.arange(n_var, dtype=np.int64)
    target_vars = cell_fam[target_cell]  # (targets, families)
    target_block = block[np.max(target_vars, axis=1)]

    # Split the targets into batches of bounded size, each solved as one block-diagonal programme.
    copy_size = block_size[target_block] + 1
    batch = np.cumsum(copy_size) // _MAX_COPY_VARIABLES
    for b in np.unique(batch):
        sel = np.flatnonzero(batch == b)
        out[sel] = _solve_copies(
            problem,
            local,
            order,
            block_start,
            block_size,
            eq_order,
            eq_start,
            eq_count,
            row_local,
            rows_in_block,
            ub_order,
            ub_start,
            ub_count,
            ub_row_local,
            ub_rows_in_block,
            target_block[sel],
            target_vars[sel],
            target_form[sel],
            cap[sel],
        )
    return out


def _solve_copies(
    problem: Problem,
    local: IntArray,
    order: IntArray,
    block_start: IntArray,
    block_size: IntArray,
    eq_order: IntArray,
    eq_start: IntArray,
    eq_count: IntArray,
    row_local: IntArray,
    rows_in_block: IntArray,
    ub_order: IntArray,
    ub_start: IntArray,
    ub_count: IntArray,
    ub_row_local: IntArray,
    ub_rows_in_block: IntArray,
    t_block: IntArray,
    t_vars: IntArray,
    t_form: FloatArray,
    cap: FloatArray,
) -> FloatArray:
    n_t = t_block.size
    width = block_size[t_block] + 1  # the block's unknowns, then z
    var_off = np.cumsum(width) - width
    n_cols = int(width.sum())
    z_col = var_off + width - 1

    # Bounds: each copy's unknowns as the originals, z up to the cap.
    copy_of, src = _segments(block_start[t_block], block_size[t_block])
    orig = order[src]
    lower = np.full(n_cols, -np.inf)
    upper = np.full(n_cols, np.inf)
    lower[var_off[copy_of] + local[orig]] = problem.lower[orig]
    upper[z_col] = cap

    # Equalities of each copy.
    eq_rows_n = rows_in_block[t_block]
    eq_row_off = np.cumsum(eq_rows_n) - eq_rows_n
    e_copy, e_src = _segments(eq_start[t_block], eq_count[t_block])
    e_idx = eq_order[e_src]
    e_var = problem.eq_var[e_idx]
    a_eq = sparse.coo_matrix(
        (
            problem.eq_coef[e_idx],
            (eq_row_off[e_copy] + row_local[problem.eq_row[e_idx]], var_off[e_copy] + local[e_var]),
        ),
        shape=(int(eq_rows_n.sum()), n_cols),
    ).tocsc()
    rhs_rows = np.zeros(int(eq_rows_n.sum()))
    rhs_rows[eq_row_off[e_copy] + row_local[problem.eq_row[e_idx]]] = problem.eq_rhs[problem.eq_row[e_idx]]

    # Non-negative forms of each copy, then "z <= target form" (one row per copy).
    ub_rows_n = ub_rows_in_block[t_block]
    ub_row_off = np.cumsum(ub_rows_n) - ub_rows_n
    u_copy, u_src = _segments(ub_start[t_block], ub_count[t_block])
    u_idx = ub_order[u_src]
    n_ub = int(ub_rows_n.sum())
    z_rows = n_ub + np.arange(n_t)
    fam_copy, fam = np.nonzero((t_form != 0) & (t_vars >= 0))
    rows = np.concatenate([ub_row_off[u_copy] + ub_row_local[problem.ub_row[u_idx]], z_rows, z_rows[fam_copy]])
    cols = np.concatenate(
        [var_off[u_copy] + local[problem.ub_var[u_idx]], z_col, var_off[fam_copy] + local[t_vars[fam_copy, fam]]]
    )
    vals = np.concatenate([problem.ub_coef[u_idx], np.ones(n_t), -t_form[fam_copy, fam]])
    a_ub = sparse.coo_matrix((vals, (rows, cols)), shape=(n_ub + n_t, n_cols)).tocsc()
    b_ub = np.zeros(n_ub + n_t)
    b_ub[ub_row_off[u_copy] + ub_row_local[problem.ub_row[u_idx]]] = problem.ub_rhs[problem.ub_row[u_idx]]

    cost = np.zeros(n_cols)
    cost[z_col] = -1.0
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=rhs_rows if a_eq.shape[0] else None,
        bounds=np.column_stack([lower, upper]),
        method="highs",
    )
    if result.status != 0:  # pragma: no cover - the true point is feasible by construction
        raise ValueError(f"suppression audit: the linear programme failed ({result.message})")
    return np.asarray(result.x[z_col], dtype=np.float64)


def exposed(values: FloatArray, cap: FloatArray, tolerance: float = _TOLERANCE) -> BoolArray:
    """Targets whose maximum stays below their cap (the reader can prove them small)."""
    return np.asarray(values < cap - tolerance, dtype=np.bool_)
