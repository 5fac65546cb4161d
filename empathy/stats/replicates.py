"""Replicate-weight variance: the delete-a-group jackknife.

The primary sampling units (PSUs: customers) are dealt into R groups. Replicate r drops group r, multiplies the
design weights of every other unit by R/(R − 1), and re-runs the whole weighting (nonresponse model, raking,
trimming) on what remains, so the variance carries the randomness of the weighting itself, not only of the
answers (Kott 2001, "The delete-a-group jackknife", Journal of Official Statistics 17(4); Wolter, *Introduction to
Variance Estimation*, 2nd ed. 2007, ch. 4; Lohr, *Sampling: Design and Analysis*, 3rd ed. 2022, ch. 9.3). With
θ̂ the full-sample estimate and θ̂_(r) the estimate under replicate r's weights,

    v_JK(θ̂) = (R − 1) / R · Σ_r (θ̂_(r) − θ̂)²,

centred at the full-sample estimate (the "mse" form, as R ``survey`` with ``mse = TRUE``). With one unit per group
(R = n) this is the classic delete-one jackknife (JK1), which for a mean with equal weights equals s²/n exactly.
Intervals use Student's t with R − 1 degrees of freedom.

Groups are assigned by a hash of the PSU identifier, so a customer stays in the same group from build to build
and the result does not depend on row order.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy import stats


def jackknife_groups(psu: pd.Series, n_groups: int) -> pd.Series:
    """Group 0..R−1 of each row: PSUs are ordered by an MD5 hash of their identifier and dealt round-robin, so the
    groups have equal numbers of PSUs (±1) and a PSU's group depends on nothing but its identifier and R."""
    if n_groups < 2:
        raise ValueError(f"jackknife_groups: at least 2 groups are needed, got {n_groups}")
    ids = pd.Series(psu.astype(str).unique())
    digest = ids.map(lambda value: hashlib.md5(value.encode("utf-8")).hexdigest())
    order = np.argsort(digest.to_numpy(), kind="stable")
    group_of = pd.Series(np.empty(len(ids), dtype=np.int64), index=ids.to_numpy())
    group_of.iloc[order] = np.arange(len(ids)) % n_groups
    return psu.astype(str).map(group_of).astype(np.int64).rename("replicate_group")


def jackknife_variance(full: np.ndarray | float, replicates: np.ndarray) -> np.ndarray:
    """v = (R − 1)/R · Σ_r (θ_r − θ̂)² along the last axis of ``replicates`` (R = its length)."""
    replicates = np.asarray(replicates, dtype=float)
    n_replicates = replicates.shape[-1]
    centred = replicates - np.asarray(full, dtype=float)[..., None]
    return (n_replicates - 1) / n_replicates * np.sum(centred**2, axis=-1)


def t_quantile(n_replicates: int, confidence: float = 0.95) -> float:
    """Student-t quantile for replicate intervals: R − 1 degrees of freedom."""
    return float(stats.t.ppf(0.5 + confidence / 2, n_replicates - 1))


def replicate_ratio_estimates(
    values: np.ndarray, weights: np.ndarray, domains: np.ndarray, n_domains: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ratio means Σ w y / Σ w per domain for every column of a weight matrix.

    values: (n,) with the rows out of every domain marked by ``domains == -1``; weights: (n, R); domains: (n,)
    codes 0..D−1 or −1. Returns (estimates (D, R), weight sums (D, R)); a domain whose replicate weights sum to zero
    has estimate NaN in that replicate (the caller says so in a status).
    """
    inside = domains >= 0
    indicator = np.zeros((n_domains, len(values)))
    indicator[domains[inside], np.flatnonzero(inside)] = 1.0
    sums = indicator @ weights
    totals = indicator @ (weights * np.where(inside, values, 0.0)[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        estimates = np.where(sums > 0, totals / np.where(sums > 0, sums, 1.0), np.nan)
    return estimates, sums
