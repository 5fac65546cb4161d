"""The experiment marts: assignment health (mart_experiment_health) and effects on every pre-registered metric
(mart_experiment_results), from the experiment frames (fct_experiment_units, fct_experiment_interactions,
fct_experiment_customers), the typed registry and the metric catalogue. Statistics: empathy/stats/experiments.py;
p-value adjustment: empathy/stats/multiple_testing.py; decisions: docs/decisions.md D25.

Effects are intention to treat: every observation of an assigned unit counts in the arm of the unit's first
assignment, whatever happened later. Each treatment arm is compared with `control` on the units of those two arms.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .experiments import (
    cluster_wls, clustered_srm_test, randomization_p_value, srm_test, standardized_difference,
    treatment_cells,
)
from ..settings import settings_from_var
from .multiple_testing import bh_adjusted, holm_adjusted

CONTROL = "control"
INTERACTION_LEVELS = ("interaction", "respondent")
BALANCE_COVARIATES = [
    "interactions_per_day_pre", "tough_moment_share_pre", "new_agent_share_pre", "voice_share_pre",
    "chat_share_pre", "email_share_pre", "in_product_share_pre", "acknowledged_within_30s_share_pre",
    "csat_top2_share_pre", "handle_time_seconds_mean_pre",
]


@dataclass(frozen=True)
class ExperimentSettings:
    """The var `experiments` of dbt_project.yml."""
    alpha: float = 0.05
    srm_alpha: float = 0.001
    balance_smd_threshold: float = 0.25
    contamination_warn_above: float = 0.05
    max_permutations: int = 10000
    permutation_seed: int = 0
    min_units_per_arm: int = 2

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ExperimentSettings":
        return settings_from_var(cls, config)


def as_list(value: Any) -> list:
    """A registry list as a Python list: a `|`-separated string (mart_experiment_registry) or a DuckDB list; null
    and empty give []."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [v for v in value.split("|") if v != ""]
    return [v for v in list(value) if v is not None and v == v]


# ------------------------------------------------------------------ health
def _health_row(experiment_id: str, check_group: str, check_name: str, status: str, **values) -> dict:
    row = {"experiment_id": experiment_id, "check_group": check_group, "check_name": check_name,
           "estimate": math.nan, "expected": math.nan, "statistic": math.nan, "p_value": math.nan,
           "threshold": math.nan, "n_units": 0, "n_interactions": 0, "status": status, "detail": None}
    row.update(values)
    return row


def _srm_rows(exp: str, arms: list[str], allocation: np.ndarray, units: pd.DataFrame,
              settings: ExperimentSettings) -> list[dict]:
    treated_share_expected = float(allocation[[a != CONTROL for a in arms]].sum())
    arm_index = units["itt_arm"].map({a: i for i, a in enumerate(arms)}).to_numpy()
    unit_counts = np.array([(arm_index == k).sum() for k in range(len(arms))])
    rows = []
    if unit_counts.sum() == 0:
        return [_health_row(exp, "sample_ratio", name, "not_estimable", detail="no assigned units")
                for name in ("srm_units", "srm_interactions")]
    stat, p = srm_test(unit_counts, allocation)
    detail = json.dumps({"arms": arms, "observed_units": unit_counts.tolist(),
                         "expected_units": (allocation * unit_counts.sum()).round(2).tolist()})
    rows.append(_health_row(
        exp, "sample_ratio", "srm_units", "flagged" if p < settings.srm_alpha else "ok",
        estimate=float(unit_counts[[a != CONTROL for a in arms]].sum() / unit_counts.sum()),
        expected=treated_share_expected, statistic=stat, p_value=p, threshold=settings.srm_alpha,
        n_units=int(unit_counts.sum()), n_interactions=int(units["n_interactions_window"].sum()), detail=detail))
    sizes = units["n_interactions_window"].to_numpy(dtype=float)
    totals = np.array([sizes[arm_index == k].sum() for k in range(len(arms))])
    if totals.sum() == 0:
        rows.append(_health_row(exp, "sample_ratio", "srm_interactions", "not_estimable",
                                n_units=int(unit_counts.sum()), detail="no interactions in the window"))
        return rows
    stat_c, p_c = clustered_srm_test(sizes, arm_index, allocation)
    stat_n, p_n = srm_test(totals, allocation)
    detail = json.dumps({"arms": arms, "observed_interactions": totals.astype(int).tolist(),
                         "expected_interactions": (allocation * totals.sum()).round(1).tolist(),
                         "pearson_chi_square_ignoring_units": round(stat_n, 3),
                         "pearson_p_value_ignoring_units": p_n})
    rows.append(_health_row(
        exp, "sample_ratio", "srm_interactions", "flagged" if p_c < settings.srm_alpha else "ok",
        estimate=float(totals[[a != CONTROL for a in arms]].sum() / totals.sum()), expected=treated_share_expected,
        statistic=stat_c, p_value=p_c, threshold=settings.srm_alpha, n_units=int(unit_counts.sum()),
        n_interactions=int(totals.sum()), detail=detail))
    return rows


