"""Synthetic control: the counterfactual of one treated unit as a convex combination of untreated donor units.

The method of Abadie, Diamond & Hainmueller (2010), "Synthetic control methods for comparative case studies:
estimating the effect of California's tobacco control program", *JASA* 105(490), 493-505 (ADH 2010), with the
specification conventions of their R package Synth (Abadie, Diamond & Hainmueller 2011, *J. Stat. Software*
42(13)), written here from the published description:

* ``dataprep``: every predictor is a column averaged over a range of pre-treatment periods (missing values
  skipped), or the outcome at one period; X1 (k) holds the treated unit's predictors, X0 (k x J) the donors'.
* standardisation: each predictor row of [X0, X1] is divided by its sample standard deviation across the units of
  the fit (treated and donors), so V does not depend on the predictors' units.
* inner problem: for a diagonal V >= 0 with trace 1, the donor weights W >= 0, sum(W) = 1 minimise
  (X1 - X0 W)' V (X1 - X0 W).
* outer problem: V minimises the mean squared prediction error of the outcome over the pre-treatment
  optimisation periods, (Z1 - Z0 W(V))'(Z1 - Z0 W(V)) / T0 (Synth's loss.v).

The outer loss is piecewise smooth in V with several local minima (Synth's own search, Nelder-Mead and BFGS from
equal and regression-based starting weights, often stops in one; so does pysyncon's). :func:`fit_weights` searches
wider, always the same way for the treated unit and every placebo: Synth's two starts plus a few fixed random ones,
BFGS with the analytic gradient of each smooth piece, then Nelder-Mead restarts from the best point. On Prop 99 it
reaches a lower loss than Synth's search on the same objective (pre-period MSPE 3.08 against 3.16) and the weights
ADH 2010 publish. V itself is weakly identified (many V give nearly the same W; Kloessner, Kaul, Pfeifer & Schieler
2018, *Swiss J. Econ. Stat.* 154), so read W, not V.

Inference follows ADH 2010 section 4: placebo runs in space (each donor in turn refitted as if it had been
treated, its donor pool the other donors), ranked by the ratio of post- to pre-treatment root mean squared
prediction error; the treated unit's permutation p-value is its rank / number of units. The in-time placebo
("backdating", Abadie 2021, *J. Econ. Lit.* 59(2), section 7; ADH 2015, *AJPS* 59(2)) moves the treatment k
periods earlier, refits on the earlier pre-period with every predictor window moved k periods earlier, and reports
the gap between the fake and the real start, which should be near zero.

Degenerate input (treated unit absent, no usable donor, too few pre-treatment periods, no post period, no usable
predictor) gives a result whose ``status`` says why, never an exception. Pure functions on pandas frames.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize, nnls

#: Statuses of a fit. Anything but "ok" leaves the estimates empty / NaN.
STATUSES = (
    "ok", "treated_unit_missing", "treated_outcome_missing", "no_donors", "too_few_pre_periods", "no_post_periods",
    "no_predictors", "duplicate_unit_periods", "treated_fit_failed",
)  # fmt: skip
#: A donor weight below this is reported as exactly zero (numerical noise of the quadratic program).
WEIGHT_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Predictor:
    """One row of X: ``column`` averaged over the panel periods from ``start`` to ``end`` inclusive (Synth's
    ``predictors`` with ``predictors.op = "mean"`` and its ``special.predictors``); missing values are skipped."""

    column: str
    start: Any
    end: Any
    name: str | None = None

    @classmethod
    def mean_over(cls, column: str, start: Any, end: Any, name: str | None = None) -> Predictor:
        """``column`` averaged over the periods start..end (inclusive)."""
        return cls(column, start, end, name)

    @classmethod
    def at(cls, column: str, period: Any, name: str | None = None) -> Predictor:
        """``column`` at one period (e.g. the outcome in 1975)."""
        return cls(column, period, period, name)

    @property
    def label(self) -> str:
        """The predictor's name, by default ``column[start-end]`` or ``column[period]``."""
        if self.name:
            return self.name
        span = f"{self.start}" if self.start == self.end else f"{self.start}-{self.end}"
        return f"{self.column}[{span}]"


