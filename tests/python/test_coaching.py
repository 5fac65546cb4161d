"""Issue 14's scorecards and recognition on agents written here, independently of the demo generator: agents of
known skill on queues of known difficulty, with very different numbers of contacts, so that raw rates reward luck
and queues; and the common-precision fit against an independent maximum-likelihood computation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import os
import yaml
from pathlib import Path

from empathy.demo.spec import BEHAVIOURS
from empathy.stats.recognition import RecognitionSettings, recognition
from empathy.stats.shrinkage import fit_precision_given_means
from empathy.stats.scorecards import ScorecardSettings, effective_counts, scorecards


def _agents(rng: np.random.Generator, n_agents: int = 120, n_teams: int = 8) -> pd.DataFrame:
    """Skill on the logit scale; a third of the agents work a hard queue (mostly tough moments, by chat) and the
    rest an easy one (mostly routine voice); contact volumes from 4 to 400 a month (part-timers, new starters)."""
    skill = rng.normal(0, 0.5, n_agents)
    hard = rng.random(n_agents) < 1 / 3
    volume = np.exp(rng.uniform(np.log(4), np.log(400), n_agents)).round().astype(int)
    return pd.DataFrame({"agent_id": [f"a{i:03d}" for i in range(n_agents)],
                         "team": [f"t{i % n_teams}" for i in range(n_agents)],
                         "skill": skill, "hard_queue": hard, "volume": volume})


def _contacts(agents: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per contact: channel and tough moment by queue, behaviour and CSAT from skill and difficulty."""
    rows = agents.loc[agents.index.repeat(agents["volume"])].reset_index(drop=True)
    n = len(rows)
    tough = rng.random(n) < np.where(rows["hard_queue"], 0.8, 0.1)
    channel = np.where(rng.random(n) < np.where(rows["hard_queue"], 0.8, 0.2), "chat", "voice")
    logit = -0.4 + rows["skill"].to_numpy() - 1.2 * tough + 0.3 * (channel == "voice")
    empathetic = rng.random(n) < 1 / (1 + np.exp(-logit))
    csat = rng.random(n) < 1 / (1 + np.exp(-(0.6 + 1.0 * empathetic - 0.8 * tough)))
    answered = rng.random(n) < 0.3
    return pd.DataFrame({"agent_id": rows["agent_id"], "team": rows["team"], "channel": channel,
                         "is_tough_moment": tough, "empathetic": empathetic,
                         "csat": np.where(answered, csat, np.nan), "repeat": rng.random(n) < 0.2})


