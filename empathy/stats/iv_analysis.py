"""The instrumental-variables mart (mart_iv_estimates): the effect of the empathy behaviours a customer received
(behaviors_count, 0-5) on CSAT top-2 and repeat contact, by two-stage least squares with OLS beside it (estimator:
empathy/stats/iv.py; decisions: docs/decisions.md D26, D27). Two kinds of instrument:

* **Policy timing** (seeds/policy_changes.csv): one 0/1 instrument per policy, "its channel, on or after its date",
  with month and channel fixed effects, so that a policy is compared with the other channels in the same months,
  and a linear trend per channel (var iv.channel_trends): a rollout that moves behaviours in every channel alike
  (training, a drift, an experiment) moves each channel's outcome by a different amount when customers value a
  behaviour differently by channel (a 30-second acknowledgment on the phone vs by email), and month fixed effects
  do not absorb that (D26). Exclusion restriction: the policy changes CSAT and repeat contact only through the
  behaviours agents show, and nothing else changed in that channel from that month beyond its trend (a new tool,
  a staffing change, a shift in why customers call would break it). The instrument varies by channel x month; with a handful of treated channel-months,
  clustering on those cells under-states the uncertainty badly (a test shows it), so the design assumes no
  channel-specific shock in the policy's months beyond the fixed effects.
* **Supervisor rotation** (roster versions, int_interactions_joined_to_supervisor_spells): the supervisor's
  coaching propensity, measured as the leave-one-agent-out mean of behaviours in the contacts of the supervisor's
  other agents, net of month x channel means (a "judge" instrument: Kling 2006; Dobbie, Goldin and Yang 2018),
  with agent fixed effects besides month and channel, so that only an agent's change of supervisor identifies the
  effect and agents' sorting to supervisors is absorbed. Exclusion restriction: a supervisor moves customers'
  CSAT and repeat contact only through the behaviours their agents show. It fails when supervisors also change
  what agents may do (refunds, escalations, resolution), when the rotation coincides with a change of queue or
  training, or when supervisors are rotated because a team's outcomes moved. Monotonicity: a supervisor who
  raises behaviours for some agents does not lower them for others. The leave-out mean is noisy for supervisors
  with few other agents; the first-stage F says whether that matters.

Every instrument set is estimated on its own complete cases: each policy alone, the policies together, the
supervisor instrument alone, and all of them together (overidentified: the test says whether the two designs
agree). Standard errors are clustered by agent (an agent's skill moves both behaviours and answers; with agent
fixed effects the fixed effects are nested in the clusters and are not counted in the degrees of freedom, as in
Stata's areg and reghdfe).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..settings import settings_from_var
from .iv import RESULT_COLUMNS, annihilate, iv_estimates

ENDOGENOUS = "behaviors_count"
SUPERVISOR = "supervisor_leave_out"
COLUMNS = ["outcome", "instrument_set", "fixed_effects", *RESULT_COLUMNS]
#: Status of a set whose instrument never varies in the data (no policy reached it; no agent changed supervisor).
NO_INSTRUMENT = {"policies": "no_policy_reached_the_data", "supervisor_rotation": "no_supervisor_rotation_in_data"}


@dataclass(frozen=True)
class IvSettings:
    """The var `iv` of dbt_project.yml."""
    outcomes: tuple[str, ...] = ("is_csat_top2", "has_repeat_contact")
    #: A linear time trend per channel beside the month and channel fixed effects (D26): a change that moves
    #: behaviours in every channel (a training rollout, a drift, an experiment) can move the outcome by a different
    #: amount in each channel, which month fixed effects do not absorb and a policy's timing would pick up.
    channel_trends: bool = True

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "IvSettings":
        return settings_from_var(cls, config, tuple_fields=["outcomes"])


def instrument_frame(outcomes: pd.DataFrame, policies: pd.DataFrame,
                     channel_trends: bool = True) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Interactions with one 0/1 instrument per policy that reached some but not all of them (its channel, on or
    after its date), month and channel dummies and, with ``channel_trends``, a linear trend (years since the first
    contact) for every channel but the first (the month dummies hold the common trend). Returns (frame, policy
    instruments, control columns)."""
    frame = outcomes.copy()
    started = pd.to_datetime(frame["started_at"])
    frame["month"] = started.dt.strftime("%Y-%m")
    frame[ENDOGENOUS] = pd.to_numeric(frame[ENDOGENOUS], errors="coerce").astype(float)
    instruments = []
    for policy in policies.itertuples(index=False):
        column = f"policy__{policy.policy_id}"
        frame[column] = ((frame["channel"] == policy.channel)
                         & (started >= pd.Timestamp(policy.effective_date))).astype(float)
        if 0 < frame[column].sum() < len(frame):
            instruments.append(column)
    dummies = pd.get_dummies(frame[["month", "channel"]], drop_first=True, dtype=float)
    if channel_trends:
        years = (started - started.min()).dt.total_seconds().to_numpy() / (365.25 * 86400)
        channels = sorted(frame["channel"].dropna().unique())[1:]
        trends = pd.DataFrame({f"trend__{c}": np.where(frame["channel"] == c, years, 0.0) for c in channels},
                              index=frame.index)
        dummies = pd.concat([dummies, trends], axis=1)
    return pd.concat([frame, dummies], axis=1), instruments, list(dummies.columns)


