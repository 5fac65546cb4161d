"""Staggered-adoption difference-in-differences on a balanced panel (one row per unit x integer period).

* :func:`att_gt` -- the group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna (2021,
  "Difference-in-Differences with multiple time periods", J. Econometrics 225(2), 200-230) without covariates,
  following the conventions of their R package ``did`` (version 2.5.1, ``att_gt`` with ``base_period="varying"``;
  without covariates its "dr", "ipw" and "reg" estimators coincide with the difference of mean changes used here),
  with analytic standard errors from the influence functions (clustered by unit);
* :func:`aggregate` -- the ``aggte`` summaries of R ``did`` (simple, group, dynamic / event study, calendar),
  including the influence of estimating the group-share weights (R's ``wif`` term);
* :func:`pretrend_wald` -- R ``did``'s Wald pre-test that every pre-treatment ATT(g,t) is zero;
* :func:`twfe` -- the two-way fixed-effects regression of the outcome on a post-treatment dummy with
  unit-clustered (CR1) standard errors, the estimator the above replaces;
* :func:`bacon_decomposition` -- Goodman-Bacon (2021, "Difference-in-differences with variation in treatment
  timing", J. Econometrics 225(2), 254-277), Theorem 1: that TWFE estimate as a weighted average of 2x2 DiDs.

Input: a long DataFrame with a unit id, an integer period, the unit's group (its first treated period; 0 or NaN =
never treated) and a float outcome, named by arguments. The panel must be balanced and a unit's group constant over
time; otherwise :class:`ValueError`. Degenerate designs (no treated cohort, no control units for a cell, no
treatment variation) do not raise: the rows carry a ``status`` saying why.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

Z95 = 1.959963984540054
STATUS_OK = "ok"
CONTROL_GROUPS = ("never_treated", "not_yet_treated")
AGGREGATIONS = ("simple", "group", "dynamic", "calendar")
#: R did treats a standard error at or below this as zero / not estimable (att_gt.R, compute.aggte.R).
SE_ZERO_TOLERANCE = float(np.sqrt(np.finfo(float).eps) * 10)

ATT_GT_COLUMNS = [
    "group", "period", "base_period", "event_time", "estimate", "std_error", "ci_lower", "ci_upper",
    "n_units_group", "n_units_control", "status",
]
AGGREGATE_COLUMNS = ["aggregation", "label", "estimate", "std_error", "ci_lower", "ci_upper", "n_cells", "status"]
BACON_COLUMNS = ["comparison_type", "treated_group", "control_group", "estimate", "weight"]
BACON_TYPE_COLUMNS = ["comparison_type", "weight", "estimate", "n_comparisons"]
BACON_TYPES = (
    "treated_vs_never_treated", "earlier_vs_later_treated", "later_vs_earlier_treated", "treated_vs_always_treated",
)


# ----------------------------------------------------------------------------------------------------------------
# Panel checks
# ----------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Panel:
    """A validated balanced panel in wide form: ``outcomes[i, j]`` is unit ``units[i]`` in ``periods[j]``."""

    units: pd.Index
    periods: np.ndarray  # sorted int periods
    groups: np.ndarray  # first treated period per unit, 0 = never treated
    outcomes: np.ndarray  # n_units x n_periods


def _normalised_groups(values: pd.Series) -> pd.Series:
    """Group column with NaN mapped to 0 (never treated); raises on negative or non-integer groups."""
    groups = pd.to_numeric(values, errors="raise").astype(float).fillna(0.0)
    if (groups < 0).any():
        raise ValueError("group must be 0/NaN (never treated) or a positive first treated period")
    if not np.all(np.equal(np.mod(groups.to_numpy(), 1), 0)):
        raise ValueError("group must hold integer periods (the first treated period)")
    return groups.astype(np.int64)


def balanced_panel(panel: pd.DataFrame, unit: str, period: str, group: str, outcome: str) -> Panel:
    """Check that `panel` is a balanced unit x period panel with a time-constant group and return it wide.

    Raises ValueError when a column is missing, periods are not integers, a unit x period appears twice or is
    missing, an outcome is missing, or a unit's group varies over time.
    """
    missing = [c for c in (unit, period, group, outcome) if c not in panel.columns]
    if missing:
        raise ValueError(f"panel lacks column(s) {missing}")
    if panel.empty:
        raise ValueError("panel is empty")
    frame = panel[[unit, period, group, outcome]].copy()
    if frame[unit].isna().any() or frame[period].isna().any():
        raise ValueError("unit and period must not be missing")
    periods = pd.to_numeric(frame[period], errors="raise")
    if not np.all(np.equal(np.mod(periods.to_numpy(dtype=float), 1), 0)):
        raise ValueError("period must be an integer")
    frame[period] = periods.astype(np.int64)
    frame[group] = _normalised_groups(frame[group])
    frame[outcome] = pd.to_numeric(frame[outcome], errors="raise").astype(float)
    if frame[outcome].isna().any():
        raise ValueError("panel is not balanced: the outcome is missing in some unit x period rows")
    if frame.duplicated([unit, period]).any():
        raise ValueError("panel is not balanced: some unit x period appears more than once")
    n_periods = frame[period].nunique()
    counts = frame.groupby(unit, sort=False)[period].size()
    if (counts != n_periods).any():
        short = counts[counts != n_periods].index[:5].tolist()
        raise ValueError(f"panel is not balanced: units {short} are not observed in all {n_periods} periods")
    varying = frame.groupby(unit, sort=False)[group].nunique()
    if (varying > 1).any():
        raise ValueError(f"group varies over time within units {varying[varying > 1].index[:5].tolist()}")
    wide = frame.pivot(index=unit, columns=period, values=outcome).sort_index().sort_index(axis=1)
    unit_groups = frame.groupby(unit)[group].first().reindex(wide.index)
    return Panel(wide.index, wide.columns.to_numpy(dtype=np.int64), unit_groups.to_numpy(dtype=np.int64),
                 wide.to_numpy(dtype=float))


# ----------------------------------------------------------------------------------------------------------------
# Group-time ATT (Callaway & Sant'Anna 2021)
# ----------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttGtResult:
    """ATT(g,t) estimates with what aggregation needs.

    ``table``: one row per (group, period) cell (:data:`ATT_GT_COLUMNS`); ``influence``: n_units x n_cells matrix
    of influence functions in R did's scaling (column mean 0, Var(estimate) = mean(IF^2)/n), columns in the order
    of ``table``'s rows, NaN in cells whose status is not ``ok``; ``units``: the unit ids of its rows (units
    treated in the first period, which R did drops, excluded); ``unit_groups``: each of those units' group as
    estimated with (0 = never treated, including units first treated after the last period + anticipation);
    ``group_shares``: P(G = g) among those units for every treated cohort (R did's ``pg``).
    """

    table: pd.DataFrame
    influence: np.ndarray
    units: pd.Index
    unit_groups: np.ndarray
    group_shares: pd.Series
    control_group: str
    anticipation: int
    n_units_dropped: int

    @property
    def n_units(self) -> int:
        """Number of units the influence functions are defined on."""
        return len(self.units)


@dataclass(frozen=True)
class _Cell:
    """One ATT(g,t) estimate with its influence function over all units."""

    estimate: float
    influence: np.ndarray
    n_treated: int
    n_control: int
    status: str


def _base_period(periods: np.ndarray, g: int, t: int, anticipation: int) -> int | None:
    """R did's varying base period: g-1-anticipation (the last period p with p + anticipation < g) when t >= g,
    else the period just before t. None when a post-treatment cell has no pre-treatment period."""
    if t >= g:
        earlier = periods[periods + anticipation < g]
        return int(earlier[-1]) if earlier.size else None
    return int(periods[np.searchsorted(periods, t) - 1])


def _control_mask(unit_groups: np.ndarray, g: int, t: int, base: int, control_group: str,
                  anticipation: int) -> np.ndarray:
    """Comparison units of cell (g,t): the never treated, plus for ``not_yet_treated`` the units of other cohorts
    not yet treated (allowing for anticipation) in either period of the cell -- R did's
    ``G > max(t, base) + anticipation, G != g`` (compute.att_gt)."""
    never = unit_groups == 0
    if control_group == "never_treated":
        return never
    return never | ((unit_groups > max(t, base) + anticipation) & (unit_groups != g))


def _cell_estimate(change: np.ndarray, treated: np.ndarray, control: np.ndarray) -> _Cell:
    """Unconditional 2x2 DiD of mean outcome changes, ATT = E[dY | G=g] - E[dY | C], and its influence function.

    The influence function is that of DRDID's panel estimators without covariates (Sant'Anna & Zhao 2020), scaled
    by n/n1 as R did does so it is defined over all n units: IF_i = n * (D_i (dY_i - m1)/n1g - C_i (dY_i - m0)/n0),
    zero for units in neither group.
    """
    n = change.size
    n_treated, n_control = int(treated.sum()), int(control.sum())
    if n_treated == 0 or n_control == 0:
        status = "no_treated_units" if n_treated == 0 else "no_control_units"
        return _Cell(np.nan, np.full(n, np.nan), n_treated, n_control, status)
    mean_treated = change[treated].mean()
    mean_control = change[control].mean()
    influence = np.zeros(n)
    influence[treated] = n * (change[treated] - mean_treated) / n_treated
    influence[control] = -n * (change[control] - mean_control) / n_control
    return _Cell(float(mean_treated - mean_control), influence, n_treated, n_control, STATUS_OK)


def influence_se(influence: np.ndarray) -> float:
    """Analytic standard error from an influence-function vector over n units, sqrt(sum IF^2)/n (R did getSE)."""
    if influence.size == 0 or not np.all(np.isfinite(influence)):
        return float("nan")
    se = float(np.sqrt(np.sum(influence**2)) / influence.size)
    return se if se > SE_ZERO_TOLERANCE else float("nan")


def _estimation_groups(groups: np.ndarray, periods: np.ndarray, anticipation: int) -> tuple[np.ndarray, np.ndarray]:
    """R did's preprocessing of groups: units first treated after the last period + anticipation count as never
    treated; units treated in the first period (+ anticipation) are dropped. Returns (kept mask, groups)."""
    recoded = np.where(groups > periods[-1] + anticipation, 0, groups)
    keep = (recoded == 0) | (recoded > periods[0] + anticipation)
    return keep, recoded


def _degenerate_table(status: str) -> pd.DataFrame:
    """A one-row ATT(g,t) table that only reports why nothing could be estimated."""
    row = {c: np.nan for c in ATT_GT_COLUMNS}
    row.update(n_units_group=0, n_units_control=0, status=status)
    return pd.DataFrame([row], columns=ATT_GT_COLUMNS)


def att_gt(panel: pd.DataFrame, unit: str, period: str, group: str, outcome: str,
           control_group: str = "never_treated", anticipation: int = 0) -> AttGtResult:
    """Group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna (2021) without covariates.

    For every treated cohort g and every period t after the first (R did, ``base_period="varying"``):
    ATT(g,t) = E[Y_t - Y_b | G=g] - E[Y_t - Y_b | C] with base period b = g-1-anticipation when t >= g (the
    effect) and b = t-1 when t < g (a placebo for the pre-test). C is the never-treated units
    (``control_group="never_treated"``) or those plus the units of other cohorts not yet treated by
    max(t, b) + anticipation (``"not_yet_treated"``). Units treated in the first period are dropped and units first
    treated after the last period are never treated, as in R did. Unlike R did, when no never-treated units exist
    the last cohort is not coerced into a control group: the cells report ``no_control_units``.
    Standard errors are analytic (influence function, clustered by unit) with pointwise 95% normal intervals;
    R did prints multiplier-bootstrap standard errors by default, which differ by simulation noise.
    """
    return att_gt_of_panel(balanced_panel(panel, unit, period, group, outcome), control_group, anticipation)


def without_unit(data: Panel, unit: Any) -> Panel:
    """The balanced panel without one unit: what :func:`balanced_panel` gives for the long panel without that
    unit's rows (the units stay sorted, every other unit keeps every period), without validating and pivoting the
    long panel again for every unit left out in turn."""
    keep = np.asarray(data.units != unit)
    return Panel(data.units[keep], data.periods, data.groups[keep], data.outcomes[keep])


def att_gt_of_panel(data: Panel, control_group: str = "never_treated", anticipation: int = 0) -> AttGtResult:
    """:func:`att_gt` on a panel already validated and made wide by :func:`balanced_panel`."""
    if control_group not in CONTROL_GROUPS:
        raise ValueError(f"control_group must be one of {CONTROL_GROUPS}")
    if int(anticipation) != anticipation or anticipation < 0:
        raise ValueError("anticipation must be a non-negative integer")
    anticipation = int(anticipation)
    keep, recoded = _estimation_groups(data.groups, data.periods, anticipation)
    units, unit_groups, outcomes = data.units[keep], recoded[keep], data.outcomes[keep]
    cohorts = np.unique(unit_groups[unit_groups > 0])
    shares = pd.Series([float(np.mean(unit_groups == g)) for g in cohorts], index=cohorts.astype(np.int64),
                       name="group_share", dtype=float)
    common = dict(units=units, unit_groups=unit_groups, group_shares=shares, control_group=control_group,
                  anticipation=anticipation, n_units_dropped=int((~keep).sum()))
    status = ("too_few_periods" if data.periods.size < 2 else "no_treated_units" if cohorts.size == 0 else None)
    if status is not None:
        return AttGtResult(_degenerate_table(status), np.full((units.size, 1), np.nan), **common)
    rows, columns = [], []
    position = {p: j for j, p in enumerate(data.periods)}
    for g in cohorts:
        treated = unit_groups == g
        for t in data.periods[1:]:
            base = _base_period(data.periods, int(g), int(t), anticipation)
            if base is None:  # cannot happen after dropping first-period cohorts; kept as a guard
                continue
            change = outcomes[:, position[t]] - outcomes[:, position[base]]
            control = _control_mask(unit_groups, int(g), int(t), base, control_group, anticipation)
            cell = _cell_estimate(change, treated, control)
            rows.append(_att_gt_row(int(g), int(t), base, cell))
            columns.append(cell.influence)
    return AttGtResult(pd.DataFrame(rows, columns=ATT_GT_COLUMNS), np.column_stack(columns), **common)


def _att_gt_row(g: int, t: int, base: int, cell: _Cell) -> dict:
    """The table row of one ATT(g,t) cell."""
    se = influence_se(cell.influence) if cell.status == STATUS_OK else float("nan")
    return dict(group=g, period=t, base_period=base, event_time=t - g, estimate=cell.estimate, std_error=se,
                ci_lower=cell.estimate - Z95 * se, ci_upper=cell.estimate + Z95 * se,
                n_units_group=cell.n_treated, n_units_control=cell.n_control, status=cell.status)


# ----------------------------------------------------------------------------------------------------------------
# Aggregation (R did aggte)
# ----------------------------------------------------------------------------------------------------------------

def _weight_influence(cell_groups: np.ndarray, shares: np.ndarray, unit_groups: np.ndarray) -> np.ndarray:
    """Influence (n x k) of estimating the weights w_k = pg_k / sum(pg) from the sample group shares.

    R did's ``wif``: (1{G_i = g_k} - pg_k)/S - sum_j (1{G_i = g_j} - pg_j) * pg_k / S^2, with S = sum_k pg_k.
    """
    centered = (unit_groups[:, None] == cell_groups[None, :]).astype(float) - shares[None, :]
    total = shares.sum()
    return centered / total - centered.sum(axis=1, keepdims=True) * (shares / total**2)[None, :]


def _share_weighted(att: np.ndarray, influence: np.ndarray, cell_groups: np.ndarray, shares: np.ndarray,
                    unit_groups: np.ndarray) -> tuple[float, np.ndarray]:
    """Group-share weighted average of ATTs, sum_k pg_k ATT_k / sum_k pg_k, with its influence function including
    the estimation of the weights (R did's get_agg_inf_func with wif)."""
    weights = shares / shares.sum()
    wif = _weight_influence(cell_groups, shares, unit_groups)
    return float(weights @ att), influence @ weights + wif @ att


def _aggregate_row(kind: str, label: str, estimate: float, influence: np.ndarray, n_cells: int) -> dict:
    """One row of an aggregation table."""
    se = influence_se(influence)
    return dict(aggregation=kind, label=label, estimate=estimate, std_error=se, ci_lower=estimate - Z95 * se,
                ci_upper=estimate + Z95 * se, n_cells=n_cells, status=STATUS_OK)


def _aggregate_simple(cells: pd.DataFrame, inf: np.ndarray, res: AttGtResult) -> list[dict]:
    """Simple ATT: post-treatment ATT(g,t) averaged with weights pg (aggte type "simple")."""
    post = (cells["period"] >= cells["group"]).to_numpy()
    est, infl = _share_weighted(cells["estimate"].to_numpy()[post], inf[:, post],
                                cells["group"].to_numpy()[post], cells["pg"].to_numpy()[post], res.unit_groups)
    return [_aggregate_row("simple", "overall", est, infl, int(post.sum()))]


def _aggregate_group(cells: pd.DataFrame, inf: np.ndarray, res: AttGtResult) -> list[dict]:
    """Per-cohort averages of post-treatment ATT(g,t) (equal weights over periods), and their pg-weighted mean
    with the weight-estimation term (aggte type "group"). The weight term indexes the cohorts themselves, as R did
    2.5.1 does (``wif(..., group = glist)``); earlier releases passed the cell-level group vector there, which on
    mpdta gives an overall SE of 0.01242 instead of 0.01245."""
    rows, atts, infs, cohorts = [], [], [], []
    for g in sorted(cells["group"].unique()):
        mask = ((cells["group"] == g) & (cells["period"] >= g)).to_numpy()
        if not mask.any():
            continue
        est, infl = float(cells["estimate"].to_numpy()[mask].mean()), inf[:, mask].mean(axis=1)
        rows.append(_aggregate_row("group", str(int(g)), est, infl, int(mask.sum())))
        atts.append(est)
        infs.append(infl)
        cohorts.append(int(g))
    cohorts_arr = np.array(cohorts)
    shares = res.group_shares.reindex(cohorts_arr).to_numpy()
    est, infl = _share_weighted(np.array(atts), np.column_stack(infs), cohorts_arr, shares, res.unit_groups)
    n_cells = sum(r["n_cells"] for r in rows)
    return rows + [_aggregate_row("group", "overall", est, infl, n_cells)]


def _aggregate_dynamic(cells: pd.DataFrame, inf: np.ndarray, res: AttGtResult) -> list[dict]:
    """Event-study ATT(e): ATT(g, g+e) averaged over cohorts with weights pg, for every event time e including
    negative ones; overall = the plain mean of ATT(e) over e >= 0 (aggte type "dynamic")."""
    rows, positive_atts, positive_infs, n_positive = [], [], [], 0
    event = cells["event_time"].to_numpy()
    for e in np.unique(event):
        mask = event == e
        est, infl = _share_weighted(cells["estimate"].to_numpy()[mask], inf[:, mask],
                                    cells["group"].to_numpy()[mask], cells["pg"].to_numpy()[mask], res.unit_groups)
        rows.append(_aggregate_row("dynamic", str(int(e)), est, infl, int(mask.sum())))
        if e >= 0:
            positive_atts.append(est)
            positive_infs.append(infl)
            n_positive += int(mask.sum())
    if positive_atts:
        rows.append(_aggregate_row("dynamic", "overall", float(np.mean(positive_atts)),
                                   np.column_stack(positive_infs).mean(axis=1), n_positive))
    return rows


def _aggregate_calendar(cells: pd.DataFrame, inf: np.ndarray, res: AttGtResult) -> list[dict]:
    """Calendar-time ATT(t): post-treatment ATT(g,t) of period t averaged with weights pg, for periods from the
    first cohort's; overall = the plain mean over those periods (aggte type "calendar")."""
    rows, atts, infs = [], [], []
    post = (cells["period"] >= cells["group"]).to_numpy()
    for t in sorted(cells.loc[post, "period"].unique()):
        mask = post & (cells["period"] == t).to_numpy()
        est, infl = _share_weighted(cells["estimate"].to_numpy()[mask], inf[:, mask],
                                    cells["group"].to_numpy()[mask], cells["pg"].to_numpy()[mask], res.unit_groups)
        rows.append(_aggregate_row("calendar", str(int(t)), est, infl, int(mask.sum())))
        atts.append(est)
        infs.append(infl)
    rows.append(_aggregate_row("calendar", "overall", float(np.mean(atts)), np.column_stack(infs).mean(axis=1),
                               int(post.sum())))
    return rows


_AGGREGATORS = {"simple": _aggregate_simple, "group": _aggregate_group, "dynamic": _aggregate_dynamic,
                "calendar": _aggregate_calendar}


def aggregate(result: AttGtResult, kind: str) -> pd.DataFrame:
    """Aggregate ATT(g,t) into summary parameters as R did's ``aggte`` (Callaway & Sant'Anna 2021, Section 3).

    ``kind``: "simple" (post-treatment cells weighted by group size pg), "group" (per cohort, then pg-weighted),
    "dynamic" (per event time e = t - g, negative e included, then the mean over e >= 0) or "calendar" (per period,
    then the mean). Only cells with status ``ok`` enter (R's ``na.rm=TRUE``); post-treatment means t >= g as in R.
    Standard errors are analytic from the aggregated influence function including the estimation effect of the
    weights (R's ``wif``), pointwise 95% normal intervals. Columns: :data:`AGGREGATE_COLUMNS`; labels are strings
    (event time, cohort or period; "overall" for the summary row).
    """
    if kind not in AGGREGATIONS:
        raise ValueError(f"kind must be one of {AGGREGATIONS}")
    ok = (result.table["status"] == STATUS_OK).to_numpy()
    cells = result.table.loc[ok].reset_index(drop=True)
    cells["pg"] = result.group_shares.reindex(cells["group"].astype(np.int64)).to_numpy()
    has_post = bool((cells["period"] >= cells["group"]).any())
    if cells.empty or (kind != "dynamic" and not has_post):
        row = {c: np.nan for c in AGGREGATE_COLUMNS}
        row.update(aggregation=kind, label="overall", n_cells=0,
                   status="no_estimable_cells" if cells.empty else "no_post_treatment_cells")
        return pd.DataFrame([row], columns=AGGREGATE_COLUMNS)
    rows = _AGGREGATORS[kind](cells, result.influence[:, ok], result)
    return pd.DataFrame(rows, columns=AGGREGATE_COLUMNS)


# ----------------------------------------------------------------------------------------------------------------
# Pre-test of parallel trends
# ----------------------------------------------------------------------------------------------------------------

class WaldTest(NamedTuple):
    """A chi-square Wald test: statistic, degrees of freedom and p-value (NaN when not computable)."""

    statistic: float
    df: int
    p_value: float


def pretrend_wald(result: AttGtResult) -> WaldTest:
    """Joint Wald test that every pre-treatment ATT(g,t) (t < g) is zero, R did's "P-value for pre-test of
    parallel trends assumption": W = b' V^-1 b with V = IF'IF / n^2 (analytic, clustered by unit), chi-square with
    as many degrees of freedom as pre-treatment cells. Cells with a missing or zero standard error are left out,
    as in R; NaN statistic when no cell is left or V is singular.
    """
    table = result.table
    pre = ((table["status"] == STATUS_OK) & (table["group"] > table["period"])
           & table["std_error"].notna()).to_numpy()
    if not pre.any():
        return WaldTest(float("nan"), 0, float("nan"))
    att = table.loc[pre, "estimate"].to_numpy()
    influence = result.influence[:, pre]
    covariance = influence.T @ influence / result.n_units**2
    # the reciprocal condition number of the symmetric covariance: its singular values are the absolute values of
    # its eigenvalues (eigvalsh, several times cheaper than the SVD of np.linalg.cond with hundreds of pre cells)
    magnitudes = np.abs(np.linalg.eigvalsh(covariance))
    if magnitudes.max() == 0 or magnitudes.min() / magnitudes.max() <= np.finfo(float).eps:
        return WaldTest(float("nan"), int(pre.sum()), float("nan"))
    statistic = float(att @ np.linalg.solve(covariance, att))
    return WaldTest(statistic, int(pre.sum()), float(stats.chi2.sf(statistic, pre.sum())))


# ----------------------------------------------------------------------------------------------------------------
# Two-way fixed effects and its Goodman-Bacon decomposition
# ----------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TwfeResult:
    """TWFE coefficient on the post-treatment dummy, CR1 unit-clustered, with t(G-1) inference."""

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    p_value: float
    n_units: int
    n_periods: int
    status: str


def treatment_matrix(data: Panel) -> np.ndarray:
    """The n_units x n_periods post-treatment dummy D_it = 1{G_i > 0 and t >= G_i}."""
    return ((data.groups[:, None] > 0) & (data.periods[None, :] >= data.groups[:, None])).astype(float)


def two_way_demean(matrix: np.ndarray) -> np.ndarray:
    """x_it - mean_i - mean_t + mean: the residual of unit and period fixed effects in a balanced panel."""
    return matrix - matrix.mean(axis=1, keepdims=True) - matrix.mean(axis=0, keepdims=True) + matrix.mean()


def twfe(panel: pd.DataFrame, unit: str, period: str, group: str, outcome: str) -> TwfeResult:
    """OLS of the outcome on D_it = 1{group > 0, period >= group} with unit and period fixed effects.

    Estimated by the two-way within transformation (Frisch-Waugh-Lovell; exact for a balanced panel). Standard
    error clustered by unit, CR1 with Stata's small-sample factor G/(G-1) * (N-1)/(N-K), K = n_units + n_periods
    (the slope, the intercept and the unit and period dummies of the equivalent dummy regression); the p-value and
    95% interval use a t distribution with G-1 degrees of freedom, as Stata's ``regress ..., vce(cluster)``.
    """
    data = balanced_panel(panel, unit, period, group, outcome)
    n_units, n_periods = data.outcomes.shape
    d_tilde = two_way_demean(treatment_matrix(data))
    sxx = float(np.sum(d_tilde**2))
    if sxx <= 1e-12 * d_tilde.size:
        return TwfeResult(*(float("nan"),) * 5, n_units, n_periods, "no_treatment_variation")
    y_tilde = two_way_demean(data.outcomes)
    beta = float(np.sum(d_tilde * y_tilde) / sxx)
    residuals = y_tilde - beta * d_tilde
    scores = np.sum(d_tilde * residuals, axis=1)  # one per cluster (unit)
    n_obs, n_params = d_tilde.size, n_units + n_periods
    if n_units < 2 or n_obs <= n_params:
        return TwfeResult(beta, *(float("nan"),) * 4, n_units, n_periods, "too_few_degrees_of_freedom")
    factor = n_units / (n_units - 1) * (n_obs - 1) / (n_obs - n_params)
    se = float(np.sqrt(factor * np.sum(scores**2)) / sxx)
    critical = float(stats.t.ppf(0.975, n_units - 1))
    p_value = float(2 * stats.t.sf(abs(beta / se), n_units - 1)) if se > 0 else float("nan")
    return TwfeResult(beta, se, beta - critical * se, beta + critical * se, p_value, n_units, n_periods, STATUS_OK)


@dataclass(frozen=True)
class BaconResult:
    """Goodman-Bacon decomposition: the 2x2 comparisons (:data:`BACON_COLUMNS`), the weights and weighted mean
    estimate summed by comparison type (:data:`BACON_TYPE_COLUMNS`), and sum(weight * estimate), which equals
    the TWFE coefficient."""

    comparisons: pd.DataFrame
    by_type: pd.DataFrame
    twfe_estimate: float
    status: str


def _did_2x2(path_treated: np.ndarray, path_control: np.ndarray, before: np.ndarray, after: np.ndarray) -> float:
    """2x2 DiD of cohort mean paths: mean over `after` minus mean over `before` of (treated - control)."""
    gap = path_treated - path_control
    return float(gap[after].mean() - gap[before].mean())


def _bacon_pairs(paths: dict, shares: dict, treated_share: dict, periods: np.ndarray, untreated: list[tuple],
                 variance: float) -> list[dict]:
    """All 2x2 comparisons of Goodman-Bacon (2021) Theorem 1 with weights s (eqs. 10e-10g).

    `paths`/`shares`/`treated_share` map each timing cohort k to its mean outcome path, its sample share n_k
    and the share of periods it is treated, D_k; `untreated` lists (type, label, path, n_U, fraction) for the
    units whose treatment never changes in the panel (never treated; always treated, whom the paper pools with
    them into U of share n_U): k vs U gets weight s_kU, split between the two by their fraction of U (the 2x2
    estimate against U is the same fraction-weighted mean of the estimates against each).
    """
    rows = []
    cohorts = sorted(paths)
    for k in cohorts:
        post = periods >= k
        d_k = treated_share[k]
        for kind, label, path_u, n_u, fraction in untreated:
            n_ku = shares[k] / (shares[k] + n_u)
            weight = fraction * (shares[k] + n_u) ** 2 * n_ku * (1 - n_ku) * d_k * (1 - d_k) / variance
            rows.append(dict(comparison_type=kind, treated_group=str(k), control_group=label,
                             estimate=_did_2x2(paths[k], path_u, ~post, post), weight=weight))
    for i, k in enumerate(cohorts):
        for ell in cohorts[i + 1:]:
            d_k, d_l = treated_share[k], treated_share[ell]
            n_kl = shares[k] / (shares[k] + shares[ell])
            scale = n_kl * (1 - n_kl) * (d_k - d_l)
            before, mid, after = periods < k, (periods >= k) & (periods < ell), periods >= ell
            w_early = ((shares[k] + shares[ell]) * (1 - d_l)) ** 2 * scale / (1 - d_l) * (1 - d_k) / (1 - d_l)
            w_late = ((shares[k] + shares[ell]) * d_k) ** 2 * scale * d_l / d_k**2
            rows.append(dict(comparison_type="earlier_vs_later_treated", treated_group=str(k),
                             control_group=str(ell), estimate=_did_2x2(paths[k], paths[ell], before, mid),
                             weight=w_early / variance))
            rows.append(dict(comparison_type="later_vs_earlier_treated", treated_group=str(ell),
                             control_group=str(k), estimate=_did_2x2(paths[ell], paths[k], mid, after),
                             weight=w_late / variance))
    return rows


def _bacon_by_type(comparisons: pd.DataFrame) -> pd.DataFrame:
    """Weights summed, and estimates weight-averaged, by comparison type (types in :data:`BACON_TYPES` order)."""
    rows = []
    for kind in BACON_TYPES:
        part = comparisons[comparisons["comparison_type"] == kind]
        if part.empty:
            continue
        weight = float(part["weight"].sum())
        estimate = float((part["weight"] * part["estimate"]).sum() / weight) if weight > 0 else float("nan")
        rows.append(dict(comparison_type=kind, weight=weight, estimate=estimate, n_comparisons=len(part)))
    return pd.DataFrame(rows, columns=BACON_TYPE_COLUMNS)


def bacon_decomposition(panel: pd.DataFrame, unit: str, period: str, group: str, outcome: str) -> BaconResult:
    """Goodman-Bacon (2021) decomposition of the :func:`twfe` coefficient into 2x2 DiD comparisons.

    Timing cohorts are the groups first treated inside the panel after its first period. Comparison types:
    ``treated_vs_never_treated`` (cohort k vs units never treated within the panel, incl. those first treated
    after its last period), ``earlier_vs_later_treated`` (k vs later cohort l before l is treated, l as the
    not-yet-treated control), ``later_vs_earlier_treated`` (l vs the already-treated k after k is treated), and,
    only if some units are treated from the first period, ``treated_vs_always_treated`` (the paper, footnote 11,
    pools them with the never treated; their weight is split here by the two groups' sizes). Weights are eqs.
    (10e)-(10g) with the variance of the two-way demeaned dummy computed from the data; they sum to 1 and
    sum(weight * estimate) reproduces the TWFE coefficient.
    """
    data = balanced_panel(panel, unit, period, group, outcome)
    periods, groups = data.periods, data.groups
    d_tilde = two_way_demean(treatment_matrix(data))
    variance = float(np.mean(d_tilde**2))
    if variance <= 1e-12:
        return BaconResult(pd.DataFrame(columns=BACON_COLUMNS), pd.DataFrame(columns=BACON_TYPE_COLUMNS),
                           float("nan"), "no_treatment_variation")
    n = groups.size
    never = (groups == 0) | (groups > periods[-1])
    always = ~never & (groups <= periods[0])
    timing = ~never & ~always
    paths = {int(k): data.outcomes[groups == k].mean(axis=0) for k in np.unique(groups[timing])}
    shares = {k: float(np.sum(groups == k)) / n for k in paths}
    treated_share = {k: float(np.mean(periods >= k)) for k in paths}
    pooled = float((never | always).sum())  # the paper's untreated group U
    untreated = [(kind, label, data.outcomes[mask].mean(axis=0), pooled / n, float(mask.sum()) / pooled)
                 for kind, label, mask in (("treated_vs_never_treated", "never_treated", never),
                                           ("treated_vs_always_treated", "always_treated", always)) if mask.any()]
    comparisons = pd.DataFrame(_bacon_pairs(paths, shares, treated_share, periods, untreated, variance),
                               columns=BACON_COLUMNS)
    total = float((comparisons["weight"] * comparisons["estimate"]).sum())
    return BaconResult(comparisons, _bacon_by_type(comparisons), total, STATUS_OK)


def pretrend_average(result: AttGtResult) -> tuple[float, float, float]:
    """The average pre-adoption effect: the plain mean over event times e < 0 of the event-study ATT(e) (each a
    pg-weighted mean of the pre-adoption ATT(g, g+e) placebos, as in :func:`aggregate` "dynamic"), with its
    influence-function standard error and two-sided normal p-value. A one-degree-of-freedom companion of
    :func:`pretrend_wald`: with few units and many pre-adoption cells the joint covariance is near singular and
    the chi-square test over-rejects, while this average stays well estimated (it misses pre-trends that cancel
    out, which the event study shows). Returns (estimate, std_error, p_value); NaNs without pre-adoption cells."""
    ok = (result.table["status"] == STATUS_OK).to_numpy()
    cells = result.table.loc[ok].reset_index(drop=True)
    influence = result.influence[:, ok]
    cells["pg"] = result.group_shares.reindex(cells["group"].astype(np.int64)).to_numpy()
    event = cells["event_time"].to_numpy()
    atts, infs = [], []
    for e in np.unique(event[event < 0]):
        mask = event == e
        est, infl = _share_weighted(cells["estimate"].to_numpy()[mask], influence[:, mask],
                                    cells["group"].to_numpy()[mask], cells["pg"].to_numpy()[mask],
                                    result.unit_groups)
        atts.append(est)
        infs.append(infl)
    if not atts:
        return float("nan"), float("nan"), float("nan")
    estimate = float(np.mean(atts))
    se = influence_se(np.column_stack(infs).mean(axis=1))
    p = float(2 * stats.norm.sf(abs(estimate / se))) if np.isfinite(se) and se > 0 else float("nan")
    return estimate, se, p