def _balance_rows(exp: str, arms: list[str], units: pd.DataFrame, settings: ExperimentSettings) -> list[dict]:
    rows = []
    control = units[units["itt_arm"] == CONTROL]
    for covariate in BALANCE_COVARIATES:
        differences = {arm: standardized_difference(units.loc[units["itt_arm"] == arm, covariate].to_numpy(),
                                                    control[covariate].to_numpy())
                       for arm in arms if arm != CONTROL}
        finite = {a: d for a, d in differences.items() if np.isfinite(d)}
        n_units = int(units[covariate].notna().sum())
        if not finite:
            rows.append(_health_row(exp, "balance", f"balance:{covariate}", "not_estimable", n_units=n_units,
                                    threshold=settings.balance_smd_threshold,
                                    detail="an arm without pre-period values, or no spread in either arm"))
            continue
        worst = max(finite, key=lambda a: abs(finite[a]))
        smd = finite[worst]
        rows.append(_health_row(
            exp, "balance", f"balance:{covariate}", "warn" if abs(smd) > settings.balance_smd_threshold else "ok",
            estimate=smd, expected=0.0, threshold=settings.balance_smd_threshold, n_units=n_units,
            n_interactions=int(units["n_interactions_pre"].sum()),
            detail=json.dumps({"standardized_difference_by_arm": {a: round(d, 4) for a, d in finite.items()}})))
    return rows


def _contamination_rows(exp: str, units: pd.DataFrame, interactions: pd.DataFrame,
                        settings: ExperimentSettings) -> list[dict]:
    window = interactions[interactions["period"] == "window"]
    assigned = window[window["is_in_assigned_unit"].astype(bool)]
    limit = settings.contamination_warn_above
    rows = []

    def share_row(name: str, numerator: int, denominator: int, n_units: int, detail: str, always_warn=False):
        if denominator == 0:
            return _health_row(exp, "contamination", name, "not_estimable", n_units=n_units,
                               detail="no interactions in the window")
        share = numerator / denominator
        warn = share > 0 if always_warn else share > limit
        return _health_row(exp, "contamination", name, "warn" if warn else "ok", estimate=share, expected=0.0,
                           threshold=0.0 if always_warn else limit, n_units=n_units,
                           n_interactions=int(denominator), detail=detail)

    arms_per_agent = assigned.groupby("agent_id")["itt_arm"].nunique()
    crossing = set(arms_per_agent[arms_per_agent > 1].index)
    rows.append(share_row(
        "contamination_agents_in_both_arms", int(assigned["agent_id"].isin(crossing).sum()), len(assigned),
        int(assigned["unit_id"].nunique()),
        json.dumps({"agents": int(len(arms_per_agent)), "agents_in_more_than_one_arm": len(crossing),
                    "meaning": "share of window interactions handled by agents who also handled units of another "
                               "arm: what they learn in one arm can reach the other"})))
    switched = set(units.loc[units["has_switched_arm"].astype(bool), "unit_id"])
    rows.append(share_row(
        "contamination_switched_units", int(assigned["unit_id"].isin(switched).sum()), len(assigned),
        int(len(units)), json.dumps({"units_switched": sorted(switched), "analysed_as": "arm of first assignment"}),
        always_warn=True))
    unassigned = window[~window["is_in_assigned_unit"].astype(bool)]
    rows.append(share_row(
        "contamination_unassigned_interactions", len(unassigned), len(window), int(len(units)),
        json.dumps({"units_without_assignment": sorted(unassigned["unit_id"].dropna().astype(str).unique().tolist())
                    [:50]}), always_warn=True))
    return rows


