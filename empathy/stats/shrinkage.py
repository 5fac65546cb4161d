"""Empirical-Bayes shrinkage of rates toward a group mean with a beta-binomial model.

A *unit* (an agent, a team, a queue) has ``successes`` out of ``trials`` (behaviour present in reviewed
interactions, CSAT top-2 answers among responses, repeat contacts among resolved cases). Raw rates of units with few
trials are noisy, so rankings on them reward luck. The model is

    p_i ~ Beta(alpha, beta),    successes_i | p_i ~ Binomial(trials_i, p_i),

the prior is estimated from all the units (empirical Bayes), and each unit's rate is estimated by its posterior
``Beta(alpha + successes_i, beta + trials_i - successes_i)``. The posterior mean is the weighted average
``w_i * raw_rate_i + (1 - w_i) * prior_mean`` with the shrinkage weight ``w_i = trials_i / (trials_i + alpha + beta)``.

Two fits of the prior: :func:`fit_beta_binomial_moments` (Kleinman's 1973 weighted moments, for unequal trials) and
:func:`fit_beta_binomial_ml` (maximum marginal likelihood). :func:`shrink` gives posterior means, credible intervals
and lower bounds; :func:`shrink_within_groups` fits one prior per group (e.g. per team) with a pooled fallback.

Conventions. Units with invalid counts (missing, negative, ``successes > trials``) or zero trials are left out of the
fit but never dropped from the output: each row carries a ``status``. When the rates vary no more than binomial noise
explains, the estimated prior variance is zero: the prior is a point mass at the pooled rate (``alpha + beta`` is
infinite, status ``no_excess_variance``) and every unit is fully pooled. Empirical-Bayes intervals ignore the
uncertainty of the estimated prior, so they are somewhat too narrow, the more so with few units (Morris 1983).

References
----------
* Kleinman, J. C. (1973). Proportions with extraneous variance: single and independent samples. *JASA* 68, 46-54.
* Griffiths, D. A. (1973). Maximum likelihood estimation for the beta-binomial distribution and an application to
  the household distribution of the total number of cases of a disease. *Biometrics* 29, 637-648.
* Efron, B., Morris, C. (1975). Data analysis using Stein's estimator and its generalizations. *JASA* 70, 311-319.
* Morris, C. N. (1983). Parametric empirical Bayes inference: theory and applications. *JASA* 78, 47-55.
* Robinson, D. (2017). *Introduction to Empirical Bayes: Examples from Baseball Statistics* (the use of the
  posterior mean and of a lower credible bound for ranking).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

PRIOR_STATUSES: dict[str, str] = {
    "ok": "prior fitted with positive between-unit variance",
    "no_excess_variance": "rates vary no more than binomial noise explains: point-mass prior, full pooling",
    "boundary": "between-unit variance at its maximum (alpha or beta at its lower bound): U-shaped prior",
    "not_converged": "the estimate did not converge; the last iterate is returned",
    "too_few_units": "fewer than two units with trials, or none with two or more trials: variance not identified",
    "no_data": "no unit with valid counts and trials > 0: nothing to estimate",
}
ROW_STATUSES: dict[str, str] = {
    "ok": "posterior computed with a fitted prior",
    "no_trials": "zero trials: the posterior is the prior (mean = prior mean, weight 0)",
    "invalid_counts": "missing or negative counts, or successes > trials: no estimate",
    **{k: f"prior status: {v}" for k, v in PRIOR_STATUSES.items() if k != "ok"},
}
LOG_BOUNDS: tuple[float, float] = (-10.0, 14.0)  # bounds of log alpha and log beta in the ML fit
LOGLIK_RTOL: float = 1e-7  # relative log-likelihood gain below which the ML fit has no excess variance
MIN_PRECISION: float = 1e-4  # alpha + beta when the moment estimate of the intra-unit correlation reaches 1

Method = Literal["moments", "ml"]


@dataclass(frozen=True)
class BetaPrior:
    """A Beta(alpha, beta) prior; ``alpha + beta`` is infinite for full pooling, nan when not estimated."""

    alpha: float
    beta: float
    mean: float
    n_units: int
    method: str
    status: str

    @property
    def precision(self) -> float:
        """alpha + beta: the prior's weight in pseudo-trials."""
        return self.alpha + self.beta