@dataclass
class SyntheticControlResult:
    """A synthetic control fit.

    weights: donor -> W (sums to 1). predictor_weights: predictor label -> V (sums to 1).
    balance: per predictor, the treated unit's value, the synthetic unit's and the donors' simple mean (unscaled).
    path: per period, treated outcome, synthetic outcome, gap = treated - synthetic, and whether it is post-treatment.
    pre_rmspe / post_rmspe: root mean squared gap over the optimisation periods / the post-treatment periods.
    att: the average gap over the post-treatment periods (the effect on the treated unit).
    loss_v: the pre-period MSPE that V minimised (= pre_rmspe ** 2); loss_w: the V-weighted predictor discrepancy.
    """

    status: str
    treated_unit: Any
    treatment_period: Any
    weights: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    predictor_weights: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    path: pd.DataFrame = field(default_factory=pd.DataFrame)
    pre_rmspe: float = math.nan
    post_rmspe: float = math.nan
    att: float = math.nan
    loss_v: float = math.nan
    loss_w: float = math.nan
    notes: list[str] = field(default_factory=list)

    @property
    def rmspe_ratio(self) -> float:
        """Post- over pre-treatment RMSPE (ADH 2010's statistic for the placebo ranking)."""
        if math.isnan(self.pre_rmspe) or math.isnan(self.post_rmspe):
            return math.nan
        if self.pre_rmspe == 0:  # a perfect pre-period fit: any post-period gap is infinitely unusual
            return math.inf if self.post_rmspe > 0 else math.nan
        return self.post_rmspe / self.pre_rmspe


@dataclass
class PlaceboInSpaceResult:
    """Placebo runs in space: ``table`` has one row per unit (the treated unit and every donor refitted as if
    treated) with pre_rmspe, post_rmspe, rmspe_ratio, rank (1 = largest ratio) and the placebo fit's status;
    p_value = treated rank / number of units with a valid fit."""

    status: str
    table: pd.DataFrame
    treated_rank: float = math.nan
    n_units: int = 0
    p_value: float = math.nan
    notes: list[str] = field(default_factory=list)


@dataclass
class InTimePlaceboResult:
    """Backdated treatment: the fit with treatment moved ``periods_earlier`` periods before the real start, on the
    periods before the real start only; ``gaps`` are its gaps from the fake to the real start, ``mean_gap`` their
    average (near zero when the pre-period fit is not an artefact)."""

    status: str
    fake_treatment_period: Any
    periods_earlier: int
    fit: SyntheticControlResult | None
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    mean_gap: float = math.nan
    pre_rmspe: float = math.nan
    notes: list[str] = field(default_factory=list)


@dataclass
class _Prepared:
    """The matrices of one design: every usable unit in columns (treated first)."""

    units: list[Any]
    periods: list[Any]
    predictors: list[Predictor]
    x: np.ndarray  # k x N predictor values
    y: np.ndarray  # T x N outcomes
    optimize: np.ndarray  # T bool: periods whose MSPE V minimises
    post: np.ndarray  # T bool: periods at or after the treatment
    notes: list[str]


# ---------------------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------------------


def synthetic_control(
    panel: pd.DataFrame,
    *,
    unit: str,
    period: str,
    outcome: str,
    treated_unit: Any,
    treatment_period: Any,
    donors: Sequence[Any] | None = None,
    predictors: Sequence[Predictor] | None = None,
    optimize_periods: Sequence[Any] | None = None,
    v_weights: Sequence[float] | None = None,
    min_pre_periods: int = 2,
) -> SyntheticControlResult:
    """Estimate the effect on ``treated_unit`` from ``treatment_period`` on by the synthetic control of ADH 2010.

    ``panel`` is long (one row per unit and period). ``donors`` defaults to every other unit; ``predictors`` to
    the outcome at every pre-treatment period; ``optimize_periods`` (Synth's ``time.optimize.ssr``) to every
    pre-treatment period. ``v_weights`` fixes V (Synth's ``custom.v``; one per predictor kept, else ValueError)
    instead of optimising it. Donors with a missing outcome or predictor are left out (noted); a predictor missing
    for the treated unit or every donor, or constant across units, is dropped (noted).
    """
    prepared = _prepare(panel, unit, period, outcome, treated_unit, treatment_period, donors, predictors,
                        optimize_periods, min_pre_periods)
    if isinstance(prepared, SyntheticControlResult):
        return prepared
    return _fit_unit(prepared, 0, list(range(1, len(prepared.units))), treatment_period, v_weights)


