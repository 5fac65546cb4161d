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
from scipy import sparse

from ..settings import settings_from_var
from .iv import RESULT_COLUMNS, partialled_iv_estimates

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


@dataclass
class Design:
    """The contacts of the IV mart in compact form: ``frame`` holds, per contact, the agent, the supervisor, the
    month and the channel as integer codes (-1: missing), the behaviours, the outcomes and the policy instruments;
    ``fixed`` is the sparse matrix of month and channel dummies and channel trends (one row per contact, columns
    ``fixed_names``), kept apart from the frame so that a fit selects rows of it without copying the contacts."""
    frame: pd.DataFrame
    fixed: sparse.csr_matrix
    fixed_names: list[str]
    instruments: list[str]


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the values in sorted order of the distinct non-null values (-1: missing), and those
    values."""
    codes, levels = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(levels)


def instrument_frame(outcomes: pd.DataFrame, policies: pd.DataFrame, channel_trends: bool = True,
                     outcome_columns: tuple[str, ...] = IvSettings.outcomes) -> Design:
    """Interactions (``outcome_columns`` made numeric) with one 0/1 instrument per policy that reached some but not
    all of them (its channel, on or after its date), month and channel dummies (the first month and the first
    channel left out, as ``pd.get_dummies(drop_first=True)``) and, with ``channel_trends``, a linear trend (years
    since the first contact) for every channel but the first (the month dummies hold the common trend).

    The controls are a sparse matrix (at most three entries per contact: its month, its channel, its channel's
    trend) and text identifiers integer codes: at ten million contacts dense dummies are gigabytes, and a frame
    copied per step (the previous assembly) was several times that."""
    started = pd.to_datetime(outcomes["started_at"])
    month_number = started.dt.year * 12 + started.dt.month  # sorts as the "YYYY-MM" text does
    frame = pd.DataFrame(index=outcomes.index)
    frame["agent_id"], _ = _codes(outcomes["agent_id"])
    supervisors = outcomes["supervisor_id"] if "supervisor_id" in outcomes.columns else pd.Series(
        None, index=outcomes.index, dtype=object)
    frame["supervisor_id"], _ = _codes(supervisors)
    frame["month"], months = _codes(month_number)
    frame["channel"], channels = _codes(outcomes["channel"])
    frame[ENDOGENOUS] = pd.to_numeric(outcomes[ENDOGENOUS], errors="coerce").astype(float)
    for outcome in dict.fromkeys(outcome_columns):  # 0/1 or null, whatever the column's type
        frame[outcome] = pd.to_numeric(outcomes[outcome].astype("Float64"), errors="coerce").astype(float)
    instruments = []
    channel_values = outcomes["channel"]
    for policy in policies.itertuples(index=False):
        column = f"policy__{policy.policy_id}"
        frame[column] = ((channel_values == policy.channel)
                         & (started >= pd.Timestamp(policy.effective_date))).to_numpy(float)
        if 0 < frame[column].sum() < len(frame):
            instruments.append(column)
    month_codes, channel_codes = frame["month"].to_numpy(), frame["channel"].to_numpy()
    names = [f"month_{m}" for m in months[1:]] + [f"channel_{c}" for c in channels[1:]]
    trend_channels = list(channels[1:]) if channel_trends else []
    names += [f"trend__{c}" for c in trend_channels]
    rows = np.arange(len(frame))
    month_row, channel_row = month_codes >= 1, channel_codes >= 1
    parts = [(rows[month_row], month_codes[month_row] - 1, np.ones(int(month_row.sum()))),
             (rows[channel_row], len(months) - 2 + channel_codes[channel_row], np.ones(int(channel_row.sum())))]
    if trend_channels:
        years = (started - started.min()).dt.total_seconds().to_numpy() / (365.25 * 86400)
        first = len(months) + len(channels) - 2
        parts.append((rows[channel_row], first + channel_codes[channel_row] - 1, years[channel_row]))
    fixed = sparse.csr_matrix(
        (np.concatenate([v for _, _, v in parts]),
         (np.concatenate([r for r, _, _ in parts]), np.concatenate([c for _, c, _ in parts]))),
        shape=(len(frame), len(names)))
    return Design(frame, fixed, names, instruments)


def supervisor_instrument(frame: pd.DataFrame) -> pd.Series:
    """Each contact's supervisor coaching propensity: the mean, over the contacts of the *other* agents of the
    supervisor in charge when it started, of behaviours net of their month x channel mean (a leave-one-agent-out
    "judge" instrument; Dobbie, Goldin and Yang 2018). Null without a supervisor, without behaviours, or when the
    supervisor had no other agent. ``frame``: supervisor_id, agent_id, month, channel (codes or values; null or -1
    is missing) and behaviors_count."""
    behaviours = frame[ENDOGENOUS]
    missing = {c: frame[c].isna() | frame[c].eq(-1) for c in ("supervisor_id", "agent_id", "month", "channel")}
    cells = frame[["month", "channel"]].where(~(missing["month"] | missing["channel"]))
    net = behaviours - behaviours.groupby([cells["month"], cells["channel"]]).transform("mean")
    usable = behaviours.notna() & ~missing["supervisor_id"] & net.notna()
    data = pd.DataFrame({"supervisor": frame["supervisor_id"], "agent": frame["agent_id"], "net": net})[usable]
    by_supervisor = data.groupby("supervisor")["net"].agg(["sum", "count"])
    by_pair = data.groupby(["supervisor", "agent"])["net"].agg(["sum", "count"])
    pair = by_pair.reindex(pd.MultiIndex.from_frame(data[["supervisor", "agent"]])).to_numpy()
    total = by_supervisor.reindex(data["supervisor"]).to_numpy()
    others = total[:, 1] - pair[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        leave_out = np.where(others > 0, (total[:, 0] - pair[:, 0]) / np.where(others > 0, others, 1), np.nan)
    return pd.Series(leave_out, index=data.index).reindex(frame.index)


def _dense(matrix: Any) -> np.ndarray:
    return matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)


def partialled_out(values: np.ndarray, controls: Any, groups: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The residuals of the columns of ``values`` regressed by least squares on ``controls`` (dense or sparse)
    and one fixed effect per value of ``groups`` (``None``: a constant), and the number of parameters partialled
    out (the rank of the controls within groups, plus the number of groups).

    By Frisch-Waugh-Lovell the within-group transformation removes the group effects, so the cross-products are
    those of the group-demeaned columns, X~'X~ = X'X - sum_g S_g S_g' / n_g with S_g the group sums (and X~'Y~
    alike): the demeaned controls are never formed, and a sparse control matrix stays sparse. The normal
    equations are solved scaled, with a minimum-norm solution when the design is rank-deficient; the residuals
    are then Y~ - X~ b, the projection numpy's least squares leaves (:func:`empathy.stats.iv.annihilate`; test)."""
    n = values.shape[0]
    codes = np.zeros(n, dtype=np.int64) if groups is None else np.unique(groups, return_inverse=True)[1].ravel()
    n_groups = int(codes.max()) + 1 if n else 0
    counts = np.bincount(codes, minlength=n_groups).astype(float)
    indicator = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
    control_sums = _dense(indicator @ controls)  # groups x controls
    value_sums = np.column_stack([np.bincount(codes, weights=values[:, j], minlength=n_groups)
                                  for j in range(values.shape[1])]) if values.shape[1] else np.zeros((n_groups, 0))
    value_means = value_sums / counts[:, None]
    residuals = values - value_means[codes]
    k = controls.shape[1]
    if k == 0:
        return residuals, n_groups
    raw = _dense(controls.T @ controls)
    gram = raw - control_sums.T @ (control_sums / counts[:, None])
    cross = _dense(controls.T @ values) - control_sums.T @ value_means
    # a control the groups absorb (constant within every group: its demeaned column is zero, up to the rounding
    # of the subtraction above) is left out, as an all-zero demeaned column would be
    diagonal = np.diag(gram)
    kept = np.flatnonzero(diagonal > 1e-9 * np.diag(raw))
    coefficients = np.zeros((k, values.shape[1]))
    rank = 0
    if kept.size:
        scale = np.sqrt(diagonal[kept])
        scaled = gram[np.ix_(kept, kept)] / np.outer(scale, scale)
        eigenvalues = np.linalg.eigvalsh(scaled)
        rank = int((eigenvalues > eigenvalues.max() * 1e-10).sum())
        coefficients[kept] = np.linalg.lstsq(scaled, cross[kept] / scale[:, None], rcond=1e-10)[0] / scale[:, None]
    fitted = np.asarray(controls @ coefficients)
    residuals -= fitted - (control_sums @ coefficients / counts[:, None])[codes]
    return residuals, rank + n_groups


