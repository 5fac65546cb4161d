"""Exposed against unexposed contacts: promoter share and the spread of handle time (the pilot's two claims).

The fintech pilot said that "a thirty-second empathy checkpoint reduced handle-time variance and raised promoter
share by twelve percent". Two contrasts answer it, each with its interval:

* **Promoter share, relative change** (:func:`promoter_share_contrast`): the survey-weighted share of promoters
  p_a = Σ_{k in a} w_k y_k / Σ_{k in a} w_k among exposed (a = 1) and unexposed (a = 0) respondents, their
  difference p_1 − p_0 and the relative change R − 1 = p_1 / p_0 − 1 (0.12 is "+12 %", not 12 points). The
  standard errors are Taylor-linearised (Binder 1983; Wolter 2007, ch. 6): the two shares are ratio estimators,
  the score of log p_a is z_k = 1{k in a} w_k (y_k − p_a) / (p_a Σ_{j in a} w_j), that of log R is
  z_k(log p_1) − z_k(log p_0) and that of the difference is 1{k in 1} w_k (y_k − p_1)/W_1 − 1{k in 0}
  w_k (y_k − p_0)/W_0. Scores are summed within clusters (the respondent's customer, when given: a customer
  who answered both exposed and unexposed contributes the covariance of the two arms) and

      v = G / (G − 1) · Σ_g (S_g − S̄)²,

  G clusters (every respondent its own cluster without a cluster column), the single-stratum case of the formula
  of :func:`empathy.stats.weights.survey_estimate`, whose per-arm (domain) standard errors these reduce to (a test
  checks it). The interval of the relative change is exp(log R ± z·se) − 1, the delta method on the log ratio
  (Katz, Baptista, Azen & Pike 1978, "Obtaining confidence intervals for the risk ratio in cohort studies",
  Biometrics 34(3)); the p-value tests log R = 0. With unit weights and no clusters

      se(p_1 − p_0) = sqrt(N/(N − 1)) · sqrt(p_1(1 − p_1)/n_1 + p_0(1 − p_0)/n_0),
      se(log R)     = sqrt(N/(N − 1)) · sqrt((1 − p_1)/(n_1 p_1) + (1 − p_0)/(n_0 p_0)),

  N = n_1 + n_0: the textbook unpooled two-proportion SE and Katz's log risk-ratio SE times the degrees-of-freedom
  factor N/(N − 1) of the survey convention (R ``survey``'s svyby on one design, not n_a/(n_a − 1) per arm).
  ``std_error`` is the delta-method SE of the relative change itself, (R)·se(log R); the interval is not
  estimate ± z·std_error but the back-transformed log interval.
* **Handle-time variance ratio** (:func:`variance_contrast`): s²_1 / s²_0 (sample variances, divisor n − 1) of
  handle time with and without the acknowledgment. The test is Brown-Forsythe's (Brown & Forsythe 1974, "Robust
  tests for the equality of variances", JASA 69(346)): Levene's (1960) one-way ANOVA F on the absolute deviations
  from each group's median, equal to ``scipy.stats.levene(..., center="median")``. The interval does not assume
  normality: Bonett's (2006, "Robust confidence interval for a ratio of standard deviations", Applied
  Psychological Measurement 30(5), 432–439) interval for σ_1/σ_2, squared for the variance ratio:

      exp(log(c · s²_1/s²_0) ± z · se),   c = [n_1/(n_1 − z)] / [n_2/(n_2 − z)],
      se² = (γ − (n_1 − 3)/n_1)/(n_1 − 1) + (γ − (n_2 − 3)/n_2)/(n_2 − 1),
      γ = (n_1 + n_2)(Σ(y_1 − m_1)⁴ + r⁴ Σ(y_2 − m_2)⁴) / ((n_1 − 1)s²_1 + r²(n_2 − 1)s²_2)²,

  m_j the trimmed mean of group j with trim proportion 1/(2·sqrt(n_j − 4)) (R's ``mean(y, trim=)``), z the
  normal quantile. The paper pools the kurtosis with r = 1 (which assumes equal variances: ``pooled_kurtosis=
  "equal_variance"``). The default, ``"rescaled"``, is Bonett's own later correction in his R package
  ``statpsych`` (``ci.ratio.sd2``): each limit rescales group 2 by the SD ratio at that limit, r = sqrt(limit),
  iterated ten times from r = 1, so the interval is valid when the variances differ; a test reproduces the
  package's documented example. ``std_error`` is the ratio times se at r = s_1/s_0 (delta method, for the mart;
  the interval is the one above). The test and the interval answer slightly different questions (spread about
  the median, variance) and can disagree near the boundary.
* **Tables** (:func:`promoter_share_table`, :func:`handle_time_variance_table`, :func:`contrast_table`): one row
  per contrast (``promoter_share_relative_change``, ``handle_time_variance_ratio``) and group (an ``overall``/
  ``all`` row, then one row per value of ``by``), columns :data:`COLUMNS`. ``p_value_adjusted`` is Holm's
  (:func:`empathy.stats.multiple_testing.holm_adjusted`) over the group rows of one contrast; the overall row is
  its own family of one (its adjusted p-value is its p-value).

Rows with a missing exposure or outcome, an exposure or outcome that is not boolean / 0-1, a handle time that is
not a finite number, or a weight that is missing or not positive are left out and counted nowhere.

The contrasts are descriptive: who got the checkpoint was not randomised here, so a difference is not its effect.

Statuses (:data:`STATUSES`); every statistic (estimate, std_error, interval, p-values, difference, test) is null
unless the status is ``ok``; the per-arm shares or variances and the counts are kept whenever the arm has them:

* ``ok``: estimated.
* ``no_units``: no usable respondent / interaction in either arm.
* ``one_arm_empty``: one arm has no usable unit.
* ``too_few_units``: an arm has fewer than ``min_units`` units (at least 2 for the share, of which two clusters
  overall; at least 5 for the variance ratio, Bonett's trimmed mean needs n > 4, and more than z).
* ``no_variation``: promoter share: the share is 0 in an arm (the log ratio is undefined) or the outcome does not
  vary (every respondent a promoter: zero standard error); handle time: zero variance in an arm.
* ``not_pooled_across_channels``: (:func:`acknowledgment_contrasts` only) the overall handle-time row: handle time
  means different things by channel (e-mail's is elapsed time), so only the channel rows are estimated.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .multiple_testing import holm_adjusted

CONTRASTS = ("promoter_share_relative_change", "handle_time_variance_ratio")
COLUMNS = ["contrast", "group_by", "group_value", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
           "p_value_adjusted", "value_exposed", "value_unexposed", "n_exposed", "n_unexposed", "status"]
TEXT_COLUMNS = ("contrast", "group_by", "group_value", "status")
COUNT_COLUMNS = ("n_exposed", "n_unexposed")
#: status -> meaning (for the mart's YAML)
STATUSES = {
    "ok": "estimated",
    "no_units": "no usable respondent or interaction in either arm",
    "one_arm_empty": "one arm (exposed or unexposed) has no usable unit",
    "too_few_units": "an arm has fewer than min_units units (share: at least 2 and two clusters; variance ratio: "
                     "at least 5)",
    "no_variation": "share 0 in an arm or an outcome without variation; handle time: zero variance in an arm",
    "not_pooled_across_channels": "(acknowledgment_contrasts) the overall handle-time row: channels' handle times "
                                  "measure different things, so only the channel rows are estimated",
}
DEFAULT_MIN_UNITS = 10
MIN_SHARE_UNITS = 2
MIN_BONETT_UNITS = 5
BONETT_ITERATIONS = 10
OVERALL = ("overall", "all")


# --------------------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------------------


def _z(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    return float(stats.norm.ppf(1 - alpha / 2))


def _indicator(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """(1.0/0.0 per row, usable) of a boolean or 0/1 column; missing or other values are not usable."""
    series = pd.Series(values).reset_index(drop=True)
    if series.dtype == object:
        series = series.map(lambda v: float(v) if isinstance(v, (bool, np.bool_)) else v)
    coded = pd.to_numeric(series, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    usable = np.isin(coded, [0.0, 1.0])
    return np.where(usable, coded, 0.0), usable


def _numbers(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """(float per row, finite) of a numeric column; missing or non-numeric values are not usable."""
    series = pd.to_numeric(pd.Series(values).reset_index(drop=True), errors="coerce")
    numbers = series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(numbers)
    return np.where(finite, numbers, 0.0), finite


def _cluster_variance(scores: np.ndarray, codes: np.ndarray) -> float:
    """G/(G − 1) · Σ_g (S_g − S̄)² of the scores summed within clusters (codes 0..G−1)."""
    totals = np.bincount(codes, weights=scores)
    g = len(totals)
    return float(g / (g - 1) * ((totals - totals.mean()) ** 2).sum())


def _two_sided_p(statistic: float) -> float:
    return float(2 * stats.norm.sf(abs(statistic)))


# --------------------------------------------------------------------------------------------------------------
# promoter share
# --------------------------------------------------------------------------------------------------------------


def promoter_share_contrast(frame: pd.DataFrame, *, exposed: str, outcome: str = "is_promoter",
                            weight: str | None = None, cluster: str | None = None, alpha: float = 0.05,
                            min_units: int = DEFAULT_MIN_UNITS) -> dict[str, Any]:
    """Survey-weighted promoter share of exposed and unexposed respondents, difference and relative change with
    Taylor-linearised standard errors (module docstring; Binder 1983, Wolter 2007 ch. 6, Katz et al. 1978).

    frame: one row per respondent; ``exposed`` and ``outcome`` boolean or 0/1; ``weight`` the survey weight
    (unit weights when None); ``cluster`` the respondent's customer (each respondent its own cluster when None;
    a missing cluster is a cluster of its own).

    Returns share_exposed, share_unexposed, estimate (p_1/p_0 − 1), std_error (of the relative change, delta
    method), ci_lower, ci_upper (exp(log R ± z·se(log R)) − 1), difference (p_1 − p_0), difference_std_error,
    difference_ci_lower, difference_ci_upper (Wald), log_ratio, log_ratio_std_error, p_value (log R = 0),
    n_respondents_exposed, n_respondents_unexposed, n_clusters and status (module docstring).
    """
    z_level = _z(alpha)
    x, x_ok = _indicator(frame[exposed])
    y, y_ok = _indicator(frame[outcome])
    if weight is None:
        w, w_ok = np.ones(len(frame)), np.ones(len(frame), dtype=bool)
    else:
        w, w_ok = _numbers(frame[weight])
        w_ok &= w > 0
    keep = x_ok & y_ok & w_ok
    x, y, w = x[keep] == 1.0, y[keep], w[keep]
    if cluster is None:
        codes = np.arange(len(y))
    else:
        codes = pd.factorize(pd.Series(frame[cluster]).reset_index(drop=True)[keep])[0]  # missing: -1
        alone = codes < 0
        codes[alone] = codes.max(initial=-1) + 1 + np.arange(int(alone.sum()))
    n1, n0 = int(x.sum()), int((~x).sum())
    n_clusters = int(len(np.unique(codes)))
    result: dict[str, Any] = dict.fromkeys([
        "share_exposed", "share_unexposed", "estimate", "std_error", "ci_lower", "ci_upper", "difference",
        "difference_std_error", "difference_ci_lower", "difference_ci_upper", "log_ratio", "log_ratio_std_error",
        "p_value"])
    result.update(n_respondents_exposed=n1, n_respondents_unexposed=n0, n_clusters=n_clusters)
    w1, w0 = float(w[x].sum()), float(w[~x].sum())
    p1 = float((w * y)[x].sum() / w1) if n1 else None
    p0 = float((w * y)[~x].sum() / w0) if n0 else None
    result.update(share_exposed=p1, share_unexposed=p0)
    if n1 == 0 and n0 == 0:
        return {**result, "status": "no_units"}
    if n1 == 0 or n0 == 0:
        return {**result, "status": "one_arm_empty"}
    if min(n1, n0) < max(min_units, MIN_SHARE_UNITS) or n_clusters < 2:
        return {**result, "status": "too_few_units"}
    assert p1 is not None and p0 is not None
    if p1 == 0 or p0 == 0:
        return {**result, "status": "no_variation"}
    residual = np.where(x, w * (y - p1) / w1, -w * (y - p0) / w0)
    log_scores = np.where(x, residual / p1, residual / p0)
    se_log = float(np.sqrt(_cluster_variance(log_scores, codes)))
    se_diff = float(np.sqrt(_cluster_variance(residual, codes)))
    if not se_log > 0:
        return {**result, "status": "no_variation"}
    log_ratio = float(np.log(p1 / p0))
    ratio = float(np.exp(log_ratio))
    difference = p1 - p0
    result.update(
        estimate=ratio - 1, std_error=ratio * se_log, ci_lower=float(np.exp(log_ratio - z_level * se_log)) - 1,
        ci_upper=float(np.exp(log_ratio + z_level * se_log)) - 1, difference=difference,
        difference_std_error=se_diff, difference_ci_lower=difference - z_level * se_diff,
        difference_ci_upper=difference + z_level * se_diff, log_ratio=log_ratio, log_ratio_std_error=se_log,
        p_value=_two_sided_p(log_ratio / se_log), status="ok")
    return result


# --------------------------------------------------------------------------------------------------------------
# handle-time variance
# --------------------------------------------------------------------------------------------------------------


def brown_forsythe(samples: Sequence[np.ndarray]) -> tuple[float, float]:
    """Brown-Forsythe statistic W and p-value (Brown & Forsythe 1974): the one-way ANOVA F of the absolute
    deviations from each group's median, on k − 1 and N − k degrees of freedom (Levene's test centred on the
    median; equals ``scipy.stats.levene(..., center="median")``). When the deviations do not vary within groups,
    W is +inf (p 0) if their group means differ, else 0 (p 1)."""
    deviations = [np.abs(np.asarray(s, dtype=float) - np.median(s)) for s in samples]
    k = len(deviations)
    n = np.array([len(d) for d in deviations], dtype=float)
    total = float(n.sum())
    means = np.array([d.mean() for d in deviations])
    grand = float(np.concatenate(deviations).mean())
    between = float((n * (means - grand) ** 2).sum())
    within = float(sum(((d - m) ** 2).sum() for d, m in zip(deviations, means)))
    if within == 0:
        return (float("inf"), 0.0) if between > 0 else (0.0, 1.0)
    statistic = (total - k) / (k - 1) * between / within
    return float(statistic), float(stats.f.sf(statistic, k - 1, total - k))


def _trimmed_mean(values: np.ndarray, proportion: float) -> float:
    """R's ``mean(y, trim=proportion)``: floor(n·proportion) values dropped at each end; the median from 0.5 on."""
    n = len(values)
    if proportion >= 0.5:
        return float(np.median(values))
    cut = int(np.floor(n * proportion))
    return float(np.sort(values)[cut:n - cut].mean())


