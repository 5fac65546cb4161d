"""The instrumental-variables mart's assembly (empathy/stats/iv_analysis.py) on interactions written here,
independently of the demo generator: agents whose skill raises both the behaviours they show and their customers'
satisfaction (so OLS is biased), and two dated policies that raise behaviours in one channel each."""
from __future__ import annotations

import numpy as np
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
    both = csat.loc[("all", "2sls")]
    assert both["status"] == "ok" and both["ci_lower"] <= EFFECT <= both["ci_upper"], both
    assert not both["is_weak_instrument"] and both["overid_p_value"] > 0.05
    ols = csat.loc[("all", "ols")]
    assert ols["ci_lower"] > EFFECT, "skill confounds the OLS estimate upwards"
    for single in ("p_chat", "p_voice"):
        assert csat.loc[(single, "2sls"), "overid_p_value"] is None
    repeat = table[(table["outcome"] == "has_repeat_contact") & (table["instrument_set"] == "all")
                   & (table["estimator"] == "2sls")].iloc[0]
    assert repeat["ci_lower"] <= 0 <= repeat["ci_upper"]


def test_policies_outside_the_data_give_a_status_row():
    later = POLICIES.assign(effective_date="2030-01-01")
    table = iv_table(_interactions(np.random.default_rng(5), n=5_000), later, IvSettings())
    assert set(table["status"]) == {"no_policy_reached_the_data"}
    assert len(table) == 2