def _counts(successes, trials) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float arrays of the counts and the mask of valid counts (finite, non-negative, successes <= trials)."""
    s = np.asarray(successes, dtype=float).ravel()
    n = np.asarray(trials, dtype=float).ravel()
    if s.shape != n.shape:
        raise ValueError("successes and trials must have the same length")
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(s) & np.isfinite(n) & (s >= 0) & (s <= n)
    return s, n, valid


def _prior(mean: float, precision: float, n_units: int, method: str, status: str) -> BetaPrior:
    """A prior from its mean and precision; an infinite precision is a point mass at the mean."""
    if np.isinf(precision):
        alpha, beta = (np.inf if mean > 0 else 0.0), (np.inf if mean < 1 else 0.0)
    else:
        alpha, beta = mean * precision, (1.0 - mean) * precision
    return BetaPrior(float(alpha), float(beta), float(mean), int(n_units), method, status)


def _undetermined(s: np.ndarray, n: np.ndarray, method: str) -> BetaPrior | None:
    """The prior of the cases without a variance to estimate (no data, too few units, all rates 0 or all 1)."""
    if s.size == 0:
        return _prior(np.nan, np.nan, 0, method, "no_data")
    pooled = s.sum() / n.sum()
    if s.size < 2 or not np.any(n >= 2):
        return _prior(pooled, np.nan, s.size, method, "too_few_units")
    if pooled in (0.0, 1.0):
        return _prior(pooled, np.inf, s.size, method, "no_excess_variance")
    return None


def fit_beta_binomial_moments(successes, trials, max_iter: int = 100, tol: float = 1e-12) -> BetaPrior:
    """Method-of-moments Beta prior for binomial counts with unequal trials: Kleinman's (1973) weighted estimator.

    With ``rho = 1 / (alpha + beta + 1)`` (the intra-unit correlation), ``Var(y_i) = p(1-p)/n_i * (1 + (n_i-1) rho)``
    for the raw rate ``y_i``. For weights ``w_i`` with sum ``W``, ``p = sum(w y)/W`` and
    ``S = sum w (y - p)^2``, equating ``S`` to its expectation gives
    ``rho = (S - p(1-p) sum c_i) / (p(1-p) sum c_i (n_i - 1))`` with ``c_i = w_i (1 - w_i/W) / n_i``.
    Starting from ``w_i = n_i`` (the pooled rate), the weights are updated to the efficient
    ``w_i = n_i / (1 + (n_i - 1) rho)`` until rho changes by less than ``tol``. With equal trials the weights are
    equal and the prior mean is the plain mean of the rates. ``rho <= 0`` gives status ``no_excess_variance`` (full
    pooling at the pooled rate); ``rho >= 1`` gives status ``boundary`` with ``alpha + beta = MIN_PRECISION``.
    """
    s, n, valid = _counts(successes, trials)
    s, n = s[valid & (n > 0)], n[valid & (n > 0)]
    early = _undetermined(s, n, "moments")
    if early is not None:
        return early
    y, rho, mean = s / n, 0.0, s.sum() / n.sum()
    for _ in range(max_iter):
        w = n / (1.0 + (n - 1.0) * rho)
        mean = np.sum(w * y) / w.sum()
        c = w * (1.0 - w / w.sum()) / n
        pq = mean * (1.0 - mean)
        new_rho = (np.sum(w * (y - mean) ** 2) - pq * c.sum()) / (pq * np.sum(c * (n - 1.0)))
        if new_rho <= 0:
            return _prior(s.sum() / n.sum(), np.inf, s.size, "moments", "no_excess_variance")
        if new_rho >= 1:
            return _prior(mean, MIN_PRECISION, s.size, "moments", "boundary")
        converged, rho = abs(new_rho - rho) < tol, new_rho
        if converged:
            return _prior(mean, 1.0 / rho - 1.0, s.size, "moments", "ok")
    return _prior(mean, 1.0 / rho - 1.0, s.size, "moments", "not_converged")


def beta_binomial_loglik(s: np.ndarray, n: np.ndarray, a, b) -> float:
    """Beta-binomial log-likelihood of ``s`` successes in ``n`` trials under Beta(a, b) priors (scalars or one per
    unit), without the binomial coefficients (they do not depend on the prior)."""
    return float(np.sum(special.betaln(s + a, n - s + b) - special.betaln(a, b)))


def _negative_loglik(log_ab: np.ndarray, s: np.ndarray, n: np.ndarray) -> tuple[float, np.ndarray]:
    """Beta-binomial negative log-likelihood (without the binomial coefficients) and its gradient in log a, log b."""
    a, b = np.exp(log_ab)
    loglik = beta_binomial_loglik(s, n, a, b)
    common = special.digamma(a + b) - special.digamma(n + a + b)
    grad_a = a * np.sum(special.digamma(s + a) - special.digamma(a) + common)
    grad_b = b * np.sum(special.digamma(n - s + b) - special.digamma(b) + common)
    return -loglik, -np.array([grad_a, grad_b])


def _stationary(log_ab: np.ndarray, s: np.ndarray, n: np.ndarray, tol: float = 1e-6) -> bool:
    """Whether the gradient vanishes (to ``tol``) in every coordinate not at a bound: L-BFGS-B often stops with
    'ABNORMAL' line searches at the optimum once the log-likelihood is flat to rounding error."""
    at_bound = (log_ab <= LOG_BOUNDS[0] + 1e-6) | (log_ab >= LOG_BOUNDS[1] - 1e-6)
    return bool(np.all(at_bound | (np.abs(_negative_loglik(log_ab, s, n)[1]) < tol)))


def fit_beta_binomial_ml(successes, trials) -> BetaPrior:
    """Maximum marginal likelihood Beta prior: maximises the beta-binomial likelihood (Griffiths 1973).

    The log-likelihood ``sum betaln(s + a, n - s + b) - betaln(a, b)`` is maximised over ``(log a, log b)`` in
    ``LOG_BOUNDS`` by L-BFGS-B with the analytic (digamma) gradient, started at the moment estimate. Convergence: the
    fit is accepted when L-BFGS-B reports success or its end point is stationary (gradient below 1e-6 off the
    bounds); otherwise Nelder-Mead is run from that point, and if it fails too the better of the two points is
    returned with status ``not_converged``. The variance estimate is zero (status ``no_excess_variance``, full
    pooling at the pooled rate, the binomial ML) when an upper bound is reached (``a`` or ``b`` above 1.2e6) or the
    optimum is no better than the binomial likelihood at the pooled rate (the limit of infinite ``a + b``) to within
    a relative ``LOGLIK_RTOL``, the rounding error of ``betaln`` differences at large parameters. A lower bound
    reached gives status ``boundary``.
    """
    s, n, valid = _counts(successes, trials)
    s, n = s[valid & (n > 0)], n[valid & (n > 0)]
    early = _undetermined(s, n, "ml")
    if early is not None:
        return early
    pooled = s.sum() / n.sum()
    start = fit_beta_binomial_moments(s, n)
    precision = start.precision if start.status in ("ok", "boundary") else 100.0
    x0 = np.clip(np.log([start.mean * precision, (1 - start.mean) * precision]), *LOG_BOUNDS)
    result = optimize.minimize(_negative_loglik, x0, args=(s, n), jac=True, method="L-BFGS-B",
                               bounds=[LOG_BOUNDS] * 2, options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10_000})
    status = "ok" if result.success or _stationary(result.x, s, n) else "not_converged"
    if status == "not_converged":
        retry = optimize.minimize(lambda x: _negative_loglik(np.clip(x, *LOG_BOUNDS), s, n)[0], result.x,
                                  method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-9, "maxiter": 5_000})
        status = "ok" if retry.success else "not_converged"
        result = retry if retry.fun <= result.fun else result
    log_ab = np.clip(result.x, *LOG_BOUNDS)
    binomial_limit = np.sum(special.xlogy(s, pooled) + special.xlog1py(n - s, -pooled))
    if np.any(log_ab >= LOG_BOUNDS[1] - 1e-6) or -result.fun - binomial_limit <= LOGLIK_RTOL * abs(binomial_limit):
        return _prior(pooled, np.inf, s.size, "ml", "no_excess_variance")
    if status == "ok" and np.any(log_ab <= LOG_BOUNDS[0] + 1e-6):
        status = "boundary"
    a, b = np.exp(log_ab)
    return _prior(a / (a + b), a + b, s.size, "ml", status)


#: bounds of log M in :func:`fit_precision_given_means`
LOG_PRECISION_BOUNDS = (np.log(1e-2), np.log(1e7))


def fit_precision_given_means(successes, trials, means) -> tuple[float, str]:
    """Maximum marginal likelihood precision ``M`` of Beta priors with known unit-specific means ``m_i`` and a common
    ``M``: ``p_i ~ Beta(m_i M, (1 - m_i) M)``. With one mean for every unit this is the precision half of
    :func:`fit_beta_binomial_ml` (Griffiths 1973); unit means let the prior centre on each unit's expectation (e.g.
    its case-mix standardised rate). Bounded scalar search over log M in ``LOG_PRECISION_BOUNDS``.

    Returns (M, status): ``inf`` with ``no_excess_variance`` when the optimum is at the upper bound or no better than
    the binomial likelihood at the means (the limit of infinite ``M``) to within a relative ``LOGLIK_RTOL``;
    ``nan`` with ``too_few_units`` for fewer than three units with trials and a mean strictly inside (0, 1)."""
    s, n, m = (np.asarray(v, dtype=float) for v in (successes, trials, means))
    keep = (n > 0) & (m > 0) & (m < 1)
    s, n, m = s[keep], n[keep], m[keep]
    if len(s) < 3:
        return np.nan, "too_few_units"
    result = optimize.minimize_scalar(lambda log_m: -beta_binomial_loglik(s, n, m * np.exp(log_m),
                                                                          (1 - m) * np.exp(log_m)),
                                      bounds=LOG_PRECISION_BOUNDS, method="bounded", options={"xatol": 1e-8})
    binomial = -float(np.sum(special.xlogy(s, m) + special.xlog1py(n - s, -m)))
    at_bound = result.x >= LOG_PRECISION_BOUNDS[1] - 1e-3
    if at_bound or result.fun >= binomial - LOGLIK_RTOL * abs(binomial):
        return np.inf, "no_excess_variance"
    return float(np.exp(result.x)), "ok"


def posterior_summary(a, b, level: float = 0.95) -> dict[str, np.ndarray]:
    """Beta(a, b) posterior per unit: ``posterior_mean``, the equal-tailed ``level`` credible interval
    (``ci_lower``, ``ci_upper``) and the one-sided ``level`` lower bound (``lower_bound``, the 1 - level quantile)."""
    with np.errstate(all="ignore"):
        return {"posterior_mean": np.asarray(a / (a + b), dtype=float),
                "ci_lower": stats.beta.ppf((1 - level) / 2, a, b),
                "ci_upper": stats.beta.ppf((1 + level) / 2, a, b),
                "lower_bound": stats.beta.ppf(1 - level, a, b)}


def shrink(successes, trials, prior: BetaPrior, level: float = 0.95) -> pd.DataFrame:
    """Posterior of each unit's rate under ``prior``: one row per unit, in input order (index kept from a Series).

    Columns: ``successes, trials, raw_rate, posterior_alpha, posterior_beta, posterior_mean`` (the shrunk rate),
    ``ci_lower, ci_upper`` (equal-tailed ``level`` credible interval, ``scipy.stats.beta.ppf``), ``lower_bound``
    (one-sided ``level`` lower credible bound, the ``1 - level`` quantile: a conservative ranking statistic),
    ``shrinkage_weight`` (``trials / (trials + alpha + beta)``, the weight of the raw rate in the posterior mean)
    and ``status`` (:data:`ROW_STATUSES`). Under a point-mass prior the posterior is that point (weight 0).
    """
    s = np.asarray(successes, dtype=float).ravel()
    index = successes.index if isinstance(successes, pd.Series) else pd.RangeIndex(s.size)
    return _shrink_rows(successes, trials, np.full(s.size, prior.alpha), np.full(s.size, prior.beta),
                        np.full(s.size, prior.mean), np.full(s.size, prior.status, dtype=object), level, index)


def _shrink_rows(successes, trials, alpha: np.ndarray, beta: np.ndarray, mean: np.ndarray, prior_status: np.ndarray,
                 level: float, index: pd.Index) -> pd.DataFrame:
    """:func:`shrink` with a prior per row (``alpha``, ``beta``, ``mean``, ``prior_status`` arrays), so that every
    group of :func:`shrink_within_groups` is shrunk in one vectorised pass."""
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    s, n, valid = _counts(successes, trials)
    out = pd.DataFrame({"successes": s, "trials": n}, index=index)
    out["raw_rate"] = np.where(valid & (n > 0), s / np.where(n > 0, n, 1.0), np.nan)
    precision = alpha + beta
    a, b = alpha + s, beta + n - s
    point_mass = np.isinf(precision)
    out["posterior_alpha"], out["posterior_beta"] = a, b
    for column, values in posterior_summary(a, b, level).items():  # nan / infinite parameters: overwritten below
        out[column] = np.where(point_mass, mean, values)  # a point mass stays put
    with np.errstate(invalid="ignore", divide="ignore"):
        out["shrinkage_weight"] = np.where(point_mass, 0.0, n / (n + precision))
    out["status"] = np.select([~valid, np.isnan(precision), n == 0],
                              [np.full(s.size, "invalid_counts", dtype=object), prior_status,
                               np.full(s.size, "no_trials", dtype=object)], prior_status)
    estimates = ["posterior_alpha", "posterior_beta", "posterior_mean", "ci_lower", "ci_upper", "lower_bound",
                 "shrinkage_weight"]
    out.loc[~valid | np.isnan(precision), estimates] = np.nan
    return out


FITS: dict[str, Callable[..., BetaPrior]] = {"moments": fit_beta_binomial_moments, "ml": fit_beta_binomial_ml}


def shrink_within_groups(frame: pd.DataFrame, group: str, successes: str, trials: str, min_units: int = 5,
                         method: Method = "moments", level: float = 0.95) -> pd.DataFrame:
    """Shrink each unit (row) toward its own group's prior, falling back to the prior pooled over all groups.

    One prior is fitted per value of ``group`` with ``method`` ('moments' or 'ml'). A group uses the pooled prior
    (fitted on every row of ``frame``) when it has fewer than ``min_units`` units with trials, when its own fit is
    not ``ok`` (no excess variance, boundary, not converged) or when its key is missing. Returns ``frame`` with the
    columns of :func:`shrink` (its ``status`` is the row status) plus ``prior_source`` ('group' / 'pooled'),
    ``prior_status`` (why: 'ok' for a group prior; 'no_data', 'too_few_units', the group fit's status, or
    'missing_group' for the pooled one), ``prior_alpha``, ``prior_beta``, ``prior_mean`` and ``prior_n_units``.
    Every input row is returned, in input order, whatever its counts.
    """
    if min_units < 2:
        raise ValueError("min_units must be at least 2")
    fit = FITS[method]
    data = frame.reset_index(drop=True)
    s, n = data[successes].astype(float), data[trials].astype(float)
    pooled = fit(s, n)
    # one prior per row: the group's own where its fit is usable, else the pooled one (fitted once per group,
    # then every row shrunk in one pass)
    size = len(data)
    priors = {"alpha": np.full(size, pooled.alpha), "beta": np.full(size, pooled.beta),
              "mean": np.full(size, pooled.mean), "n_units": np.full(size, pooled.n_units, dtype="int64"),
              "status": np.full(size, pooled.status, dtype=object), "source": np.full(size, "pooled", dtype=object),
              "reason": np.full(size, "missing_group", dtype=object)}
    missing = data[group].isna().to_numpy()
    for _, rows in data[~missing].groupby(group, sort=False, observed=True).indices.items():
        own = fit(s.iloc[rows], n.iloc[rows])
        reason = "no_data" if own.n_units == 0 else "too_few_units" if own.n_units < min_units else own.status
        prior, source = (own, "group") if reason == "ok" else (pooled, "pooled")
        for key, value in (("alpha", prior.alpha), ("beta", prior.beta), ("mean", prior.mean),
                           ("n_units", prior.n_units), ("status", prior.status), ("source", source),
                           ("reason", reason)):
            priors[key][rows] = value
    shrunk = _shrink_rows(s, n, priors["alpha"], priors["beta"], priors["mean"], priors["status"], level,
                          data.index).drop(columns=["successes", "trials"])
    shrunk = shrunk.assign(prior_source=priors["source"], prior_status=priors["reason"], prior_alpha=priors["alpha"],
                           prior_beta=priors["beta"], prior_mean=priors["mean"], prior_n_units=priors["n_units"])
    return pd.concat([data, shrunk], axis=1).set_axis(frame.index, axis=0)