def _exposure_row(exp: str, module: str | None, units: pd.DataFrame) -> dict:
    if not module:
        return _health_row(exp, "exposure", "exposure", "not_applicable",
                           detail="the raw data carry no exposure for this intervention; for a training-module "
                                  "intervention set intervention_module_code in the registry")
    known = units[units["exposure_share"].notna() & (units["n_interactions_window"] > 0)]
    by_arm = {}
    for arm, group in known.groupby("itt_arm"):
        n = group["n_interactions_window"].to_numpy(dtype=float)
        by_arm[arm] = float(np.sum(group["exposure_share"].to_numpy() * n) / n.sum())
    treated = {a: s for a, s in by_arm.items() if a != CONTROL}
    if not treated:
        return _health_row(exp, "exposure", "exposure", "not_estimable", detail="no treated interactions")
    estimate = float(np.mean(list(treated.values())))
    return _health_row(exp, "exposure", "exposure", "ok", estimate=estimate, expected=1.0,
                       n_units=int(len(known)), n_interactions=int(known["n_interactions_window"].sum()),
                       detail=json.dumps({"exposure_share_by_arm": {a: round(s, 4) for a, s in by_arm.items()},
                                          "module_code": module}))


def experiment_health(registrations: pd.DataFrame, units: pd.DataFrame, interactions: pd.DataFrame,
                      settings: ExperimentSettings) -> pd.DataFrame:
    """One row per experiment and check: sample ratio (units, interactions), balance of each pre-period unit
    covariate, contamination (agents in both arms, switched units, interactions outside assigned units) and
    exposure. Status: ok, warn, flagged (sample ratio mismatch), not_estimable, not_applicable."""
    rows = []
    for reg in registrations.itertuples(index=False):
        exp = reg.experiment_id
        arms = as_list(reg.arms)
        allocation = np.array([float(a) if a is not None else math.nan for a in as_list(reg.allocation)])
        exp_units = units[units["experiment_id"] == exp]
        exp_interactions = interactions[interactions["experiment_id"] == exp]
        if len(allocation) != len(arms) or not np.all(np.isfinite(allocation)):
            rows.append(_health_row(exp, "sample_ratio", "srm_units", "not_estimable",
                                    detail="the registered allocation is invalid"))
        else:
            rows.extend(_srm_rows(exp, arms, allocation, exp_units, settings))
        rows.extend(_balance_rows(exp, arms, exp_units, settings))
        rows.extend(_contamination_rows(exp, exp_units, exp_interactions, settings))
        rows.append(_exposure_row(exp, reg.intervention_module_code, exp_units))
    return pd.DataFrame(rows, columns=list(_health_row("", "", "", "").keys()))


# ------------------------------------------------------------------ effects
def _empty_effect() -> dict:
    keys = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value", "std_error_small_cluster",
            "ci_lower_small_cluster", "ci_upper_small_cluster", "p_value_small_cluster", "p_value_randomization",
            "estimate_cuped", "std_error_cuped", "ci_lower_cuped", "ci_upper_cuped", "p_value_cuped",
            "control_mean", "treatment_mean"]
    out: dict[str, Any] = {k: math.nan for k in keys}
    out.update({"n_permutations": 0, "is_randomization_exact": None, "n_units": 0, "n_units_treated": 0,
                "n_observations": 0, "n_observations_treated": 0, "cuped_status": None})
    return out


def _unit_effect(cells: pd.DataFrame, pre_means: pd.Series | None, settings: ExperimentSettings,
                 seed: int) -> tuple[dict, str]:
    """ITT effect from unit cells (unit, treated, n, W, S): CR1 and CR3 inference, randomisation p-value, and the
    CUPED estimate with the units' pre-period means (missing ones set to the pre-period grand mean)."""
    out = _empty_effect()
    units = cells.groupby(["unit", "treated"], as_index=False)[["n", "W", "S"]].sum()
    treated = units["treated"] == 1
    out.update(n_units=int(len(units)), n_units_treated=int(treated.sum()), n_observations=int(units["n"].sum()),
               n_observations_treated=int(units.loc[treated, "n"].sum()))
    if units["n"].sum() == 0:
        return out, "no_observations"
    if treated.sum() == 0 or (~treated).sum() == 0:
        return out, "one_arm_empty"
    out["control_mean"] = float(units.loc[~treated, "S"].sum() / units.loc[~treated, "W"].sum())
    out["treatment_mean"] = float(units.loc[treated, "S"].sum() / units.loc[treated, "W"].sum())
    if min(treated.sum(), (~treated).sum()) < settings.min_units_per_arm:
        return out, "too_few_units"
    x = np.column_stack([np.ones(len(units)), units["treated"].to_numpy(dtype=float)])
    fit = cluster_wls(x, units["W"].to_numpy(), units["S"].to_numpy(), units["unit"].to_numpy(),
                      n_obs=int(units["n"].sum()))
    main = fit.inference(1)
    small = fit.inference(1, small_cluster=True)
    out.update(main)
    out.update(std_error_small_cluster=small["std_error"], ci_lower_small_cluster=small["ci_lower"],
               ci_upper_small_cluster=small["ci_upper"], p_value_small_cluster=small["p_value"])
    p_ri, n_perm, exact = randomization_p_value(units, max_permutations=settings.max_permutations, seed=seed)
    out.update(p_value_randomization=p_ri, n_permutations=n_perm, is_randomization_exact=exact)
    out.update(_cuped(units, pre_means))
    status = "ok" if np.isfinite(out["std_error"]) and out["std_error"] > 0 else "no_variation"
    return out, status


