"""Instrumental variables: two-stage least squares beside OLS, with the first-stage and overidentification
diagnostics that say whether the instruments can be trusted.

:func:`iv_estimates` fits, on the same complete-case sample,

* ``2sls``: the effect of the endogenous regressor(s) on the outcome by two-stage least squares (Wooldridge,
  *Introductory Econometrics*, ch. 15; *Econometric Analysis of Cross Section and Panel Data*, 2nd ed. 2010,
  ch. 5), fitted with ``linearmodels.iv.IV2SLS``;
* ``ols``: the same equation by ordinary least squares, whose gap to 2SLS shows the endogeneity bias 2SLS removes.

Standard errors are homoskedastic (the default, as in Wooldridge's textbook examples), heteroskedasticity-robust
(``robust=True``) or clustered on a column (``cluster=``), always with the small-sample corrections of
``debiased=True`` (s^2 = SSR / (n - k), t and F reference distributions; G/(G-1) for clusters), which reproduce the
textbook's standard errors. Diagnostics of the 2SLS row:

* ``first_stage_f``: the partial F statistic of the excluded instruments in the first-stage regression of each
  endogenous variable on all instruments. Homoskedastic: the classical partial F (equal to the homoskedastic Wald
  statistic / q). Robust or clustered: the robust (or cluster-robust) Wald statistic / q computed with the same
  covariance estimator (linearmodels' first-stage diagnostics); ``first_stage_f_kind`` says which.
  ``is_weak_instrument`` flags F < 10 (Staiger & Stock 1997's rule of thumb; with several endogenous variables the
  smallest per-variable F is used, which is not the Sanderson-Windmeijer conditional F).
* overidentification (only with more instruments than endogenous variables, else null): Sargan's n R^2 of the
  2SLS residuals on all instruments when homoskedastic; Wooldridge's heteroskedasticity-robust score test
  (Wooldridge 1995; 2010, section 6.3.2) when robust, and its cluster-robust form (the score contributions summed
  within clusters, G R^2 from regressing 1 on the cluster sums) when clustered.
* ``first_stage_coefficients``: JSON ``{endogenous: {instrument: coefficient}}`` of the excluded instruments.

Degenerate input never raises: the rows carry a ``status`` (see :data:`STATUSES`) and null estimates; a column
absent from the frame raises ``KeyError`` (a programming error, not a data condition).
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from linearmodels.iv import IV2SLS
from scipy import stats

ESTIMATORS = ("2sls", "ols")
STATUSES = (
    "ok", "too_few_observations", "underidentified", "no_variation_in_instrument", "collinear_instruments",
    "no_variation_in_endogenous", "too_few_clusters", "fit_failed",
)  # fmt: skip
#: The first-stage F below which an instrument is called weak (Staiger & Stock 1997).
WEAK_INSTRUMENT_F = 10.0
CONSTANT = "const"
RESULT_COLUMNS = [
    "estimator", "variable", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n_observations",
    "n_clusters", "covariance", "first_stage_f", "first_stage_f_kind", "first_stage_f_p_value", "is_weak_instrument",
    "overid_test", "overid_statistic", "overid_p_value", "first_stage_coefficients", "status",
]  # fmt: skip


def iv_estimates(
    frame: pd.DataFrame,
    outcome: str,
    endogenous: str | Sequence[str],
    instruments: str | Sequence[str],
    exog: Sequence[str] | None = None,
    cluster: str | None = None,
    *,
    robust: bool = False,
    add_constant: bool = True,
    alpha: float = 0.05,
    absorbed: int = 0,
) -> pd.DataFrame:
    """2SLS and OLS estimates of the effect of ``endogenous`` on ``outcome`` (one row per estimator and endogenous
    variable, columns :data:`RESULT_COLUMNS`), instrumenting with ``instruments`` and controlling for ``exog`` (plus
    a constant unless ``add_constant`` is False). Rows with a missing value in any used column are dropped first,
    so both estimators use the same sample. Covariance: clustered on ``cluster`` if given, else robust if
    ``robust``, else homoskedastic; confidence intervals at level 1 - ``alpha`` from the t distribution.
    ``absorbed``: parameters the caller partialled out of the columns beforehand (fixed effects), counted in the
    check that there are more observations than parameters."""
    endog, instr, controls = _as_list(endogenous), _as_list(instruments), list(exog or [])
    used = [outcome, *endog, *instr, *controls, *([cluster] if cluster else [])]
    missing = [c for c in used if c not in frame.columns]
    if missing:
        raise KeyError(f"iv_estimates: columns not in the frame: {missing}")
    data = frame[used].dropna().copy()
    if add_constant:
        data[CONSTANT] = 1.0
        controls = [CONSTANT, *controls]
    covariance = "clustered" if cluster else ("robust" if robust else "unadjusted")
    status = _check_design(data, outcome, endog, instr, controls, cluster, absorbed)
    if status != "ok":
        return _degenerate(endog, len(data), covariance, status)
    try:
        fit_kwargs = _fit_options(data, cluster, robust)
        iv_fit = IV2SLS(data[outcome], data[controls], data[endog], data[instr]).fit(**fit_kwargs)
        ols_fit = IV2SLS(data[outcome], data[[*controls, *endog]], None, None).fit(**fit_kwargs)
    except (np.linalg.LinAlgError, ValueError):  # a singular design the checks did not foresee
        return _degenerate(endog, len(data), covariance, "fit_failed")
    first_stage = _first_stage(iv_fit, endog, instr)
    overid = _overid(iv_fit, data, controls, endog, instr, cluster, robust)
    n_clusters = int(data[cluster].nunique()) if cluster else None
    rows = []
    for variable in endog:
        common = {"variable": variable, "n_observations": len(data), "n_clusters": n_clusters,
                  "covariance": covariance, "status": "ok"}
        rows.append({**common, "estimator": "2sls", **_coefficient(iv_fit, variable, alpha), **first_stage[variable],
                     **overid, "is_weak_instrument": bool(first_stage[variable]["first_stage_f"] < WEAK_INSTRUMENT_F)})
        rows.append({**common, "estimator": "ols", **_coefficient(ols_fit, variable, alpha)})
    return pd.DataFrame(rows).reindex(columns=RESULT_COLUMNS)


def partialled_iv_estimates(frame: pd.DataFrame, outcome: str, endogenous: str, instruments: Sequence[str],
                            cluster: str, *, alpha: float = 0.05, absorbed: int = 0) -> pd.DataFrame:
    """The rows of ``iv_estimates(frame, outcome, endogenous, instruments, cluster=cluster, add_constant=False,
    absorbed=absorbed)``, for one endogenous variable and no exogenous regressor (every control already partialled
    out, as the IV mart does), computed from cross-products and cluster sums with numpy.

    The same estimators and statistics as linearmodels' ``IV2SLS(...).fit(cov_type="clustered", debiased=True)``:
    2SLS and OLS coefficients; the cluster-robust covariance (X^'X)^-1 (sum_g xi_g xi_g') (X^'X)^-1 scaled by
    G/(G-1) (N-1)/(N-K), xi_g the cluster sums of the fitted regressor times the residual; t-based intervals and
    p-values on N - K degrees of freedom; the first-stage Wald statistic of the excluded instruments with that
    covariance, divided by their number (its p-value chi-squared, as linearmodels' first-stage diagnostics); and the
    cluster-robust score test of overidentification (:func:`cluster_score_overid`). linearmodels keeps several
    copies of every column per fit (about 1.7 GB per million contacts in its first-stage diagnostics alone), which
    ten million contacts cannot afford; the equality with iv_estimates is tested (tests/python/test_iv.py)."""
    instr = _as_list(instruments)
    data = frame[[outcome, endogenous, *instr, cluster]].dropna()
    status = _check_design(data, outcome, [endogenous], instr, [], cluster, absorbed)
    if status != "ok":
        return _degenerate([endogenous], len(data), "clustered", status)
    y = data[outcome].to_numpy(float)
    x = data[endogenous].to_numpy(float)[:, None]
    z = data[instr].to_numpy(float)
    groups = pd.factorize(data[cluster])[0]
    n, n_groups = len(y), int(groups.max()) + 1

    def clustered_fit(fitted: np.ndarray, regressors: np.ndarray, response: np.ndarray):
        bread = np.linalg.inv(fitted.T @ regressors)
        beta = bread @ (fitted.T @ response)
        residuals = response - regressors @ beta
        scores = np.column_stack([np.bincount(groups, weights=fitted[:, j] * residuals, minlength=n_groups)
                                  for j in range(fitted.shape[1])])
        factor = n_groups / (n_groups - 1) * (n - 1) / (n - regressors.shape[1])
        covariance = bread @ (scores.T @ scores) @ bread.T * factor
        return beta, (covariance + covariance.T) / 2, residuals

    try:
        first, first_covariance, _ = clustered_fit(z, z, x[:, 0])
        fitted = z @ first[:, None]
        iv_beta, iv_covariance, iv_residuals = clustered_fit(fitted, x, y)
        ols_beta, ols_covariance, _ = clustered_fit(x, x, y)
        wald = float(first @ np.linalg.solve(first_covariance, first))
    except np.linalg.LinAlgError:
        return _degenerate([endogenous], len(data), "clustered", "fit_failed")
    quantile = stats.t.ppf(1 - alpha / 2, n - 1)

    def coefficient(beta: np.ndarray, covariance: np.ndarray) -> dict:
        estimate, error = float(beta[0]), float(np.sqrt(covariance[0, 0]))
        return {"estimate": estimate, "std_error": error, "ci_lower": estimate - quantile * error,
                "ci_upper": estimate + quantile * error,
                "p_value": float(2 * stats.t.sf(abs(estimate / error), n - 1))}

    first_stage_f = wald / len(instr)
    overid = {"overid_test": None, "overid_statistic": math.nan, "overid_p_value": math.nan}
    if len(instr) > 1:
        statistic = cluster_score_overid(data, [], [endogenous], instr, iv_residuals, groups)
        overid = {"overid_test": "wooldridge_score_clustered", "overid_statistic": statistic,
                  "overid_p_value": float(stats.chi2.sf(statistic, len(instr) - 1))}
    common = {"variable": endogenous, "n_observations": n, "n_clusters": n_groups, "covariance": "clustered",
              "status": "ok"}
    rows = [
        {**common, "estimator": "2sls", **coefficient(iv_beta, iv_covariance), "first_stage_f": first_stage_f,
         "first_stage_f_kind": "robust_wald_f", "first_stage_f_p_value": float(stats.chi2.sf(wald, len(instr))),
         "first_stage_coefficients": json.dumps({endogenous: {name: float(value) for name, value in
                                                               zip(instr, first)}}, sort_keys=True),
         **overid, "is_weak_instrument": bool(first_stage_f < WEAK_INSTRUMENT_F)},
        {**common, "estimator": "ols", **coefficient(ols_beta, ols_covariance)},
    ]
    return pd.DataFrame(rows).reindex(columns=RESULT_COLUMNS)


def _as_list(names: str | Sequence[str]) -> list[str]:
    """A column name or a sequence of them as a list."""
    return [names] if isinstance(names, str) else list(names)


def _check_design(data: pd.DataFrame, outcome: str, endog: list[str], instr: list[str], controls: list[str],
                  cluster: str | None, absorbed: int = 0) -> str:
    """Why the model cannot be fitted, or "ok": identification (order and rank), variation, sample size."""
    if len(instr) < len(endog) or not endog:
        return "underidentified"
    n_parameters = len(controls) + len(instr) + absorbed  # the first stage is the larger regression
    if len(data) <= n_parameters + 1:
        return "too_few_observations"
    if any(data[v].nunique() < 2 for v in endog):
        return "no_variation_in_endogenous"
    base = data[controls].to_numpy(float) if controls else np.zeros((len(data), 0))
    residual = annihilate(data[instr].to_numpy(float), base)
    scale = np.maximum(data[instr].to_numpy(float).std(axis=0), 1.0)
    if np.any(residual.std(axis=0) <= 1e-10 * scale):
        return "no_variation_in_instrument"
    if np.linalg.matrix_rank(residual / np.maximum(residual.std(axis=0), 1e-300)) < len(instr):
        return "collinear_instruments"
    if cluster and data[cluster].nunique() < 2:
        return "too_few_clusters"
    return "ok"


def annihilate(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Residuals of the columns of y regressed on x (y itself when x has no column): least squares, so by
    Frisch-Waugh-Lovell a model on the residuals has the coefficients of the model that includes x."""
    if x.shape[1] == 0:
        return y
    coefficients, *_ = np.linalg.lstsq(x, y, rcond=None)
    return y - x @ coefficients


def _fit_options(data: pd.DataFrame, cluster: str | None, robust: bool) -> dict:
    """linearmodels fit() arguments for the chosen covariance, always with the small-sample corrections."""
    if cluster:
        return {"cov_type": "clustered", "clusters": pd.factorize(data[cluster])[0], "debiased": True}
    return {"cov_type": "robust" if robust else "unadjusted", "debiased": True}


def _coefficient(fit, variable: str, alpha: float) -> dict:
    """Estimate, standard error, t-based confidence interval and p-value of one coefficient."""
    estimate, error = float(fit.params[variable]), float(fit.std_errors[variable])
    quantile = stats.t.ppf(1 - alpha / 2, fit.df_resid)
    return {"estimate": estimate, "std_error": error, "ci_lower": estimate - quantile * error,
            "ci_upper": estimate + quantile * error, "p_value": float(fit.pvalues[variable])}


def _first_stage(fit, endog: list[str], instr: list[str]) -> dict[str, dict]:
    """Per endogenous variable: the partial F of the excluded instruments (Wald / q when linearmodels reports a
    chi-squared statistic), its p-value and kind, and the instruments' first-stage coefficients as JSON."""
    first = fit.first_stage
    diagnostics = first.diagnostics
    kind = "partial_f" if fit.cov_type == "unadjusted" else "robust_wald_f"
    coefficients = {v: {z: float(first.individual[v].params[z]) for z in instr} for v in endog}
    out = {}
    for variable in endog:
        statistic, distribution = float(diagnostics.loc[variable, "f.stat"]), str(diagnostics.loc[variable, "f.dist"])
        f_value = statistic / len(instr) if distribution.startswith("chi2") else statistic
        out[variable] = {"first_stage_f": f_value, "first_stage_f_kind": kind,
                         "first_stage_f_p_value": float(diagnostics.loc[variable, "f.pval"]),
                         "first_stage_coefficients": json.dumps(coefficients, sort_keys=True)}
    return out


def _overid(fit, data: pd.DataFrame, controls: list[str], endog: list[str], instr: list[str], cluster: str | None,
            robust: bool) -> dict:
    """Overidentification test: Sargan (homoskedastic), Wooldridge's score test (robust), its cluster-robust form
    (clustered); nulls when the model is exactly identified."""
    if len(instr) <= len(endog):
        return {"overid_test": None, "overid_statistic": math.nan, "overid_p_value": math.nan}
    if not cluster and not robust:
        test = fit.sargan
        return {"overid_test": "sargan", "overid_statistic": float(test.stat), "overid_p_value": float(test.pval)}
    if not cluster:
        test = fit.wooldridge_overid
        return {"overid_test": "wooldridge_score", "overid_statistic": float(test.stat),
                "overid_p_value": float(test.pval)}
    statistic = cluster_score_overid(data, controls, endog, instr, fit.resids.to_numpy(), data[cluster].to_numpy())
    degrees = len(instr) - len(endog)
    return {"overid_test": "wooldridge_score_clustered", "overid_statistic": statistic,
            "overid_p_value": float(stats.chi2.sf(statistic, degrees))}


def cluster_score_overid(data: pd.DataFrame, controls: list[str], endog: list[str], instr: list[str],
                         residuals: np.ndarray, clusters: np.ndarray) -> float:
    """Wooldridge's (1995; 2010, section 6.3.2) score test of overidentifying restrictions, cluster-robust: with
    z~ the residuals of q = (#instruments - #endogenous) excluded instruments regressed on the exogenous regressors
    and the first-stage fitted endogenous variables, and h_i = z~_i u_i (u the 2SLS residuals), the statistic is
    G R^2 (uncentred) of regressing 1 on the cluster sums of h, chi-squared with q degrees of freedom. Each
    observation its own cluster gives the heteroskedasticity-robust test (linearmodels' ``wooldridge_overid``)."""
    exogenous = data[controls].to_numpy(float)
    instruments = np.column_stack([exogenous, data[instr].to_numpy(float)])
    endogenous = data[endog].to_numpy(float)
    fitted = endogenous - annihilate(endogenous, instruments)
    surplus = data[instr[: len(instr) - len(endog)]].to_numpy(float)
    scores = annihilate(surplus, np.column_stack([exogenous, fitted])) * residuals[:, None]
    sums = pd.DataFrame(scores).groupby(pd.factorize(clusters)[0]).sum().to_numpy()
    ones = np.ones(len(sums))
    coefficients, *_ = np.linalg.lstsq(sums, ones, rcond=None)
    residual = ones - sums @ coefficients
    return float(len(sums) - residual @ residual)


def _degenerate(endog: list[str], n: int, covariance: str, status: str) -> pd.DataFrame:
    """Rows with null estimates and the status that says why."""
    rows = [{"estimator": estimator, "variable": variable, "n_observations": n, "covariance": covariance,
             "status": status} for variable in endog or [None] for estimator in ESTIMATORS]
    return pd.DataFrame(rows).reindex(columns=RESULT_COLUMNS)