def _cells(contacts: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for metric, column in (("empathetic_contact_rate", "empathetic"), ("csat_top2_rate", "csat"),
                           ("repeat_contact_rate", "repeat")):
        data = contacts.dropna(subset=[column])
        grouped = data.groupby(["agent_id", "team", "channel", "is_tough_moment"])[column]
        part = grouped.agg(n_observations="count", n_successes="sum").reset_index()
        parts.append(part.assign(metric=metric))
    cells = pd.concat(parts, ignore_index=True)
    cells["n_successes"] = cells["n_successes"].astype(int)
    return cells.assign(window_starts_at=pd.Timestamp("2026-01-01"))


def _month_cells(contacts: pd.DataFrame) -> pd.DataFrame:
    grouped = contacts.groupby(["agent_id", "team"])["empathetic"]
    cells = grouped.agg(n_observations="count", n_successes="sum").reset_index()
    return cells.assign(month_start=pd.Timestamp("2026-01-01"), metric="empathetic_contact_rate",
                        unit_counted="interactions", sum_weight=np.nan, sum_weight_squared=np.nan,
                        sum_weight_successes=np.nan, n_interactions=cells["n_observations"], n_reviews=0,
                        n_respondents=0)


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(314)
    agents = _agents(rng)
    return agents, _contacts(agents, rng)


def test_fit_precision_given_means_agrees_with_an_independent_maximum_likelihood():
    """Beta priors with unit-specific means and one precision: the bounded fit on log M agrees to 1e-4 (relative)
    with a grid-then-Nelder-Mead maximisation of scipy.stats.betabinom's log-pmf on M itself."""
    rng = np.random.default_rng(5)
    n = rng.integers(5, 200, 300)
    mean = rng.uniform(0.2, 0.7, 300)
    truth = 40.0
    p = rng.beta(mean * truth, (1 - mean) * truth)
    s = rng.binomial(n, p)
    fitted, status = fit_precision_given_means(s, n, mean)

    def negative(m: float) -> float:
        return -stats.betabinom.logpmf(s, n, mean * m, (1 - mean) * m).sum()

    grid = np.exp(np.linspace(np.log(1), np.log(1e4), 400))
    start = grid[np.argmin([negative(m) for m in grid])]
    reference = optimize.minimize(lambda x: negative(x[0]), [start], method="Nelder-Mead",
                                  options={"xatol": 1e-8, "fatol": 1e-10}).x[0]
    assert status == "ok"
    assert abs(fitted - reference) / reference < 1e-4, (fitted, reference)
    assert 20 < fitted < 80, "recovers the simulated precision roughly"


def test_fit_precision_given_means_without_excess_variance_pools_fully():
    rng = np.random.default_rng(6)
    n = rng.integers(20, 100, 200)
    mean = rng.uniform(0.3, 0.6, 200)
    s = rng.binomial(n, mean)  # no between-unit variation beyond the means
    fitted, status = fit_precision_given_means(s, n, mean)
    assert status == "no_excess_variance" and np.isinf(fitted)
    assert fit_precision_given_means(s[:2], n[:2], mean[:2])[1] == "too_few_units"


def test_case_mix_adjusted_shrunk_ranking_tracks_skill_better_than_raw_rates(world):
    """Hard-queue agents have lower raw rates at equal skill, and part-timers' raw rates are noisy: the recognition
    ranking (lower bound of the excess over the case-mix expectation) correlates with skill far better than raw
    rates, and neither the hard queue nor a small sample decides who is on top."""
    agents, contacts = world
    table = recognition(_cells(contacts), RecognitionSettings(recognition_min_interactions=1,
                                                              recognition_min_respondents=0))
    merged = table.merge(agents, on="agent_id")
    rho_ranking = stats.spearmanr(merged["excess_lower_bound"], merged["skill"])[0]
    rho_raw = stats.spearmanr(merged["raw_rate"], merged["skill"])[0]
    assert rho_ranking > rho_raw + 0.1, (rho_ranking, rho_raw)
    top, raw_top = merged.nlargest(10, "excess_lower_bound"), merged.nlargest(10, "raw_rate")
    # measured on this fixture: 1 agent with fewer than 20 contacts in the ranking's top ten, 8 in the raw top ten
    assert (top["volume"] < 20).sum() <= 1 < (raw_top["volume"] < 20).sum()
    assert raw_top["hard_queue"].mean() < top["hard_queue"].mean(), "raw rates favour the easy queue"


def test_recognition_statuses_and_reasons(world):
    agents, contacts = world
    table = recognition(_cells(contacts), RecognitionSettings(recognition_min_interactions=40,
                                                              recognition_min_respondents=10))
    assert len(table) == len(agents) and table["agent_id"].is_unique
    small = table.merge(agents, on="agent_id").query("volume < 40")
    assert (small["status"] == "too_few_interactions").all()
    recognised = table[table["is_recognised"]]
    assert len(recognised) > 0
    assert list(recognised["recognition_rank"]) == list(range(1, len(recognised) + 1))
    assert (recognised["excess_lower_bound"] > recognised["team_excess"].fillna(0)).all()
    assert (recognised["csat_top2_estimate"] > recognised["csat_top2_expected_rate"]).all()
    assert recognised["excess_lower_bound"].is_monotonic_decreasing
    first = recognised.iloc[0]
    assert f"of {first['n_interactions']} contacts" in first["reason"] and "expected" in first["reason"]
    assert table.loc[~table["is_recognised"], "recognition_rank"].isna().all()


def test_scorecard_shrinks_by_evidence_and_keeps_a_lucky_small_sample_off_the_top(world):
    """Within a team the weight of an agent's own rate grows with its contacts; an agent with 8 of 8 tops the raw
    rates but not the lower credible bound, which is what the scorecard ranks on."""
    agents, contacts = world
    cells = _month_cells(contacts)
    table = scorecards(cells, ScorecardSettings(min_agents_for_team_prior=5))
    assert (table["status"] == "ok").all() and (table["prior_source"] == "team").all()
    for _, team in table.groupby("team"):
        assert team["shrinkage_weight"].corr(team["n_observations"], method="spearman") > 0.99
    assert ((table["estimate"] - table["prior_mean"]).abs() <= (table["raw_rate"] - table["prior_mean"]).abs()
            + 1e-12).all(), "every estimate lies between the raw rate and the prior mean"
    lucky = pd.concat([cells, cells.iloc[[0]].assign(agent_id="lucky", n_observations=8, n_successes=8,
                                                     n_interactions=8)], ignore_index=True)
    shrunk = scorecards(lucky, ScorecardSettings()).set_index("agent_id")
    assert shrunk["raw_rate"].idxmax() == "lucky"
    assert shrunk["lower_bound"].idxmax() != "lucky"


def test_weighted_rates_enter_with_kish_effective_sample_size():
    cells = pd.DataFrame({"n_observations": [10, 10], "n_successes": [6, 6], "sum_weight": [10.0, np.nan],
                          "sum_weight_squared": [20.0, np.nan], "sum_weight_successes": [7.0, np.nan]})
    trials, successes, raw = effective_counts(cells)
    assert trials.tolist() == [5.0, 10.0] and successes.tolist() == [3.5, 6.0]
    assert raw.tolist() == [0.7, 0.6]


def test_a_team_too_small_borrows_all_agents_prior_and_degenerate_months_say_why():
    cells = pd.DataFrame({
        "agent_id": ["a", "b", "c", "d", "e", "f", "g", "x"], "team": ["t1"] * 6 + ["t2", None],
        "month_start": pd.Timestamp("2026-01-01"), "metric": "empathetic_contact_rate", "unit_counted": "interactions",
        "n_observations": [30, 40, 25, 50, 35, 45, 20, 0], "n_successes": [5, 30, 10, 40, 12, 30, 15, 0],
        "sum_weight": np.nan, "sum_weight_squared": np.nan, "sum_weight_successes": np.nan,
        "n_interactions": 30, "n_reviews": 0, "n_respondents": 0})
    table = scorecards(cells, ScorecardSettings(min_agents_for_team_prior=5)).set_index("agent_id")
    assert table.loc["a", "prior_source"] == "team" and table.loc["g", "prior_source"] == "all_agents"
    assert table.loc["x", "status"] == "no_observations" and table.loc["x", "estimate"] == table.loc["x", "prior_mean"]
    lonely = scorecards(cells.iloc[[0]], ScorecardSettings())
    assert lonely["status"].tolist() == ["too_few_agents"] and lonely["estimate"].isna().all()
    assert scorecards(cells.iloc[:0], ScorecardSettings()).empty


def test_demo_scorecards_cover_every_agent_month_and_rank_on_evidence(demo_db) -> None:
    """Every counted agent-month-metric has a scorecard row; a month's top agent by the lower credible bound is
    an agent with fewer than ten observations less often than by the raw rate (measured: 12 against 24 of 144
    metric-months); the behaviour counts reconcile with mart_interaction_outcomes."""
    from conftest import query
    (n_cells,), = query(demo_db, "select count(*) from intermediate.int_agent_months_counted")
    (n_rows,), = query(demo_db, "select count(*) from marts.mart_agent_scorecards")
    assert n_cells == n_rows > 0
    (observed, acknowledged), = query(demo_db, """
        select count(has_acknowledge), count(*) filter (where has_acknowledge)
        from marts.mart_interaction_outcomes where agent_id is not null""")
    (n_obs, n_succ), = query(demo_db, """
        select sum(n_observations), sum(n_successes) from marts.mart_agent_scorecards
        where metric = 'acknowledge_rate'""")
    assert (n_obs, n_succ) == (observed, acknowledged)
    rows = query(demo_db, """
        with ranked as (
            select metric, month_start, n_observations,
                   row_number() over (partition by metric, month_start order by lower_bound desc, agent_id) as by_bound,
                   row_number() over (partition by metric, month_start order by raw_rate desc, agent_id) as by_raw
            from marts.mart_agent_scorecards where status = 'ok'
        )
        select count(*) filter (where by_bound = 1 and n_observations < 10),
               count(*) filter (where by_raw = 1 and n_observations < 10)
        from ranked""")
    (small_by_bound, small_by_raw), = rows
    assert small_by_bound < small_by_raw, rows


def test_demo_scorecards_are_closer_to_the_true_monthly_rates_than_raw_rates(demo_db, demo_manifest) -> None:
    """The generator records each contact's behaviour probabilities; an agent-month's true rate is their mean
    over the contacts the scorecard counts. Shrunk toward the team, every behaviour's scorecard is closer to it
    than the raw rate (mean squared error measured 0.006-0.008 against 0.013-0.020) and ranks the agent-months
    more like the truth (Spearman measured 0.68-0.82 against 0.62-0.74)."""
    from conftest import PROJECT_DIR, query
    raw_dir = Path(os.environ.get("EMPATHY_RAW_DIR", PROJECT_DIR / "data" / "demo"))
    truth_path = raw_dir / "_truth" / "interaction_truth.parquet"
    cases = " ".join(f"when '{b}_rate' then truth.p_{b}" for b in BEHAVIOURS)
    rows = query(demo_db, f"""
        with truth as (
            select outcomes.agent_id, date_trunc('month', outcomes.started_at)::date as month_start,
                   {", ".join(f"avg(truth.p_{b}) as p_{b}" for b in BEHAVIOURS)}
            from marts.mart_interaction_outcomes as outcomes
            inner join read_parquet('{truth_path}') as truth using (source_system, interaction_id)
            where outcomes.has_acknowledge is not null and outcomes.agent_id is not null
            group by all
        )
        select cards.metric, cards.estimate, cards.raw_rate, case cards.metric {cases} end as true_rate
        from marts.mart_agent_scorecards as cards
        inner join truth using (agent_id, month_start)
        where cards.metric in ({", ".join(f"'{b}_rate'" for b in BEHAVIOURS)}) and cards.status = 'ok'""")
    frame = pd.DataFrame(rows, columns=["metric", "estimate", "raw_rate", "true_rate"])
    assert set(frame["metric"]) == {f"{b}_rate" for b in BEHAVIOURS}
    for metric, group in frame.groupby("metric"):
        shrunk = ((group["estimate"] - group["true_rate"]) ** 2).mean()
        raw = ((group["raw_rate"] - group["true_rate"]) ** 2).mean()
        assert len(group) > 100 and shrunk < 0.75 * raw, (metric, shrunk, raw, len(group))
        rho_shrunk = stats.spearmanr(group["estimate"], group["true_rate"])[0]
        rho_raw = stats.spearmanr(group["raw_rate"], group["true_rate"])[0]
        assert rho_shrunk > rho_raw, (metric, rho_shrunk, rho_raw)


def test_demo_recognition_follows_planted_skill_not_the_queue(demo_db, demo_manifest) -> None:
    """The demo's agents differ in skill, in volume (43 to 280 contacts in the window) and in queue: each has a
    home channel, and email cannot be acknowledged within 30 seconds, so an email agent's raw empathetic-contact
    rate is low whatever their skill. The recognition ranking (lower credible bound of the excess over the case-mix
    expectation) follows the planted skill (Spearman measured 0.53) where raw rates follow the queue (0.06); the
    manifest's true top agents rank higher on it than on raw rates; email agents are not penalised after case mix
    (raw rates 0.2 below the others', excess within 0.03); nobody with fewer contacts than the minimum evidence is
    in the top five or recognised; every agent has a reason."""
    from conftest import query
    truth = demo_manifest["effects"]["agent_skill"]
    skill, home = truth["skill_by_agent"], truth["case_mix"]["home_channel_by_agent"]
    minimum = _recognition_min_interactions()
    frame = pd.DataFrame(query(demo_db, """
        select agent_id, n_interactions, raw_rate, estimate - expected_rate, excess_lower_bound, is_recognised, reason
        from marts.mart_agent_recognition"""),
        columns=["agent_id", "n", "raw_rate", "excess", "bound", "is_recognised", "reason"])
    assert len(frame) > 20 and frame["reason"].str.len().gt(0).all()
    frame["skill"] = frame["agent_id"].map(skill)
    frame["email"] = frame["agent_id"].map(home) == "email"
    rho_bound = stats.spearmanr(frame["bound"], frame["skill"])[0]
    rho_raw = stats.spearmanr(frame["raw_rate"], frame["skill"])[0]
    assert rho_bound > 0.3 and rho_bound > rho_raw + 0.2, (rho_bound, rho_raw)
    top = frame[frame["agent_id"].isin(truth["top_agents"])]
    by_bound, by_raw = frame["bound"].rank(ascending=False), frame["raw_rate"].rank(ascending=False)
    assert by_bound[top.index].mean() < by_raw[top.index].mean()
    gap_raw = frame.loc[frame["email"], "raw_rate"].mean() - frame.loc[~frame["email"], "raw_rate"].mean()
    gap_excess = frame.loc[frame["email"], "excess"].mean() - frame.loc[~frame["email"], "excess"].mean()
    assert gap_raw < -0.1 and abs(gap_excess) < 0.03, (gap_raw, gap_excess)
    assert (frame.nlargest(5, "bound")["n"] >= minimum).all()
    assert (frame.loc[frame["is_recognised"], "n"] >= minimum).all()


def _recognition_min_interactions() -> int:
    """var coaching.recognition_min_interactions from dbt_project.yml."""
    from conftest import PROJECT_DIR
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    return int(project["vars"]["coaching"]["recognition_min_interactions"])


def test_demo_coaching_moments_meet_their_definitions(demo_db) -> None:
    """Every missed moment on the demo is a tough moment with a behaviour missing and a poor outcome, every bright
    spot a tough moment with at most one behaviour missing and a good outcome; at most var moments_per_agent per
    agent and kind; the mart carries positions, not text."""
    from conftest import query
    rows = query(demo_db, """
        select moment_kind,
               count(*) filter (where tough_moment_category is null),
               count(*) filter (where moment_kind = 'missed_moment' and not (behaviors_count < 5 and (csat <= 2
                   or has_repeat_contact or is_churned_within_90_days))),
               count(*) filter (where moment_kind = 'bright_spot' and not (behaviors_count >= 4 and csat >= 4
                   and not has_repeat_contact and not is_churned_within_90_days)),
               max(moment_rank), count(*)
        from marts.mart_coaching_moments group by moment_kind""")
    kinds = {kind: rest for kind, *rest in rows}
    assert kinds.get("missed_moment", [0, 0, 0, 0, 0])[4] > 50
    for kind, (not_tough, bad_missed, bad_bright, top_rank, _) in kinds.items():
        assert not_tough == bad_missed == bad_bright == 0, kind
        assert top_rank <= 5
    columns = {name for name, in query(demo_db, """
        select column_name from information_schema.columns
        where table_schema = 'marts' and table_name = 'mart_coaching_moments'""")}
    assert not columns & {"first_matched_text", "text_redacted", "customer_key"}