def bonett_variance_ratio_ci(exposed: np.ndarray, unexposed: np.ndarray, alpha: float = 0.05,
                             pooled_kurtosis: Literal["rescaled", "equal_variance"] = "rescaled"
                             ) -> tuple[float, float, float]:
    """Bonett's (2006) robust interval for σ²_1/σ²_0 (his interval for the SD ratio, squared; formula in the module
    docstring) and the SE of log(s²_1/s²_0) at r = s_1/s_0. ``pooled_kurtosis``: ``"equal_variance"`` is the
    paper's pooled kurtosis (r = 1); ``"rescaled"`` is statpsych's ``ci.ratio.sd2`` (group 2 rescaled by the SD
    ratio at each limit, ten fixed-point iterations). Needs more than four values and more than z per group.

    Returns (lower, upper, se_log)."""
    y1, y2 = np.asarray(exposed, dtype=float), np.asarray(unexposed, dtype=float)
    z_level = _z(alpha)
    n1, n2 = len(y1), len(y2)
    v1, v2 = float(np.var(y1, ddof=1)), float(np.var(y2, ddof=1))
    m1 = _trimmed_mean(y1, 1 / (2 * np.sqrt(n1 - 4)))
    m2 = _trimmed_mean(y2, 1 / (2 * np.sqrt(n2 - 4)))
    c0 = (n1 / (n1 - z_level)) * ((n2 - z_level) / n2)
    k1, k2 = (n1 - 3) / n1, (n2 - 3) / n2
    a1, a2 = float(((y1 - m1) ** 4).sum()), float(((y2 - m2) ** 4).sum())

    def se_at(r: float) -> float:
        kurtosis = (n1 + n2) * (a1 + r ** 4 * a2) / ((n1 - 1) * v1 + r ** 2 * (n2 - 1) * v2) ** 2
        return float(np.sqrt((kurtosis - k1) / (n1 - 1) + (kurtosis - k2) / (n2 - 1)))

    log_ratio = float(np.log(c0 * v1 / v2))
    if pooled_kurtosis == "equal_variance":
        se = se_at(1.0)
        return float(np.exp(log_ratio - z_level * se)), float(np.exp(log_ratio + z_level * se)), se
    if pooled_kurtosis != "rescaled":
        raise ValueError(f"pooled_kurtosis must be 'rescaled' or 'equal_variance', got {pooled_kurtosis!r}")
    r_lower = r_upper = 1.0
    lower = upper = float("nan")
    for _ in range(BONETT_ITERATIONS):
        lower = float(np.exp(log_ratio - z_level * se_at(r_lower)))
        upper = float(np.exp(log_ratio + z_level * se_at(r_upper)))
        r_lower, r_upper = float(np.sqrt(lower)), float(np.sqrt(upper))
    return lower, upper, se_at(float(np.sqrt(v1 / v2)))


