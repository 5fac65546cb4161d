"""Response propensity: the probability that an invited unit answers, estimated from what the sampling frame knows
about respondents and nonrespondents alike, and the nonresponse adjustments built on it.

- :func:`fit_response_propensity`: a design-weighted logistic regression of "responded" on frame covariates
  (categorical columns one-hot coded against their most frequent level, numeric columns as they are), fitted by
  iteratively reweighted least squares (Newton-Raphson on the weighted binomial log-likelihood; McCullagh & Nelder,
  *Generalized Linear Models*, 2nd ed. 1989, ch. 4). Weighting the likelihood by the design weights estimates the
  propensity of the population rather than of the sample (Valliant, Dever & Kreuter, *Practical Tools for Designing
  and Weighting Survey Samples*, 2nd ed. 2018, ch. 13). The tests check it against statsmodels' GLM.
- :func:`propensity_adjust`: the respondents' nonresponse weights, either inverse-propensity (design weight / p,
  with p floored so a few tiny propensities cannot explode the weights) or propensity classes (cells of similar
  propensity, weighting-class adjustment inside each; Little 1986, "Survey nonresponse adjustments for estimates of
  means", Int. Stat. Review 54; five classes remove most of the bias a covariate carries, Cochran 1968).

Pure functions, no I/O; failures raise :class:`empathy.stats.weights.WeightingError` naming what is wrong.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from empathy.stats.weights import WeightingError, nonresponse_adjust

NONRESPONSE_METHODS = ("inverse_propensity", "propensity_classes", "cells")


@dataclass
class PropensityFit:
    """A fitted response-propensity model.

    propensity: estimated response probability of every row of the fitted frame (same index).
    coefficients: one per design-matrix column (``intercept``, ``<covariate>=<level>``, numeric covariates).
    converged / iterations: whether IRLS met the tolerance, and after how many steps.
    """

    propensity: pd.Series
    coefficients: pd.Series
    converged: bool
    iterations: int


def design_matrix(frame: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Intercept, then one 0/1 column per non-reference level of every categorical covariate (reference = its most
    frequent level, ties broken by sort order) and numeric covariates as they are. Missing categories are a level of
    their own (``(missing)``); a missing numeric value raises."""
    columns: dict[str, np.ndarray] = {"intercept": np.ones(len(frame))}
    for covariate in covariates:
        if covariate not in frame.columns:
            raise WeightingError(f"response propensity: covariate {covariate!r} not in the frame")
        values = frame[covariate]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            text = values.astype(object).where(values.notna(), "(missing)").astype(str).to_numpy()
            codes, levels = pd.factorize(text)
            counts = np.bincount(codes, minlength=len(levels))
            order = sorted(range(len(levels)), key=lambda i: (-counts[i], levels[i]))
            for i in order[1:]:
                columns[f"{covariate}={levels[i]}"] = (codes == i).astype(float)
        else:
            numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(numeric)):
                raise WeightingError(f"response propensity: numeric covariate {covariate!r} has missing values")
            columns[covariate] = numeric
    return pd.DataFrame(columns, index=frame.index)


