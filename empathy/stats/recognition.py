"""Recognition that is fair (mart_agent_recognition): agents whose empathy is credibly above their team's once the
mix of contacts they handled is accounted for, and whose customers' outcomes moved with them (issue 14, D31).

Case mix. Every contact falls in a cell (channel x tough moment or not). The organisation's rate in a cell, over
all agents in the window, is what an average agent achieves on such contacts; an agent's *expected* rate is the
average of the cell rates over the agent's own contacts (indirect standardisation, as for hospitals' standardised
ratios). An agent on a hard queue is compared with what anyone achieves on that queue's contacts.

Shrinkage. An agent's true rate ``p_i`` is given a Beta prior centred on the agent's expected rate ``m_i`` with
a precision ``M`` common to all agents: ``p_i ~ Beta(m_i M, (1 - m_i) M)``, ``s_i | p_i ~ Binomial(n_i, p_i)``.
``M`` is the maximum of the beta-binomial marginal likelihood (shrinkage.fit_precision_given_means; with one mean for
everyone this is Griffiths 1973's fit), and each agent's rate is the posterior ``Beta(s_i + m_i M,
n_i - s_i + (1 - m_i) M)``. When agents vary no more than binomial noise explains, ``M`` is infinite and every
agent sits at the expectation (nobody is recognised on noise).

Ranking. Agents are ranked by the lower credible bound of their rate minus their expected rate (a lower bound,
not a point estimate: Robinson 2017's advice for ranking on proportions), and recognised when that bound is above
their team-mates' excess (the other agents of the team, observed minus expected per contact), they have at least
``min_interactions`` contacts and ``min_respondents`` answered pulses, and their customers' CSAT top-2 share is at
least its own case-mix expectation. That gate compares the observed share, not the posterior: with a dozen answers
per agent the agents' CSAT rarely varies more than chance, the fitted precision is then infinite and every
posterior sits exactly at its expectation, which would make the gate either vacuous or impossible; the observed
share asks the plain question "were this agent's customers at least as satisfied as their mix predicts?". The
customers' next relationship NPS (promoter share) and 90-day voluntary churn get the same case-mix expectation and
shrinkage; they are reported in the columns and the reason, not used as gates (an agent's customers answer few NPS
surveys, so their posterior sits near expectation).
The reason is written from the numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..settings import settings_from_var
from .shrinkage import fit_precision_given_means, posterior_summary

PRIMARY = "empathetic_contact_rate"
#: the customers' outcomes reported beside the behaviour (metric of the cells -> column prefix); CSAT top-2 is the
#: gate of recognition, the others are reported in the columns and the reason
OUTCOMES = {"csat_top2_rate": "csat_top2", "repeat_contact_rate": "repeat_contact",
            "next_nps_promoter_rate": "promoter", "churn_90_days_rate": "churn_90_days"}
STATUSES = {
    "recognised": "credibly above the team after case mix, with enough evidence, and CSAT moved with the agent",
    "not_credibly_above_team": "the lower credible bound of the excess is not above the team-mates' excess",
    "outcomes_did_not_move": "credibly above the team, but the customers' CSAT top-2 share is below its expectation",
    "too_few_interactions": "fewer contacts with an empathy score in the window than the minimum evidence",
    "too_few_respondents": "fewer answered pulses in the window than the minimum evidence",
}
COLUMNS = ["agent_id", "team", "window_starts_at", "n_interactions", "n_respondents", "tough_moment_share",
           "raw_rate", "expected_rate", "estimate", "ci_lower", "ci_upper", "lower_bound", "excess_lower_bound",
           "team_excess", "csat_top2_raw_rate", "csat_top2_expected_rate", "csat_top2_estimate",
           "repeat_contact_raw_rate", "repeat_contact_expected_rate", "repeat_contact_estimate",
           "n_nps_respondents", "promoter_raw_rate", "promoter_expected_rate", "promoter_estimate",
           "n_churn_observed", "churn_90_days_raw_rate", "churn_90_days_expected_rate", "churn_90_days_estimate",
           "prior_precision",
           "is_recognised", "recognition_rank", "reason", "status"]


@dataclass(frozen=True)
class RecognitionSettings:
    """The var `coaching` of dbt_project.yml (the keys read here)."""
    recognition_min_interactions: int = 40
    recognition_min_respondents: int = 10
    credible_level: float = 0.95

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "RecognitionSettings":
        return settings_from_var(cls, config)


def expected_counts(cells: pd.DataFrame) -> pd.DataFrame:
    """Per agent and metric: contacts ``n``, successes ``s`` and expected successes ``e`` (the sum over the agent's
    cells of contacts times the organisation's rate in the cell), plus the tough-moment share of the contacts."""
    keys = ["metric", "channel", "is_tough_moment"]
    rates = cells.groupby(keys, dropna=False)[["n_successes", "n_observations"]].sum()
    rate = (rates["n_successes"] / rates["n_observations"]).rename("cell_rate")
    frame = cells.join(rate, on=keys)
    frame["expected"] = frame["n_observations"] * frame["cell_rate"]
    frame["tough"] = frame["n_observations"] * frame["is_tough_moment"].astype(float)
    out = frame.groupby(["agent_id", "metric"], dropna=False).agg(
        team=("team", "first"), n=("n_observations", "sum"), s=("n_successes", "sum"), e=("expected", "sum"),
        tough=("tough", "sum"))
    out["tough_moment_share"] = out.pop("tough") / out["n"]
    return out.reset_index()


def shrink_to_expectation(counts: pd.DataFrame, level: float) -> tuple[pd.DataFrame, float]:
    """Posterior of each agent's rate under Beta(m M, (1 - m) M) with m = e / n (M from
    shrinkage.fit_precision_given_means): estimate, credible interval, one-sided lower bound. Returns (frame, M)."""
    out = counts.copy()
    out["expected_rate"] = out["e"] / out["n"]
    out["raw_rate"] = out["s"] / out["n"]
    precision, _ = fit_precision_given_means(out["s"], out["n"], out["expected_rate"])
    m = out["expected_rate"].clip(1e-9, 1 - 1e-9)
    if np.isinf(precision) or np.isnan(precision):
        for column in ("estimate", "ci_lower", "ci_upper", "lower_bound"):
            out[column] = out["expected_rate"]
        return out, precision
    a, b = out["s"] + m * precision, out["n"] - out["s"] + (1 - m) * precision
    posterior = posterior_summary(a, b, level)
    out["estimate"] = posterior.pop("posterior_mean")
    for column, values in posterior.items():
        out[column] = values
    return out, precision


def _team_excess(primary: pd.DataFrame) -> pd.Series:
    """Per agent: the excess (observed minus expected, per contact) of the *other* agents of the team; NaN for an
    agent alone in the team."""
    team = primary.groupby("team", dropna=False)[["s", "e", "n"]].transform("sum")
    others_n = team["n"] - primary["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((team["s"] - primary["s"]) - (team["e"] - primary["e"])) / others_n.where(others_n > 0)


def _pct(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.0f}%"


def _reason(row: pd.Series) -> str:
    """A short reason built from the numbers of the row."""
    excess = row["team_excess"]
    team = ("no team-mates" if pd.isna(excess) else
            f"the rest of the team {abs(100 * excess):.0f} points {'above' if excess > 0 else 'below'} its own")
    text = (f"Empathetic on {_pct(row['raw_rate'])} of {int(row['n_interactions'])} contacts against "
            f"{_pct(row['expected_rate'])} expected for their mix of channels and tough moments "
            f"(95% lower bound {_pct(row['lower_bound'])}; {team})")
    if row["n_respondents"] > 0:
        text += (f"; CSAT top-2 {_pct(row['csat_top2_raw_rate'])} of {int(row['n_respondents'])} answers against "
                 f"{_pct(row['csat_top2_expected_rate'])} expected")
    if not pd.isna(row["repeat_contact_raw_rate"]):
        text += (f"; repeat contact {_pct(row['repeat_contact_raw_rate'])} against "
                 f"{_pct(row['repeat_contact_expected_rate'])} expected")
    if row["n_nps_respondents"] > 0:
        text += (f"; next NPS a promoter {_pct(row['promoter_raw_rate'])} of {int(row['n_nps_respondents'])} "
                 f"against {_pct(row['promoter_expected_rate'])} expected")
    if row["n_churn_observed"] > 0:
        text += (f"; churned within 90 days {_pct(row['churn_90_days_raw_rate'])} of "
                 f"{int(row['n_churn_observed'])} against {_pct(row['churn_90_days_expected_rate'])} expected")
    return text + "."


def recognition(cells: pd.DataFrame, settings: RecognitionSettings = RecognitionSettings()) -> pd.DataFrame:
    """One row per agent with a contact in the window (module docstring); recognised agents ranked first by the
    lower bound of their excess."""
    if cells.empty:
        return pd.DataFrame(columns=COLUMNS)
    counts = expected_counts(cells)
    by_metric = {}
    precision = {}
    for metric, group in counts.groupby("metric"):
        by_metric[metric], precision[metric] = shrink_to_expectation(group.set_index("agent_id"),
                                                                     settings.credible_level)
    if PRIMARY not in by_metric:
        return pd.DataFrame(columns=COLUMNS)
    primary = by_metric[PRIMARY]
    out = pd.DataFrame(index=primary.index)
    out["team"] = primary["team"]
    out["n_interactions"] = primary["n"].astype("int64")
    out["tough_moment_share"] = primary["tough_moment_share"]
    for column in ("raw_rate", "expected_rate", "estimate", "ci_lower", "ci_upper", "lower_bound"):
        out[column] = primary[column]
    out["excess_lower_bound"] = primary["lower_bound"] - primary["expected_rate"]
    out["team_excess"] = _team_excess(primary)
    counted = {"csat_top2": "n_respondents", "promoter": "n_nps_respondents", "churn_90_days": "n_churn_observed"}
    for metric, prefix in OUTCOMES.items():
        frame = by_metric.get(metric, pd.DataFrame(columns=["raw_rate", "expected_rate", "estimate", "n"]))
        out[f"{prefix}_raw_rate"] = frame["raw_rate"].reindex(out.index)
        out[f"{prefix}_expected_rate"] = frame["expected_rate"].reindex(out.index)
        out[f"{prefix}_estimate"] = frame["estimate"].reindex(out.index)
        if prefix in counted:
            out[counted[prefix]] = pd.to_numeric(frame["n"].reindex(out.index)).fillna(0).astype("int64")
    out["prior_precision"] = precision[PRIMARY]
    above = out["excess_lower_bound"] > out["team_excess"].fillna(0.0)
    csat_moved = out["csat_top2_raw_rate"] >= out["csat_top2_expected_rate"]
    out["status"] = np.select(
        [out["n_interactions"] < settings.recognition_min_interactions,
         out["n_respondents"] < settings.recognition_min_respondents, ~above, ~csat_moved.fillna(False)],
        ["too_few_interactions", "too_few_respondents", "not_credibly_above_team", "outcomes_did_not_move"],
        "recognised")
    out["is_recognised"] = out["status"] == "recognised"
    out = out.reset_index().sort_values(["is_recognised", "excess_lower_bound", "agent_id"],
                                        ascending=[False, False, True], kind="stable")
    out["recognition_rank"] = np.where(out["is_recognised"], np.arange(1, len(out) + 1), None)
    out["reason"] = out.apply(_reason, axis=1)
    out["window_starts_at"] = cells["window_starts_at"].iloc[0] if "window_starts_at" in cells else None
    return out[COLUMNS].reset_index(drop=True)