def placebo_in_space(
    panel: pd.DataFrame,
    *,
    unit: str,
    period: str,
    outcome: str,
    treated_unit: Any,
    treatment_period: Any,
    donors: Sequence[Any] | None = None,
    predictors: Sequence[Predictor] | None = None,
    optimize_periods: Sequence[Any] | None = None,
    min_pre_periods: int = 2,
    n_jobs: int = 1,
) -> PlaceboInSpaceResult:
    """ADH 2010 (section 4, figures 6-8) placebo inference: refit with every donor as the treated unit and the other
    donors (never the real treated unit) as its pool, then rank all units by post/pre RMSPE; the treated unit's
    p-value is rank / number of units, rank counting the units whose ratio is at least the treated unit's. Every
    unit is fitted by the same procedure as :func:`synthetic_control`; ``n_jobs`` > 1 spreads the fits over that
    many processes."""
    prepared = _prepare(panel, unit, period, outcome, treated_unit, treatment_period, donors, predictors,
                        optimize_periods, min_pre_periods)
    if isinstance(prepared, SyntheticControlResult):
        return PlaceboInSpaceResult(status=prepared.status, table=_placebo_table([]), notes=prepared.notes)
    n_units = len(prepared.units)
    tasks = [(prepared, index, [j for j in range(1, n_units) if j != index], treatment_period)
             for index in range(n_units)]
    if n_jobs > 1:
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            fits = list(pool.map(_placebo_fit, tasks))
    else:
        fits = [_placebo_fit(task) for task in tasks]
    rows = [{
        "unit": fit.treated_unit, "is_treated": index == 0, "pre_rmspe": fit.pre_rmspe, "post_rmspe": fit.post_rmspe,
        "rmspe_ratio": fit.rmspe_ratio, "att": fit.att, "status": fit.status,
    } for index, fit in enumerate(fits)]  # fmt: skip
    return _rank_placebos(_placebo_table(rows), prepared.notes)


def placebo_in_time(
    panel: pd.DataFrame,
    *,
    unit: str,
    period: str,
    outcome: str,
    treated_unit: Any,
    treatment_period: Any,
    periods_earlier: int,
    donors: Sequence[Any] | None = None,
    predictors: Sequence[Predictor] | None = None,
    min_pre_periods: int = 2,
) -> InTimePlaceboResult:
    """In-time placebo (backdating; Abadie 2021 section 7, ADH 2015): pretend treatment began ``periods_earlier``
    periods before ``treatment_period``, keep only the periods before the real start, move every predictor window
    ``periods_earlier`` periods back (windows clipped at the first period, dropped when nothing is left), fit on
    the earlier pre-period and report the gaps from the fake to the real start (should be near zero)."""
    periods = sorted(panel[period].dropna().unique())
    real_start = _first_index_at_or_after(periods, treatment_period)
    if periods_earlier < 1 or real_start is None or real_start - periods_earlier < 0:
        return InTimePlaceboResult("too_few_pre_periods", None, periods_earlier, None,
                                   notes=["the fake start lies before the first period of the panel"])
    fake_start = periods[real_start - periods_earlier]
    earlier = panel[panel[period] < periods[real_start]]
    specs = predictors if predictors is not None else [Predictor.at(outcome, p) for p in periods[:real_start]]
    shifted, notes = _shift_predictors(specs, periods, periods_earlier)
    fit = synthetic_control(earlier, unit=unit, period=period, outcome=outcome, treated_unit=treated_unit,
                            treatment_period=fake_start, donors=donors, predictors=shifted,
                            min_pre_periods=min_pre_periods)
    notes = notes + fit.notes
    if fit.status != "ok":
        return InTimePlaceboResult(fit.status, fake_start, periods_earlier, fit, notes=notes)
    gaps = fit.path[fit.path["is_post"]].reset_index(drop=True)
    return InTimePlaceboResult("ok", fake_start, periods_earlier, fit, gaps=gaps, mean_gap=fit.att,
                               pre_rmspe=fit.pre_rmspe, notes=notes)


def _placebo_fit(task: tuple[_Prepared, int, list[int], Any]) -> SyntheticControlResult:
    """One placebo fit (a module-level function so a process pool can run it)."""
    prepared, index, pool, treatment_period = task
    return _fit_unit(prepared, index, pool, treatment_period, None)


