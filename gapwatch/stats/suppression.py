"""Small-number protection for published tables: the two disciplines of the GSS guidance.

Publishing "3 children killed or seriously injured in Thanet" can identify them. The Government Statistical
Service's disclosure-control guidance (GSS, *Statistical disclosure control for tables produced from
administrative data sources*, 2014, and the Analysis Function's 2021 guidance) and NHS England practice offer
two disciplines, both here:

* **Threshold plus secondary suppression** (:func:`protect`, :func:`suppress`). A count from 1 to
  ``threshold - 1`` is withheld (primary suppression; 0 is shown, as most UK publications do). Because a
  withheld cell can be worked out from published totals — districts add up to their county, groups to their
  whole population, single years to a pooled period, a revised table to the one published before — more cells
  are withheld (secondary, or consequential, suppression) until no withheld small count can be recovered:

  - no additivity relation is left with exactly one withheld cell (the classic "lonely cell" rule);
  - and, because a reader can combine every relation at once and knows that counts are never negative, the
    pattern is audited by linear programming (:mod:`gapwatch.stats._audit`, after Fischetti and
    Salazar-González 1999 and Hundepool et al. 2012, §5.3): for each withheld small count the largest value
    consistent with everything published must reach the threshold, so nobody can prove the cell is small,
    and no withheld count may be pinned to a single value by any combination of the relations. Where either
    fails, a complement is withheld in one of the cell's relations — a part before a total, a cell large
    enough to cover the shortfall before a smaller one — and the audit runs again.

* **Rounding** (:func:`round_to_base`): every count and denominator is rounded to the nearest 5 and counts
  from 1 to 7 are withheld (NHS England's and NHS Digital's rule for hospital statistics); no secondary
  suppression is needed, because each published figure is uncertain by up to 2 either way.

A relation is ``sum(coef x cell) = constant`` over one *family* of numbers (counts, denominators); a cell
may sit in many relations at once. The protected quantities are *forms* over the families — the count, the
denominator, and for a proportion the complement (denominator minus count, since "97% of 100" gives away the
3 who did not). All are vectorised over cells, relations and tables; the only loop is the audit's rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from gapwatch.stats import _audit
from gapwatch.stats._validate import (
    FrameT,
    as_float_array,
    check_numeric,
    collect,
    offending_rows,
    require_columns,
    restore,
)

__all__ = [
    "FORCED",
    "MISSING",
    "PRIMARY",
    "SECONDARY",
    "LinearRelations",
    "Protection",
    "TableSpec",
    "protect",
    "round_to_base",
    "suppress",
    "table_specs",
]

PRIMARY = "primary"
SECONDARY = "secondary"
MISSING = "missing"
#: withheld because the caller said so (e.g. withheld in an earlier publication, so it stays withheld)
FORCED = "forced"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: (key columns, total-flag column): the rows sharing the keys form one table whose non-total rows sum
#: to its total row (the row where the flag is true).
TableSpec = tuple[list[str], str]


@dataclass(frozen=True)
class LinearRelations:
    """Additivity relations as sparse triplets: relation ``r`` says sum(coef x value[cell, family]) is fixed.

    A total of parts is ``-1`` on the total and ``+1`` on each part. Relation ids need not be contiguous.
    """

    relation: IntArray
    cell: IntArray
    family: IntArray
    coef: FloatArray

    @classmethod
    def empty(cls) -> LinearRelations:
        """No relations."""
        zero = np.zeros(0, dtype=np.int64)
        return cls(zero, zero, zero, np.zeros(0))

    @classmethod
    def of(
        cls, relation: npt.ArrayLike, cell: npt.ArrayLike, family: npt.ArrayLike, coef: npt.ArrayLike
    ) -> LinearRelations:
        """Relations from array-likes (checked to be of equal length)."""
        r, c, f = (np.asarray(a, dtype=np.int64).ravel() for a in (relation, cell, family))
        k = np.asarray(coef, dtype=np.float64).ravel()
        if not r.size == c.size == f.size == k.size:
            raise ValueError("relations: relation, cell, family and coef must have the same length")
        return cls(r, c, f, k)


@dataclass(frozen=True)
class Protection:
    """The outcome of :func:`protect`: which cells to withhold and why.

    ``reason`` is "primary", "secondary", "missing", "forced" or ``None`` per cell. ``unprotected`` marks
    withheld small counts that no further suppression could protect (their relations have no publishable
    cell left — typically because an earlier publication already gave their neighbours away).
    """

    suppressed: BoolArray
    reason: npt.NDArray[np.object_]
    unprotected: BoolArray
    rounds: int


def _as_bool(value: npt.ArrayLike | None, n: int) -> BoolArray:
    if value is None:
        return np.zeros(n, dtype=np.bool_)
    out = np.asarray(value, dtype=np.bool_).ravel()
    if out.size != n:
        raise ValueError(f"expected {n} flags, got {out.size}")
    return out


def _form_values(values: FloatArray, defined: BoolArray, forms: FloatArray) -> FloatArray:
    """Each form's value per cell (NaN where a family it uses is undefined or unknown)."""
    n, n_forms = values.shape[0], forms.shape[0]
    out = np.zeros((n, n_forms))
    for k in range(n_forms):  # forms and families are a handful: the arithmetic is over whole columns
        for f in np.flatnonzero(forms[k]):
            out[:, k] += forms[k, f] * np.where(defined[:, f], values[:, f], np.nan)
    return out