def _arms(y: np.ndarray, y_ok: np.ndarray, g: np.ndarray, g_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(exposed, unexposed) usable values: a finite value and a 0/1 exposure."""
    if len(y) != len(g):
        raise ValueError(f"values ({len(y)}) and groups ({len(g)}) differ in length")
    keep = y_ok & g_ok
    return y[keep & (g == 1.0)], y[keep & (g == 0.0)]


def variance_contrast(values: Any, groups: Any, *, alpha: float = 0.05, min_units: int = DEFAULT_MIN_UNITS,
                      pooled_kurtosis: Literal["rescaled", "equal_variance"] = "rescaled") -> dict[str, Any]:
    """Variance of handle time with (``groups`` True / 1) against without the acknowledgment: the ratio
    s²_exposed / s²_unexposed (divisor n − 1) with Bonett's (2006) robust interval (:func:`bonett_variance_ratio_ci`,
    not assuming normality) and the Brown-Forsythe (1974) test of equal spread (:func:`brown_forsythe`).

    Returns variance_exposed, variance_unexposed, estimate, std_error (delta method, ratio · se(log ratio)),
    ci_lower, ci_upper, statistic (Brown-Forsythe W), p_value, n_interactions_exposed, n_interactions_unexposed
    and status (module docstring)."""
    z_level = _z(alpha)
    y, y_ok = _numbers(values)
    g, g_ok = _indicator(groups)
    exposed, unexposed = _arms(y, y_ok, g, g_ok)
    n1, n0 = len(exposed), len(unexposed)
    result: dict[str, Any] = dict.fromkeys(["variance_exposed", "variance_unexposed", "estimate", "std_error",
                                            "ci_lower", "ci_upper", "statistic", "p_value"])
    result.update(n_interactions_exposed=n1, n_interactions_unexposed=n0,
                  variance_exposed=float(np.var(exposed, ddof=1)) if n1 > 1 else None,
                  variance_unexposed=float(np.var(unexposed, ddof=1)) if n0 > 1 else None)
    if n1 == 0 and n0 == 0:
        return {**result, "status": "no_units"}
    if n1 == 0 or n0 == 0:
        return {**result, "status": "one_arm_empty"}
    if min(n1, n0) < max(min_units, MIN_BONETT_UNITS) or min(n1, n0) <= z_level:
        return {**result, "status": "too_few_units"}
    v1, v0 = result["variance_exposed"], result["variance_unexposed"]
    if not (v1 > 0 and v0 > 0):
        return {**result, "status": "no_variation"}
    lower, upper, se_log = bonett_variance_ratio_ci(exposed, unexposed, alpha, pooled_kurtosis)
    statistic, p_value = brown_forsythe([exposed, unexposed])
    ratio = v1 / v0
    result.update(estimate=ratio, std_error=ratio * se_log, ci_lower=lower, ci_upper=upper, statistic=statistic,
                  p_value=p_value, status="ok")
    return result


# --------------------------------------------------------------------------------------------------------------
# mart-facing tables
# --------------------------------------------------------------------------------------------------------------


def _groups(frame: pd.DataFrame, by: str | None) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(group_by, group_value, rows): the overall rows first, then each value of ``by`` in sorted order (missing
    values as ``unknown``)."""
    yield (*OVERALL, frame)
    if by is None or frame.empty:
        return
    labels = frame[by].astype(object).where(frame[by].notna(), "unknown").astype(str)
    for value in sorted(labels.unique()):
        yield by, value, frame.loc[labels == value]