def _cuped(units: pd.DataFrame, pre_means: pd.Series | None) -> dict:
    """Regression adjustment on the unit's pre-period mean of the same metric (CUPED: Deng, Xu, Kohavi & Walker
    2013, WSDM), centred, clustered on the unit."""
    if pre_means is None or pre_means.dropna().empty:
        return {"cuped_status": "no_pre_period"}
    covariate = units["unit"].map(pre_means).astype(float)
    covariate = covariate.fillna(pre_means.dropna().mean())
    covariate = covariate - covariate.mean()
    if float(np.ptp(covariate.to_numpy())) == 0:
        return {"cuped_status": "no_pre_period_variation"}
    x = np.column_stack([np.ones(len(units)), units["treated"].to_numpy(dtype=float), covariate.to_numpy()])
    try:
        fit = cluster_wls(x, units["W"].to_numpy(), units["S"].to_numpy(), units["unit"].to_numpy(),
                          n_obs=int(units["n"].sum()), jackknife=False)
    except np.linalg.LinAlgError:
        return {"cuped_status": "singular"}
    if fit.n_clusters - 3 < 1:
        return {"cuped_status": "too_few_units"}
    res = fit.inference(1)
    return {"estimate_cuped": res["estimate"], "std_error_cuped": res["std_error"], "ci_lower_cuped": res["ci_lower"],
            "ci_upper_cuped": res["ci_upper"], "p_value_cuped": res["p_value"], "cuped_status": "ok"}


def _difference_vs_rest(frame: pd.DataFrame, split: str, level: str, value: str, weight: str | None) -> tuple:
    """τ_level − τ_rest and its CR1 p-value from y ~ D + L + D·L on (unit, L) cells, clustered on the unit."""
    work = frame.assign(_in_level=(frame[split] == level).astype(float))
    cells = treatment_cells(work, "unit_id", "treated", value, weight, by=["_in_level"])
    if cells.groupby(["treated", "_in_level"]).size().shape[0] < 4:
        return math.nan, math.nan
    d, lvl = cells["treated"].to_numpy(float), cells["_in_level"].to_numpy(float)
    x = np.column_stack([np.ones(len(cells)), d, lvl, d * lvl])
    try:
        fit = cluster_wls(x, cells["W"].to_numpy(), cells["S"].to_numpy(), cells["unit"].to_numpy(),
                          n_obs=int(cells["n"].sum()), jackknife=False)
    except np.linalg.LinAlgError:
        return math.nan, math.nan
    res = fit.inference(3)
    return res["estimate"], res["p_value"]


def _interaction_p_value(frame: pd.DataFrame, split: str, value: str, weight: str | None) -> float:
    """Joint Wald p-value that the effect is the same in every level of the split (all D·level terms zero)."""
    cells = treatment_cells(frame, "unit_id", "treated", value, weight, by=[split])
    levels = sorted(cells[split].astype(str).unique())
    if len(levels) < 2:
        return math.nan
    d = cells["treated"].to_numpy(float)
    dummies = [(cells[split].astype(str) == lv).to_numpy(float) for lv in levels[1:]]
    x = np.column_stack([np.ones(len(cells)), d] + dummies + [d * m for m in dummies])
    try:
        fit = cluster_wls(x, cells["W"].to_numpy(), cells["S"].to_numpy(), cells["unit"].to_numpy(),
                          n_obs=int(cells["n"].sum()), jackknife=False)
    except np.linalg.LinAlgError:
        return math.nan
    first = 2 + len(dummies)
    return fit.wald_p_value(list(range(first, first + len(dummies))))