def protect(
    values: npt.ArrayLike,
    relations: LinearRelations,
    *,
    threshold: npt.ArrayLike | int = 5,
    forms: npt.ArrayLike | None = None,
    applies: npt.ArrayLike | None = None,
    defined: npt.ArrayLike | None = None,
    latent: npt.ArrayLike | None = None,
    known: npt.ArrayLike | None = None,
    forced: npt.ArrayLike | None = None,
    suppress_zero: bool = False,
    max_rounds: int = 200,
) -> Protection:
    """Threshold plus secondary suppression over arbitrary additivity relations, audited by linear programming.

    ``values``: (cells, families) — e.g. column 0 counts, column 1 denominators; NaN where unknown.
    ``relations``: the tables a reader can difference (see :class:`LinearRelations`).
    ``threshold``: one number, or one per cell (indicators differ); a form from 1 to threshold - 1 is small.
    ``forms``: (forms, families) weights of the protected quantities (default: each family on its own);
    ``applies``: (cells, forms) where each form is meaningful (default: wherever its families are defined).
    ``defined``: (cells, families), default all; an undefined family (a count indicator's denominator) is
    left out of the relations. ``latent``: cells nobody publishes (a year that only appears inside a
    pooled period, a row published without its count): unknowns in the audit, never chosen, never reported
    as withheld. ``known``: cells the reader already has (published before): constants, never chosen as
    complements. ``forced``: cells to withhold whatever they hold (withheld before, so withheld again).

    A non-latent cell whose count (family 0) is unknown (NaN) is withheld ("missing"); unknown values in
    other families are unknowns of the audit. A relation with an undefined member is left out. Every form
    is taken as non-negative. Returns a :class:`Protection`. GSS (2014) threshold rule and consequential
    suppression; audit after Fischetti and Salazar-González (1999); Hundepool et al. (2012), §5.3.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    n, n_fam = v.shape
    w = np.eye(n_fam) if forms is None else np.atleast_2d(np.asarray(forms, dtype=np.float64))
    if w.shape[1] != n_fam:
        raise ValueError(f"forms: expected {n_fam} family weights per form, got {w.shape[1]}")
    dfn = np.ones((n, n_fam), dtype=np.bool_) if defined is None else np.asarray(defined, dtype=np.bool_)
    if dfn.shape != (n, n_fam):
        raise ValueError(f"defined: expected shape {(n, n_fam)}, got {dfn.shape}")
    uses = w != 0
    families_ok = np.all(dfn[:, None, :] | ~uses[None, :, :], axis=2)
    app = families_ok if applies is None else np.asarray(applies, dtype=np.bool_) & families_ok
    thr = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (n,)).copy()
    if n and thr.min() < 1:
        raise ValueError(f"threshold: must be at least 1, got {thr.min():g}")
    lat, kno, frc = _as_bool(latent, n), _as_bool(known, n), _as_bool(forced, n)
    rel = relations
    if rel.cell.size and (rel.cell.min() < 0 or rel.cell.max() >= n or rel.family.max() >= n_fam):
        raise ValueError("relations: a cell or family index is out of range")

    if rel.cell.size:  # a relation with an undefined member cannot hold: leave it out whole
        broken = np.unique(rel.relation[~dfn[rel.cell, rel.family]])
        if broken.size:
            keep = ~np.isin(rel.relation, broken)
            rel = LinearRelations(rel.relation[keep], rel.cell[keep], rel.family[keep], rel.coef[keep])
    q = _form_values(v, dfn, w)
    with np.errstate(invalid="ignore"):
        low = (q >= 0) if suppress_zero else (q > 0)
        small = app & ~np.isnan(q) & low & (q < thr[:, None])
    missing = ~lat & (dfn[:, 0] & np.isnan(v[:, 0])) if n_fam else np.zeros(n, dtype=np.bool_)
    primary = np.any(small, axis=1) & ~lat & ~missing
    suppressed = (primary | missing | frc) & ~lat
    size = np.where(np.isnan(v[:, 0]), np.inf, v[:, 0]) if n else np.zeros(0)
    members = _members(rel, v)
    unprotected = np.zeros(n, dtype=np.bool_)
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is reported
        suppressed = _close_lonely(members, suppressed, lat, kno, size, max_rounds)
        variable = (suppressed & ~kno) | lat
        t_cell, t_form = np.nonzero(small & (variable & ~lat)[:, None])
        p_cell = np.flatnonzero(suppressed & ~kno & ~lat & dfn[:, 0] & ~np.isnan(v[:, 0])).astype(np.int64)
        if t_cell.size == 0 and p_cell.size == 0:
            break
        problem = _audit.build_problem(v, dfn, variable, rel.relation, rel.cell, rel.family, rel.coef, w, app)
        blk = _audit.blocks(problem)
        best = _audit.maxima(problem, blk, t_cell.astype(np.int64), w[t_form], thr[t_cell])
        bad = _audit.exposed(best, thr[t_cell])
        pinned = _pinned(problem, blk, p_cell, v[p_cell, 0], n_fam)
        if not bad.any() and not pinned.any():
            break
        need = np.concatenate([t_cell[bad].astype(np.int64), p_cell[pinned]])
        deficit = np.concatenate([thr[t_cell[bad]] - best[bad], np.ones(int(pinned.sum()))])
        added = _complements_for(members, problem, blk, need, deficit, suppressed, lat, kno, size)
        if not added.any():
            unprotected[t_cell[bad]] = True
            break
        suppressed = suppressed | added
    else:  # pragma: no cover - each round withholds more cells, so rounds are bounded by the cells
        raise ValueError("suppress: secondary suppression did not settle; check the relations")
    reason = np.full(n, None, dtype=object)
    reason[suppressed] = SECONDARY
    reason[frc & suppressed] = FORCED
    reason[primary] = PRIMARY
    reason[missing] = MISSING
    return Protection(suppressed=suppressed, reason=reason, unprotected=unprotected, rounds=rounds)


def _pinned(problem: _audit.Problem, blk: IntArray, cells: IntArray, values: FloatArray, n_families: int) -> BoolArray:
    """Withheld cells whose count the relations pin to one value (it can move by less than 1 either way)."""
    if cells.size == 0:
        return np.zeros(0, dtype=np.bool_)
    count = np.zeros((cells.size, n_families))
    count[:, 0] = 1.0
    up = _audit.maxima(problem, blk, cells, count, values + 1.0)
    stuck = _audit.exposed(up, values + 1.0)
    pinned = np.zeros(cells.size, dtype=np.bool_)
    if stuck.any():
        down = _audit.maxima(problem, blk, cells[stuck], -count[stuck], 1.0 - values[stuck])
        pinned[stuck] = _audit.exposed(down, 1.0 - values[stuck])
    return pinned


def round_to_base(values: npt.ArrayLike, base: int = 5, withhold_up_to: int = 7) -> tuple[FloatArray, BoolArray]:
    """Counts rounded to the nearest ``base`` (halves up), and which are withheld (1 to ``withhold_up_to``).

    NHS England / NHS Digital's rule for published activity counts (HES: "rounded to the nearest 5, with
    1-7 suppressed"); GSS (2014) on rounding as a disclosure-control method. Zero stays 0; NaN stays NaN.
    Returns (rounded values, withheld mask).
    """
    if base < 1:
        raise ValueError(f"base: must be at least 1, got {base}")
    x = np.asarray(values, dtype=np.float64)
    rounded = np.floor(x / base + 0.5) * base
    with np.errstate(invalid="ignore"):
        withheld = (x > 0) & (x <= withhold_up_to)
    return np.where(withheld, np.nan, rounded), np.asarray(withheld, dtype=np.bool_)


def table_specs(
    table_keys: Sequence[str] | Sequence[Sequence[str]], total_flag: str | Sequence[str]
) -> list[TableSpec]:
    """Pair ``table_keys`` (one list of columns, or one list per table dimension) with total flags."""
    if not table_keys:
        raise ValueError("table_keys: at least one key column (or list of columns) is needed")
    nested = not isinstance(table_keys[0], str)
    key_lists: list[list[str]] = [list(k) for k in table_keys] if nested else [[str(k) for k in table_keys]]
    flags = [total_flag] if isinstance(total_flag, str) else list(total_flag)
    if len(flags) != len(key_lists):
        raise ValueError(
            f"total_flag: give one total flag per table dimension ({len(key_lists)} key lists, {len(flags)} flags)"
        )
    return list(zip(key_lists, flags, strict=True))


def suppress(
    df: FrameT,
    *,
    count_cols: Sequence[str] | str,
    table_keys: Sequence[str] | Sequence[Sequence[str]],
    total_flag: str | Sequence[str],
    derived_cols: Sequence[str] | str = (),
    threshold: int = 5,
    suppress_zero: bool = False,
    max_rounds: int = 200,
) -> FrameT:
    """Withhold small counts, and every cell that would let them be recovered from the published totals.

    The frame form of :func:`protect` for tables that are rows of a frame. For each (keys, flag) pair from
    ``table_keys``/``total_flag`` (see :func:`table_specs`) the rows sharing the keys form a table whose
    parts (flag false) add up to its total (flag true); a row may belong to one table per dimension. A row
    is withheld when any ``count_cols`` value is from 1 to ``threshold - 1`` (0 too with ``suppress_zero``;
    each count column is protected on its own), or when a count is missing ("missing"). Secondary cells
    follow :func:`protect`: no table keeps exactly one withheld cell, and no withheld small count can be
    proved small by any combination of the tables (linear-programming audit).

    Returns the input with the ``count_cols`` and ``derived_cols`` of withheld rows set to null, plus
    ``suppressed`` (bool) and ``suppression_reason`` ("primary", "secondary", "missing" or null).
    Raises ``ValueError`` if a table has more than one total row. GSS (2014) threshold rule with
    consequential suppression.
    """
    counts = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    derived = [derived_cols] if isinstance(derived_cols, str) else list(derived_cols)
    if not counts:
        raise ValueError("count_cols: at least one count column is needed")
    if threshold < 1:
        raise ValueError(f"threshold: must be at least 1, got {threshold}")
    specs = table_specs(table_keys, total_flag)
    for keys, flag in specs:
        require_columns(df, *keys, flag)
    require_columns(df, *counts, *derived)
    data = collect(df)
    check_numeric(data, *counts)
    values = np.column_stack([as_float_array(data, c) for c in counts]) if data.height else np.zeros((0, len(counts)))
    relations = _table_relations(data, specs, len(counts))
    missing = np.isnan(values).any(axis=1)
    done = protect(
        values, relations, threshold=threshold, forced=missing, suppress_zero=suppress_zero, max_rounds=max_rounds
    )
    reason = done.reason.copy()
    reason[missing] = MISSING
    mask = pl.Series("_mask", done.suppressed)
    nulled = [pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in counts + derived]
    out = data.with_columns(nulled).with_columns(
        pl.Series("suppressed", done.suppressed, dtype=pl.Boolean),
        pl.Series("suppression_reason", reason.tolist(), dtype=pl.String),
    )
    return restore(out, df)


# --- helpers ------------------------------------------------------------------------------------------


def _table_relations(data: pl.DataFrame, specs: list[TableSpec], n_families: int) -> LinearRelations:
    """One relation per (table with a total row and at least one part, family): parts - total = 0."""
    pieces = []
    offset = 0
    for keys, flag in specs:
        frame = data.select(*keys, pl.col(flag).cast(pl.Boolean).fill_null(False).alias("_total")).with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("_rid")
        )
        ids = frame.select(keys).unique(maintain_order=True).with_row_index("_tid")
        frame = frame.join(ids, on=keys, how="left", nulls_equal=True, maintain_order="left")
        stats = frame.group_by("_tid").agg(pl.col("_total").sum().alias("_totals"), pl.len().alias("_cells"))
        many = stats.filter(pl.col("_totals") > 1)
        if many.height:
            bad = frame.join(many.select("_tid"), on="_tid", how="semi").filter(pl.col("_total"))
            mask = np.zeros(data.height, dtype=bool)
            mask[bad.get_column("_rid").to_numpy()] = True
            raise ValueError(f"column '{flag}': a table has more than one total row (rows {offending_rows(mask)})")
        usable = stats.filter((pl.col("_totals") == 1) & (pl.col("_cells") >= 2)).select("_tid")
        frame = frame.join(usable, on="_tid", how="semi")
        tid = frame.get_column("_tid").to_numpy().astype(np.int64)
        rid = frame.get_column("_rid").to_numpy().astype(np.int64)
        coef = np.where(frame.get_column("_total").to_numpy(), -1.0, 1.0)
        n_tables = int(tid.max()) + 1 if tid.size else 0
        for f in range(n_families):
            pieces.append((offset + tid * n_families + f, rid, np.full(rid.size, f, dtype=np.int64), coef))
        offset += n_tables * n_families
    if not pieces:
        return LinearRelations.empty()
    return LinearRelations.of(*(np.concatenate([p[i] for p in pieces]) for i in range(4)))


def _members(rel: LinearRelations, values: FloatArray) -> pl.DataFrame:
    """(relation, cell, whether its value is unknown to everyone, total flag) of every relation member."""
    return pl.DataFrame(
        {
            "_rel": rel.relation,
            "_cell": rel.cell,
            "_nan": np.isnan(values[rel.cell, rel.family]) if rel.cell.size else np.zeros(0, dtype=np.bool_),
            "_total": rel.coef < 0,
        },
        schema={"_rel": pl.Int64, "_cell": pl.Int64, "_nan": pl.Boolean, "_total": pl.Boolean},
    )


def _choosable(suppressed: BoolArray, latent: BoolArray, known: BoolArray) -> BoolArray:
    return ~suppressed & ~latent & ~known


def _close_lonely(
    members: pl.DataFrame,
    suppressed: BoolArray,
    latent: BoolArray,
    known: BoolArray,
    size: FloatArray,
    max_rounds: int,
) -> BoolArray:
    """Withhold complements until no relation has exactly one unknown member that is a withheld cell."""
    suppressed = suppressed.copy()
    if members.height == 0:
        return suppressed
    cells = members.get_column("_cell").to_numpy()
    for _round in range(max_rounds):
        unknown = (suppressed & ~known) | latent
        frame = members.with_columns(
            (pl.Series("_unknown", unknown[cells]) | pl.col("_nan")).alias("_unknown"),
            pl.Series("_withheld", (suppressed & ~known)[cells]),
            pl.Series("_free", _choosable(suppressed, latent, known)[cells]),
            pl.Series("_size", size[cells]),
        )
        lonely = (
            frame.group_by("_rel")
            .agg(pl.col("_unknown").sum().alias("_n"), pl.col("_withheld").sum().alias("_w"))
            .filter((pl.col("_n") == 1) & (pl.col("_w") == 1))
        )
        if lonely.height == 0:
            return suppressed
        picks = (
            frame.join(lonely.select("_rel"), on="_rel", how="semi")
            .filter(pl.col("_free"))
            .sort(["_rel", "_total", pl.col("_size") == 0, "_size", "_cell"])
            .group_by("_rel", maintain_order=True)
            .agg(pl.col("_cell").first())
        )
        added = np.zeros(suppressed.size, dtype=np.bool_)
        added[picks.get_column("_cell").to_numpy()] = True
        added &= ~suppressed
        if not added.any():
            return suppressed
        suppressed |= added
    raise ValueError("suppress: secondary suppression did not settle; check the relations")


def _complements_for(
    members: pl.DataFrame,
    problem: _audit.Problem,
    blk: IntArray,
    cells: IntArray,
    deficit: FloatArray,
    suppressed: BoolArray,
    latent: BoolArray,
    known: BoolArray,
    size: FloatArray,
) -> BoolArray:
    """One more withheld cell for each exposed small count, from its own relations (else its block's).

    A part before a total; a cell at least as large as the shortfall before a smaller one; then the
    smallest such cell, so as little as possible is lost.
    """
    n = suppressed.size
    added = np.zeros(n, dtype=np.bool_)
    if members.height == 0:
        return added
    exposed = pl.DataFrame({"_for": cells, "_need": deficit}, schema={"_for": pl.Int64, "_need": pl.Float64})
    exposed = exposed.group_by("_for").agg(pl.col("_need").max())
    # The block of every variable cell, to look further afield when a cell's own relations are exhausted.
    cell_block = pl.DataFrame(
        {"_cell": problem.var_cell, "_block": blk}, schema={"_cell": pl.Int64, "_block": pl.Int64}
    ).unique("_cell")
    own = members.join(exposed, left_on="_cell", right_on="_for", how="inner").select(
        "_rel", pl.col("_cell").alias("_for"), "_need", pl.lit(0).alias("_tier")
    )
    near = (
        exposed.join(cell_block.rename({"_cell": "_for"}), on="_for")
        .join(cell_block, on="_block")
        .join(members.select("_rel", "_cell"), on="_cell")
        .select("_rel", "_for", "_need", pl.lit(1).alias("_tier"))
    )
    reach = pl.concat([own, near], how="vertical").unique(["_rel", "_for"], keep="first")
    cand_cells = members.get_column("_cell").to_numpy()
    candidates = members.with_columns(
        pl.Series("_free", _choosable(suppressed, latent, known)[cand_cells]),
        pl.Series("_size", size[cand_cells]),
    ).filter(pl.col("_free"))
    picks = (
        reach.join(candidates, on="_rel")
        .filter(pl.col("_cell") != pl.col("_for"))
        .sort(
            [
                "_for",
                "_tier",
                "_total",
                pl.col("_size") < pl.col("_need"),
                pl.col("_size") == 0,
                "_size",
                "_cell",
            ]
        )
        .group_by("_for", maintain_order=True)
        .agg(pl.col("_cell").first())
    )
    added[picks.get_column("_cell").to_numpy()] = True
    return added & ~suppressed
