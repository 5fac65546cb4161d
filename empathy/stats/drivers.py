"""Key-driver analysis: how much of the variation in an outcome each driver accounts for ("relative importance").

Two decompositions of the R² of a (weighted) least-squares regression of the outcome on all drivers, with an
intercept:

* **LMG** (Lindeman, Merenda & Gold 1980, *Introduction to Bivariate and Multivariate Analysis*; Grömping 2006,
  "Relative importance for linear regression in R: the package relaimpo", Journal of Statistical Software 17(1)):
  the Shapley value of the R² game. A driver's share is the increase in R² when it joins the model, averaged over
  all orderings of the drivers, i.e. over subsets S of the other drivers with weight |S|! (p − |S| − 1)! / p!. The
  shares sum to the full R². The same as relaimpo's ``calc.relimp(type="lmg")``, whose weighted version uses the
  weighted covariance matrix (``cov.wt``), as here. R² of every subset comes from one covariance matrix: the 2^p
  subsets are enumerated once by bitmask, each from its parent (the subset without its highest driver) by one
  Schur-complement (sweep) step on the correlation matrix. A driver that adds nothing (constant, or an exact
  linear combination of the drivers already in) is skipped, which is what a pseudo-inverse does, so a constant
  driver gets exactly 0 and perfectly collinear drivers share their credit.
* **Relative weights** (Johnson 2000, "A heuristic method for estimating the relative weight of predictor
  variables in multiple regression", Multivariate Behavioral Research 35(1)): with the drivers' correlation matrix
  R_xx = V Λ V', Λ½ = V Λ^{1/2} V' (the correlations of the drivers with their closest orthonormal
  counterparts), β = (Λ½)⁻¹ r_xy and ε_j = Σ_k (Λ½_jk)² β_k². The ε_j sum to the R² (pseudo-inverses under
  collinearity). They equal LMG and the squared standardized slopes when the drivers are uncorrelated, and
  usually differ slightly otherwise.

Uncertainty (:func:`bootstrap_importance`): percentile bootstrap intervals (Efron & Tibshirani 1993, *An
Introduction to the Bootstrap*, ch. 13) and the bootstrap standard deviation, resampling rows or, with clusters,
whole clusters (Davison & Hinkley 1997, *Bootstrap Methods and their Application*, sec. 3.8). A resample is a
vector of multiplicities, so each replicate costs one weighted covariance matrix and one pass over the subsets.
In :func:`bootstrap_importance` the R² itself is the row with ``driver_index`` = -1 (``R_SQUARED_INDEX``).

Mart rows (:func:`driver_table`): one row per (method, driver). ``performance`` is the weighted mean of the driver
over the rows used; for a 0/1 driver it is the (weighted) share of rows where the driver happened, a fraction 0-1.
``share_of_r_squared`` is the estimate over the R², a fraction 0-1; ``rank`` 1 is the most important driver of
the method. Status values (``STATUSES``); when the status is not ``ok`` the statistics are null but the row exists:

* ``ok``: estimated.
* ``too_few_rows``: fewer usable rows (after dropping missing values) than ``min_rows``, or than drivers + 2.
* ``too_few_clusters``: a cluster column is given and the usable rows hold fewer than two clusters.
* ``constant_outcome``: the outcome does not vary over the usable rows; there is no variance to decompose.
* ``constant_driver``: (that driver's rows only) the driver does not vary over the usable rows; it gets estimate
  0, share 0, and null standard error, interval and rank; the other drivers are estimated.
* ``invalid_weights``: a weight of a usable row is negative, or the weights of the usable rows sum to 0.
* ``too_many_drivers``: more than ``MAX_DRIVERS`` drivers (the 2^p subsets of LMG would not fit).

Rows with a null or non-finite outcome, driver, weight or cluster are dropped and counted in
``n_rows_dropped_missing``; ``n_respondents`` is the number of rows used. ``performance`` is given whenever there are
usable rows with positive total weight, whatever the status.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

#: driver_index of the R² row in :func:`bootstrap_importance`
R_SQUARED_INDEX = -1
METHODS = ("lmg", "relative_weights")
#: LMG enumerates 2^p subsets
MAX_DRIVERS = 16
#: a variable whose (weighted) standard deviation is below this times its largest deviation from the mean counts
#: as constant; a driver whose residual variance (correlation scale) given others is below PIVOT_TOL adds nothing
CONSTANT_TOL = 1e-6
PIVOT_TOL = 1e-10
#: memory budget (floats) of one chunk of replicates in the subset enumeration
_CHUNK_FLOATS = 8_000_000
BOOTSTRAP_COLUMNS = ["method", "driver_index", "estimate", "std_error", "ci_lower", "ci_upper",
                     "share_of_r_squared", "rank"]
COLUMNS = ["driver", "method", "estimate", "std_error", "ci_lower", "ci_upper", "share_of_r_squared", "rank",
           "r_squared", "n_respondents", "n_rows_dropped_missing", "performance", "status"]
#: status -> meaning (see the module docstring)
STATUSES = {
    "ok": "estimated",
    "too_few_rows": "fewer usable rows than min_rows (or than drivers + 2)",
    "too_few_clusters": "a cluster column is given and the usable rows hold fewer than two clusters",
    "constant_outcome": "the outcome does not vary over the usable rows",
    "constant_driver": "this driver does not vary over the usable rows: estimate 0, no interval, no rank",
    "invalid_weights": "a negative weight, or usable weights summing to 0",
    "too_many_drivers": f"more than {MAX_DRIVERS} drivers",
}


# --- covariance ---------------------------------------------------------------------------------------------------

def _check_inputs(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(data [X, y] as an n x (p+1) float array, weights as floats); raises ValueError on bad shapes or weights."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != y.shape[0] or X.shape[1] < 1:
        raise ValueError(f"X must be n x p (p >= 1) with n = len(y); got X {X.shape}, y {y.shape}")
    if X.shape[1] > MAX_DRIVERS:
        raise ValueError(f"at most {MAX_DRIVERS} drivers, got {X.shape[1]}")
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != y.shape or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative, one per row and not all zero")
    data = np.column_stack([X, y])
    if not np.all(np.isfinite(data)):
        raise ValueError("X and y must be finite (drop missing rows first)")
    return data, w


def _centered(data: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns centred at their weighted means (a column constant over the positively weighted rows becomes exactly
    0) and each column's largest absolute deviation, the scale for deciding constancy."""
    z = data - (w @ data) / w.sum()
    present = w > 0
    constant = np.ptp(data[present], axis=0) == 0
    z[:, constant] = 0.0
    return z, np.abs(z[present]).max(axis=0)