def _check_columns(frame: pd.DataFrame, columns: Sequence[str | None], what: str) -> None:
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: column(s) {missing} not in the frame")


def _finish(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Typed table of the rows, Holm-adjusted over the group rows of each contrast (the overall row alone)."""
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    for column in COLUMNS:
        if column in TEXT_COLUMNS:
            table[column] = table[column].astype("string")
        elif column in COUNT_COLUMNS:
            table[column] = table[column].astype("Int64")
        elif column != "p_value_adjusted":
            table[column] = table[column].astype(float)
    adjusted = pd.Series(np.nan, index=table.index)
    for _, family in table.groupby(["contrast", "group_by"], sort=False):
        adjusted.loc[family.index] = holm_adjusted(family["p_value"])
    table["p_value_adjusted"] = adjusted.astype(float)
    return table


def promoter_share_table(respondents: pd.DataFrame, *, exposed: str = "is_exposed", outcome: str = "is_promoter",
                         weight: str | None = None, cluster: str | None = None, by: str | None = None,
                         alpha: float = 0.05, min_units: int = DEFAULT_MIN_UNITS) -> pd.DataFrame:
    """:func:`promoter_share_contrast` overall and per value of ``by``, as rows of :data:`COLUMNS` (contrast
    ``promoter_share_relative_change``; value_* the weighted shares, n_* respondents)."""
    _check_columns(respondents, [exposed, outcome, weight, cluster, by], "promoter_share_table")
    rows = []
    for group_by, group_value, part in _groups(respondents, by):
        result = promoter_share_contrast(part, exposed=exposed, outcome=outcome, weight=weight, cluster=cluster,
                                         alpha=alpha, min_units=min_units)
        rows.append({
            "contrast": CONTRASTS[0], "group_by": group_by, "group_value": group_value,
            **{k: result[k] for k in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value", "status")},
            "value_exposed": result["share_exposed"], "value_unexposed": result["share_unexposed"],
            "n_exposed": result["n_respondents_exposed"], "n_unexposed": result["n_respondents_unexposed"]})
    return _finish(rows)


def handle_time_variance_table(interactions: pd.DataFrame, *, exposed: str = "is_exposed",
                               handle_time: str = "handle_time_seconds", by: str | None = None, alpha: float = 0.05,
                               min_units: int = DEFAULT_MIN_UNITS,
                               pooled_kurtosis: Literal["rescaled", "equal_variance"] = "rescaled",
                               pool_overall: bool = True) -> pd.DataFrame:
    """:func:`variance_contrast` overall and per value of ``by``, as rows of :data:`COLUMNS` (contrast
    ``handle_time_variance_ratio``; value_* the variances, n_* interactions, p_value Brown-Forsythe's). With
    ``pool_overall`` False (the groups' handle times are not comparable) the overall row only counts the arms, with
    status ``not_pooled_across_channels``."""
    _check_columns(interactions, [exposed, handle_time, by], "handle_time_variance_table")
    rows = []
    for group_by, group_value, part in _groups(interactions, by):
        if group_by == OVERALL[0] and not pool_overall:
            arms = _arms(*_numbers(part[handle_time]), *_indicator(part[exposed]))
            rows.append({"contrast": CONTRASTS[1], "group_by": group_by, "group_value": group_value,
                         "n_exposed": len(arms[0]), "n_unexposed": len(arms[1]),
                         "status": "not_pooled_across_channels"})
            continue
        result = variance_contrast(part[handle_time], part[exposed], alpha=alpha, min_units=min_units,
                                   pooled_kurtosis=pooled_kurtosis)
        rows.append({
            "contrast": CONTRASTS[1], "group_by": group_by, "group_value": group_value,
            **{k: result[k] for k in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value", "status")},
            "value_exposed": result["variance_exposed"], "value_unexposed": result["variance_unexposed"],
            "n_exposed": result["n_interactions_exposed"], "n_unexposed": result["n_interactions_unexposed"]})
    return _finish(rows)


def contrast_table(respondents: pd.DataFrame, interactions: pd.DataFrame, *, by: str | None = None,
                   exposed: str = "is_exposed", outcome: str = "is_promoter", weight: str | None = None,
                   cluster: str | None = None, handle_time: str = "handle_time_seconds", alpha: float = 0.05,
                   min_units: int = DEFAULT_MIN_UNITS, pool_handle_time_overall: bool = True) -> pd.DataFrame:
    """Both contrasts in one table (for a dbt Python model): :func:`promoter_share_table` of ``respondents`` then
    :func:`handle_time_variance_table` of ``interactions``, both grouped by ``by`` (a column of both frames) and
    reading the exposure from the column ``exposed`` of each. Never empty: an empty frame gives its contrast's
    overall row with status ``no_units``."""
    shares = promoter_share_table(respondents, exposed=exposed, outcome=outcome, weight=weight, cluster=cluster,
                                  by=by, alpha=alpha, min_units=min_units)
    spread = handle_time_variance_table(interactions, exposed=exposed, handle_time=handle_time, by=by, alpha=alpha,
                                        min_units=min_units, pool_overall=pool_handle_time_overall)
    return pd.concat([shares, spread], ignore_index=True)


def acknowledgment_contrasts(answers: pd.DataFrame, weights: pd.DataFrame, interactions: pd.DataFrame, *,
                             alpha: float = 0.05, min_units: int = DEFAULT_MIN_UNITS) -> pd.DataFrame:
    """The pilot's two contrasts on the warehouse's tables, overall and by channel. Promoter share: relationship
    NPS answers (``int_survey_answers_joined_to_contacts``) weighted by their final weight and clustered by
    customer, exposed when a contact in the window before the invitation was acknowledged within 30 s, unexposed
    when its timed contacts were not (answers without a timed contact are not usable); the channel is that of the
    window's latest contact. Handle time: every interaction whose timing is known, by its channel."""
    respondents = answers[answers["survey_type"] == "relationship_nps"].merge(
        weights[["invitation_id", "final_weight"]], on="invitation_id", how="left")
    share = pd.to_numeric(respondents["acknowledged_within_30s_share"], errors="coerce")
    respondents = respondents.assign(is_exposed=(share > 0).astype("Int64"),
                                     channel=respondents["last_contact_channel"])[share.notna()]
    timed = interactions.assign(is_exposed=interactions["is_acknowledged_within_30s"].astype("boolean")
                                .astype("Int64"))
    # handle time means different things by channel (e-mail's is elapsed time, voice's talk time), so a variance
    # over all channels would measure the channel mix of each arm, not the spread the acknowledgment might reduce
    return contrast_table(respondents, timed, by="channel", exposed="is_exposed", outcome="is_promoter",
                          weight="final_weight", cluster="customer_key", handle_time="handle_time_seconds",
                          alpha=alpha, min_units=min_units, pool_handle_time_overall=False)
