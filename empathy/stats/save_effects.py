"""Save conversations judged by closure, not credits (issue 12, decision D29).

Each retention offer is one save conversation. The question is what the agent's closure behaviours (summarised the
concern, confirmed next steps, closed the emotional loop) do to the outcomes, beside the money conceded and the
save script:

* **Adjusted comparisons** are linear probability models (least squares on 0/1 outcomes; money in currency) with
  one fixed effect per agent, estimated by the within transformation (Frisch-Waugh-Lovell). An agent's skill moves
  both the behaviours they show and whether customers stay, so only comparisons between conversations of the same
  agent identify closure; plan, segment, channel, log tenure and the tough-moment flag are controlled. Standard
  errors are clustered by agent (CR1, the fixed effects nested in the clusters and not counted in the degrees of
  freedom, as in Stata's reghdfe and pyfixest's default; a test checks pyfixest gives the same numbers). Agents
  with a single offer carry no within-agent information and are dropped, as reghdfe drops singletons.
* **Naive estimates** (the term alone, no controls, no fixed effects) stand beside them, so that a reader sees how
  much of the raw difference the agent's skill explains.
* **Cells** (script x closure: all three, some, none) give the mean of each outcome and the money conceded per
  save (a ratio of means, with a delta-method standard error clustered by agent).

Comparisons (column ``comparison``): ``closure_behaviors`` (per closure behaviour shown), the three sub-behaviours
mutually adjusted, ``money_conceded_per_10`` (per 10 currency units conceded, adjusted for the same as closure and
for closure); closure and money are compared within the save script, which moves both. ``save_script`` (each
script against the reference script) is the total effect of using it, through closure and concessions too, so
neither is controlled; ``full_closure_within_script`` compares all three closure behaviours against fewer, within
each script. Holm's procedure adjusts the p-values over every effect row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ..settings import settings_from_var
from .multiple_testing import holm_adjusted

Z95 = float(stats.norm.ppf(0.975))
CLOSURE = {"summarised_concern": "has_summarised_concern", "confirmed_next_steps": "has_confirmed_next_steps",
           "closed_emotional_loop": "has_closed_emotional_loop"}
#: outcome name -> column of mart_save_conversations
OUTCOMES = {"saved": "is_saved", "accepted": "is_accepted", "callback": "has_callback",
            "renewed_at_next_renewal": "is_renewed_at_next_renewal", "money_conceded": "offer_amount"}
MONEY = "money_conceded"
NUMERIC_CONTROLS = ["log_tenure_days", "is_tough_moment"]
CATEGORICAL_CONTROLS = ["plan", "segment", "channel"]
CLUSTER = "agent_id"
COLUMNS = ["row_kind", "outcome", "comparison", "group_value", "reference_value", "estimate", "std_error",
           "ci_lower", "ci_upper", "p_value", "p_value_adjusted", "naive_estimate", "n_offers", "n_agents", "status"]
#: status -> meaning (documented in the mart's YAML)
STATUSES = {
    "ok": "estimated",
    "too_few_offers": "fewer complete offers than var save_conversations.min_offers",
    "too_few_agents": "fewer than two agents with two or more offers: no within-agent comparison or clustering",
    "no_variation_in_term": "the compared behaviour, script or money never varies within an agent",
    "empty_cell": "no offer in this script x closure cell",
}


@dataclass(frozen=True)
class SaveSettings:
    """The var `save_conversations` of dbt_project.yml (the keys read here)."""
    min_offers: int = 30

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "SaveSettings":
        return settings_from_var(cls, config)


def prepare(offers: pd.DataFrame) -> pd.DataFrame:
    """The offers whose closure was observed (a usable transcript), with the derived columns the models use:
    log tenure, money per 10, full closure, the closure level and 0/1 floats for booleans."""
    frame = offers.loc[offers["closure_status"] == "observed"].copy()
    frame["log_tenure_days"] = np.log1p(frame["tenure_days"].clip(lower=0).astype(float))
    frame["offer_amount"] = frame["offer_amount"].astype(float)
    frame["offer_amount_per_10"] = frame["offer_amount"] / 10.0
    frame["closure_behaviors_count"] = frame["closure_behaviors_count"].astype(float)
    n_closure = len(CLOSURE)
    frame["has_full_closure"] = (frame["closure_behaviors_count"] == n_closure).astype(float)
    frame["closure_level"] = np.select(
        [frame["closure_behaviors_count"] == n_closure, frame["closure_behaviors_count"] > 0], ["all_three", "some"],
        "none")
    for column in [*CLOSURE.values(), "is_tough_moment", *[c for c in OUTCOMES.values() if c != "offer_amount"]]:
        frame[column] = frame[column].astype("Float64").astype(float)
    for column in CATEGORICAL_CONTROLS + ["save_script", "offer_type"]:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "unknown").astype(str)
    frame[CLUSTER] = frame[CLUSTER].astype(object).where(frame[CLUSTER].notna(), "unknown").astype(str)
    return frame


def _design(frame: pd.DataFrame, terms: list[str], numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """Terms first, then numeric controls, then indicators of the categorical controls (first level dropped)."""
    parts = [frame[terms + numeric].astype(float)]
    if categorical:
        parts.append(pd.get_dummies(frame[categorical], drop_first=True, dtype=float))
    return pd.concat(parts, axis=1)


def _independent_columns(x: np.ndarray, tol: float = 1e-9) -> list[int]:
    """Indices of columns kept in order, each kept only when it adds to the rank of those before it (so terms,
    listed first, are never dropped for a control that duplicates them)."""
    kept: list[int] = []
    scale = max(1.0, float(np.abs(x).max()) if x.size else 1.0)
    for j in range(x.shape[1]):
        trial = x[:, kept + [j]]
        if np.linalg.matrix_rank(trial, tol=tol * scale * max(trial.shape)) == len(kept) + 1:
            kept.append(j)
    return kept


def within_agent_fit(frame: pd.DataFrame, outcome: str, terms: list[str], numeric: list[str],
                     categorical: list[str]) -> dict[str, Any]:
    """Least squares of ``outcome`` on ``terms`` and controls with one fixed effect per agent (within
    transformation), standard errors clustered by agent (CR1, fixed effects not counted). Returns
    {"coef": {term: (estimate, std_error, p_value)}, "n": offers used, "agents": agents used, "status": ...}."""
    used = frame.dropna(subset=[outcome, *terms, *numeric])
    sizes = used.groupby(CLUSTER)[CLUSTER].transform("size")
    used = used.loc[sizes > 1]
    n, n_agents = len(used), int(used[CLUSTER].nunique())
    result: dict[str, Any] = {"coef": {}, "n": n, "agents": n_agents, "status": "ok"}
    if n_agents < 2:
        result["status"] = "too_few_agents"
        return result
    design = _design(used, terms, numeric, categorical)
    columns = list(design.columns)
    both = pd.concat([used[[outcome]].astype(float), design], axis=1)
    demeaned = both - both.groupby(used[CLUSTER].to_numpy()).transform("mean")
    y = demeaned[outcome].to_numpy()
    x = demeaned[columns].to_numpy()
    kept = _independent_columns(x)
    groups = pd.factorize(used[CLUSTER])[0]
    # a constant (its estimate is 0 on demeaned data) makes the degrees of freedom those of reghdfe and pyfixest,
    # which count the intercept among the regressors
    fit = sm.OLS(y, np.column_stack([np.ones(len(y)), x[:, kept]])).fit(cov_type="cluster",
                                                                     cov_kwds={"groups": groups})
    for term in terms:
        j = columns.index(term)
        if j in kept:
            k = kept.index(j) + 1
            result["coef"][term] = (float(fit.params[k]), float(fit.bse[k]), float(fit.pvalues[k]))
    return result


def naive_slope(frame: pd.DataFrame, outcome: str, term: str) -> float | None:
    """Least-squares slope of ``outcome`` on ``term`` alone (no controls, no fixed effects)."""
    used = frame.dropna(subset=[outcome, term])
    x = used[term].astype(float).to_numpy()
    if len(used) < 2 or np.ptp(x) == 0:
        return None
    y = used[outcome].astype(float).to_numpy()
    return float(np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1))


def _row(outcome: str, comparison: str, group_value: str | None, reference_value: str | None,
         fit: dict[str, Any] | None, term: str, naive: float | None, n: int, n_agents: int, status: str) -> dict:
    row = {"row_kind": "effect", "outcome": outcome, "comparison": comparison, "group_value": group_value,
           "reference_value": reference_value, "naive_estimate": naive, "n_offers": n, "n_agents": n_agents}
    if fit is not None and status == "ok" and term in fit["coef"]:
        estimate, se, p = fit["coef"][term]
        row.update(estimate=estimate, std_error=se, ci_lower=estimate - Z95 * se, ci_upper=estimate + Z95 * se,
                   p_value=p, status="ok")
    else:
        row["status"] = status if status != "ok" else "no_variation_in_term"
    return row


def _effect_rows(frame: pd.DataFrame, outcome: str, min_offers: int) -> list[dict]:
    """Every adjusted comparison of one outcome."""
    column = OUTCOMES[outcome]
    used = frame.dropna(subset=[column])
    offer_terms = [] if outcome == MONEY else ["offer_amount_per_10"]
    offer_categorical = [] if outcome == MONEY else ["offer_type"]
    # the script moves both the closure shown and the money conceded, so closure and money are compared within it
    categorical = CATEGORICAL_CONTROLS + ["save_script"] + offer_categorical
    scripts = used["save_script"].value_counts()
    reference = str(scripts.index[0]) if len(scripts) else None
    others = sorted(s for s in scripts.index if s != reference)
    plan: list[tuple[str, str | None, str | None, list[str], list[str], str]] = [
        ("closure_behaviors", None, None, ["closure_behaviors_count", *offer_terms], categorical,
         "closure_behaviors_count"),
        *[(name, None, None, [*CLOSURE.values(), *offer_terms], categorical, col) for name, col in CLOSURE.items()],
    ]
    if outcome != MONEY:
        plan.append(("money_conceded_per_10", None, None, ["offer_amount_per_10", "closure_behaviors_count"],
                     categorical, "offer_amount_per_10"))
    work = used.copy()
    for script in scripts.index:
        work[f"script__{script}"] = (work["save_script"] == script).astype(float)
        work[f"full_closure__{script}"] = work["has_full_closure"] * work[f"script__{script}"]
    for script in others:
        plan.append(("save_script", script, reference, [f"script__{s}" for s in others], CATEGORICAL_CONTROLS,
                     f"script__{script}"))
    for script in scripts.index:
        plan.append(("full_closure_within_script", str(script), None,
                     [f"full_closure__{s}" for s in scripts.index] + [f"script__{s}" for s in others],
                     CATEGORICAL_CONTROLS + offer_categorical, f"full_closure__{script}"))
    rows = []
    fits: dict[tuple[str, ...], dict] = {}
    for comparison, group, ref, terms, cats, term in plan:
        if comparison == "full_closure_within_script":  # naive: full closure against fewer within the script
            naive = naive_slope(work.loc[work["save_script"] == group], column, "has_full_closure")
        else:
            naive = naive_slope(work, column, term)
        if len(used) < min_offers:
            rows.append(_row(outcome, comparison, group, ref, None, term, naive, len(used),
                             int(used[CLUSTER].nunique()), "too_few_offers"))
            continue
        key = (tuple(terms), tuple(cats))
        if key not in fits:
            fits[key] = within_agent_fit(work, column, terms, NUMERIC_CONTROLS, cats)
        fit = fits[key]
        rows.append(_row(outcome, comparison, group, ref, fit, term, naive, fit["n"], fit["agents"], fit["status"]))
    return rows


def _mean_with_cluster_se(y: np.ndarray, groups: np.ndarray) -> tuple[float, float | None]:
    """Mean and its standard error clustered by ``groups`` (CR1 with one parameter: the factor G/(G-1))."""
    mean = float(y.mean())
    codes, g = pd.factorize(groups)[0], len(set(groups))
    if g < 2:
        return mean, None
    sums = np.bincount(codes, weights=y - mean)
    return mean, float(np.sqrt(g / (g - 1) * (sums ** 2).sum()) / len(y))


def _ratio_with_cluster_se(num: np.ndarray, den: np.ndarray, groups: np.ndarray) -> tuple[float | None, float | None]:
    """sum(num)/sum(den) with a delta-method standard error clustered by ``groups``."""
    if den.sum() == 0:
        return None, None
    ratio = float(num.sum() / den.sum())
    codes, g = pd.factorize(groups)[0], len(set(groups))
    if g < 2:
        return ratio, None
    scores = np.bincount(codes, weights=num - ratio * den)
    return ratio, float(np.sqrt(g / (g - 1) * (scores ** 2).sum()) / den.sum())


def _cell_rows(frame: pd.DataFrame) -> list[dict]:
    """Script x closure cells: the mean of each outcome and the money conceded per save."""
    rows = []
    levels = ["all_three", "some", "none"]
    for script in sorted(frame["save_script"].unique()):
        for level in levels:
            cell = frame.loc[(frame["save_script"] == script) & (frame["closure_level"] == level)]
            group = f"{script} | {level}"
            for outcome, column in [*OUTCOMES.items(), ("money_conceded_per_save", None)]:
                base = {"row_kind": "cell", "outcome": outcome, "comparison": "script_by_closure",
                        "group_value": group, "reference_value": None, "naive_estimate": None}
                if column is None:
                    used = cell.dropna(subset=["is_saved"])
                    estimate, se = _ratio_with_cluster_se(used["offer_amount"].to_numpy(),
                                                          used["is_saved"].to_numpy(), used[CLUSTER].to_numpy())
                else:
                    used = cell.dropna(subset=[column])
                    estimate, se = (_mean_with_cluster_se(used[column].astype(float).to_numpy(),
                                                          used[CLUSTER].to_numpy()) if len(used) else (None, None))
                base.update(n_offers=len(used), n_agents=int(used[CLUSTER].nunique()), estimate=estimate,
                            std_error=se)
                if se is not None and estimate is not None:
                    base.update(ci_lower=estimate - Z95 * se, ci_upper=estimate + Z95 * se)
                base["status"] = "ok" if estimate is not None else "empty_cell"
                rows.append(base)
    return rows


def save_effects(offers: pd.DataFrame, settings: SaveSettings) -> pd.DataFrame:
    """The rows of mart_save_effects: adjusted effects (with naive estimates) for every outcome and comparison,
    then the script x closure cells. Holm-adjusted p-values over the effect rows."""
    frame = prepare(offers)
    rows = [row for outcome in OUTCOMES for row in _effect_rows(frame, outcome, settings.min_offers)]
    rows += _cell_rows(frame)
    out = pd.DataFrame(rows).reindex(columns=COLUMNS)
    effect = out["row_kind"] == "effect"
    out["p_value_adjusted"] = np.nan
    out.loc[effect, "p_value_adjusted"] = holm_adjusted(out.loc[effect, "p_value"].astype(float))
    for column in ["estimate", "std_error", "ci_lower", "ci_upper", "p_value", "p_value_adjusted", "naive_estimate"]:
        out[column] = out[column].astype(float)
    return out