def _weighted_covariance(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted covariance matrix (normalised by the weight total, as R's ``cov.wt(method="ML")``; R² does not
    depend on the normalisation), in two passes: centred at the weighted mean, then the weighted cross-products."""
    d = z - (w @ z) / w.sum()
    return d.T @ (d * w[:, None]) / w.sum()


def _weighted_covariances(z: np.ndarray, w_rows: np.ndarray) -> np.ndarray:
    """Weighted covariance matrices, one per row of ``w_rows`` (b x n), from the weighted first and second moments
    of ``z`` (already centred at the full-sample mean, which keeps the subtraction accurate): one matrix product
    for all rows, over chunks of rows to bound memory."""
    n, q = z.shape
    total = w_rows.sum(axis=1)
    first = w_rows @ z / total[:, None]
    second = np.zeros((len(w_rows), q * q))
    step = max(1, _CHUNK_FLOATS // (q * q))
    for start in range(0, n, step):
        block = z[start:start + step]
        second += w_rows[:, start:start + step] @ (block[:, :, None] * block[:, None, :]).reshape(len(block), -1)
    second = second.reshape(-1, q, q) / total[:, None, None]
    return second - first[:, :, None] * first[:, None, :]


def _correlations(covs: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Correlation matrices (b x q x q) with the rows and columns of constant variables set to 0, and the b x q
    mask of constant variables (standard deviation below CONSTANT_TOL x the variable's scale)."""
    sd = np.sqrt(np.clip(np.diagonal(covs, axis1=1, axis2=2), 0, None))
    constant = sd <= CONSTANT_TOL * scale
    inv = np.where(constant, 0.0, 1.0 / np.where(constant, 1.0, sd))
    corr = covs * inv[:, :, None] * inv[:, None, :]
    return corr, constant


# --- LMG ----------------------------------------------------------------------------------------------------------

def _subset_r_squared(corr: np.ndarray) -> np.ndarray:
    """R² of the regression of the last variable on every subset of the others (b x 2^p, subset by bitmask: bit j =
    variable j), from b correlation matrices of p + 1 variables. Subsets with highest bit h are built from their
    parent (the same subset without h, at index mask - 2^h) by one Schur-complement step; only the variables after
    h (and the outcome) are kept, the only ones later children read. A driver whose residual variance given the
    subset is below PIVOT_TOL is skipped (it adds nothing), as a pseudo-inverse would."""
    b, q, _ = corr.shape
    p = q - 1
    resid = np.zeros((b, 2 ** p, q, q))
    resid[:, 0] = corr
    for h in range(p):
        parent = resid[:, : 2 ** h]
        pivot = parent[:, :, h, h]
        column = parent[:, :, h + 1:, h]
        useful = pivot > PIVOT_TOL
        factor = np.where(useful, 1.0 / np.where(useful, pivot, 1.0), 0.0)
        resid[:, 2 ** h: 2 ** (h + 1), h + 1:, h + 1:] = (
            parent[:, :, h + 1:, h + 1:] - column[..., :, None] * column[..., None, :] * factor[..., None, None])
    return np.clip(1.0 - resid[:, :, p, p], 0.0, 1.0)


@lru_cache(maxsize=None)
def _shapley_plan(p: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """For each driver j: the subsets S without j (bitmasks) and their Shapley weights |S|! (p − |S| − 1)! / p!."""
    masks = np.arange(2 ** p)
    size = np.array([bin(m).count("1") for m in masks])
    weight = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)])
    plan = []
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        plan.append((without, weight[size[without]]))
    return tuple(plan)


