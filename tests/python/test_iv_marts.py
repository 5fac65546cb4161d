"""The instrumental-variables mart's assembly (empathy/stats/iv_analysis.py) on interactions written here,
independently of the demo generator: agents whose skill raises both the behaviours they show and their customers'
satisfaction (so OLS is biased), and two dated policies that raise behaviours in one channel each."""
from __future__ import annotations

import numpy as np
import pytest
import pandas as pd

from empathy.stats.iv_analysis import IvSettings, iv_table

POLICIES = pd.DataFrame([
    {"policy_id": "p_chat", "channel": "chat", "effective_date": "2025-05-01"},
    {"policy_id": "p_voice", "channel": "voice", "effective_date": "2025-08-01"},
])
EFFECT = 0.04  # CSAT top-2 per behaviour


def _interactions(rng: np.random.Generator, n: int = 60_000, n_agents: int = 300) -> pd.DataFrame:
    channel = rng.choice(["voice", "chat", "email"], n, p=[0.4, 0.35, 0.25])
    started = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 3600, n), unit="s")
    agent = rng.integers(0, n_agents, n)
    skill = rng.normal(0, 1, n_agents)[agent]
    month_shift = 0.05 * np.sin(started.month.to_numpy())  # a seasonal pattern common to every channel
    policy = sum(((channel == p.channel) & (started >= pd.Timestamp(p.effective_date))).astype(float)
                 for p in POLICIES.itertuples())
    behaviours = np.clip(np.round(2 + 0.6 * skill + 0.8 * policy + month_shift * 5 + rng.normal(0, 0.8, n)), 0, 5)
    p_top2 = np.clip(0.5 + EFFECT * behaviours + 0.08 * skill + month_shift, 0.01, 0.99)
    answered = rng.random(n) < 0.3
    return pd.DataFrame({
        "interaction_key": [f"k{i}" for i in range(n)], "agent_id": [f"agent-{a}" for a in agent],
        "channel": channel, "started_at": started,
        "behaviors_count": behaviours,
        "is_csat_top2": np.where(answered, rng.random(n) < p_top2, None),
        "has_repeat_contact": rng.random(n) < 0.2,
    })


def test_2sls_covers_the_effect_ols_does_not_and_instruments_agree():
    table = iv_table(_interactions(np.random.default_rng(4)), POLICIES, IvSettings())
    csat = table[table["outcome"] == "is_csat_top2"].set_index(["instrument_set", "estimator"])
    both = csat.loc[("policies", "2sls")]
    assert both["status"] == "ok" and both["ci_lower"] <= EFFECT <= both["ci_upper"], both
    assert not both["is_weak_instrument"] and both["overid_p_value"] > 0.05
    ols = csat.loc[("policies", "ols")]
    assert ols["ci_lower"] > EFFECT, "skill confounds the OLS estimate upwards"
    for single in ("p_chat", "p_voice"):
        assert csat.loc[(single, "2sls"), "overid_p_value"] is None
    repeat = table[(table["outcome"] == "has_repeat_contact") & (table["instrument_set"] == "policies")
                   & (table["estimator"] == "2sls")].iloc[0]
    assert repeat["ci_lower"] <= 0 <= repeat["ci_upper"]


def test_policies_outside_the_data_give_a_status_row():
    later = POLICIES.assign(effective_date="2030-01-01")
    table = iv_table(_interactions(np.random.default_rng(5), n=5_000), later, IvSettings())
    assert set(table["status"]) == {"no_policy_reached_the_data", "no_supervisor_rotation_in_data"}
    assert len(table) == 8, "two outcomes x two designs x two estimators, each a status row"