def _fit(design: Design, outcome: str, chosen: list[str], by_agent: bool) -> pd.DataFrame:
    """2SLS and OLS of one outcome on one instrument set, on the set's complete cases.

    The fixed effects (month and channel dummies, channel trends, and with ``by_agent`` the agents, by the within
    transformation) are partialled out of the outcome, the behaviours and the instruments once, by least squares;
    by Frisch-Waugh-Lovell 2SLS and OLS on the residuals give the coefficients of the models that include them, and
    the clustered covariance differs only in its small-sample factor (N - K counts the variables of interest, not
    the partialled effects: a relative 1e-5 at 100,000 contacts; test). The estimator then reads a few
    columns instead of a few dozen over every contact (D38). The control matrix is only read, or copied once when
    some contacts are incomplete, and the estimates come from cross-products and cluster sums
    (:func:`empathy.stats.iv.partialled_iv_estimates`), not linearmodels' copies of every column (D41)."""
    frame = design.frame
    variables = [outcome, ENDOGENOUS, *chosen]
    complete = (frame[variables].notna().all(axis=1) & frame["agent_id"].ge(0)).to_numpy()
    rows = None if complete.all() else np.flatnonzero(complete)
    values = frame[variables].to_numpy(float) if rows is None else frame[variables].to_numpy(float)[rows]
    fixed = design.fixed if rows is None else design.fixed[rows]
    agents = frame["agent_id"].to_numpy() if rows is None else frame["agent_id"].to_numpy()[rows]
    absorbed = 0
    if len(values):
        values, absorbed = partialled_out(values, fixed, agents if by_agent else None)
    partialled = pd.DataFrame(values, columns=variables)
    partialled["agent_id"] = agents
    return partialled_iv_estimates(partialled, outcome, ENDOGENOUS, chosen, cluster="agent_id", absorbed=absorbed)


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