def _shapley(r2: np.ndarray, p: int) -> np.ndarray:
    """Shapley values (b x p) of the game whose value of subset S (bitmask) is r2[:, S]: for each driver j, the
    average over orderings of its increase, Σ_{S ∌ j} |S|! (p − |S| − 1)! / p! · (v(S ∪ j) − v(S))."""
    out = np.empty((r2.shape[0], p))
    for j, (without, weight) in enumerate(_shapley_plan(p)):
        out[:, j] = (r2[:, without | (1 << j)] - r2[:, without]) @ weight
    return out


def _lmg_batch(corr: np.ndarray, outcome_constant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R², LMG shares) for each correlation matrix; NaN where the outcome is constant. Chunked over matrices to
    bound memory."""
    b, q, _ = corr.shape
    p = q - 1
    chunk = max(1, _CHUNK_FLOATS // (2 ** p * q * q))
    r2 = np.empty(b)
    shares = np.empty((b, p))
    for start in range(0, b, chunk):
        sub = _subset_r_squared(corr[start:start + chunk])
        r2[start:start + chunk] = sub[:, -1]
        shares[start:start + chunk] = _shapley(sub, p)
    r2[outcome_constant] = np.nan
    shares[outcome_constant] = np.nan
    return r2, shares


def lmg_importance(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """LMG decomposition (Lindeman, Merenda & Gold 1980; Grömping 2006, relaimpo ``type="lmg"``) of the R² of the
    (weighted) least-squares regression of y on the columns of X with an intercept. Returns (R², per-column shares
    summing to R²). A constant column gets 0; collinear columns share credit. NaN when y is constant."""
    data, w = _check_inputs(X, y, weights)
    z, scale = _centered(data, w)
    corr, constant = _correlations(_weighted_covariance(z, w)[None], scale)
    r2, shares = _lmg_batch(corr, constant[:, -1])
    return float(r2[0]), shares[0]


# --- relative weights ---------------------------------------------------------------------------------------------

def _relative_weights_batch(corr: np.ndarray, outcome_constant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R² = r' R_xx⁺ r, Johnson's raw relative weights) for each correlation matrix of [X, y]."""
    rxx, rxy = corr[:, :-1, :-1], corr[:, :-1, -1]
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 0.0, None)
    kept = values > PIVOT_TOL * np.maximum(values.max(axis=1, keepdims=True), 1.0)
    root = np.sqrt(values)
    inv_root = np.where(kept, 1.0 / np.where(kept, root, 1.0), 0.0)
    half = np.einsum("bik,bk,bjk->bij", vectors, root, vectors)
    half_inv = np.einsum("bik,bk,bjk->bij", vectors, inv_root, vectors)
    beta = np.einsum("bij,bj->bi", half_inv, rxy)
    eps = np.einsum("bjk,bk->bj", half ** 2, beta ** 2)
    r2 = np.clip((beta ** 2).sum(axis=1), 0.0, 1.0)
    r2[outcome_constant] = np.nan
    eps[outcome_constant] = np.nan
    return r2, eps