def _pre_means(pre: pd.DataFrame, value: str, weight: str | None) -> pd.Series:
    if pre.empty:
        return pd.Series(dtype=float)
    w = pre[weight].astype(float) if weight else pd.Series(1.0, index=pre.index)
    totals = pd.DataFrame({"unit": pre["unit_id"], "w": w, "s": w * pre[value].astype(float)})
    grouped = totals.groupby("unit")[["w", "s"]].sum()
    return grouped["s"] / grouped["w"]


RESULT_KEYS = ["experiment_id", "arm", "metric_code", "metric_role", "observation_level", "higher_is_better",
               "subgroup_split", "subgroup_level"]


def _result_row(base: dict, effect: dict, status: str) -> dict:
    row = dict(base)
    row.update(effect)
    row["status"] = status
    return row


def _metric_frame(metric, interactions: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    frame = interactions if metric.observation_level in INTERACTION_LEVELS else customers
    columns = [metric.value_column] + ([metric.weight_column] if metric.weight_column else [])
    if any(c not in frame.columns for c in columns):
        raise KeyError(f"metric {metric.metric_code}: column(s) {columns} not in its frame")
    keep = frame[metric.value_column].notna()
    if metric.weight_column:
        keep &= frame[metric.weight_column].notna() & (frame[metric.weight_column].astype(float) > 0)
    if "is_in_assigned_unit" in frame.columns:
        keep &= frame["is_in_assigned_unit"].astype(bool)
    return frame[keep & frame["itt_arm"].notna()]


def _metric_rows(exp: str, reg, metric, interactions: pd.DataFrame, customers: pd.DataFrame,
                 settings: ExperimentSettings, seed: int) -> list[dict]:
    treatment_arms = [a for a in as_list(reg.arms) if a != CONTROL] or [None]
    base_all = {"experiment_id": exp, "metric_code": metric.metric_code, "metric_role": metric.metric_role,
                "observation_level": metric.observation_level, "higher_is_better": metric.higher_is_better,
                "subgroup_split": "all", "subgroup_level": "all"}
    if not metric.is_in_catalogue:
        return [_result_row({**base_all, "arm": a}, _empty_effect(), "metric_not_in_catalogue")
                for a in treatment_arms]
    if treatment_arms == [None]:
        return [_result_row({**base_all, "arm": None}, _empty_effect(), "no_treatment_arm")]
    frame = _metric_frame(metric, interactions, customers)
    value, weight = metric.value_column, metric.weight_column or None
    rows = []
    for arm in treatment_arms:
        two = frame[frame["itt_arm"].isin([CONTROL, arm])].assign(
            treated=lambda f: (f["itt_arm"] == arm).astype(float))
        window, pre = two[two["period"] == "window"], two[two["period"] == "pre"]
        cells = treatment_cells(window, "unit_id", "treated", value, weight)
        effect, status = _unit_effect(cells, _pre_means(pre, value, weight), settings, seed)
        rows.append(_result_row({**base_all, "arm": arm}, effect, status))
        for split in as_list(reg.subgroups):
            column = f"subgroup_{split}"
            if column not in window.columns:
                rows.append(_result_row({**base_all, "arm": arm, "subgroup_split": split, "subgroup_level": None},
                                        _empty_effect(), "subgroup_not_available"))
                continue
            joint = _interaction_p_value(window, column, value, weight) if status == "ok" else math.nan
            for level in sorted(window[column].dropna().astype(str).unique()):
                in_level = window[window[column].astype(str) == level]
                pre_level = pre[pre[column].astype(str) == level]
                level_cells = treatment_cells(in_level, "unit_id", "treated", value, weight)
                level_effect, level_status = _unit_effect(level_cells, _pre_means(pre_level, value, weight),
                                                          settings, seed)
                difference, difference_p = (_difference_vs_rest(window, column, level, value, weight)
                                            if level_status == "ok" else (math.nan, math.nan))
                level_effect.update(difference_vs_rest=difference, difference_vs_rest_p_value=difference_p,
                                    interaction_p_value=joint)
                rows.append(_result_row({**base_all, "arm": arm, "subgroup_split": split, "subgroup_level": level},
                                        level_effect, level_status))
    return rows


def _judge(table: pd.DataFrame, settings: ExperimentSettings) -> pd.DataFrame:
    """Guardrail breaches, equity and the adjusted p-values (families: primary alone; secondaries; guardrails;
    every subgroup row), per experiment and arm."""
    sign = np.where(table["higher_is_better"].astype(bool), 1.0, -1.0)
    overall = table["subgroup_split"] == "all"
    improvement = sign * table["estimate"]
    table["is_guardrail_breached"] = np.where(
        (table["metric_role"] == "guardrail") & overall,
        (improvement < 0) & (table["p_value"] < settings.alpha), None)
    worse = (sign * table["difference_vs_rest"] < 0) & (table["difference_vs_rest_p_value"] < settings.alpha)
    table["is_equitable"] = np.where(~overall & table["difference_vs_rest_p_value"].notna(), ~worse, None)
    for idx in table.index[overall]:
        same = ((table["experiment_id"] == table.at[idx, "experiment_id"]) & (table["arm"] == table.at[idx, "arm"])
                & (table["metric_code"] == table.at[idx, "metric_code"]) & ~overall
                & table["is_equitable"].notna())
        if same.any():
            table.at[idx, "is_equitable"] = bool(table.loc[same, "is_equitable"].astype(bool).all())
    family = np.where(~overall, "subgroup", table["metric_role"])
    table["adjustment_family"] = family
    keys = [table["experiment_id"], table["arm"], table["adjustment_family"]]
    table["p_value_adjusted"] = table.groupby(keys, sort=False)["p_value"].transform(holm_adjusted)
    table["p_value_adjusted_bh"] = table.groupby(keys, sort=False)["p_value"].transform(bh_adjusted)
    return table


RESULT_COLUMNS = RESULT_KEYS + [
    "status", "registration_status", "n_units", "n_units_treated", "n_observations", "n_observations_treated",
    "control_mean", "treatment_mean", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
    "p_value_adjusted", "p_value_adjusted_bh", "adjustment_family", "std_error_small_cluster",
    "ci_lower_small_cluster", "ci_upper_small_cluster", "p_value_small_cluster", "p_value_randomization",
    "n_permutations", "is_randomization_exact", "estimate_cuped", "std_error_cuped", "ci_lower_cuped",
    "ci_upper_cuped", "p_value_cuped", "cuped_status", "difference_vs_rest", "difference_vs_rest_p_value",
    "interaction_p_value", "is_equitable", "is_guardrail_breached",
]


#: fct_experiment_interactions columns experiment_results reads besides the metrics' values and weights and the
#: subgroup columns.
RESULT_INPUT_COLUMNS = ("experiment_id", "agent_id", "period", "unit_id", "itt_arm", "is_in_assigned_unit")


def experiment_columns(available: list[str], metrics: pd.DataFrame) -> list[str]:
    """The columns of fct_experiment_interactions (``available``, in its order) that :func:`experiment_results`
    reads: :data:`RESULT_INPUT_COLUMNS`, every ``subgroup_*`` column, and the value and weight column of every
    listed metric. A metric whose column is absent stays absent, as in the whole table."""
    wanted = set(RESULT_INPUT_COLUMNS) | {c for c in available if c.startswith("subgroup_")}
    for column in ("value_column", "weight_column"):
        if column in metrics:
            wanted |= {str(v) for v in metrics[column].dropna()}
    return [c for c in available if c in wanted]


def experiment_results(registrations: pd.DataFrame, metrics: pd.DataFrame, interactions: pd.DataFrame,
                       customers: pd.DataFrame, settings: ExperimentSettings) -> pd.DataFrame:
    """One row per experiment, treatment arm, registered metric and subgroup (split `all` = everyone): the ITT
    effect with CR1 and CR3 (small-cluster) inference, the randomisation p-value, the CUPED estimate, adjusted
    p-values, equity and guardrail flags. ``registrations`` needs experiment_id, arms, subgroups and status."""
    rows = []
    for reg in registrations.itertuples(index=False):
        exp = reg.experiment_id
        exp_metrics = metrics[metrics["experiment_id"] == exp].sort_values("metric_position")
        exp_interactions = interactions[interactions["experiment_id"] == exp]
        exp_customers = customers[customers["experiment_id"] == exp]
        for metric in exp_metrics.itertuples(index=False):
            for row in _metric_rows(exp, reg, metric, exp_interactions, exp_customers, settings,
                                    settings.permutation_seed):
                row["registration_status"] = reg.status
                rows.append(row)
    table = pd.DataFrame(rows)
    for column in RESULT_COLUMNS:
        if column not in table.columns:
            table[column] = math.nan if column not in ("status", "registration_status") else None
    if table.empty:
        return table[RESULT_COLUMNS]
    return _judge(table, settings)[RESULT_COLUMNS]
