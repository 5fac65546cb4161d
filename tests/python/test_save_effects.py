"""Save conversations judged by closure (empathy/stats/save_effects.py): the within-agent estimator against pyfixest,
its coverage on data written here (not by the demo generator: other script names, other proportions, a linear
probability world where skilled agents both close better and keep more customers), the cells, and the statuses
of degenerate input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm

from empathy.stats.save_effects import (CLOSURE, STATUSES, SaveSettings, _mean_with_cluster_se,
                                        _ratio_with_cluster_se, naive_slope, prepare, save_effects, within_agent_fit)

TRUE_PER_CLOSURE = 0.10
TRUE_PER_10 = 0.02


def written_offers(rng: np.random.Generator, n_agents: int = 120, per_agent: int = 12) -> pd.DataFrame:
    """Offers in the shape of mart_save_conversations: agent skill raises each closure behaviour and, separately,
    the chance to save; saving rises TRUE_PER_CLOSURE per closure behaviour and TRUE_PER_10 per 10 conceded."""
    agent = np.repeat(np.arange(n_agents), per_agent)
    n = len(agent)
    skill = rng.normal(0, 1, n_agents)[agent]
    script = np.where(rng.random(n) < 0.3, "retention_v2", "baseline")
    p_close = np.clip(0.4 + 0.15 * skill + 0.2 * (script == "retention_v2"), 0.05, 0.95)
    closure = rng.random((n, 3)) < p_close[:, None]
    offer_type = rng.choice(["none", "discount", "credit"], n, p=[0.5, 0.3, 0.2])
    amount = np.where(offer_type == "none", 0.0, rng.uniform(5, 80, n)).round(2)
    plan = rng.choice(["starter", "growth"], n)
    tough = rng.random(n) < 0.4
    p_save = np.clip(0.15 + TRUE_PER_CLOSURE * closure.sum(1) + TRUE_PER_10 * amount / 10 + 0.08 * skill
                     - 0.05 * (plan == "starter"), 0, 1)
    saved = rng.random(n) < p_save
    return pd.DataFrame({
        "offer_id": [f"o{i}" for i in range(n)], "agent_id": [f"agent {a}" for a in agent], "team": "t",
        "channel": rng.choice(["phone", "chat"], n), "save_script": script, "offer_type": offer_type,
        "offer_amount": amount, "is_accepted": saved | (rng.random(n) < 0.05), "plan": plan, "segment": "smb",
        "tenure_days": rng.integers(20, 900, n), "is_tough_moment": tough, "closure_status": "observed",
        "has_summarised_concern": closure[:, 0], "has_confirmed_next_steps": closure[:, 1],
        "has_closed_emotional_loop": closure[:, 2], "closure_behaviors_count": closure.sum(1),
        "is_saved": pd.array(saved, dtype="boolean"), "has_callback": pd.array(rng.random(n) < 0.2, dtype="boolean"),
        "is_renewed_at_next_renewal": pd.array(saved & (rng.random(n) < 0.9), dtype="boolean"),
    })


def test_within_agent_fit_equals_pyfixest_with_agent_fixed_effects_and_crv1() -> None:
    frame = prepare(written_offers(np.random.default_rng(1)))
    fit = within_agent_fit(frame, "is_saved", ["closure_behaviors_count", "offer_amount_per_10"],
                           ["log_tenure_days", "is_tough_moment"], ["plan", "channel", "save_script"])
    data = frame.assign(starter=(frame["plan"] == "starter").astype(float),
                        phone=(frame["channel"] == "phone").astype(float),
                        v2=(frame["save_script"] == "retention_v2").astype(float))
    reference = pf.feols("is_saved ~ closure_behaviors_count + offer_amount_per_10 + log_tenure_days + "
                         "is_tough_moment + starter + phone + v2 | agent_id", data=data, vcov={"CRV1": "agent_id"})
    for term in ["closure_behaviors_count", "offer_amount_per_10"]:
        estimate, se, _ = fit["coef"][term]
        assert estimate == pytest.approx(reference.coef()[term], rel=1e-8)
        assert se == pytest.approx(reference.se()[term], rel=1e-6)
    assert fit["n"] == len(frame) and fit["agents"] == frame["agent_id"].nunique()


def test_agents_with_one_offer_are_dropped_like_singletons() -> None:
    frame = prepare(written_offers(np.random.default_rng(2), n_agents=40, per_agent=5))
    lone = frame.iloc[[0]].assign(agent_id="lonely agent")
    fit_without = within_agent_fit(frame, "is_saved", ["closure_behaviors_count"], [], [])
    fit_with = within_agent_fit(pd.concat([frame, lone]), "is_saved", ["closure_behaviors_count"], [], [])
    assert fit_with["n"] == fit_without["n"] and fit_with["coef"] == fit_without["coef"]


def test_adjusted_closure_effect_covers_the_truth_and_naive_is_confounded_by_skill() -> None:
    """Over 200 worlds the 95% interval of the per-behaviour effect covers the truth in about 95% of them (at least
    90%: the binomial 1st percentile is 91%), while the naive slope, which skill inflates, is above the truth on
    average by more than its noise."""
    covered, naive = [], []
    for seed in range(200):
        frame = prepare(written_offers(np.random.default_rng(100 + seed)))
        fit = within_agent_fit(frame, "is_saved", ["closure_behaviors_count", "offer_amount_per_10"],
                               ["log_tenure_days", "is_tough_moment"], ["plan", "channel", "save_script"])
        estimate, se, _ = fit["coef"]["closure_behaviors_count"]
        covered.append(abs(estimate - TRUE_PER_CLOSURE) <= 1.959964 * se)
        naive.append(naive_slope(frame, "is_saved", "closure_behaviors_count"))
    assert np.mean(covered) >= 0.90
    assert np.mean(naive) - TRUE_PER_CLOSURE > 4 * np.std(naive) / np.sqrt(len(naive))


def test_mart_rows_recover_closure_and_money_on_written_data() -> None:
    frame = written_offers(np.random.default_rng(3), n_agents=200, per_agent=15)
    out = save_effects(frame, SaveSettings(min_offers=30))
    effects = out.loc[out["row_kind"] == "effect"]
    closure = effects[(effects["outcome"] == "saved") & (effects["comparison"] == "closure_behaviors")].iloc[0]
    money = effects[(effects["outcome"] == "saved") & (effects["comparison"] == "money_conceded_per_10")].iloc[0]
    assert closure["status"] == "ok" and closure["ci_lower"] <= TRUE_PER_CLOSURE <= closure["ci_upper"]
    assert money["ci_lower"] <= TRUE_PER_10 <= money["ci_upper"]
    assert closure["naive_estimate"] > closure["estimate"]
    scripts = effects[effects["comparison"] == "save_script"]
    assert set(scripts["group_value"]) == {"retention_v2"} and set(scripts["reference_value"]) == {"baseline"}
    assert out["p_value_adjusted"].dropna().ge(out["p_value"].dropna().min()).all()
    assert set(out["status"]) <= set(STATUSES)
    for name in CLOSURE:
        assert name in set(effects["comparison"])


def test_cell_mean_and_ratio_standard_errors_match_their_references() -> None:
    """The cell mean's clustered SE is statsmodels' OLS on a constant with cluster-robust errors; the money per
    save's delta-method SE is the clustered SE of the ratio's linearisation (num - r*den)/mean(den)."""
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(30), 7)
    y = (rng.random(len(groups)) < 0.3).astype(float)
    mean, se = _mean_with_cluster_se(y, groups)
    fit = sm.OLS(y, np.ones((len(y), 1))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert mean == pytest.approx(fit.params[0]) and se == pytest.approx(fit.bse[0], rel=1e-10)
    money = rng.uniform(0, 50, len(groups))
    ratio, ratio_se = _ratio_with_cluster_se(money, y, groups)
    assert ratio == pytest.approx(money.sum() / y.sum())
    linear = (money - ratio * y) / y.mean()
    lin_fit = sm.OLS(linear, np.ones((len(y), 1))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert ratio_se == pytest.approx(lin_fit.bse[0], rel=1e-10)


def test_degenerate_input_gives_rows_that_say_why() -> None:
    few = written_offers(np.random.default_rng(5), n_agents=3, per_agent=4)
    out = save_effects(few, SaveSettings(min_offers=30))
    assert set(out.loc[out["row_kind"] == "effect", "status"]) == {"too_few_offers"}
    one_agent = written_offers(np.random.default_rng(6), n_agents=1, per_agent=60)
    out = save_effects(one_agent, SaveSettings(min_offers=30))
    assert set(out.loc[out["row_kind"] == "effect", "status"]) == {"too_few_agents"}
    no_transcripts = written_offers(np.random.default_rng(7)).assign(closure_status="transcript_not_usable")
    out = save_effects(no_transcripts, SaveSettings(min_offers=30))
    assert len(out) > 0 and set(out["status"]) == {"too_few_offers"}
    constant = written_offers(np.random.default_rng(8)).assign(
        has_summarised_concern=True, has_confirmed_next_steps=True, has_closed_emotional_loop=False,
        closure_behaviors_count=2)
    out = save_effects(constant, SaveSettings(min_offers=30))
    closure = out[(out["comparison"] == "closure_behaviors") & (out["outcome"] == "saved")].iloc[0]
    assert closure["status"] == "no_variation_in_term" and pd.isna(closure["estimate"])
