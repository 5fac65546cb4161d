"""Evaluation of a churn-risk survival model out of time: IPCW Brier score, time-dependent AUC, Harrell's C and
calibration by risk decile.

The model is fitted on a *training* cohort and scored on a later *test* cohort. Every function takes observed
durations (time from the origin to voluntary churn or to censoring) and event flags (1 = churned, 0 = censored;
any non-zero value is an event), plus the model's predictions for the test customers. Pure numpy/pandas; no I/O,
no dbt.

What each function estimates
----------------------------
* :func:`censoring_survival`: the Kaplan–Meier estimate of the *censoring* distribution ("reverse" Kaplan–Meier),
  G(t) = P(C > t), as a step function :class:`CensoringSurvival`. Censoring is the "event"; at a time where churn
  and censoring are tied the churns come first, so the customers who churn at that time are not in the censoring
  risk set (the convention of scikit-survival's ``CensoringDistributionEstimator``). G is right-continuous: G(t)
  includes the censorings *at* t; ``before=True`` gives the left limit G(t-). G is undefined past the largest
  observed time unless it has already reached 0 there (NaN; scikit-survival raises).
* :func:`brier_score` / :func:`brier_score_curve`: the inverse-probability-of-censoring-weighted (IPCW) Brier score
  at horizon t (Graf et al. 1999), with ``π_i = predicted P(T_i > t)``::

      BS(t) = 1/n Σ_i [ 1{y_i <= t, δ_i = 1} π_i² / G(y_i) + 1{y_i > t} (1 - π_i)² / G(t) ]

  G is estimated on the *training* durations, as scikit-survival's ``sksurv.metrics.brier_score`` does (pass the
  test data as training data to estimate it on the test cohort). The default ``event_weight="at"`` evaluates
  G(y_i) at the churn time itself, which reproduces scikit-survival's numbers (its ``brier_score`` docstring: 0.2088
  at 5 years on GBSG2; checked in the tests). ``event_weight="before"`` uses G(y_i-) (Gerds & Schumacher 2006;
  R's ``pec``); the two differ only where a churn time coincides with a censoring time (GBSG2: 0.20874).
* :func:`integrated_brier_score`: the trapezoidal integral of BS(t) over the horizons ``times`` divided by
  ``max(times) - min(times)`` (scikit-survival's ``integrated_brier_score``; Graf et al. 1999 weight dt/t_max).
* :func:`cumulative_dynamic_auc` / :func:`cumulative_dynamic_auc_curve`: the cumulative/dynamic AUC at t, the
  probability that a customer who churned by t (a *case*, y_i <= t and δ_i = 1) has a higher risk score than one
  still active after t (a *control*, y_j > t), with cases weighted by 1/G(y_i)::

      AUC(t) = Σ_i Σ_j w_i 1{case_i} 1{control_j} [1{f_i > f_j} + ½ 1{f_i ≈ f_j}]
               / (Σ_i w_i 1{case_i} · #controls)

  (Uno et al. 2007; Hung & Chiang 2010; scikit-survival's ``cumulative_dynamic_auc``). Scores within ``tied_tol``
  of their neighbour in sorted order form one tie group (half credit), as scikit-survival chains its ties. Risk
  scores may be one column (time-independent, e.g. a Cox linear predictor) or one column per horizon (e.g. the
  predicted probability of churn by each t).
* :func:`concordance`: Harrell's C (Harrell et al. 1982) as lifelines' ``concordance_index`` computes it, with the
  sign made explicit: **a higher risk score means a shorter expected time to churn** (lifelines wants the
  opposite). Pairs with tied risk count ½; lifelines' conventions for tied times apply. Counted exactly in
  O(n log n) here (equal to lifelines to the last bit, tested), with optional frequency weights.
* :class:`CohortMetrics`: the concordance, AUC and Brier score at a horizon and the integrated Brier score of one
  cohort (train = test) under frequency weights, e.g. the draw counts of a bootstrap replicate, equal to the
  functions on the repeated rows without building them.
* :func:`calibration_by_decile`: customers binned by quantiles of the predicted probability of churn by t; per bin,
  the mean predicted probability and the observed probability 1 - KM(t) from the Kaplan–Meier estimator within
  the bin (Kaplan & Meier 1958), its Greenwood standard error (Greenwood 1926) and the 95% interval of
  lifelines' ``KaplanMeierFitter`` (exponential Greenwood, log(-log S) scale; Kalbfleisch & Prentice 2002), mapped
  onto 1 - S. A calibrated model has ``mean_predicted`` inside ``[ci_lower, ci_upper]`` in about 95% of bins.

Degenerate input
----------------
Wrong shapes (arrays of different lengths, a prediction matrix without one column per horizon, repeated
horizons) are programming errors and raise ``ValueError``. Degenerate *data* never raises:

* the scores return NaN when a test duration or event is missing or negative, when the horizon is outside the test
  follow-up ``[min(y), max(y))`` (scikit-survival raises there), when an inverse weight needed is undefined (G is
  NaN past the training follow-up, or 0: scikit-survival silently gives such a customer weight 0), when there
  are no cases or no controls (AUC), no comparable pair (C), or fewer than two horizons (integrated Brier);
* training rows with a missing or negative duration or a missing event are left out of G;
* :func:`calibration_by_decile` drops unusable rows, says so in ``status``, and reports empty or unobservable bins
  by status (values listed in its docstring).

References
----------
* Graf, Schmoor, Sauerbrei & Schumacher (1999), "Assessment and comparison of prognostic classification schemes
  for survival data", *Statistics in Medicine* 18(17-18):2529–2545.
* Gerds & Schumacher (2006), "Consistent estimation of the expected Brier score in general survival models with
  right-censored event times", *Biometrical Journal* 48(6):1029–1040.
* Uno, Cai, Tian & Wei (2007), "Evaluating prediction rules for t-year survivors with censored regression
  models", *JASA* 102:527–537; Hung & Chiang (2010), "Estimation methods for time-dependent AUC models with
  survival data", *Canadian Journal of Statistics* 38(1):8–26.
* Harrell, Califf, Pryor, Lee & Rosati (1982), "Evaluating the yield of medical tests", *JAMA* 247(18):2543–2546.
* Kaplan & Meier (1958); Greenwood (1926); Kalbfleisch & Prentice (2002), *The Statistical Analysis of Failure
  Time Data*, ch. 1.
* Pölsterl (2020), "scikit-survival: A Library for Time-to-Event Analysis Built on Top of scikit-learn", *JMLR*
  21(212):1–6 (conventions mirrored from its documentation; GPL, so it is never imported here, only used as an
  optional oracle in ``tests/python/test_risk_evaluation.py``). lifelines 0.30 (Davidson-Pilon 2019).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "CALIBRATION_COLUMNS",
    "CensoringSurvival",
    "censoring_survival",
    "brier_score",
    "brier_score_curve",
    "integrated_brier_score",
    "cumulative_dynamic_auc",
    "cumulative_dynamic_auc_curve",
    "concordance",
    "CohortMetrics",
    "calibration_by_decile",
]

#: Columns of :func:`calibration_by_decile`, in order.
CALIBRATION_COLUMNS = [
    "risk_decile", "n_customers", "n_events", "min_predicted", "max_predicted", "mean_predicted", "observed",
    "std_error", "ci_lower", "ci_upper", "status",
]  # fmt: skip

EventWeight = Literal["at", "before"]


# ---------------------------------------------------------------------------------------------------------------
# Input helpers
# ---------------------------------------------------------------------------------------------------------------


def _vector(values: ArrayLike, name: str) -> np.ndarray:
    """``values`` as a 1-D float array (a scalar becomes length 1); ``ValueError`` when it is not 1-D."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _survival_data(durations: ArrayLike, events: ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float durations, boolean events (any non-zero value) and the mask of usable rows (finite, non-negative
    duration and non-missing event). ``ValueError`` when the two arrays differ in length."""
    duration = _vector(durations, f"{name}_durations")
    event_raw = _vector(events, f"{name}_events")
    if duration.shape != event_raw.shape:
        raise ValueError(f"{name}_durations and {name}_events differ in length: {duration.size} vs {event_raw.size}")
    usable = np.isfinite(duration) & (duration >= 0) & np.isfinite(event_raw)
    event = np.where(np.isfinite(event_raw), event_raw, 0.0) != 0
    return duration, event, usable


def _horizons(times: ArrayLike) -> np.ndarray:
    """Horizons as a 1-D float array; ``ValueError`` when one is repeated."""
    horizon = _vector(times, "times")
    if np.unique(horizon).size != horizon.size:
        raise ValueError("times must not repeat a horizon")
    return horizon


def _per_horizon(values: ArrayLike, n: int, n_times: int, name: str, *, repeat: bool) -> np.ndarray:
    """``values`` as an ``(n, n_times)`` matrix. A 1-D array of length n is one column: used for every horizon when
    ``repeat`` (a time-independent risk score), accepted for a single horizon only otherwise."""
    matrix = np.asarray(values, dtype=float)
    if matrix.ndim == 1 and (repeat or n_times == 1):
        matrix = np.repeat(matrix[:, None], n_times, axis=1)
    if matrix.ndim != 2 or matrix.shape != (n, n_times):
        expected = f"({n},) or ({n}, {n_times})" if repeat or n_times == 1 else f"({n}, {n_times})"
        raise ValueError(f"{name} must have shape {expected}, got {np.shape(values)}")
    return matrix


# ---------------------------------------------------------------------------------------------------------------
# 1. Censoring distribution (reverse Kaplan–Meier)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CensoringSurvival:
    """The step function G(t) = P(C > t) estimated by the reverse Kaplan–Meier estimator.

    ``times`` are the distinct observed durations (churn or censoring), ascending; ``survival[k]`` is G just after
    ``times[k]`` (right-continuous value). G = 1 before the first time. Calling the object evaluates G.
    """

    times: np.ndarray
    survival: np.ndarray

    @property
    def max_time(self) -> float:
        """The largest observed duration (NaN without data): past it G is undefined unless it has reached 0."""
        return float(self.times[-1]) if self.times.size else float("nan")

    def __call__(self, t: ArrayLike, *, before: bool = False) -> np.ndarray:
        """G(t) (right-continuous), or the left limit G(t-) when ``before``; always an array of ``t``'s shape.

        NaN for a NaN ``t``, for every ``t`` when G was estimated from no data, and for ``t`` past
        :attr:`max_time` unless G has reached 0 there (then 0).
        """
        horizon = np.asarray(t, dtype=float)
        flat = horizon.reshape(-1)
        if not self.times.size:
            return np.full(horizon.shape, np.nan)
        index = np.searchsorted(self.times, flat, side="left" if before else "right") - 1
        values = np.where(index >= 0, self.survival[np.clip(index, 0, None)], 1.0)
        values[flat > self.times[-1]] = 0.0 if self.survival[-1] == 0 else np.nan
        values[np.isnan(flat)] = np.nan
        return values.reshape(horizon.shape)


def censoring_survival(durations: ArrayLike, events: ArrayLike) -> CensoringSurvival:
    """Reverse Kaplan–Meier estimate of the censoring distribution G(t) = P(C > t).

    At each distinct observed time s with ``n(s)`` customers at risk (duration >= s), ``d(s)`` churns and ``c(s)``
    censorings, G drops by the factor ``1 - c(s) / (n(s) - d(s))``: churns tied with censorings are taken to happen
    first (scikit-survival's ``kaplan_meier_estimator(..., reverse=True)``). Rows with a missing or negative
    duration or a missing event are ignored. Without any censoring G is 1 up to the largest duration.
    """
    duration, event, usable = _survival_data(durations, events, "train")
    duration, event = duration[usable], event[usable]
    if not duration.size:
        return CensoringSurvival(times=np.empty(0), survival=np.empty(0))
    times, inverse = np.unique(duration, return_inverse=True)
    return _reverse_kaplan_meier(times, inverse, event, None)


def _reverse_kaplan_meier(
    times: np.ndarray, inverse: np.ndarray, event: np.ndarray, weight: np.ndarray | None
) -> CensoringSurvival:
    """The reverse Kaplan–Meier step function of :func:`censoring_survival` from rows coded by their distinct time
    (``times[inverse[i]]`` is row i's duration), each row counting ``weight[i]`` times (frequency weights; None: once).
    Distinct times whose rows all weigh 0 are dropped, so the result is that of the data with each row repeated
    ``weight[i]`` times."""
    n_total = np.bincount(inverse, weights=weight, minlength=times.size)
    n_events = np.bincount(inverse, weights=event.astype(float) if weight is None else event * weight,
                           minlength=times.size)
    if weight is not None:
        present = n_total > 0
        times, n_total, n_events = times[present], n_total[present], n_events[present]
        if not times.size:
            return CensoringSurvival(times=np.empty(0), survival=np.empty(0))
    n_censored = n_total - n_events
    at_risk = n_total.sum() - np.concatenate(([0], np.cumsum(n_total)[:-1]))
    denominator = at_risk - n_events
    hazard = np.divide(n_censored, denominator, out=np.zeros(times.size), where=n_censored > 0)
    return CensoringSurvival(times=times, survival=np.cumprod(1.0 - hazard))


def _case_weights(
    censoring: CensoringSurvival, duration: np.ndarray, event: np.ndarray, event_weight: EventWeight
) -> np.ndarray:
    """G at each test customer's own duration (right value or left limit), NaN for the censored ones."""
    if event_weight not in ("at", "before"):
        raise ValueError(f"event_weight must be 'at' or 'before', got {event_weight!r}")
    weights = np.full(duration.shape, np.nan)
    weights[event] = censoring(duration[event], before=event_weight == "before")
    return weights


def _usable_weight(g: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(g)) and np.all(g > 0))


# ---------------------------------------------------------------------------------------------------------------
# 2–3. Brier score
# ---------------------------------------------------------------------------------------------------------------


def brier_score_curve(
    train_durations: ArrayLike,
    train_events: ArrayLike,
    test_durations: ArrayLike,
    test_events: ArrayLike,
    survival_matrix: ArrayLike,
    times: ArrayLike,
    *,
    event_weight: EventWeight = "at",
) -> np.ndarray:
    """IPCW Brier score (Graf et al. 1999) at each horizon of ``times``, in the order given.

    Parameters
    ----------
    train_durations, train_events: the cohort the censoring distribution G is estimated on (scikit-survival's
        ``survival_train``; pass the test data again to estimate it on the test cohort).
    test_durations, test_events: the customers scored.
    survival_matrix: predicted probability of *no churn by* ``times[j]`` for test customer ``i`` at ``[i, j]``;
        shape ``(n_test, n_times)`` (a 1-D array of length ``n_test`` is accepted for a single horizon).
    times: the horizons (distinct).
    event_weight: ``"at"`` weights a churn at y by 1/G(y) (scikit-survival), ``"before"`` by 1/G(y-)
        (Gerds & Schumacher 2006).

    Returns
    -------
    One score per horizon (lower is better; 0.25 is the score of predicting 0.5 for everyone without censoring).
    NaN at a horizon outside ``[min(test y), max(test y))``, where a needed weight is undefined or zero, or for
    every horizon when a test duration or event is missing or negative. NaN predictions give NaN.
    """
    horizon = _horizons(times)
    duration, event, usable = _survival_data(test_durations, test_events, "test")
    survival = _per_horizon(survival_matrix, duration.size, horizon.size, "survival_matrix", repeat=False)
    scores = np.full(horizon.size, np.nan)
    if not duration.size or not usable.all():
        return scores
    censoring = censoring_survival(train_durations, train_events)
    return _brier_curve(duration, event, None, survival, horizon, censoring, event_weight)


def _brier_curve(
    duration: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray | None,
    survival: np.ndarray,
    horizon: np.ndarray,
    censoring: CensoringSurvival,
    event_weight: EventWeight,
) -> np.ndarray:
    """The IPCW Brier score of :func:`brier_score_curve` at each horizon, for usable rows each counting
    ``weight[i]`` (> 0) times (None: once): the score of the data set with every row repeated that often."""
    scores = np.full(horizon.size, np.nan)
    g_case = _case_weights(censoring, duration, event, event_weight)
    g_horizon = censoring(horizon)
    n = duration.size if weight is None else weight.sum()
    for j, t in enumerate(horizon):
        if not duration.min() <= t < duration.max():
            continue
        case = event & (duration <= t)
        control = duration > t
        if not _usable_weight(g_case[case]) or not _usable_weight(g_horizon[j : j + 1]):
            continue
        pi = survival[:, j]
        case_terms = pi[case] ** 2 / g_case[case]
        control_terms = (1.0 - pi[control]) ** 2
        if weight is not None:
            case_terms, control_terms = case_terms * weight[case], control_terms * weight[control]
        scores[j] = (np.sum(case_terms) + np.sum(control_terms) / g_horizon[j]) / n
    return scores


def brier_score(
    train_durations: ArrayLike,
    train_events: ArrayLike,
    test_durations: ArrayLike,
    test_events: ArrayLike,
    survival_at_t: ArrayLike,
    t: float,
    *,
    event_weight: EventWeight = "at",
) -> float:
    """IPCW Brier score at the single horizon ``t``; ``survival_at_t[i]`` is the predicted probability that test
    customer ``i`` has not churned by ``t``. See :func:`brier_score_curve` (NaN cases included)."""
    survival = _vector(survival_at_t, "survival_at_t")
    return float(
        brier_score_curve(
            train_durations, train_events, test_durations, test_events, survival[:, None], [float(t)],
            event_weight=event_weight,
        )[0]
    )  # fmt: skip


def integrated_brier_score(
    train_durations: ArrayLike,
    train_events: ArrayLike,
    test_durations: ArrayLike,
    test_events: ArrayLike,
    survival_matrix: ArrayLike,
    times: ArrayLike,
    *,
    event_weight: EventWeight = "at",
) -> float:
    """Integrated Brier score: ∫ BS(t) dt over ``[min(times), max(times)]`` by the trapezoidal rule on the
    horizons given, divided by ``max(times) - min(times)`` (scikit-survival's ``integrated_brier_score``).

    ``survival_matrix[:, j]`` belongs to ``times[j]``; the horizons are sorted together with their columns, so any
    order works. NaN with fewer than two horizons or when the Brier score is NaN at any horizon.
    """
    horizon = _horizons(times)
    duration = _vector(test_durations, "test_durations")
    survival = _per_horizon(survival_matrix, duration.size, horizon.size, "survival_matrix", repeat=False)
    if horizon.size < 2:
        return float("nan")
    order = np.argsort(horizon)
    horizon, survival = horizon[order], survival[:, order]
    scores = brier_score_curve(
        train_durations, train_events, test_durations, test_events, survival, horizon, event_weight=event_weight
    )
    if not np.all(np.isfinite(scores)):
        return float("nan")
    return float(np.trapezoid(scores, horizon) / (horizon[-1] - horizon[0]))


# ---------------------------------------------------------------------------------------------------------------
# 4. Cumulative/dynamic AUC
# ---------------------------------------------------------------------------------------------------------------


def _tie_groups(scores: np.ndarray, tied_tol: float) -> np.ndarray:
    """Integer tie-group of each score: sorted scores whose gap to the previous one is at most ``tied_tol`` share a
    group (chained, as scikit-survival does); groups increase with the score."""
    order = np.argsort(scores, kind="mergesort")
    gaps = np.diff(scores[order])
    group_sorted = np.concatenate(([0], np.cumsum(gaps > tied_tol)))
    groups = np.empty(scores.size, dtype=np.int64)
    groups[order] = group_sorted
    return groups


def cumulative_dynamic_auc_curve(
    train_durations: ArrayLike,
    train_events: ArrayLike,
    test_durations: ArrayLike,
    test_events: ArrayLike,
    risk_scores: ArrayLike,
    times: ArrayLike,
    *,
    tied_tol: float = 1e-8,
    event_weight: EventWeight = "at",
) -> np.ndarray:
    """Cumulative/dynamic AUC with IPCW (Uno et al. 2007; Hung & Chiang 2010) at each horizon of ``times``.

    Parameters
    ----------
    train_durations, train_events: the cohort the censoring distribution G is estimated on.
    test_durations, test_events: the customers scored.
    risk_scores: higher = more likely to churn early. Shape ``(n_test,)`` (one score for every horizon) or
        ``(n_test, n_times)`` (column j scores horizon ``times[j]``, e.g. the predicted probability of churn by it).
    times: the horizons (distinct), any order; the result follows it.
    tied_tol: scores closer than this to their neighbour in sorted order are tied (half credit).
    event_weight: as in :func:`brier_score_curve`.

    Returns
    -------
    One AUC per horizon: 1 for a perfect ranking, 0.5 for a random one. NaN outside ``[min(test y), max(test y))``,
    without cases or controls, where a case's weight is undefined or zero, when a test duration or event is
    missing or negative, or when a score is NaN.
    """
    horizon = _horizons(times)
    duration, event, usable = _survival_data(test_durations, test_events, "test")
    scores = _per_horizon(risk_scores, duration.size, horizon.size, "risk_scores", repeat=True)
    auc = np.full(horizon.size, np.nan)
    if not duration.size or not usable.all():
        return auc
    censoring = censoring_survival(train_durations, train_events)
    g_case = _case_weights(censoring, duration, event, event_weight)
    for j, t in enumerate(horizon):
        score = scores[:, j]
        if not np.all(np.isfinite(score)):
            continue
        auc[j] = _auc_at(duration, event, None, _tie_groups(score, tied_tol), g_case, t)
    return auc


def _auc_at(
    duration: np.ndarray, event: np.ndarray, weight: np.ndarray | None, groups: np.ndarray, g_case: np.ndarray,
    t: float,
) -> float:
    """The cumulative/dynamic AUC of :func:`cumulative_dynamic_auc_curve` at ``t`` from the scores' tie groups, for
    usable rows each counting ``weight[i]`` (> 0) times (None: once)."""
    if not duration.min() <= t < duration.max():
        return float("nan")
    case = event & (duration <= t)
    control = duration > t
    if not case.any() or not control.any() or not _usable_weight(g_case[case]):
        return float("nan")
    control_weight = None if weight is None else weight[control]
    controls_per_group = np.bincount(groups[control], weights=control_weight, minlength=groups.max() + 1)
    controls_per_group = controls_per_group.astype(float)
    controls_below = np.concatenate(([0.0], np.cumsum(controls_per_group)[:-1]))
    credit = controls_below[groups[case]] + 0.5 * controls_per_group[groups[case]]
    case_weight = 1.0 / g_case[case] if weight is None else weight[case] / g_case[case]
    n_controls = control.sum() if weight is None else control_weight.sum()
    return float(np.sum(case_weight * credit) / (np.sum(case_weight) * n_controls))


def cumulative_dynamic_auc(
    train_durations: ArrayLike,
    train_events: ArrayLike,
    test_durations: ArrayLike,
    test_events: ArrayLike,
    risk_scores: ArrayLike,
    t: float,
    *,
    tied_tol: float = 1e-8,
    event_weight: EventWeight = "at",
) -> float:
    """Cumulative/dynamic AUC at the single horizon ``t`` for 1-D ``risk_scores`` (higher = riskier). See
    :func:`cumulative_dynamic_auc_curve` (NaN cases included)."""
    score = _vector(risk_scores, "risk_scores")
    return float(
        cumulative_dynamic_auc_curve(
            train_durations, train_events, test_durations, test_events, score[:, None], [float(t)],
            tied_tol=tied_tol, event_weight=event_weight,
        )[0]
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# 5. Harrell's C
# ---------------------------------------------------------------------------------------------------------------


def concordance(
    durations: ArrayLike, events: ArrayLike, risk_scores: ArrayLike, weights: ArrayLike | None = None
) -> float:
    """Harrell's concordance index of ``risk_scores`` where **a higher score means earlier churn**.

    The share of comparable pairs in which the customer who churned first has the higher score; tied scores count
    ½. Comparable pairs follow lifelines' ``concordance_index(durations, -risk_scores, events)``: a churn at ``y_i``
    with any customer whose duration is longer, and with a customer censored at the same duration (two churns at
    the same time are not comparable). Computed in O(n log n + m·k) for m distinct churn times and k distinct
    churners' scores (:class:`_ConcordancePairs`), with exact integer counts, so the value is lifelines' to the last
    bit (checked in the tests on random data with tied times and scores).

    ``weights``: frequency weights (non-negative integers: row i counts ``weights[i]`` times), e.g. the draw counts
    of a bootstrap replicate; the result is the index of the data set with every row repeated that often (a row
    never forms a pair with its own copies: they share their time and event). Rows of weight 0 are absent.

    NaN with fewer than two customers, a missing or negative duration, a missing event or score, or no comparable
    pair (e.g. no churn at all).
    """
    duration, event, usable = _survival_data(durations, events, "test")
    score = _vector(risk_scores, "risk_scores")
    if score.shape != duration.shape:
        raise ValueError(f"risk_scores and durations differ in length: {score.size} vs {duration.size}")
    weight = None
    if weights is not None:
        weight = _vector(weights, "weights")
        if weight.shape != duration.shape:
            raise ValueError(f"weights and durations differ in length: {weight.size} vs {duration.size}")
        present = weight > 0
        duration, event, usable, score, weight = (
            duration[present], event[present], usable[present], score[present], weight[present])
    n = duration.size if weight is None else weight.sum()
    if n < 2 or not usable.all() or not np.all(np.isfinite(score)) or not event.any():
        return float("nan")
    return _ConcordancePairs(duration, event, score).index(weight)


class _ConcordancePairs:
    """The comparable pairs of Harrell's C (lifelines' conventions, see :func:`concordance`) of fixed usable
    durations, events and scores, counted for any frequency weights.

    The pairs of a customer j are the churners i that left before j (or at j's time when j is censored): the
    churners of the first ``pool[j]`` distinct churn times. Walking the churn times in order while adding their
    churners' weights to a cumulative count over the distinct churners' scores gives, for every j, the weight of
    its pairs with a higher score (concordant: i churned first and was scored riskier) and with the same score
    (tied). Everything that does not depend on the weights is computed once, so a bootstrap replicate costs
    O(n + m·k).
    """

    def __init__(self, duration: np.ndarray, event: np.ndarray, score: np.ndarray) -> None:
        churn_times = np.unique(duration[event])
        self.n_groups = churn_times.size
        # the churn-time group of each churner, and how many groups are in each customer's pool
        self.group = np.searchsorted(churn_times, duration)
        self.pool = np.where(event, np.searchsorted(churn_times, duration, side="left"),
                             np.searchsorted(churn_times, duration, side="right"))
        self.event = event
        churn_scores = np.unique(score[event])
        self.n_scores = churn_scores.size
        self.score_rank = np.searchsorted(churn_scores, score)  # exact for churners
        self.below = np.searchsorted(churn_scores, score, side="left")  # churners' scores lower than s_j
        self.up_to = np.searchsorted(churn_scores, score, side="right")  # ... lower than or equal to s_j
        self.by_pool = np.argsort(self.pool, kind="stable")
        self.pool_bounds = np.searchsorted(self.pool[self.by_pool], np.arange(self.n_groups + 2))
        churners = np.nonzero(event)[0]
        self.churners = churners[np.argsort(self.group[churners], kind="stable")]
        self.group_bounds = np.searchsorted(self.group[self.churners], np.arange(self.n_groups + 1))

    def counts(self, weight: np.ndarray | None) -> tuple[float, float, float]:
        """(concordant, tied, comparable) pair weights; ``weight`` None counts every row once."""
        w = np.ones(self.event.size) if weight is None else np.asarray(weight, dtype=float)
        cumulative = np.zeros(self.n_scores + 1)  # churners in the pool with a score rank below r, at [r]
        concordant = tied = pairs = 0.0
        for g in range(1, self.n_groups + 1):
            added = self.churners[self.group_bounds[g - 1] : self.group_bounds[g]]
            histogram = np.bincount(self.score_rank[added], weights=w[added], minlength=self.n_scores)
            cumulative[1:] += np.cumsum(histogram)
            j = self.by_pool[self.pool_bounds[g] : self.pool_bounds[g + 1]]
            if not j.size:
                continue
            total = cumulative[-1]
            at_most = cumulative[self.up_to[j]]
            pairs += float(np.sum(w[j] * total))
            concordant += float(np.sum(w[j] * (total - at_most)))
            tied += float(np.sum(w[j] * (at_most - cumulative[self.below[j]])))
        return concordant, tied, pairs

    def index(self, weight: np.ndarray | None) -> float:
        """Harrell's C for these frequency weights; NaN without a comparable pair."""
        concordant, tied, pairs = self.counts(weight)
        return (concordant + tied / 2) / pairs if pairs > 0 else float("nan")


# ---------------------------------------------------------------------------------------------------------------
# 5b. One cohort under bootstrap weights
# ---------------------------------------------------------------------------------------------------------------


class CohortMetrics:
    """Concordance, cumulative/dynamic AUC and Brier score at ``horizon``, and the integrated Brier score over
    ``times``, of several models' predictions for one test cohort whose censoring distribution is estimated on the
    cohort itself (train = test), for any frequency weights.

    ``values(weights)[model]`` equals :func:`concordance`, :func:`cumulative_dynamic_auc`, :func:`brier_score` and
    :func:`integrated_brier_score` computed on the data set in which row i appears ``weights[i]`` times (a
    customer-bootstrap replicate drawn as counts), without building that data set: the sorts (distinct durations,
    tie groups of the scores, the concordance's pairs) are done once here, the censoring distribution once per call
    for all models, and every call is a few weighted sums. The same functions (``_reverse_kaplan_meier``,
    ``_brier_curve``, ``_auc_at``, :class:`_ConcordancePairs`) compute both, so there is one definition of each
    metric; the tests check the weighted values against the repeated rows (equal up to the order of floating-point
    sums). ``weights=None`` gives the functions' values on the cohort as it is, to the last bit.

    ``models``: name -> (risk scores, higher = riskier; survival matrix, the predicted probability of no churn by
    ``times[j]`` in column j).
    """

    def __init__(
        self,
        durations: ArrayLike,
        events: ArrayLike,
        models: dict[str, tuple[ArrayLike, ArrayLike]],
        times: ArrayLike,
        horizon: float,
        *,
        tied_tol: float = 1e-8,
        event_weight: EventWeight = "at",
    ) -> None:
        self.duration, self.event, self.usable = _survival_data(durations, events, "test")
        n = self.duration.size
        horizon_grid = _horizons(times)
        order = np.argsort(horizon_grid)
        self.times = horizon_grid[order]
        self.horizon = float(horizon)
        if self.horizon not in self.times:
            raise ValueError(f"horizon {horizon} must be one of times")
        self._at_horizon = int(np.nonzero(self.times == self.horizon)[0][0])
        if event_weight not in ("at", "before"):
            raise ValueError(f"event_weight must be 'at' or 'before', got {event_weight!r}")
        self.tied_tol = tied_tol
        self.event_weight: EventWeight = event_weight
        self._distinct, self._time_index = np.unique(self.duration, return_inverse=True)
        self.models: dict[str, _ScoredModel] = {}
        for name, (risk_scores, survival_matrix) in models.items():
            score = _vector(risk_scores, "risk_scores")
            if score.shape != self.duration.shape:
                raise ValueError(f"risk_scores and durations differ in length: {score.size} vs {n}")
            survival = _per_horizon(survival_matrix, n, self.times.size, "survival_matrix", repeat=False)[:, order]
            self.models[name] = _ScoredModel(score, survival, self.duration, self.event, self.usable, tied_tol)

    def values(self, weights: ArrayLike | None = None) -> dict[str, dict[str, float]]:
        """Per model: ``concordance``, ``auc_at_horizon``, ``brier_at_horizon`` and ``integrated_brier`` for
        frequency weights (non-negative, one per row; None: every row once). NaN as the functions give it."""
        if weights is None:
            rows, weight, full = np.arange(self.duration.size), None, None
        else:
            full = _vector(weights, "weights")
            if full.shape != self.duration.shape:
                raise ValueError(f"weights and durations differ in length: {full.size} vs {self.duration.size}")
            rows = np.nonzero(full > 0)[0]
            weight = full[rows]
        out = {name: {"concordance": math.nan, "auc_at_horizon": math.nan, "brier_at_horizon": math.nan,
                      "integrated_brier": math.nan} for name in self.models}
        duration, event = self.duration[rows], self.event[rows]
        if not rows.size or not self.usable[rows].all():
            return out
        n = duration.size if weight is None else weight.sum()
        censoring = _reverse_kaplan_meier(self._distinct, self._time_index[rows], event, weight)
        g_case = _case_weights(censoring, duration, event, self.event_weight)
        for name, model in self.models.items():
            score = model.score[rows]
            values = out[name]
            finite = bool(np.all(np.isfinite(score)))
            if n >= 2 and finite and event.any():
                if model.pairs is not None:
                    values["concordance"] = model.pairs.index(full)
                else:
                    values["concordance"] = concordance(duration, event, score, weight)
            if weight is None or not model.finite_survival:
                survival = model.survival if weight is None else model.survival[rows]
                curve = _brier_curve(duration, event, weight, survival, self.times, censoring, self.event_weight)
            else:
                curve = model.weighted_brier_curve(rows, weight, g_case, censoring(self.times), self.times)
            values["brier_at_horizon"] = float(curve[self._at_horizon])
            if self.times.size >= 2 and np.all(np.isfinite(curve)):
                values["integrated_brier"] = float(np.trapezoid(curve, self.times) / (self.times[-1] - self.times[0]))
            if finite:
                values["auc_at_horizon"] = _auc_at(duration, event, weight, model.groups(rows, weight is None),
                                                   g_case, self.horizon)
        return out


class _ScoredModel:
    """One model's scores on a :class:`CohortMetrics` cohort, with what does not depend on the weights."""

    def __init__(self, score: np.ndarray, survival: np.ndarray, duration: np.ndarray, event: np.ndarray,
                 usable: np.ndarray, tied_tol: float) -> None:
        self.score, self.survival, self.tied_tol = score, survival, tied_tol
        self.duration, self.event = duration, event
        self._times: np.ndarray | None = None
        self.finite_survival = bool(np.all(np.isfinite(survival)))
        clean = bool(usable.all() and np.all(np.isfinite(score)))
        self.pairs = _ConcordancePairs(duration, event, score) if clean and event.any() else None
        self.order = np.argsort(score, kind="mergesort")
        self.all_groups = _tie_groups(score, tied_tol)
        # When no tie group of the whole cohort spans more than tied_tol, dropping rows cannot split a chain (nor
        # can it join two groups), so a subset's groups are the cohort's, renumbering aside (which the AUC ignores).
        sorted_score = score[self.order]
        group_sorted = self.all_groups[self.order]
        starts = np.r_[0, np.nonzero(np.diff(group_sorted))[0] + 1] if score.size else np.empty(0, dtype=np.int64)
        ends = np.r_[starts[1:], score.size] - 1 if score.size else starts
        self.groups_are_stable = bool(np.all(sorted_score[ends] - sorted_score[starts] <= tied_tol))

    def weighted_brier_curve(self, rows: np.ndarray, weight: np.ndarray, g_case: np.ndarray, g_horizon: np.ndarray,
                             times: np.ndarray) -> np.ndarray:
        """:func:`_brier_curve` for the rows ``rows`` (ascending) counted ``weight`` (> 0) times, every horizon at
        once: each row's case term (a churn by t: ``pi^2``) and control term (still active after t:
        ``(1 - pi)^2``) are fixed matrices, so a replicate's sums are two matrix-vector products with the weights
        (over 1/G at the churn time for the case terms). Equal to :func:`_brier_curve` on the repeated rows up to
        the order of floating-point sums (tests). ``g_case``: G at each of ``rows``' churn times (NaN if censored),
        ``g_horizon``: G at each horizon."""
        if self._times is None or not np.array_equal(self._times, times):
            self._times = times
            case = self.event[:, None] & (self.duration[:, None] <= times[None, :])
            self._case_terms = np.where(case, self.survival**2, 0.0)
            self._control_terms = np.where(self.duration[:, None] > times[None, :], (1.0 - self.survival) ** 2, 0.0)
        scores = np.full(times.size, np.nan)
        duration, event = self.duration[rows], self.event[rows]
        bad = event & ~(np.isfinite(g_case) & (g_case > 0))  # a churn whose inverse weight is undefined
        first_bad = duration[bad].min() if bad.any() else np.inf
        case_weight = np.zeros(self.duration.size)
        case_weight[rows[event & ~bad]] = weight[event & ~bad] / g_case[event & ~bad]
        control_weight = np.zeros(self.duration.size)
        control_weight[rows] = weight
        # einsum rather than a BLAS product: a few hundred thousand multiply-adds, where BLAS threads cost more
        case_sums = np.einsum("i,ij->j", case_weight, self._case_terms)
        control_sums = np.einsum("i,ij->j", control_weight, self._control_terms)
        valid = ((duration.min() <= times) & (times < duration.max()) & (times < first_bad)
                 & np.isfinite(g_horizon) & (g_horizon > 0))
        scores[valid] = (case_sums[valid] + control_sums[valid] / g_horizon[valid]) / weight.sum()
        return scores

    def groups(self, rows: np.ndarray, everyone: bool) -> np.ndarray:
        """Tie groups (as :func:`_tie_groups`, up to numbering) of the scores of ``rows`` (ascending)."""
        if everyone or self.groups_are_stable:
            return self.all_groups if everyone else self.all_groups[rows]
        present = np.zeros(self.score.size, dtype=bool)
        present[rows] = True
        ordered = self.order[present[self.order]]
        group_sorted = np.concatenate(([0], np.cumsum(np.diff(self.score[ordered]) > self.tied_tol)))
        local = np.cumsum(present) - 1
        groups = np.empty(rows.size, dtype=np.int64)
        groups[local[ordered]] = group_sorted
        return groups


# ---------------------------------------------------------------------------------------------------------------
# 6. Calibration by risk decile
# ---------------------------------------------------------------------------------------------------------------


def _risk_bins(predicted: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin 1..n_bins of each prediction: ``floor(rank * n_bins / n) + 1`` with the 0-based rank of the *smallest*
    tied prediction, so equal predictions always share a bin and the binning does not depend on the row order.
    Without ties the bins are the quantile bins, sizes differing by at most one."""
    rank = pd.Series(predicted).rank(method="min").to_numpy() - 1.0
    return (np.floor(rank * n_bins / predicted.size) + 1).astype(int)


def _km_event_probability(
    duration: np.ndarray, event: np.ndarray, t: float, z: float
) -> tuple[float, float, float, float, str]:
    """1 - KM(t), Greenwood standard error, exponential-Greenwood interval on 1 - S, and a status."""
    churn_times = np.unique(duration[event & (duration <= t)])
    at_risk = np.array([(duration >= s).sum() for s in churn_times], dtype=float)
    churns = np.array([(event & (duration == s)).sum() for s in churn_times], dtype=float)
    survival = float(np.prod(1.0 - churns / at_risk))
    if survival <= 0.0:
        return 1.0, np.nan, np.nan, np.nan, "all_churned"
    if t > duration.max():  # the curve ends above 0 at the last duration: S(t) past it is not estimable
        return np.nan, np.nan, np.nan, np.nan, "beyond_follow_up"
    if not churn_times.size:
        return 0.0, 0.0, 0.0, 0.0, "no_events"
    greenwood = float(np.sum(churns / (at_risk * (at_risk - churns))))
    std_error = survival * np.sqrt(greenwood)
    log_s = np.log(survival)
    s_lower = np.exp(-np.exp(np.log(-log_s) - z * np.sqrt(greenwood) / log_s))
    s_upper = np.exp(-np.exp(np.log(-log_s) + z * np.sqrt(greenwood) / log_s))
    return 1.0 - survival, float(std_error), float(1.0 - s_upper), float(1.0 - s_lower), "ok"


def calibration_by_decile(
    predicted_event_probability: ArrayLike,
    observed_durations: ArrayLike,
    observed_events: ArrayLike,
    t: float,
    n_bins: int = 10,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Predicted against Kaplan–Meier observed probability of churn by ``t``, per bin of predicted risk.

    Customers are ranked by ``predicted_event_probability`` (the model's P(churn by t)) and cut into ``n_bins``
    equal-count bins (see the tie rule below); within each bin the observed probability of churn by ``t`` is
    ``1 - KM(t)``, so censored customers count for as long as they were observed.

    Ties: bin = ``floor(r * n_bins / n) + 1`` where ``r`` is the 0-based rank of the smallest equal prediction, so
    customers with equal predictions always share a bin, the result does not depend on the row order, and a heavy
    tie can leave a bin empty.

    Returns
    -------
    One row per bin, :data:`CALIBRATION_COLUMNS`:

    * ``risk_decile``: 1 (lowest predicted risk) .. ``n_bins``;
    * ``n_customers``; ``n_events``: churns observed at or before ``t``;
    * ``min_predicted``, ``max_predicted``, ``mean_predicted``: of the predicted probability in the bin;
    * ``observed``: ``1 - KM(t)``; ``std_error``: Greenwood's; ``ci_lower``/``ci_upper``: the ``1 - alpha``
      interval of lifelines' KaplanMeierFitter (exponential Greenwood) for S(t), as ``1 - upper`` and
      ``1 - lower``;
    * ``status``: ``ok``; ``no_events`` (observed 0, standard error 0 and interval [0, 0], as lifelines);
      ``all_churned`` (observed 1, standard error and interval NaN); ``beyond_follow_up`` (``t`` is after the last
      duration of the bin and KM has not reached 0 there: S(t) is not estimable, NaN); ``no_customers`` (empty
      bin: NaN); each followed by ``; <k> unusable rows dropped`` when rows with a missing prediction, a missing
      or negative duration or a missing event were left out.

    ``ValueError`` when the arrays differ in length or ``n_bins < 1``.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    predicted = _vector(predicted_event_probability, "predicted_event_probability")
    duration, event, usable = _survival_data(observed_durations, observed_events, "observed")
    if predicted.shape != duration.shape:
        raise ValueError(f"predictions and durations differ in length: {predicted.size} vs {duration.size}")
    usable &= np.isfinite(predicted)
    dropped = int((~usable).sum())
    note = f"; {dropped} unusable rows dropped" if dropped else ""
    predicted, duration, event = predicted[usable], duration[usable], event[usable]
    bins = _risk_bins(predicted, n_bins) if predicted.size else np.empty(0, dtype=int)
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    rows = []
    for decile in range(1, n_bins + 1):
        member = bins == decile
        row: dict[str, object] = {"risk_decile": decile, "n_customers": int(member.sum())}
        if not member.any():
            rows.append({**row, "n_events": 0, "status": "no_customers" + note})
            continue
        observed, std_error, ci_lower, ci_upper, status = _km_event_probability(
            duration[member], event[member], float(t), z
        )
        rows.append(
            {
                **row,
                "n_events": int((event[member] & (duration[member] <= t)).sum()),
                "min_predicted": float(predicted[member].min()),
                "max_predicted": float(predicted[member].max()),
                "mean_predicted": float(predicted[member].mean()),
                "observed": observed,
                "std_error": std_error,
                "ci_lower": ci_lower,
                "ci_upper": ci_upper,
                "status": status + note,
            }
        )
    frame = pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)
    float_columns = [c for c in CALIBRATION_COLUMNS if c not in ("risk_decile", "n_customers", "n_events", "status")]
    frame[float_columns] = frame[float_columns].astype(float)
    return frame.astype({"risk_decile": int, "n_customers": int, "n_events": int})
