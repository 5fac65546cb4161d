"""Agent scorecards (mart_agent_scorecards): every rate of an agent's month shrunk toward the agent's team by
empirical Bayes, so that an agent with eight contacts is not ranked first or last by chance (issue 14, D31).

Input: agent x month x metric cells (int_agent_months_counted): units the rate is a share of and successes; for
the design-weighted CSAT top-2 the sums of the pulse weights. Per metric and month, a beta-binomial prior is fitted
to the agents of each team (empathy/stats/shrinkage.py: Kleinman's moments by default, or maximum likelihood) and
each agent's rate is its posterior mean with an equal-tailed credible interval; a team with fewer than
``min_agents_for_team_prior`` agents with observations, or whose rates vary no more than binomial noise explains
(no between-agent variance to estimate), borrows the prior fitted to all agents that month.

Weighted CSAT top-2: a weighted share is not a binomial count. It enters the beta-binomial as Kish's effective
sample size ``n_eff = (sum w)^2 / sum w^2`` with ``n_eff * weighted share`` successes (the usual approximation for
weighted proportions; Kish 1965), so unequal weights shrink it more than the unweighted share of as many answers.
Empirical-Bayes intervals ignore the uncertainty of the fitted prior (Morris 1983): read them as slightly narrow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..settings import settings_from_var
from .shrinkage import shrink_within_groups

#: status of a scorecard row
STATUSES = {
    "ok": "shrunk toward a fitted prior (the team's, or all agents' when prior_source says so)",
    "fully_pooled": "the agents' rates varied no more than binomial noise explains: the estimate is the prior mean",
    "no_observations": "no unit the rate is a share of this month: the estimate is the prior mean",
    "too_few_agents": "fewer than two agents with observations this month: no prior, no estimate",
    "invalid_counts": "successes above units or negative counts: no estimate",
}
_ROW_STATUS = {"ok": "ok", "no_excess_variance": "fully_pooled", "no_trials": "no_observations",
               "too_few_units": "too_few_agents", "no_data": "too_few_agents", "invalid_counts": "invalid_counts",
               "boundary": "ok", "not_converged": "ok"}
COLUMNS = ["agent_id", "team", "month_start", "metric", "unit_counted", "n_observations", "n_successes",
           "effective_sample_size", "raw_rate", "estimate", "ci_lower", "ci_upper", "lower_bound",
           "shrinkage_weight", "prior_mean", "prior_source", "prior_status", "n_interactions", "n_reviews",
           "n_respondents", "status"]


@dataclass(frozen=True)
class ScorecardSettings:
    """The var `coaching` of dbt_project.yml (the keys read here)."""
    min_agents_for_team_prior: int = 5
    shrinkage_method: str = "moments"
    credible_level: float = 0.95

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ScorecardSettings":
        return settings_from_var(cls, config)


def effective_counts(cells: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(trials, successes, raw rate) entering the beta-binomial: the counts themselves, or for a weighted metric
    (``sum_weight`` not null) Kish's effective sample size and the weighted share times it."""
    trials = cells["n_observations"].astype(float)
    successes = cells["n_successes"].astype(float)
    weighted = cells["sum_weight"].notna() & (cells["sum_weight"] > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = cells["sum_weight"] ** 2 / cells["sum_weight_squared"]
        share = cells["sum_weight_successes"] / cells["sum_weight"]
        raw = successes / trials.where(trials > 0)
    trials = trials.where(~weighted, n_eff)
    successes = successes.where(~weighted, share * n_eff)
    raw = raw.where(~weighted, share)
    return trials.where(trials > 0, 0.0), successes.where(trials > 0, 0.0), raw


def scorecards(cells: pd.DataFrame, settings: ScorecardSettings = ScorecardSettings()) -> pd.DataFrame:
    """One row per input cell (agent x month x metric), every rate shrunk within its team (module docstring)."""
    if cells.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = cells.reset_index(drop=True).copy()
    frame["trials"], frame["successes"], _ = effective_counts(frame)  # shrink's raw_rate is successes / trials
    parts = []
    for _, group in frame.groupby(["metric", "month_start"], sort=True, dropna=False):
        shrunk = shrink_within_groups(group, "team", "successes", "trials",
                                      min_units=settings.min_agents_for_team_prior,
                                      method=settings.shrinkage_method, level=settings.credible_level)
        parts.append(shrunk)
    out = pd.concat(parts).sort_index()
    out["effective_sample_size"] = out["trials"]
    out["estimate"] = out["posterior_mean"]
    out["prior_source"] = out["prior_source"].map({"group": "team", "pooled": "all_agents"})
    out["status"] = out["status"].map(_ROW_STATUS).fillna(out["status"])
    return out[COLUMNS].sort_values(["metric", "month_start", "team", "agent_id"], na_position="last",
                                    kind="stable").reset_index(drop=True)