def relative_weights(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Johnson's (2000) relative weights of the columns of X for y, from (weighted) correlations: R_xx = V Λ V',
    Λ½ = V Λ^{1/2} V', β = (Λ½)⁻¹ r_xy, ε_j = Σ_k (Λ½_jk)² β_k². Returns (R², ε) with Σ ε = R² (pseudo-inverse
    when R_xx is singular; a constant column gets 0). NaN when y is constant."""
    data, w = _check_inputs(X, y, weights)
    z, scale = _centered(data, w)
    corr, constant = _correlations(_weighted_covariance(z, w)[None], scale)
    r2, eps = _relative_weights_batch(corr, constant[:, -1])
    return float(r2[0]), eps[0]


# --- bootstrap ----------------------------------------------------------------------------------------------------

def _resample_multiplicities(n: int, n_boot: int, rng: np.random.Generator,
                             clusters: np.ndarray | None) -> np.ndarray:
    """n_boot x n multiplicities of the rows: rows drawn with replacement, or whole clusters drawn with replacement
    (each row counted as often as its cluster is drawn)."""
    if clusters is None:
        return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot)]).astype(float) \
            if n_boot else np.empty((0, n))
    codes, uniques = pd.factorize(pd.Series(np.asarray(clusters)), use_na_sentinel=False)
    g = len(uniques)
    out = np.empty((n_boot, n))
    for b in range(n_boot):
        out[b] = np.bincount(rng.integers(0, g, g), minlength=g)[codes]
    return out


def _ranks(estimates: np.ndarray) -> np.ndarray:
    """1 = largest; ties share the smallest rank; NaN stays NaN."""
    return pd.Series(estimates).rank(ascending=False, method="min").to_numpy()


def bootstrap_importance(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None, *, n_boot: int, seed: int,
                         clusters: np.ndarray | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Point estimates of both methods with bootstrap standard errors (SD of the replicates) and percentile
    (1 − alpha) intervals, resampling rows or whole clusters with ``np.random.default_rng(seed)``.

    One row per method and driver (``driver_index`` 0..p-1, the column of X) plus one per method for the R²
    (``driver_index`` = -1, share 1, rank null); columns ``BOOTSTRAP_COLUMNS``. ``share_of_r_squared`` = estimate /
    R²; ``rank`` 1 = largest estimate within the method. Replicates where the outcome happens to be constant are
    left out of the standard error and interval; with ``n_boot`` = 0 those are NaN."""
    data, w = _check_inputs(X, y, weights)
    n, p = data.shape[0], data.shape[1] - 1
    if clusters is not None and len(np.asarray(clusters)) != n:
        raise ValueError("clusters must have one value per row")
    z, scale = _centered(data, w)
    rng = np.random.default_rng(seed)
    w_rows = np.vstack([w[None, :], _resample_multiplicities(n, n_boot, rng, clusters) * w[None, :]])
    # a replicate whose weights are all zero (only zero-weight rows drawn) would divide by zero: give it NaN
    usable = w_rows.sum(axis=1) > 0
    covs = np.full((len(w_rows), p + 1, p + 1), np.nan)
    covs[usable] = _weighted_covariances(z, w_rows[usable])
    covs[0] = _weighted_covariance(z, w)  # the point estimate exactly as lmg_importance and relative_weights
    corr, constant = _correlations(np.nan_to_num(covs), scale)
    outcome_constant = constant[:, -1] | ~usable
    results = {"lmg": _lmg_batch(corr, outcome_constant), "relative_weights": _relative_weights_batch(corr,
                                                                                                    outcome_constant)}
    rows = []
    for method, (r2, shares) in results.items():
        values = np.column_stack([shares, r2])  # (1 + n_boot) x (p + 1), the R² last
        point, reps = values[0], values[1:]
        reps = reps[~np.isnan(reps).any(axis=1)]
        if len(reps) >= 2:
            se = reps.std(axis=0, ddof=1)
            lower, upper = np.quantile(reps, [alpha / 2, 1 - alpha / 2], axis=0)
        else:
            se = lower = upper = np.full(p + 1, np.nan)
        total = point[-1]
        share = point / total if total > 0 else np.full(p + 1, np.nan)
        rank = np.append(_ranks(point[:-1]), np.nan)
        for j in range(p + 1):
            rows.append({"method": method, "driver_index": j if j < p else R_SQUARED_INDEX, "estimate": point[j],
                         "std_error": se[j], "ci_lower": lower[j], "ci_upper": upper[j],
                         "share_of_r_squared": share[j], "rank": rank[j]})
    out = pd.DataFrame(rows, columns=BOOTSTRAP_COLUMNS)
    out["rank"] = out["rank"].astype("Int64")
    return out


# --- mart rows ----------------------------------------------------------------------------------------------------

def _as_float(series: pd.Series) -> pd.Series:
    """Booleans (numpy, nullable or object True/False) to 1.0/0.0, numbers to float, nulls and non-finite to NaN."""
    if pd.api.types.is_bool_dtype(series) or series.dtype == object:
        values = series.astype(object).map(lambda v: float(v) if isinstance(v, (bool, np.bool_)) else v)
        values = pd.to_numeric(values)
    else:
        values = pd.to_numeric(series)
    values = values.astype("Float64").astype(float)
    return values.where(np.isfinite(values))