def supervisor_instrument(frame: pd.DataFrame) -> pd.Series:
    """Each contact's supervisor coaching propensity: the mean, over the contacts of the *other* agents of the
    supervisor in charge when it started, of behaviours net of their month x channel mean (a leave-one-agent-out
    "judge" instrument; Dobbie, Goldin and Yang 2018). Null without a supervisor, without behaviours, or when the
    supervisor had no other agent."""
    behaviours = frame[ENDOGENOUS]
    usable = behaviours.notna() & frame["supervisor_id"].notna()
    net = behaviours - behaviours.groupby([frame["month"], frame["channel"]]).transform("mean")
    data = pd.DataFrame({"supervisor": frame["supervisor_id"], "agent": frame["agent_id"], "net": net})[usable]
    by_supervisor = data.groupby("supervisor")["net"].agg(["sum", "count"])
    by_pair = data.groupby(["supervisor", "agent"])["net"].agg(["sum", "count"])
    pair = by_pair.reindex(pd.MultiIndex.from_frame(data[["supervisor", "agent"]])).to_numpy()
    total = by_supervisor.reindex(data["supervisor"]).to_numpy()
    others = total[:, 1] - pair[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        leave_out = np.where(others > 0, (total[:, 0] - pair[:, 0]) / np.where(others > 0, others, 1), np.nan)
    return pd.Series(leave_out, index=data.index).reindex(frame.index)


def absorb(data: pd.DataFrame, columns: list[str], group: str) -> pd.DataFrame:
    """``columns`` demeaned within ``group`` (the within transformation): by Frisch-Waugh-Lovell, least squares on
    the demeaned columns gives the coefficients of the model with one fixed effect per group."""
    out = data.copy()
    out[columns] = data[columns] - data.groupby(group)[columns].transform("mean")
    return out


def instrument_sets(policies: list[str], has_supervisor: bool) -> list[tuple[str, list[str], bool]]:
    """(name, instruments, absorb agents) of every set estimated: the policies together and each alone (month and
    channel fixed effects), the supervisor instrument alone and everything together (plus agent fixed effects)."""
    sets = [("policies", policies, False)] if len(policies) > 1 else []
    sets += [(p.removeprefix("policy__"), [p], False) for p in policies]
    if has_supervisor:
        sets.append(("supervisor_rotation", [SUPERVISOR], True))
        if policies:
            sets.append(("all", [*policies, SUPERVISOR], True))
    return sets


def _fit(data: pd.DataFrame, outcome: str, chosen: list[str], fixed: list[str], by_agent: bool) -> pd.DataFrame:
    """2SLS and OLS of one outcome on one instrument set, on the set's complete cases.

    The fixed effects (month and channel dummies, channel trends, and with ``by_agent`` the agents, by the within
    transformation) are partialled out of the outcome, the behaviours and the instruments once, by least squares;
    by Frisch-Waugh-Lovell 2SLS and OLS on the residuals give the coefficients of the models that include them, and
    the clustered covariance differs only in its small-sample factor (N - K counts the variables of interest, not
    the partialled effects: a relative 1e-5 at 100,000 contacts; test). linearmodels then factorises a few
    columns instead of a few dozen over every contact (D38)."""
    used = data.dropna(subset=[outcome, ENDOGENOUS, *chosen, "agent_id"])
    variables = [outcome, ENDOGENOUS, *chosen]
    if by_agent:
        used = absorb(used, [*variables, *fixed], "agent_id")
        controls = used[[c for c in fixed if used[c].abs().max() > 1e-12]].to_numpy(float)
    else:
        controls = np.column_stack([np.ones(len(used)), used[fixed].to_numpy(float)])
    partialled = used[[*variables, "agent_id"]].copy()
    rank = int(np.linalg.matrix_rank(controls)) if len(used) and controls.shape[1] else 0
    if len(used):
        partialled[variables] = annihilate(used[variables].to_numpy(float), controls)
    absorbed = rank + (int(used["agent_id"].nunique()) if by_agent else 0)
    return iv_estimates(partialled, outcome, ENDOGENOUS, chosen, cluster="agent_id", add_constant=False,
                        absorbed=absorbed)


def iv_table(outcomes: pd.DataFrame, policies: pd.DataFrame, settings: IvSettings,
             supervisors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per outcome and instrument set (:func:`instrument_sets`): 2SLS and OLS, clustered by agent. ``supervisors``
    (interaction_key, supervisor_id: the agent's supervisor when the contact started) adds the supervisor-rotation
    sets when at least one agent worked under two supervisors; ``outcomes`` may instead carry ``supervisor_id``
    already (joined in the engine, :func:`empathy.frames.left_joined_frame`)."""
    frame, policy_columns, fixed = instrument_frame(outcomes, policies, settings.channel_trends)
    trends = ", channel trends" if settings.channel_trends else ""
    if supervisors is not None:
        frame = frame.merge(supervisors[["interaction_key", "supervisor_id"]], on="interaction_key", how="left")
    elif "supervisor_id" not in frame.columns:
        frame["supervisor_id"] = None
    frame[SUPERVISOR] = supervisor_instrument(frame)
    rotated = frame.dropna(subset=[SUPERVISOR]).groupby("agent_id")["supervisor_id"].nunique()
    sets = instrument_sets(policy_columns, bool((rotated > 1).any()))
    missing = [("policies", "month, channel")] * (not policy_columns) + [
        ("supervisor_rotation", "agent, month, channel")] * (not any(n == "supervisor_rotation" for n, _, _ in sets))
    missing = [(name, effects + trends) for name, effects in missing]
    rows = []
    for outcome in dict.fromkeys(settings.outcomes):  # numeric in place: a copy per outcome is gigabytes at scale
        frame[outcome] = pd.to_numeric(frame[outcome].astype("Float64"), errors="coerce")
    for outcome in settings.outcomes:
        data = frame
        for name, effects in missing:
            rows += [{"outcome": outcome, "instrument_set": name, "fixed_effects": effects, "estimator": estimator,
                      "variable": ENDOGENOUS, "status": NO_INSTRUMENT[name]} for estimator in ("2sls", "ols")]
        for name, chosen, by_agent in sets:
            table = _fit(data, outcome, chosen, fixed, by_agent)
            table.insert(0, "fixed_effects", ("agent, month, channel" if by_agent else "month, channel") + trends)
            table.insert(0, "instrument_set", name)
            table.insert(0, "outcome", outcome)
            rows += table.to_dict("records")
    return pd.DataFrame(rows, columns=COLUMNS).replace({np.nan: None})