def _rotating_interactions(rng: np.random.Generator, n: int = 80_000, n_agents: int = 240,
                           n_supervisors: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Agents sorted to supervisors by skill (the best agents start under the best coaches, so comparing agents
    across supervisors is biased), a third of them moved to a random supervisor mid-year; each supervisor's coaching
    adds to the behaviours, which raise CSAT top-2 by EFFECT each; skill raises CSAT directly too."""
    skill = rng.normal(0, 1, n_agents)
    coaching = np.sort(rng.normal(0, 0.5, n_supervisors))
    first = np.argsort(np.argsort(skill)) * n_supervisors // n_agents  # sorted: skill rank -> supervisor
    moves = rng.random(n_agents) < 1 / 3
    second = np.where(moves, rng.integers(0, n_supervisors, n_agents), first)
    rotation = pd.Timestamp("2025-07-01") + pd.to_timedelta(rng.integers(0, 60, n_agents), unit="D")
    agent = rng.integers(0, n_agents, n)
    started = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 3600, n), unit="s")
    after = started.to_numpy() >= rotation.to_numpy()[agent]
    supervisor = np.where(after, second[agent], first[agent])
    channel = rng.choice(["voice", "chat", "email"], n, p=[0.4, 0.35, 0.25])
    behaviours = np.clip(np.round(2.2 + 0.5 * skill[agent] + coaching[supervisor] + rng.normal(0, 0.8, n)), 0, 5)
    p_top2 = np.clip(0.5 + EFFECT * behaviours + 0.06 * skill[agent], 0.01, 0.99)
    answered = rng.random(n) < 0.35
    keys = [f"k{i}" for i in range(n)]
    interactions = pd.DataFrame({
        "interaction_key": keys, "agent_id": [f"a{a}" for a in agent], "channel": channel, "started_at": started,
        "behaviors_count": behaviours, "is_csat_top2": np.where(answered, rng.random(n) < p_top2, None),
        "has_repeat_contact": rng.random(n) < 0.2,
    })
    supervisors = pd.DataFrame({"interaction_key": keys, "supervisor_id": [f"s{s}" for s in supervisor]})
    return interactions, supervisors


def test_supervisor_rotation_with_agent_effects_covers_the_effect_despite_sorting():
    interactions, supervisors = _rotating_interactions(np.random.default_rng(11))
    none = POLICIES.assign(effective_date="2030-01-01")
    table = iv_table(interactions, none, IvSettings(), supervisors)
    csat = table[table["outcome"] == "is_csat_top2"].set_index(["instrument_set", "estimator"])
    rotation = csat.loc[("supervisor_rotation", "2sls")]
    assert rotation["status"] == "ok" and rotation["fixed_effects"] == "agent, month, channel, channel trends"
    assert rotation["ci_lower"] <= EFFECT <= rotation["ci_upper"] and not rotation["is_weak_instrument"], rotation
    assert csat.loc[("policies", "2sls"), "status"] == "no_policy_reached_the_data"


def test_supervisor_instrument_leaves_the_agent_out():
    """The instrument of a contact is the month x channel-netted mean of the supervisor's *other* agents: an agent
    alone under a supervisor gets none, and changing one agent's behaviours leaves that agent's instrument as is."""
    from empathy.stats.iv_analysis import supervisor_instrument
    frame = pd.DataFrame({
        "agent_id": ["a", "a", "b", "b", "c"], "supervisor_id": ["s1", "s1", "s1", "s1", "s2"],
        "month": ["m"] * 5, "channel": ["chat"] * 5, "behaviors_count": [1.0, 3.0, 4.0, 4.0, 2.0],
    })
    cell_mean = frame["behaviors_count"].mean()
    instrument = supervisor_instrument(frame)
    assert np.allclose(instrument[:2], 4.0 - cell_mean) and np.allclose(instrument[2:4], 2.0 - cell_mean)
    assert np.isnan(instrument[4])
    changed = supervisor_instrument(frame.assign(behaviors_count=[5.0, 5.0, 4.0, 4.0, 2.0]))  # cell mean 4.0
    assert np.allclose(changed[:2], 4.0 - 4.0), "a's own behaviours reach its instrument only through the cell mean"
    assert np.allclose(changed[2:4], 5.0 - 4.0)


def _rollout_interactions(rng: np.random.Generator, n: int = 120_000, n_agents: int = 300) -> pd.DataFrame:
    """A programme that rolls out to agents over eighteen months, in every channel alike, makes replies faster, which
    is not among the counted behaviours and which customers value in voice, less in chat and not at all in email.
    Its effect on the outcome therefore grows with the rollout at a different pace in each channel, which month
    fixed effects do not absorb. The two policies raise only the counted behaviours, by EFFECT each."""
    channel = rng.choice(["voice", "chat", "email"], n, p=[0.45, 0.3, 0.25])
    started = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 540 * 24 * 3600, n), unit="s")
    agent = rng.integers(0, n_agents, n)
    rollout_day = rng.integers(0, 540, n_agents)[agent]
    days = ((started - pd.Timestamp("2025-01-01")).total_seconds() / 86400).to_numpy()
    trained = days >= rollout_day
    policy = sum(((channel == p.channel) & (started >= pd.Timestamp(p.effective_date))).astype(float)
                 for p in POLICIES.itertuples())
    behaviours = np.clip(np.round(2 + 0.5 * policy + rng.normal(0, 0.9, n)), 0, 5)
    fast_value = np.select([channel == "voice", channel == "chat"], [0.15, 0.05], 0.0)
    fast = rng.random(n) < np.where(trained, 0.8, 0.3)
    p_top2 = np.clip(0.45 + EFFECT * behaviours + fast_value * fast, 0.01, 0.99)
    answered = rng.random(n) < 0.4
    return pd.DataFrame({
        "interaction_key": [f"k{i}" for i in range(n)], "agent_id": [f"agent-{a}" for a in agent],
        "channel": channel, "started_at": started, "behaviors_count": behaviours,
        "is_csat_top2": np.where(answered, rng.random(n) < p_top2, None),
        "has_repeat_contact": rng.random(n) < 0.2,
    })


def test_channel_trends_remove_the_bias_of_a_rollout_valued_differently_by_channel():
    """With month and channel fixed effects only, the rollout's growing voice-and-chat premium loads onto the
    policies' timing and the estimate is far above EFFECT; with channel trends the interval covers it."""
    interactions = _rollout_interactions(np.random.default_rng(21))
    rows = {}
    for trends in (False, True):
        table = iv_table(interactions, POLICIES, IvSettings(outcomes=("is_csat_top2",), channel_trends=trends))
        rows[trends] = table[(table["outcome"] == "is_csat_top2") & (table["instrument_set"] == "policies")
                             & (table["estimator"] == "2sls")].iloc[0]
    with_trends, without = rows[True], rows[False]
    assert with_trends["fixed_effects"] == "month, channel, channel trends" and with_trends["status"] == "ok"
    assert with_trends["ci_lower"] <= EFFECT <= with_trends["ci_upper"], with_trends
    assert without["ci_lower"] > EFFECT, ("the fixed effects alone are biased upwards", without)


def test_partialling_out_the_fixed_effects_gives_the_full_models_estimates():
    """Frisch-Waugh-Lovell (D38): 2SLS and OLS on the residuals of the month, channel and trend effects give the
    coefficients linearmodels estimates with those effects as regressors, and the same clustered standard errors
    up to the small-sample factor (N - K without the partialled effects): checked against the full model."""
    from empathy.stats.iv import iv_estimates
    from empathy.stats.iv_analysis import ENDOGENOUS, _fit, instrument_frame

    design = instrument_frame(_interactions(np.random.default_rng(8), n=8_000, n_agents=80), POLICIES)
    policies, fixed = design.instruments, design.fixed_names
    fast = _fit(design, "is_csat_top2", policies, by_agent=False).set_index("estimator")
    frame = pd.concat([design.frame, pd.DataFrame(design.fixed.toarray(), columns=fixed, index=design.frame.index)],
                      axis=1)
    used = frame.dropna(subset=["is_csat_top2", ENDOGENOUS, *policies, "agent_id"])
    full = iv_estimates(used, "is_csat_top2", ENDOGENOUS, policies, exog=fixed, cluster="agent_id").set_index(
        "estimator")
    assert (fast["status"] == "ok").all() and fast["n_observations"].equals(full["n_observations"])
    for estimator in ("2sls", "ols"):
        assert fast.loc[estimator, "estimate"] == pytest.approx(full.loc[estimator, "estimate"], rel=1e-9, abs=1e-12)
        # linearmodels' clustered factor has (N - 1) / (N - K): K is 1 (the behaviours) on the residuals, and the
        # behaviours, the constant and the partialled effects in the full model
        n, k_full = len(used), len(fixed) + 2
        factor = np.sqrt((n - 1) / (n - k_full))
        assert fast.loc[estimator, "std_error"] * factor == pytest.approx(full.loc[estimator, "std_error"], rel=1e-6)
    assert fast.loc["2sls", "first_stage_f"] == pytest.approx(full.loc["2sls", "first_stage_f"], rel=1e-2)


def test_partialling_through_cross_products_equals_least_squares_residuals():
    """partialled_out (cross-products of group-demeaned columns, no demeaned copy of the controls) leaves the
    residuals numpy's least squares leaves (empathy.stats.iv.annihilate) on the controls plus a constant, or plus
    one dummy per group, with dense and sparse controls, and counts the parameters as numpy's rank does: a
    duplicated, an all-zero and a within-group-constant column included."""
    from scipy import sparse

    from empathy.stats.iv import annihilate
    from empathy.stats.iv_analysis import partialled_out

    rng = np.random.default_rng(21)
    n = 5_000
    month = rng.integers(0, 12, n)
    groups = rng.integers(0, 40, n)
    per_group = (groups % 3 == 0).astype(float)  # constant within every group
    controls = np.column_stack([(month == m).astype(float) for m in range(1, 12)] + [rng.normal(size=n) * 3 + 1])
    controls = np.column_stack([controls, controls[:, 0], np.zeros(n), per_group])
    values = rng.normal(size=(n, 3)) + controls[:, [0, 11, 3]] * [1.0, -2.0, 0.5] + per_group[:, None]
    dummies = np.column_stack([(groups == g).astype(float) for g in range(40)])
    for given, design in ((None, np.column_stack([np.ones(n), controls])),
                          (groups, np.column_stack([dummies, controls]))):
        for matrix in (controls, sparse.csr_matrix(controls)):
            residuals, n_parameters = partialled_out(values, matrix, given)
            np.testing.assert_allclose(residuals, annihilate(values, design), atol=1e-9)
            assert n_parameters == np.linalg.matrix_rank(design)
