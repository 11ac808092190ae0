"""Impact of an initiative: difference-in-differences from counts, pre-period trends, interrupted time series
and nearest-neighbour matching of comparison areas.

"Living in a ward with a SIP focus significantly improves your chances of exiting benefit dependency" is a claim
about an initiative's areas against comparable areas, before and after it started. The kernels here are the
standard tools for that claim, on the counts a partnership already holds:

* :func:`difference_in_differences` — the change in the initiative's areas minus the change in the comparison
  areas, with a delta-method (Wald) interval from binomial or Poisson variances of the four pooled values;
* :func:`slope_difference` — the difference between two groups' linear trends over the pre-period, the check of
  the parallel-trends assumption the difference-in-differences rests on;
* :func:`segmented_regression` — interrupted time series: the change in level and in slope at the start;
* :func:`nearest_neighbours` and :func:`standardised_mean_difference` — comparison areas matched on covariates
  (deprivation, baseline level), and how well the two groups balance.

Every kernel takes NumPy arrays; :func:`difference_in_differences` works on many comparisons at once. Areas are
pooled by summing their counts, which treats the pooled values as binomial (or Poisson): variation between areas
beyond that is not in the interval, and the docs say so.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from gapwatch.stats._confidence import z_value

__all__ = [
    "difference_in_differences",
    "nearest_neighbours",
    "segmented_regression",
    "slope_difference",
    "standardised_mean_difference",
]

FloatArray = npt.NDArray[np.float64]
Measure = Literal["proportion", "rate"]


def _variance(x: FloatArray, n: FloatArray, measure: Measure) -> tuple[FloatArray, FloatArray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(n > 0, n, np.nan)
        p = x / n
        if measure == "proportion":
            return p, p * (1 - p) / n
        if measure == "rate":
            return p, x / n**2
    raise ValueError(f"measure: should be 'proportion' or 'rate', got {measure!r}")


def difference_in_differences(
    x_treated_before: npt.ArrayLike,
    n_treated_before: npt.ArrayLike,
    x_treated_after: npt.ArrayLike,
    n_treated_after: npt.ArrayLike,
    x_comparison_before: npt.ArrayLike,
    n_comparison_before: npt.ArrayLike,
    x_comparison_after: npt.ArrayLike,
    n_comparison_after: npt.ArrayLike,
    *,
    measure: Measure = "proportion",
    level: float = 0.95,
    multiplier: float = 1.0,
) -> dict[str, FloatArray]:
    """Difference in differences of proportions or rates from counts, with a delta-method interval.

    DiD = (p_T1 - p_T0) - (p_C1 - p_C0). The four values come from independent samples, so by the delta
    method Var(DiD) = sum of the four variances: p(1 - p)/n for a proportion (binomial), x/n^2 for a rate
    (Poisson). The interval is DiD ± z·SE and the p-value two-sided against zero (Wald; e.g. Wing, Simon &
    Bello-Gomez 2018, Annu Rev Public Health 39:453). Vectorised: every argument may be an array (one element
    per comparison). Returns arrays ``treated_before``, ``treated_after``, ``comparison_before``,
    ``comparison_after``, ``treated_change``, ``comparison_change``, ``did``, ``did_se``, ``did_lower``,
    ``did_upper`` (all on the ``multiplier`` scale) and ``p_value``; NaN where a denominator is 0.
    """
    arrays = [
        np.asarray(a, dtype=np.float64)
        for a in (
            x_treated_before,
            n_treated_before,
            x_treated_after,
            n_treated_after,
            x_comparison_before,
            n_comparison_before,
            x_comparison_after,
            n_comparison_after,
        )
    ]
    pt0, vt0 = _variance(arrays[0], arrays[1], measure)
    pt1, vt1 = _variance(arrays[2], arrays[3], measure)
    pc0, vc0 = _variance(arrays[4], arrays[5], measure)
    pc1, vc1 = _variance(arrays[6], arrays[7], measure)
    did = (pt1 - pt0) - (pc1 - pc0)
    se = np.sqrt(vt0 + vt1 + vc0 + vc1)
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = np.where(se > 0, 2 * sps.norm.sf(np.abs(did / se)), np.nan)
    m = float(multiplier)
    return {
        "treated_before": pt0 * m,
        "treated_after": pt1 * m,
        "comparison_before": pc0 * m,
        "comparison_after": pc1 * m,
        "treated_change": (pt1 - pt0) * m,
        "comparison_change": (pc1 - pc0) * m,
        "did": did * m,
        "did_se": se * m,
        "did_lower": (did - z * se) * m,
        "did_upper": (did + z * se) * m,
        "p_value": p_value,
    }


def _wls(design: FloatArray, y: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, float, int]:
    """Weighted least squares: coefficients, their covariance (scaled by max(1, dispersion)), scale, df."""
    sw = np.sqrt(w)
    a = design * sw[:, None]
    b = y * sw
    xtx = a.T @ a
    cov = np.linalg.pinv(xtx)
    beta = cov @ (a.T @ b)
    resid = b - a @ beta
    df = len(y) - design.shape[1]
    dispersion = float(resid @ resid) / df if df > 0 else 1.0
    scale = max(1.0, dispersion)
    return beta, cov * scale, scale, df


def slope_difference(
    t: npt.ArrayLike,
    y_treated: npt.ArrayLike,
    var_treated: npt.ArrayLike,
    y_comparison: npt.ArrayLike,
    var_comparison: npt.ArrayLike,
    *,
    level: float = 0.95,
    minimum: int = 3,
) -> dict[str, float]:
    """Difference between two groups' linear trends (treated minus comparison), for the parallel-trends check.

    Fits the per-period difference d_t = y_T - y_C against time by weighted least squares (weights
    1/(var_T + var_C)); its slope is the difference of the two slopes. The standard error is scaled by the
    residual dispersion when that exceeds 1 (quasi-likelihood, as for overdispersed funnel plots), and the test
    uses Student's t with n - 2 degrees of freedom when it is scaled, the normal otherwise. Fewer than
    ``minimum`` usable periods gives NaN throughout and ``periods`` says how many there were: with two points a
    line always fits, so there is nothing to test. Returns ``slope``, ``se``, ``lower``, ``upper``,
    ``p_value``, ``periods`` and ``dispersion``.
    """
    tt = np.asarray(t, dtype=np.float64)
    d = np.asarray(y_treated, dtype=np.float64) - np.asarray(y_comparison, dtype=np.float64)
    v = np.asarray(var_treated, dtype=np.float64) + np.asarray(var_comparison, dtype=np.float64)
    ok = np.isfinite(tt) & np.isfinite(d) & np.isfinite(v) & (v > 0)
    k = int(ok.sum())
    nan = float("nan")
    if k < max(minimum, 3):
        return {"slope": nan, "se": nan, "lower": nan, "upper": nan, "p_value": nan, "periods": k, "dispersion": nan}
    tt, d, v = tt[ok], d[ok], v[ok]
    design = np.column_stack([np.ones(k), tt - tt.mean()])
    beta, cov, scale, df = _wls(design, d, 1 / v)
    slope, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
    if scale > 1.0:
        q = float(sps.t.ppf(0.5 + level / 2, df))
        p = float(2 * sps.t.sf(abs(slope / se), df))
    else:
        q = z_value(level)
        p = float(2 * sps.norm.sf(abs(slope / se)))
    return {
        "slope": slope,
        "se": se,
        "lower": slope - q * se,
        "upper": slope + q * se,
        "p_value": p,
        "periods": k,
        "dispersion": scale,
    }


def segmented_regression(
    t: npt.ArrayLike,
    y: npt.ArrayLike,
    var: npt.ArrayLike,
    start: float,
    *,
    level: float = 0.95,
    minimum_each_side: int = 3,
) -> dict[str, float]:
    """Interrupted time series by segmented regression: the change in level and in slope at ``start``.

    y_t = b0 + b1·t + b2·D_t + b3·(t - start)·D_t, with D_t = 1 from ``start`` on (Wagner et al. 2002, J Clin
    Pharm Ther 27:299), fitted by weighted least squares with weights 1/var and standard errors scaled by the
    residual dispersion when it exceeds 1. ``level_change`` is b2 (the step at ``start``), ``slope_change`` b3
    (per unit of t). Needs ``minimum_each_side`` periods before and from ``start`` (NaN otherwise; ``before``
    and ``after`` say how many there were). Returns ``pre_slope``, ``level_change``, ``slope_change``, each with
    ``_se``, ``_lower``, ``_upper`` and ``_p``, plus ``before``, ``after`` and ``dispersion``.
    """
    tt = np.asarray(t, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    vv = np.asarray(var, dtype=np.float64)
    ok = np.isfinite(tt) & np.isfinite(yy) & np.isfinite(vv) & (vv > 0)
    tt, yy, vv = tt[ok], yy[ok], vv[ok]
    after = tt >= start
    n_after, n_before = int(after.sum()), int((~after).sum())
    out: dict[str, float] = {"before": n_before, "after": n_after}
    names = ("pre_slope", "level_change", "slope_change")
    if min(n_before, n_after) < max(minimum_each_side, 2):
        for name in names:
            for suffix in ("", "_se", "_lower", "_upper", "_p"):
                out[name + suffix] = float("nan")
        out["dispersion"] = float("nan")
        return out
    step = after.astype(np.float64)
    design = np.column_stack([np.ones(len(tt)), tt - start, step, (tt - start) * step])
    beta, cov, scale, df = _wls(design, yy, 1 / vv)
    use_t = scale > 1.0 and df > 0
    q = float(sps.t.ppf(0.5 + level / 2, df)) if use_t else z_value(level)
    for name, j in zip(names, (1, 2, 3), strict=True):
        est, se = float(beta[j]), float(np.sqrt(cov[j, j]))
        stat = abs(est / se) if se > 0 else float("nan")
        out[name] = est
        out[name + "_se"] = se
        out[name + "_lower"] = est - q * se
        out[name + "_upper"] = est + q * se
        out[name + "_p"] = float(2 * (sps.t.sf(stat, df) if use_t else sps.norm.sf(stat)))
    out["dispersion"] = scale
    return out


def nearest_neighbours(treated: npt.ArrayLike, candidates: npt.ArrayLike, n: int) -> npt.NDArray[np.int64]:
    """Pick ``n`` comparison units nearest to the treated units on standardised covariates, without replacement.

    Covariates (columns) are standardised by their standard deviation over treated and candidates together, so
    a deprivation score and a percentage weigh alike; distance is Euclidean on the standardised values.
    Treated units take turns (round robin) choosing their nearest candidate not yet chosen — greedy
    nearest-neighbour matching without replacement (Rosenbaum 2002; Stuart 2010, Stat Sci 25:1). Rows with a
    missing covariate are never chosen. Returns the chosen candidates' row indices, in the order chosen (fewer
    than ``n`` when there are not enough candidates).
    """
    tr = np.atleast_2d(np.asarray(treated, dtype=np.float64))
    ca = np.atleast_2d(np.asarray(candidates, dtype=np.float64))
    if tr.shape[1] != ca.shape[1]:
        raise ValueError("treated and candidates need the same covariate columns")
    both = np.vstack([tr, ca])
    sd = np.nanstd(both, axis=0, ddof=1) if both.shape[0] > 1 else np.ones(both.shape[1])
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    dist = np.sqrt((((tr[:, None, :] - ca[None, :, :]) / sd) ** 2).sum(axis=2))
    dist[:, ~np.isfinite(ca).all(axis=1)] = np.inf
    dist[~np.isfinite(tr).all(axis=1), :] = np.inf
    order = np.argsort(dist, axis=1, kind="stable")
    chosen: list[int] = []
    taken = np.zeros(ca.shape[0], dtype=bool)
    cursor = np.zeros(tr.shape[0], dtype=np.int64)
    available = int(np.isfinite(dist.min(axis=0)).sum()) if dist.size else 0
    target = min(int(n), available)
    while len(chosen) < target:
        progressed = False
        for i in range(tr.shape[0]):
            if len(chosen) >= target:
                break
            while cursor[i] < ca.shape[0] and taken[order[i, cursor[i]]]:
                cursor[i] += 1
            if cursor[i] < ca.shape[0] and np.isfinite(dist[i, order[i, cursor[i]]]):
                j = int(order[i, cursor[i]])
                taken[j] = True
                chosen.append(j)
                progressed = True
        if not progressed:
            break
    return np.asarray(chosen, dtype=np.int64)


def standardised_mean_difference(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Standardised mean difference of a covariate between two groups: (mean_a - mean_b) / pooled SD.

    The pooled SD is sqrt((var_a + var_b) / 2) (Austin 2009, Stat Med 28:3083); |SMD| below 0.1 is the usual
    mark of good balance, below 0.25 of acceptable balance. NaN when either group is empty or both have no
    spread and the same mean is not given.
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size == 0 or y.size == 0:
        return float("nan")
    va = float(x.var(ddof=1)) if x.size > 1 else 0.0
    vb = float(y.var(ddof=1)) if y.size > 1 else 0.0
    pooled = np.sqrt((va + vb) / 2)
    diff = float(x.mean() - y.mean())
    if pooled == 0:
        return 0.0 if diff == 0 else float("nan")
    return diff / float(pooled)
