"""The one vocabulary of the statistics marts, and the seam that puts a statistics module's output into it.

The statistics modules keep the names of the references they are checked against (``se``, ``p``, ``coef``: as in
lifelines, statsmodels and R), so that a test reads like the reference. Every dbt Python model that publishes a
statistics mart passes the module's frame through :func:`to_vocabulary` with the mart's rename map below: one kind
of adapter for every domain. The words (docs/statistics_vocabulary.md):

- ``estimate``, ``std_error``, ``ci_lower``, ``ci_upper`` (95%), ``p_value``, ``p_value_adjusted``;
- counts are integers named ``n_<what is counted>`` (``n_customers``, ``n_interactions``, ``n_respondents``);
- shares are fractions 0-1 (``_share``, ``_rate``); NPS is in points (-100..100);
- units are in names (``_days``, ``_seconds``);
- a ``status`` column says why a row has no estimate (documented values per mart).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

#: Column names that must not appear in a statistics mart: each has a vocabulary word instead.
FORBIDDEN_NAME = re.compile(
    r"^(?!(.*_)?n_)(se|p|n|z|value|time|standard_error|adjusted_p_value|customers|respondents|episodes|events|censored|at_risk"
    r"|effective_n|sample_n|deff_kish|.+_se|.+_p|.+_count|.+_customers|.+_respondents)$"
)

#: Cox models (empathy.stats.survival.fit_cox and fit_cox_time_varying): the hazard ratio is the estimate.
COX = {
    "coef": "log_hazard_ratio", "se": "std_error", "hazard_ratio": "estimate", "hr_ci_lower": "ci_lower",
    "hr_ci_upper": "ci_upper", "z": "z_statistic", "p": "p_value", "ph_statistic": "ph_test_statistic",
    "ph_p": "ph_test_p_value", "ph_violated": "is_ph_violated", "n": "n_customers", "customers": "n_customers",
    "episodes": "n_episodes", "events": "n_events",
}
#: Kaplan-Meier curves (empathy.stats.survival.kaplan_meier).
KAPLAN_MEIER = {
    "time": "time_days", "survival": "estimate", "at_risk": "n_at_risk", "events": "n_events",
    "censored": "n_censored", "survival_change": "estimate_change",
}
#: RMST and log-rank per cohort (empathy.stats.survival.rmst_difference, logrank_by_cohort): the row's estimate is the
#: RMST difference from the reference group; the group's own RMST keeps its rmst_ prefix.
SURVIVAL_TESTS = {
    "tau": "rmst_horizon_days", "n": "n_customers", "events": "n_events", "max_time": "max_follow_up_days",
    "rmst": "rmst_days", "rmst_se": "rmst_std_error", "diff": "estimate", "diff_se": "std_error",
    "diff_ci_lower": "ci_lower", "diff_ci_upper": "ci_upper", "diff_p": "p_value", "group": "exposure_group",
    "logrank_p": "logrank_p_value", "logrank_n": "logrank_n_customers", "logrank_events": "logrank_n_events",
    "logrank_groups": "logrank_n_groups",
}
#: Survey estimates (empathy.stats.survey_estimates.estimate_table): the weighted estimate is the estimate.
SURVEY_ESTIMATES = {
    "weighted_estimate": "estimate", "weighted_se": "std_error", "weighted_ci_lower": "ci_lower",
    "weighted_ci_upper": "ci_upper", "naive_se": "naive_std_error", "respondents": "n_respondents",
    "effective_n": "effective_sample_size", "deff_kish": "kish_design_effect",
}
#: Weight diagnostics (empathy.stats.survey_estimates.*_diagnostics).
WEIGHT_DIAGNOSTICS = {
    "n": "n_respondents", "effective_n": "effective_sample_size", "sample_n": "n_sample", "sd": "std_dev",
    "trim_rounds": "n_trim_rounds",
}
#: Rater agreement (empathy.stats.agreement.agreement_table).
AGREEMENT = {"value": "estimate"}
#: Experiments (empathy.stats.experiment_analysis): written in the vocabulary's words already; the seam still casts
#: the n_* counts and refuses a second word.
EXPERIMENTS: dict[str, str] = {}
#: Instrumental variables (empathy.stats.iv via iv_analysis): written in the vocabulary's words already.
IV: dict[str, str] = {}
#: Synthetic control (empathy.stats.synthetic_control_analysis): written in the vocabulary's words already.
SYNTHETIC_CONTROL: dict[str, str] = {}
#: Difference-in-differences (empathy.stats.did via did_analysis): the panel's periods are months.
DID = {
    "group": "cohort_period_index", "period": "period_index", "base_period": "base_period_index",
    "event_time": "event_time_months", "n_units_group": "n_teams_cohort", "n_units_control": "n_teams_control",
}


def to_vocabulary(frame: pd.DataFrame, renames: Mapping[str, str], columns: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """``frame`` with its columns renamed into the vocabulary, ``n_*`` counts as nullable integers, and (when
    ``columns`` is given) exactly those columns in that order. Raises when a forbidden name survives, so a new
    statistic cannot reach a mart under a second word."""
    out = frame.rename(columns=dict(renames))
    if columns is not None:
        out = out.reindex(columns=list(columns))
    for column in out.columns:
        if column.startswith("n_") or column.endswith(("_n_customers", "_n_events", "_n_groups")):
            out[column] = pd.array(pd.to_numeric(out[column], errors="coerce").round(), dtype="Int64")
    leftover = [c for c in out.columns if FORBIDDEN_NAME.match(c)]
    if leftover:
        raise ValueError(f"columns outside the statistics vocabulary: {leftover} (empathy/vocabulary.py)")
    return out