# ---------------------------------------------------------------------------------------------------------------
# Data preparation (Synth's dataprep)
# ---------------------------------------------------------------------------------------------------------------


def _prepare(
    panel: pd.DataFrame, unit: str, period: str, outcome: str, treated_unit: Any, treatment_period: Any,
    donors: Sequence[Any] | None, predictors: Sequence[Predictor] | None, optimize_periods: Sequence[Any] | None,
    min_pre_periods: int,
) -> _Prepared | SyntheticControlResult:
    """Build X (predictors x units) and Y (periods x units), or a result whose status says why not."""
    def degenerate(status: str, note: str) -> SyntheticControlResult:
        return SyntheticControlResult(status, treated_unit, treatment_period, notes=[*notes, note])

    notes: list[str] = []
    if panel.duplicated([unit, period]).any():
        return degenerate("duplicate_unit_periods", "the panel has more than one row for a unit and period")
    units_present = set(panel[unit].dropna().unique())
    if treated_unit not in units_present:
        return degenerate("treated_unit_missing", f"treated unit {treated_unit!r} is not in the panel")
    periods = sorted(panel[period].dropna().unique())
    pre_periods = [p for p in periods if p < treatment_period]
    if not any(p >= treatment_period for p in periods):
        return degenerate("no_post_periods", f"no period at or after {treatment_period!r}")
    opt_periods = pre_periods if optimize_periods is None else [p for p in periods if p in set(optimize_periods)]
    opt_periods = [p for p in opt_periods if p < treatment_period]
    if len(opt_periods) < max(min_pre_periods, 1):
        return degenerate("too_few_pre_periods",
                          f"{len(opt_periods)} pre-treatment period(s) to fit on, fewer than {max(min_pre_periods, 1)}")
    pool = [u for u in (donors if donors is not None else sorted(units_present, key=str)) if u != treated_unit]
    absent = [u for u in pool if u not in units_present]
    if absent:
        notes.append(f"donors not in the panel, left out: {absent}")
    pool = [u for u in pool if u in units_present]
    wide = panel.pivot(index=period, columns=unit, values=outcome).reindex(index=periods)
    if wide.loc[opt_periods, treated_unit].isna().any():
        return degenerate("treated_outcome_missing", "the treated unit's outcome is missing in a pre-treatment period")
    incomplete = [u for u in pool if wide[u].isna().any()]
    if incomplete:
        notes.append(f"donors with a missing outcome, left out: {incomplete}")
    pool = [u for u in pool if u not in set(incomplete)]
    specs = list(predictors) if predictors is not None else [Predictor.at(outcome, p) for p in pre_periods]
    x_frame = _predictor_values(panel, unit, period, specs, [treated_unit, *pool])
    usable = [s.label for s in specs if np.isfinite(x_frame.loc[s.label, treated_unit])
              and x_frame.loc[s.label, pool].notna().any()]
    dropped = [s.label for s in specs if s.label not in set(usable)]
    if dropped:
        notes.append(f"predictors missing for the treated unit or every donor, dropped: {dropped}")
    x_frame = x_frame.loc[usable]
    missing_x = [u for u in pool if x_frame[u].isna().any()]
    if missing_x:
        notes.append(f"donors with a missing predictor, left out: {missing_x}")
    pool = [u for u in pool if u not in set(missing_x)]
    if not pool:
        return degenerate("no_donors", "no donor unit with complete outcome and predictor data")
    x_frame = x_frame[[treated_unit, *pool]]
    constant = [label for label in x_frame.index if not np.std(x_frame.loc[label].to_numpy(float)) > 0]
    if constant:
        notes.append(f"predictors constant across units (cannot be standardised), dropped: {constant}")
    x_frame = x_frame.drop(index=constant)
    if x_frame.empty:
        return degenerate("no_predictors", "no predictor left to match on")
    kept = [s for s in specs if s.label in set(x_frame.index)]
    return _Prepared(
        units=[treated_unit, *pool], periods=periods, predictors=kept, x=x_frame.to_numpy(float),
        y=wide[[treated_unit, *pool]].to_numpy(float), optimize=np.isin(np.array(periods, dtype=object),
        np.array(opt_periods, dtype=object)), post=np.array([p >= treatment_period for p in periods]), notes=notes,
    )  # fmt: skip