def _empty_rows(drivers: list[str], status: str, n: int, dropped: int, performance: dict[str, float]) -> list[dict]:
    return [{"driver": d, "method": m, "n_respondents": n, "n_rows_dropped_missing": dropped,
             "performance": performance[d], "status": status} for m in METHODS for d in drivers]


def _typed(rows: list[dict]) -> pd.DataFrame:
    """The rows as a frame with the columns COLUMNS: statistics float, rank and counts nullable integers."""
    out = pd.DataFrame(rows).reindex(columns=COLUMNS)
    for column in ["estimate", "std_error", "ci_lower", "ci_upper", "share_of_r_squared", "r_squared", "performance"]:
        out[column] = out[column].astype(float)
    for column in ["rank", "n_respondents", "n_rows_dropped_missing"]:
        out[column] = out[column].astype("Int64")
    return out


def driver_table(frame: pd.DataFrame, outcome: str, drivers: list[str], weight: str | None, *, n_boot: int,
                 seed: int, min_rows: int, cluster: str | None = None) -> pd.DataFrame:
    """Mart rows of a key-driver analysis of ``outcome`` on ``drivers`` (columns ``COLUMNS``, one row per method and
    driver, methods in ``METHODS`` order, drivers in the given order). Rows with a missing value are dropped and
    counted; booleans become 0/1. Degenerate data gives rows with a status (module docstring), never an error or an
    empty frame; a driver list that is empty or repeats a name, or a column not in ``frame``, raises ValueError."""
    drivers = list(drivers)
    if not drivers or len(set(drivers)) != len(drivers):
        raise ValueError(f"drivers must be a non-empty list of distinct columns, got {drivers}")
    needed = [outcome, *drivers] + [c for c in (weight, cluster) if c is not None]
    missing_columns = [c for c in needed if c not in frame.columns]
    if missing_columns:
        raise ValueError(f"columns not in frame: {missing_columns}")
    numeric = pd.DataFrame({c: _as_float(frame[c]) for c in dict.fromkeys([outcome, *drivers, *(
        [weight] if weight is not None else [])])}, index=frame.index)
    complete = numeric.notna().all(axis=1)
    if cluster is not None:
        complete &= frame[cluster].notna()
    used = numeric.loc[complete]
    n, dropped = int(complete.sum()), int((~complete).sum())
    w = used[weight].to_numpy() if weight is not None else np.ones(n)
    valid_weights = bool(np.all(w >= 0) and w.sum() > 0)
    performance = {d: float(np.average(used[d].to_numpy(), weights=w)) if n and valid_weights else np.nan
                   for d in drivers}
    positive = w > 0 if valid_weights else np.ones(n, dtype=bool)
    status = "ok"
    if not valid_weights and n:
        status = "invalid_weights"
    elif len(drivers) > MAX_DRIVERS:
        status = "too_many_drivers"
    elif n < max(min_rows, len(drivers) + 2):
        status = "too_few_rows"
    elif cluster is not None and frame.loc[complete, cluster].nunique() < 2:
        status = "too_few_clusters"
    elif np.ptp(used[outcome].to_numpy()[positive]) == 0:
        status = "constant_outcome"
    if status != "ok":
        return _typed(_empty_rows(drivers, status, n, dropped, performance))
    X = used[drivers].to_numpy()
    y = used[outcome].to_numpy()
    clusters = frame.loc[complete, cluster].to_numpy() if cluster is not None else None
    boot = bootstrap_importance(X, y, w, n_boot=n_boot, seed=seed, clusters=clusters)
    constant = {d: bool(np.ptp(used[d].to_numpy()[positive]) == 0) for d in drivers}
    rows = []
    for method in METHODS:
        part = boot.loc[boot["method"] == method].set_index("driver_index")
        r2 = float(part.loc[R_SQUARED_INDEX, "estimate"])
        estimates = pd.Series({d: part.loc[j, "estimate"] for j, d in enumerate(drivers) if not constant[d]})
        ranks = estimates.rank(ascending=False, method="min")
        for j, d in enumerate(drivers):
            row = {"driver": d, "method": method, "r_squared": r2, "n_respondents": n,
                   "n_rows_dropped_missing": dropped, "performance": performance[d]}
            if constant[d]:
                row.update(estimate=0.0, share_of_r_squared=0.0, status="constant_driver")
            else:
                row.update({c: part.loc[j, c] for c in ["estimate", "std_error", "ci_lower", "ci_upper",
                                                        "share_of_r_squared"]}, rank=ranks[d], status="ok")
            rows.append(row)
    return _typed(rows)
