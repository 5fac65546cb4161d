"""Statistics of randomised experiments whose unit of randomisation is a cluster of interactions (a queue, a
schedule block, a team).

- ``cluster_wls``: weighted least squares with cluster-robust covariances. CR1 is the sandwich with the
  small-sample factor G/(G − 1) · (N − 1)/(N − K) (Stata's ``vce(cluster)``; Cameron & Miller 2015, "A
  practitioner's guide to cluster-robust inference", J. Human Resources 50(2), section VI); CR3 is the
  leave-one-cluster-out jackknife (G − 1)/G · Σ_g (β̂_(g) − β̂)(β̂_(g) − β̂)' (MacKinnon, Nielsen & Webb 2023,
  "Cluster-robust inference: A guide to empirical practice", J. Econometrics 232(2): "CV3"), the small-cluster
  correction reported beside CR1. Both are referred to Student's t with G − 1 degrees of freedom.
  Regressors that are constant within a cell (a unit, or a unit × subgroup) let the fit run on cell totals
  (weight W and weighted outcome S) with the same estimates as on the observations.
- ``randomization_p_value``: Fisher's randomisation test of the sharp null of no effect on any unit, permuting
  the assignment of units to arms with the arm sizes of the experiment: by exact enumeration when the assignments
  are few, otherwise by seeded random permutations ((1 + #extreme) / (1 + P), Phipson & Smyth 2010).
- ``srm_test``: Pearson's chi-square of unit counts against the intended allocation (the sample ratio mismatch
  check; Fabijan et al. 2019, "Diagnosing sample ratio mismatch in online controlled experiments", KDD).
- ``clustered_srm_test``: the same question asked of interaction counts when whole units are assigned: units
  assigned to arm k independently with probability p_k make T_k = Σ_g Z_gk n_g, with E T_k = p_k Σ n_g and
  Var = p_k(1 − p_k) Σ n_g², so Σ_k (T_k − p_k T)² / (p_k Σ n_g²) is Pearson's statistic with each unit counted
  by its size (with n_g = 1 it is exactly Pearson's on units), approximately χ²(K − 1).
- ``standardized_difference``: (mean_t − mean_c) / sqrt((s²_t + s²_c) / 2) (Austin 2009, Statistics in Medicine
  28(25)).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class ClusterFit:
    """A cluster-robust WLS fit: coefficients, CR1 and CR3 covariances (CR3 None when a leave-one-out fit is
    singular), G clusters, N observations, K coefficients."""
    coef: np.ndarray
    cov_cr1: np.ndarray
    cov_cr3: np.ndarray | None
    n_clusters: int
    n_obs: int

    @property
    def df(self) -> int:
        return self.n_clusters - 1

    def inference(self, index: int, confidence: float = 0.95, small_cluster: bool = False) -> dict:
        """Estimate, standard error, t-interval and two-sided p-value of one coefficient (CR1, or CR3 when
        small_cluster), on G − 1 degrees of freedom."""
        cov = self.cov_cr3 if small_cluster else self.cov_cr1
        estimate = float(self.coef[index])
        if cov is None or not np.isfinite(cov[index, index]) or cov[index, index] <= 0 or self.df < 1:
            return {"estimate": estimate, "std_error": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                    "p_value": math.nan}
        se = math.sqrt(cov[index, index])
        q = stats.t.ppf(0.5 + confidence / 2, self.df)
        return {"estimate": estimate, "std_error": se, "ci_lower": estimate - q * se, "ci_upper": estimate + q * se,
                "p_value": float(2 * stats.t.sf(abs(estimate / se), self.df))}

    def wald_p_value(self, indices: list[int]) -> float:
        """p-value of the joint null that the listed coefficients are all zero: F = b'V⁻¹b / q on (q, G − 1)
        degrees of freedom, with the CR1 covariance."""
        b = self.coef[indices]
        v = self.cov_cr1[np.ix_(indices, indices)]
        q = len(indices)
        if q == 0 or self.df < 1 or not np.all(np.isfinite(v)):
            return math.nan
        try:
            f = float(b @ np.linalg.solve(v, b)) / q
        except np.linalg.LinAlgError:
            return math.nan
        return float(stats.f.sf(f, q, self.df)) if np.isfinite(f) else math.nan


def _cluster_index(clusters: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(pd.Series(clusters), sort=True)
    return codes, len(uniques)


def cluster_wls(x: np.ndarray, weight_total: np.ndarray, weighted_sum: np.ndarray, clusters: np.ndarray,
                n_obs: int, jackknife: bool = True) -> ClusterFit:
    """Fit y = Xβ by WLS from cells: each row of ``x`` is a cell's regressors (constant within the cell),
    ``weight_total`` its Σw and ``weighted_sum`` its Σw·y; for observation-level data pass w and w·y. ``n_obs``
    is the number of observations (for CR1's (N − 1)/(N − K)). Raises LinAlgError on a singular design."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(weight_total, dtype=float)
    s = np.asarray(weighted_sum, dtype=float)
    codes, g = _cluster_index(np.asarray(clusters))
    k = x.shape[1]
    xtwx = x.T @ (x * w[:, None])
    xts = x.T @ s
    coef = np.linalg.solve(xtwx, xts)
    bread = np.linalg.inv(xtwx)
    scores = x * (s - w * (x @ coef))[:, None]
    cluster_scores = np.zeros((g, k))
    np.add.at(cluster_scores, codes, scores)
    meat = cluster_scores.T @ cluster_scores
    factor = (g / (g - 1)) * ((n_obs - 1) / (n_obs - k)) if g > 1 and n_obs > k else math.nan
    cov_cr1 = factor * bread @ meat @ bread
    cov_cr3 = _jackknife_cov(x, w, s, codes, g, xtwx, xts, coef) if jackknife and g > 1 else None
    return ClusterFit(coef=coef, cov_cr1=cov_cr1, cov_cr3=cov_cr3, n_clusters=g, n_obs=int(n_obs))


def _jackknife_cov(x, w, s, codes, g, xtwx, xts, coef) -> np.ndarray | None:
    k = x.shape[1]
    a_g = np.zeros((g, k, k))
    np.add.at(a_g, codes, x[:, :, None] * x[:, None, :] * w[:, None, None])
    b_g = np.zeros((g, k))
    np.add.at(b_g, codes, x * s[:, None])
    try:
        leave_out = np.linalg.solve(xtwx[None] - a_g, (xts[None] - b_g)[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return None
    dev = leave_out - coef[None]
    return (g - 1) / g * dev.T @ dev


def treatment_cells(frame: pd.DataFrame, unit: str, treated: str, value: str, weight: str | None,
                    by: list[str] | None = None) -> pd.DataFrame:
    """Cell totals of an observation frame: per unit (and ``by`` columns) its treatment indicator, number of
    observations n, Σw (W) and Σw·y (S). Without a weight column every observation weighs 1."""
    w = frame[weight].astype(float) if weight else pd.Series(1.0, index=frame.index)
    work = pd.DataFrame({"unit": frame[unit].to_numpy(), "treated": frame[treated].astype(float).to_numpy(),
                         "w": w.to_numpy(), "s": (w * frame[value].astype(float)).to_numpy()})
    keys = ["unit", "treated"]
    for column in by or []:
        work[column] = frame[column].to_numpy()
        keys.append(column)
    cells = work.groupby(keys, sort=True, dropna=False).agg(n=("w", "size"), W=("w", "sum"), S=("s", "sum"))
    return cells.reset_index()


def _assignments(n_units: int, n_treated: int, max_permutations: int, seed: int) -> tuple[np.ndarray, bool]:
    """Treatment indicators (P × G) of the complete randomisations of n_treated among n_units: all of them when
    there are at most max_permutations, otherwise max_permutations random ones."""
    total = math.comb(n_units, n_treated)
    if total <= max_permutations:
        out = np.zeros((total, n_units))
        for row, chosen in enumerate(itertools.combinations(range(n_units), n_treated)):
            out[row, list(chosen)] = 1.0
        return out, True
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((max_permutations, n_units)), axis=1)
    out = (order < n_treated).astype(float)
    return out, False


def randomization_p_value(units: pd.DataFrame, covariate: str | None = None, max_permutations: int = 10000,
                          seed: int = 0) -> tuple[float, int, bool]:
    """Two-sided randomisation p-value of the treatment coefficient of a unit-level WLS (cells = units, columns
    treated, W, S and optionally a unit-level covariate), permuting which units are treated with the observed
    number treated. Returns (p-value, number of assignments used, whether the enumeration was exact)."""
    d_obs = units["treated"].to_numpy(dtype=float)
    w = units["W"].to_numpy(dtype=float)
    s = units["S"].to_numpy(dtype=float)
    g, n_treated = len(units), int(d_obs.sum())
    draws, exact = _assignments(g, n_treated, max_permutations, seed)
    columns = [np.ones_like(draws), draws]
    if covariate is not None:
        columns.append(np.broadcast_to(units[covariate].to_numpy(dtype=float), draws.shape))
    x = np.stack(columns, axis=2)  # P × G × K
    xtwx = np.einsum("pgk,g,pgl->pkl", x, w, x)
    xts = np.einsum("pgk,g->pk", x, s)
    ok = np.abs(np.linalg.det(xtwx)) > 1e-12
    coef = np.full(len(draws), np.nan)
    coef[ok] = np.linalg.solve(xtwx[ok], xts[ok][..., None])[:, 1, 0]
    x_obs = np.column_stack([np.ones(g), d_obs] + ([units[covariate].to_numpy(dtype=float)] if covariate else []))
    observed = np.linalg.solve(x_obs.T @ (x_obs * w[:, None]), x_obs.T @ s)[1]
    tolerance = 1e-9 * max(1.0, abs(observed))
    extreme = np.sum(np.abs(coef[ok]) >= abs(observed) - tolerance)
    used = int(ok.sum())
    if exact:
        return float(extreme / used), used, True
    return float((1 + extreme) / (1 + used)), used, False


def srm_test(observed: np.ndarray, allocation: np.ndarray) -> tuple[float, float]:
    """Pearson's chi-square of observed counts per arm against the intended allocation (shares summing to 1):
    (statistic, p-value on K − 1 degrees of freedom)."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(allocation, dtype=float) * observed.sum()
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    return statistic, float(stats.chi2.sf(statistic, len(observed) - 1))


def clustered_srm_test(unit_sizes: np.ndarray, unit_arm: np.ndarray, allocation: np.ndarray) -> tuple[float, float]:
    """The sample-ratio check on interaction counts when whole units are assigned (module docstring):
    (statistic, p-value on K − 1 degrees of freedom). ``unit_arm`` holds each unit's arm index into
    ``allocation``."""
    sizes = np.asarray(unit_sizes, dtype=float)
    arm = np.asarray(unit_arm)
    p = np.asarray(allocation, dtype=float)
    totals = np.array([sizes[arm == k].sum() for k in range(len(p))])
    sum_sq = float(np.sum(sizes ** 2))
    if sum_sq == 0:
        return math.nan, math.nan
    statistic = float(np.sum((totals - p * sizes.sum()) ** 2 / (p * sum_sq)))
    return statistic, float(stats.chi2.sf(statistic, len(p) - 1))


def standardized_difference(treated: np.ndarray, control: np.ndarray) -> float:
    """(mean_t − mean_c) / sqrt((s²_t + s²_c) / 2), nulls left out; NaN when undefined (an arm without values,
    or no spread in either)."""
    t = pd.Series(treated, dtype=float).dropna()
    c = pd.Series(control, dtype=float).dropna()
    if len(t) == 0 or len(c) == 0:
        return math.nan
    pooled = math.sqrt((t.var(ddof=1 if len(t) > 1 else 0) + c.var(ddof=1 if len(c) > 1 else 0)) / 2)
    if pooled == 0 or not np.isfinite(pooled):
        return math.nan
    return float((t.mean() - c.mean()) / pooled)