def _predictor_values(panel: pd.DataFrame, unit: str, period: str, specs: Sequence[Predictor],
                      units: Sequence[Any]) -> pd.DataFrame:
    """Predictor labels x units: each predictor's column averaged over its periods, missing values skipped."""
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"predictor labels must be unique: {labels}")
    rows = {}
    subset = panel[panel[unit].isin(list(units))]
    for spec in specs:
        window = subset[(subset[period] >= spec.start) & (subset[period] <= spec.end)]
        means = window.groupby(unit)[spec.column].mean()
        rows[spec.label] = means.reindex(list(units))
    return pd.DataFrame(rows).T.reindex(columns=list(units)).astype(float)


def _shift_predictors(specs: Sequence[Predictor], periods: Sequence[Any], k: int) -> tuple[list[Predictor], list[str]]:
    """Move every predictor window ``k`` periods back along the panel's periods (clip at the first, drop if empty)."""
    shifted, notes = [], []
    for spec in specs:
        inside = [i for i, p in enumerate(periods) if spec.start <= p <= spec.end]
        if not inside or inside[-1] - k < 0:
            notes.append(f"in-time placebo: predictor {spec.label} has no period left after moving it back, dropped")
            continue
        first, last = max(inside[0] - k, 0), inside[-1] - k
        if inside[0] - k < 0:
            notes.append(f"in-time placebo: predictor {spec.label}'s window clipped at the first period")
        shifted.append(Predictor(spec.column, periods[first], periods[last]))
    return shifted, notes


def _first_index_at_or_after(periods: Sequence[Any], value: Any) -> int | None:
    """Position of the first period >= value, or None."""
    for i, p in enumerate(periods):
        if p >= value:
            return i
    return None


# ---------------------------------------------------------------------------------------------------------------
# Estimation (Synth's synth)
# ---------------------------------------------------------------------------------------------------------------


def _fit_unit(prepared: _Prepared, treated: int, pool: list[int], treatment_period: Any,
              v_weights: Sequence[float] | None) -> SyntheticControlResult:
    """Fit unit column ``treated`` on donor columns ``pool`` and summarise the gaps."""
    treated_unit = prepared.units[treated]
    if not pool:
        return SyntheticControlResult("no_donors", treated_unit, treatment_period, notes=list(prepared.notes))
    x1, x0 = prepared.x[:, treated], prepared.x[:, pool]
    z1, z0 = prepared.y[prepared.optimize, treated], prepared.y[np.ix_(prepared.optimize, pool)]
    if v_weights is not None:
        v = _normalise_v(np.asarray(v_weights, dtype=float), len(x1))
        w = solve_weights(*_standardise(x1, x0), v)
    else:
        v, w = fit_weights(x1, x0, z1, z0)
    w = np.where(w < WEIGHT_TOLERANCE, 0.0, w)
    w = w / w.sum()
    return _summarise(prepared, treated, pool, v, w, treatment_period)


def _normalise_v(v: np.ndarray, k: int) -> np.ndarray:
    """|v| / sum|v|, checked to have one entry per predictor."""
    if v.shape != (k,) or not np.abs(v).sum() > 0:
        raise ValueError(f"v_weights needs {k} non-negative numbers, not all zero")
    return np.abs(v) / np.abs(v).sum()


def _standardise(x1: np.ndarray, x0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Divide every predictor by its sample standard deviation across the fit's units (Synth's normalisation)."""
    divisor = np.std(np.column_stack([x0, x1]), axis=1, ddof=1)
    divisor = np.where(divisor > 0, divisor, 1.0)  # a predictor constant among a placebo's units is left as it is
    return x1 / divisor, x0 / divisor[:, None]


def solve_weights(x1: np.ndarray, x0: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The inner problem of ADH 2010 (eq. 7 with V given): W >= 0, sum(W) = 1 minimising
    (x1 - x0 W)' diag(v) (x1 - x0 W), for predictors already standardised."""
    return _InnerProblem(x1, x0, np.zeros(1), np.zeros((1, x0.shape[1]))).weights(np.asarray(v, dtype=float))