def fit_response_propensity(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    responded_column: str,
    weight_column: str | None = None,
    ridge: float = 1e-8,
    max_iter: int = 100,
    tol: float = 1e-10,
    design: pd.DataFrame | None = None,
    start: pd.Series | None = None,
) -> PropensityFit:
    """Design-weighted logistic regression P(respond | covariates) by IRLS.

    Maximises Σ_k d_k [r_k log p_k + (1 − r_k) log(1 − p_k)] − ridge/2 · ||β_{−0}||², p_k = 1/(1 + exp(−x_k β)),
    with d_k the design weights (``weight_column``; 1 when None). The tiny ridge keeps the Newton step defined
    when a level has only respondents or only nonrespondents (complete separation); with ridge → 0 the estimate is
    the maximum-likelihood one (statsmodels ``GLM(family=Binomial(), var_weights=d)``). Columns that never vary
    are dropped. ``design``: a precomputed :func:`design_matrix` of these rows (the replicates of a jackknife reuse
    the full sample's); ``start``: coefficients to start from (the full sample's fit, so a replicate converges in a
    step or two; the optimum does not depend on it). Raises :class:`WeightingError` when nobody or everybody
    responded.
    """
    responded = frame[responded_column].astype(bool).to_numpy()
    if responded.all() or not responded.any():
        state = "every" if responded.all() else "no"
        raise WeightingError(f"response propensity: {state} invited unit responded; there is nothing to model")
    x = design_matrix(frame, covariates) if design is None else design
    spread = x.max() - x.min()
    x = x[[c for c in x.columns if c == "intercept" or spread[c] > 0]]
    d = np.ones(len(frame)) if weight_column is None else frame[weight_column].to_numpy(dtype=float)
    d = d / d.mean()  # scale-free: the same fit for any multiple of the weights
    xm = x.to_numpy(dtype=float)
    y = responded.astype(float)
    penalty = np.full(xm.shape[1], ridge)
    penalty[0] = 0.0
    beta = np.zeros(xm.shape[1])
    beta[0] = np.log(np.average(y, weights=d) / (1 - np.average(y, weights=d)))
    if start is not None:
        beta = start.reindex(x.columns).fillna(0.0).to_numpy(dtype=float)
    converged, iterations = False, 0
    for iterations in range(1, max_iter + 1):
        eta = np.clip(xm @ beta, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        gradient = xm.T @ (d * (y - p)) - penalty * beta
        hessian = (xm * (d * p * (1 - p))[:, None]).T @ xm + np.diag(penalty)
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            converged = True
            break
    p = 1 / (1 + np.exp(-np.clip(xm @ beta, -30, 30)))
    return PropensityFit(propensity=pd.Series(p, index=frame.index, name="response_propensity"),
                         coefficients=pd.Series(beta, index=x.columns), converged=converged, iterations=iterations)


def propensity_classes(propensity: pd.Series, n_classes: int) -> pd.Series:
    """Class 1..n of each row by quantiles of its propensity (equal-count classes; fewer when values tie)."""
    if n_classes < 1:
        raise WeightingError(f"propensity classes: n_classes must be at least 1, got {n_classes}")
    ranks = propensity.rank(method="first")
    classes = np.ceil(ranks / len(propensity) * n_classes).clip(1, n_classes).astype(int)
    return pd.Series(classes, index=propensity.index, name="propensity_class")


def propensity_adjust(
    invited: pd.DataFrame,
    propensity: pd.Series,
    responded_column: str,
    weight_column: str,
    method: Literal["inverse_propensity", "propensity_classes"] = "inverse_propensity",
    min_propensity: float = 0.02,
    n_classes: int = 5,
) -> tuple[pd.Series, pd.Series]:
    """Nonresponse-adjusted weights of the respondents of ``invited``, and the adjustment cell of each respondent.

    ``inverse_propensity``: w_k = d_k / max(p_k, min_propensity); the cell is ``ipw``. ``propensity_classes``:
    classes of equal size by propensity; inside each, the weighting-class factor Σ_invited d / Σ_respondents d
    (:func:`empathy.stats.weights.nonresponse_adjust`; a class without respondents is pooled with its neighbour).
    """
    responded = invited[responded_column].astype(bool)
    if method == "inverse_propensity":
        if not 0 < min_propensity <= 1:
            raise WeightingError(f"propensity_adjust: min_propensity must be in (0, 1], got {min_propensity}")
        floored = propensity.clip(lower=min_propensity)
        weights = (invited[weight_column] / floored)[responded]
        return weights.rename("nonresponse_weight"), pd.Series("ipw", index=weights.index)
    if method == "propensity_classes":
        frame = invited[[responded_column, weight_column]].copy()
        frame["propensity_class"] = propensity_classes(propensity, n_classes).astype(str)
        result = nonresponse_adjust(frame, ["propensity_class"], responded_column, weight_column,
                                    collapse=sorted(frame["propensity_class"].unique(), key=int))
        cells = result.cells.set_index("propensity_class")["adjustment_cell"].astype(str)
        cell = ("propensity_class=" + frame.loc[result.weights.index, "propensity_class"].map(cells))
        return result.weights.rename("nonresponse_weight"), cell
    raise WeightingError(f"propensity_adjust: unknown method {method!r} (inverse_propensity, propensity_classes)")