def iv_table(outcomes: pd.DataFrame, policies: pd.DataFrame, settings: IvSettings,
             supervisors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per outcome and instrument set (:func:`instrument_sets`): 2SLS and OLS, clustered by agent. ``supervisors``
    (interaction_key, supervisor_id: the agent's supervisor when the contact started) adds the supervisor-rotation
    sets when at least one agent worked under two supervisors; ``outcomes`` may instead carry ``supervisor_id``
    already (joined in the engine, :func:`empathy.frames.left_joined_frame`)."""
    if supervisors is not None:
        outcomes = outcomes.merge(supervisors[["interaction_key", "supervisor_id"]], on="interaction_key",
                                  how="left")
    design = instrument_frame(outcomes, policies, settings.channel_trends, settings.outcomes)
    frame = design.frame
    trends = ", channel trends" if settings.channel_trends else ""
    frame[SUPERVISOR] = supervisor_instrument(frame)
    rotated = frame[frame[SUPERVISOR].notna()].groupby("agent_id")["supervisor_id"].nunique()
    sets = instrument_sets(design.instruments, bool((rotated > 1).any()))
    missing = [("policies", "month, channel")] * (not design.instruments) + [
        ("supervisor_rotation", "agent, month, channel")] * (not any(n == "supervisor_rotation" for n, _, _ in sets))
    missing = [(name, effects + trends) for name, effects in missing]
    rows = []
    for outcome in settings.outcomes:
        for name, effects in missing:
            rows += [{"outcome": outcome, "instrument_set": name, "fixed_effects": effects, "estimator": estimator,
                      "variable": ENDOGENOUS, "status": NO_INSTRUMENT[name]} for estimator in ("2sls", "ols")]
        for name, chosen, by_agent in sets:
            table = _fit(design, outcome, chosen, by_agent)
            table.insert(0, "fixed_effects", ("agent, month, channel" if by_agent else "month, channel") + trends)
            table.insert(0, "instrument_set", name)
            table.insert(0, "outcome", outcome)
            rows += table.to_dict("records")
    return pd.DataFrame(rows, columns=COLUMNS).replace({np.nan: None})