class _InnerProblem:
    """W(V) and the outer loss of one fit, with the last solution's support kept as the next call's first guess.

    W(V) is found as non-negative least squares with the adding-up constraint as a heavily weighted extra row
    (Lawson & Hanson 1974, ch. 23), then made exact by the equality-constrained least squares on the support NNLS
    found. The nested search evaluates nearby V in turn, whose solutions usually share a support: the exact
    solution on the previous support is tried first and kept when the Karush-Kuhn-Tucker conditions of the convex
    problem confirm it, which skips the NNLS."""

    def __init__(self, x1s: np.ndarray, x0s: np.ndarray, z1: np.ndarray, z0: np.ndarray) -> None:
        self.x1s, self.x0t, self.z1, self.z0 = x1s, np.ascontiguousarray(x0s.T), z1, z0
        self.support: np.ndarray | None = None  # donor indices of the last solution

    def weights(self, v: np.ndarray) -> np.ndarray:
        """The donor weights W(V) for the diagonal ``v`` (trace 1)."""
        if self.support is not None:
            guess = self._on_support(v, self.support)
            if guess is not None and self._is_optimal(v, guess):
                return guess
        root = np.sqrt(v)
        a, b = self.x0t.T * root[:, None], self.x1s * root
        big = 1e4 * max(1.0, float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
        w, _ = nnls(np.vstack([a, np.full(a.shape[1], big)]), np.append(b, big), maxiter=50 * a.shape[1])
        w = w / w.sum()
        exact = self._on_support(v, np.flatnonzero(w > WEIGHT_TOLERANCE))
        w = exact if exact is not None else w
        self.support = np.flatnonzero(w > 0)
        return w

    def _on_support(self, v: np.ndarray, support: np.ndarray) -> np.ndarray | None:
        """min (x1 - x0 w)' diag(v) (x1 - x0 w) with sum(w) = 1 and w = 0 off ``support``: w = G^-1 (c - mu 1),
        G = X_S' V X_S, c = X_S' V x1, mu setting sum(w) = 1 (least squares on the KKT system when G is singular);
        None when a weight comes out negative."""
        rows = self.x0t[support]
        weighted = rows * v
        gram = weighted @ rows.T
        rhs = np.empty((len(support), 2))
        rhs[:, 0], rhs[:, 1] = weighted @ self.x1s, 1.0
        try:
            solved = np.linalg.solve(gram, rhs)
            inner = solved[:, 0] - (solved[:, 0].sum() - 1.0) / solved[:, 1].sum() * solved[:, 1]
        except np.linalg.LinAlgError:
            m = len(support)
            kkt = np.block([[gram, np.ones((m, 1))], [np.ones((1, m)), np.zeros((1, 1))]])
            inner = np.linalg.lstsq(kkt, np.append(rhs[:, 0], 1.0), rcond=None)[0][:m]
        if not np.isfinite(inner).all() or abs(inner.sum() - 1) > 1e-8 or inner.min() < -1e-12:
            return None
        w = np.zeros(self.x0t.shape[0])
        w[support] = np.maximum(inner, 0.0)
        return w

    def _is_optimal(self, v: np.ndarray, w: np.ndarray) -> bool:
        """KKT on the simplex: the gradient X0' V (X0 w - x1) is equal on the support and no smaller off it."""
        gradient = self.x0t @ (v * (self.x0t.T @ w - self.x1s))
        on = w > 0
        level = gradient[on].mean()
        tolerance = 1e-9 * (1.0 + np.abs(gradient).max())
        return bool(np.abs(gradient[on] - level).max() <= tolerance and gradient.min() >= level - tolerance)

    def loss(self, theta: np.ndarray) -> float:
        """Pre-period outcome MSPE of W(V), V = theta^2 / sum(theta^2) (Synth's loss.v)."""
        total = float(theta @ theta)
        if not (np.isfinite(total) and total > 0):
            return math.inf
        return _outcome_mspe(self.z1, self.z0, self.weights(theta**2 / total))

    def loss_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss and its gradient in theta on the current support, where W(V) is smooth: with K the KKT matrix
        [[G, 1], [1', 0]] of the support, dW/dv_i solves K [dw; dmu] = [x_i r_i; 0] (x_i the i-th predictor of the
        support donors, r = x1 - X0 W), so one adjoint solve gives every dL/dv_i."""
        total = float(theta @ theta)
        if not (np.isfinite(total) and total > 0):
            return math.inf, np.zeros_like(theta)
        v = theta**2 / total
        w = self.weights(v)
        support = np.flatnonzero(w > 0)
        rows = self.x0t[support]
        residual = self.z1 - self.z0 @ w
        m = len(support)
        kkt = np.zeros((m + 1, m + 1))
        kkt[:m, :m] = (rows * v) @ rows.T
        kkt[:m, m] = kkt[m, :m] = 1.0
        outer = np.append(-2.0 / len(residual) * (self.z0[:, support].T @ residual), 0.0)
        adjoint = np.linalg.lstsq(kkt, outer, rcond=None)[0][:m]
        grad_v = (rows.T @ adjoint) * (self.x1s - self.x0t.T @ w)
        grad_theta = 2.0 * theta / total * (grad_v - v @ grad_v)
        return float(residual @ residual / len(residual)), grad_theta


def fit_weights(x1: np.ndarray, x0: np.ndarray, z1: np.ndarray, z0: np.ndarray,
                n_random_starts: int = 4, seed: int = 20100601) -> tuple[np.ndarray, np.ndarray]:
    """The nested optimisation of ADH 2010 (section 2.3): standardise the predictors as Synth does, then choose V
    (diagonal, trace 1) to minimise the pre-period outcome MSPE of W(V). Returns (V diagonal, W).

    The loss is piecewise smooth in V with several local minima, so the search is wider than Synth's (which runs
    Nelder-Mead and BFGS from its two starting points): from Synth's two starts (equal weights; the regression-based
    weights) and ``n_random_starts`` Dirichlet(1) draws (fixed ``seed``, so fits are reproducible), BFGS with the
    analytic gradient of each smooth piece; then Nelder-Mead, restarted from the best point until a restart gains
    less than 1e-8 (relative), polishes across the kinks where the support of W changes. V = theta^2 / sum(theta^2)
    keeps V >= 0 without bounds."""
    x1s, x0s = _standardise(x1, x0)
    problem = _InnerProblem(x1s, x0s, z1, z0)
    k = len(x1s)
    if k == 1:
        v = np.ones(1)
        return v, problem.weights(v)
    random_starts = np.random.default_rng(seed).dirichlet(np.ones(k), n_random_starts)
    candidates = []
    for start in [*_v_starts(x1s, x0s, z1, z0), *random_starts]:
        found = minimize(problem.loss_and_gradient, np.sqrt(start), jac=True, method="BFGS",
                         options={"maxiter": 200, "gtol": 1e-9})
        candidates.append((problem.loss(found.x), found.x))
    best_loss, best_theta = min(candidates, key=lambda pair: pair[0])
    best_loss, best_theta = _nelder_mead_restarts(problem, best_theta, best_loss)
    v = best_theta**2 / float(best_theta @ best_theta)
    problem.support = None
    return v, problem.weights(v)


def _nelder_mead_restarts(problem: _InnerProblem, theta: np.ndarray, value: float,
                          max_restarts: int = 10) -> tuple[float, np.ndarray]:
    """Nelder-Mead from ``theta``, restarted (a fresh simplex escapes a collapsed one) while it still improves."""
    k = len(theta)
    for _ in range(max_restarts):
        found = minimize(problem.loss, theta, method="Nelder-Mead",
                         options={"maxfev": 100 * k, "xatol": 1e-6, "fatol": 1e-10})
        new_value = problem.loss(found.x)
        if new_value >= value:
            break
        improved = value - new_value
        value, theta = new_value, found.x
        if improved < 1e-8 * max(1.0, value):
            break
    return value, theta


def _v_starts(x1s: np.ndarray, x0s: np.ndarray, z1: np.ndarray, z0: np.ndarray) -> list[np.ndarray]:
    """Synth's two starting points for v: equal weights, and the diagonal of B B' normalised, B the coefficients of
    the regression (with intercept, across units) of every pre-period outcome on the standardised predictors."""
    k = len(x1s)
    starts = [np.full(k, 1.0 / k)]
    design = np.column_stack([np.ones(x0s.shape[1] + 1), np.column_stack([x1s, x0s]).T])
    outcomes = np.column_stack([z1, z0]).T
    gram = design.T @ design
    if np.linalg.cond(gram) < 1e12:
        beta = np.linalg.solve(gram, design.T @ outcomes)[1:]
        diagonal = np.sum(beta**2, axis=1)
        if diagonal.sum() > 0:
            starts.append(diagonal / diagonal.sum())
    return starts


def _outcome_mspe(z1: np.ndarray, z0: np.ndarray, w: np.ndarray) -> float:
    """Mean squared prediction error of the synthetic outcome over the optimisation periods (Synth's loss.v)."""
    residual = z1 - z0 @ w
    return float(residual @ residual / len(residual))


def _summarise(prepared: _Prepared, treated: int, pool: list[int], v: np.ndarray, w: np.ndarray,
               treatment_period: Any) -> SyntheticControlResult:
    """Weights, predictor balance, the outcome path and its gaps, RMSPEs and the ATT of one fit."""
    x1, x0 = prepared.x[:, treated], prepared.x[:, pool]
    x1s, x0s = _standardise(x1, x0)
    treated_path, synthetic_path = prepared.y[:, treated], prepared.y[:, pool] @ w
    gap = treated_path - synthetic_path
    path = pd.DataFrame({"period": prepared.periods, "treated": treated_path, "synthetic": synthetic_path,
                         "gap": gap, "is_post": prepared.post})
    labels = [s.label for s in prepared.predictors]
    balance = pd.DataFrame({"treated": x1, "synthetic": x0 @ w, "donor_mean": x0.mean(axis=1)},
                           index=pd.Index(labels, name="predictor"))
    discrepancy = x1s - x0s @ w
    pre_gap, post_gap = gap[prepared.optimize], gap[prepared.post]
    post_gap = post_gap[np.isfinite(post_gap)]
    notes = list(prepared.notes)
    if len(post_gap) < prepared.post.sum():
        notes.append("the treated unit's outcome is missing in some post-treatment periods; averaged over the rest")
    loss_v = float(np.mean(pre_gap**2))
    return SyntheticControlResult(
        status="ok", treated_unit=prepared.units[treated], treatment_period=treatment_period,
        weights=pd.Series(w, index=pd.Index([prepared.units[j] for j in pool], name="donor"), name="weight"),
        predictor_weights=pd.Series(v, index=pd.Index(labels, name="predictor"), name="v"),
        balance=balance, path=path, pre_rmspe=math.sqrt(loss_v),
        post_rmspe=math.sqrt(float(np.mean(post_gap**2))) if len(post_gap) else math.nan,
        att=float(np.mean(post_gap)) if len(post_gap) else math.nan, loss_v=loss_v,
        loss_w=float(discrepancy @ (v * discrepancy)), notes=notes,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Placebo ranking
# ---------------------------------------------------------------------------------------------------------------


def _placebo_table(rows: list[dict]) -> pd.DataFrame:
    """The placebo rows as a frame with a fixed column order."""
    columns = ["unit", "is_treated", "pre_rmspe", "post_rmspe", "rmspe_ratio", "att", "status"]
    return pd.DataFrame(rows, columns=columns)


def _rank_placebos(table: pd.DataFrame, notes: list[str]) -> PlaceboInSpaceResult:
    """Rank units by post/pre RMSPE (1 = largest; ties share the worse rank, so the p-value counts every unit at
    least as extreme) and give the treated unit's p-value = rank / number of units with a valid fit."""
    valid = (table["status"] == "ok") & table["rmspe_ratio"].notna()
    notes = list(notes)
    if (~valid).any():
        notes.append(f"units without a valid placebo fit, left out of the ranking: {list(table.loc[~valid, 'unit'])}")
    ranked = table.assign(rank=table["rmspe_ratio"].where(valid).rank(ascending=False, method="max"),
                          order=table["unit"].astype(str))
    ranked = ranked.sort_values(["rank", "order"], na_position="last").drop(columns="order").reset_index(drop=True)
    treated_rank = ranked.loc[ranked["is_treated"], "rank"]
    n_units = int(valid.sum())
    if treated_rank.empty or not np.isfinite(treated_rank.iloc[0]):
        return PlaceboInSpaceResult("treated_fit_failed", ranked, n_units=n_units, notes=notes)
    rank = float(treated_rank.iloc[0])
    return PlaceboInSpaceResult("ok", ranked, treated_rank=rank, n_units=n_units, p_value=rank / n_units, notes=notes)
