"""The alert policy (empathy/outreach.py) and the churn-risk model (empathy/stats/churn_risk.py) on data written
here, independently of the demo generator: hand-written customer-weeks whose every decision is known in advance,
and a simulated discrete-time hazard with known coefficients."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from empathy.outreach import (
    AlertSettings, alert_decisions, alert_outcome_table, alert_period_filter, customer_outcomes, holdout_draw,
)
from empathy.stats import churn_risk
from empathy.stats.churn_risk import (
    ChurnRiskSettings, _top_contributions, evaluation_table, features_of, fit_hazard, followup_frames, horizon_labels,
    landmark_followup, score_weeks, split_weeks, training_sample,
)

SETTINGS = AlertSettings(weekly_capacity=2, frequency_cap_days=14, holdout_share=0.5, holdout_salt="s", weeks=3)


def _week(week: str, key: str, risk: float, opted_out: bool = False, open_contact: bool = False) -> dict:
    return {"customer_key": key, "week_start": pd.Timestamp(week), "risk_full": risk, "top_signals": "{}",
            "is_contact_opted_out": opted_out, "has_open_contact": open_contact}


def _keys_by_arm(n: int = 200) -> tuple[list[str], list[str]]:
    """Customer keys the salted hash puts in each arm (held out when the draw is below the share)."""
    keys = [f"c{i:03d}" for i in range(n)]
    held = [k for k in keys if holdout_draw(k, SETTINGS.holdout_salt) < SETTINGS.holdout_share]
    return [k for k in keys if k not in held], held


def test_policy_suppresses_with_reasons_fills_capacity_and_caps_frequency():
    (a, b, c, *_), (h, *_) = _keys_by_arm()
    rows = [
        _week("2026-01-05", "opted", 0.9, opted_out=True),
        _week("2026-01-05", "talking", 0.8, open_contact=True),
        _week("2026-01-05", a, 0.7),
        _week("2026-01-05", h, 0.6),
        _week("2026-01-05", b, 0.5),  # below the capacity: no row
        _week("2026-01-12", a, 0.9),  # selected a week ago: capped
        _week("2026-01-12", b, 0.4),
        _week("2026-01-12", c, 0.3),
        _week("2026-01-19", a, 0.9),  # 14 days after its selection: selectable again
    ]
    decisions = alert_decisions(pd.DataFrame(rows), SETTINGS)
    got = {(r.week_start.strftime("%m-%d"), r.customer_key): r.alert_status for r in decisions.itertuples()}
    assert got == {
        ("01-05", "opted"): "suppressed_contact_opt_out", ("01-05", "talking"): "suppressed_open_contact",
        ("01-05", a): "alerted", ("01-05", h): "held_out",
        ("01-12", a): "suppressed_recent_alert", ("01-12", b): "alerted", ("01-12", c): "alerted",
        ("01-19", a): "alerted",
    }
    first = decisions[decisions["week_start"] == "2026-01-05"]
    assert set(first["weekly_threshold"]) == {0.6} and set(first["n_selected"]) == {2}
    assert list(first["risk_rank"]) == [1, 2, 3, 4]
    assert (decisions["is_held_out"] <= decisions["is_selected"]).all()


def test_holdout_is_stable_and_has_the_declared_share():
    keys = [f"customer-{i}" for i in range(20_000)]
    draws = np.array([holdout_draw(k, "salt-a") for k in keys])
    assert abs((draws < 0.2).mean() - 0.2) < 0.01
    assert holdout_draw("customer-1", "salt-a") == holdout_draw("customer-1", "salt-a")
    assert holdout_draw("customer-1", "salt-a") != holdout_draw("customer-1", "salt-b")


def test_outcomes_follow_each_customer_once_over_a_closed_window():
    (a, b, *_), (h, *_) = _keys_by_arm()
    settings = AlertSettings(outcome_window_days=14)
    decisions = pd.DataFrame([
        {"customer_key": a, "week_start": pd.Timestamp("2026-01-05"), "is_selected": True, "is_held_out": False},
        {"customer_key": a, "week_start": pd.Timestamp("2026-02-02"), "is_selected": True, "is_held_out": False},
        {"customer_key": h, "week_start": pd.Timestamp("2026-01-05"), "is_selected": True, "is_held_out": True},
        {"customer_key": b, "week_start": pd.Timestamp("2026-03-02"), "is_selected": True, "is_held_out": False},
    ])

    def week(key, day, contacts, unresolved, opted, churn, mrr):
        return {"customer_key": key, "week_start": pd.Timestamp(day), "contacts_during_week": contacts,
                "unresolved_contacts_during_week": unresolved, "is_contact_opted_out": opted,
                "is_voluntary_churn_in_week": churn, "mrr_at_week_start": mrr}

    weeks = pd.DataFrame([
        week(a, "2026-01-05", 2, 1, False, False, 100.0), week(a, "2026-01-12", 2, 0, True, False, 100.0),
        week(a, "2026-01-19", 0, 0, True, False, 80.0),
        week(h, "2026-01-05", 1, 1, False, False, 50.0), week(h, "2026-01-12", 0, 0, False, True, 50.0),
        week(b, "2026-03-02", 5, 5, False, False, 10.0),
    ])
    per_customer = customer_outcomes(decisions, weeks, settings, pd.Timestamp("2026-02-10"))
    got = per_customer.set_index("customer_key")
    assert list(got.index) == [a, h], "b's window is still open; a counts once, at its first selection"
    assert got.loc[a, "contacts_in_window"] == 4 and got.loc[a, "resolved_share_of_contacts"] == 0.75
    assert got.loc[a, "opted_out_of_contact"] == 1 and got.loc[a, "mrr_change"] == -20
    assert got.loc[h, "voluntary_churn_in_window"] == 1 and got.loc[h, "mrr_change"] == -50, "churned: no revenue"
    table = alert_outcome_table(per_customer, settings).set_index("outcome")
    assert set(table["status"]) == {"too_few_alerted_customers"}, "one alerted customer: no interval"


def test_difference_and_interval_match_welch():
    rng = np.random.default_rng(3)
    per_customer = pd.DataFrame({"is_held_out": rng.random(400) < 0.25})
    for outcome in ("contacts_in_window", "resolved_share_of_contacts", "opted_out_of_contact",
                    "voluntary_churn_in_window", "mrr_change"):
        per_customer[outcome] = rng.normal(1.0, 1.0, 400) + 0.5 * ~per_customer["is_held_out"]
    table = alert_outcome_table(per_customer, AlertSettings()).set_index("outcome")
    from scipy import stats
    a = per_customer.loc[~per_customer["is_held_out"], "mrr_change"]
    h = per_customer.loc[per_customer["is_held_out"], "mrr_change"]
    welch = stats.ttest_ind(a, h, equal_var=False)
    row = table.loc["mrr_change"]
    assert row["estimate"] == pytest.approx(a.mean() - h.mean())
    assert row["estimate"] / row["std_error"] == pytest.approx(welch.statistic)
    assert row["status"] == "ok"


# ----------------------------------------------------------------------------------------- the churn-risk model
def _simulated_weeks(rng: np.random.Generator, n: int = 3000, n_weeks: int = 60) -> pd.DataFrame:
    """Customer-weeks from a known discrete-time hazard: logit h = -5 + 1.2 * dip + 0.4 * contacts in 14 days.
    Each customer has a lasting contact rate (so the contacts seen at a landmark foretell later weeks); a dip
    happens in 10% of weeks; customers leave at their churn week."""
    rows = []
    start = pd.Timestamp("2025-01-06")
    rate = rng.gamma(1.0, 0.5, n)
    for customer in range(n):
        for week in range(n_weeks):
            dip = rng.random() < 0.1
            contacts = rng.poisson(rate[customer])
            hazard = 1 / (1 + np.exp(-(-5 + 1.2 * dip + 0.4 * contacts)))
            churn = rng.random() < hazard
            rows.append({
                "customer_key": f"k{customer}", "week_start": start + pd.Timedelta(weeks=week), "plan": "basic",
                "segment": "smb", "tenure_weeks": week + 10, "active_days_ratio": 0.3 if dip else 1.0,
                "key_actions_ratio": 1.0, "has_usage_dip": dip, "contacts_last_14_days": contacts,
                "contacts_last_28_days": contacts + rng.poisson(rate[customer]), "tough_moments_last_28_days": 0,
                "unresolved_contacts_last_28_days": 0, "empathy_absent_contacts_last_28_days": 0,
                "customer_sentiment_last_28_days": None, "open_incidents_on_recent_products": 0,
                "is_week_complete": True, "is_voluntary_churn_in_week": churn, "is_involuntary_churn_in_week": False,
            })
            if churn:
                break
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return _simulated_weeks(np.random.default_rng(8))


def test_hazard_model_recovers_the_simulated_coefficients(simulated):
    fitted = fit_hazard(simulated.join(horizon_labels(simulated, 1)), "full")  # a one-week horizon: the hazard
    assert fitted.status == "ok"
    per_unit = fitted.params / fitted.scales.reindex(fitted.params.index).fillna(1.0)
    assert abs(per_unit["contacts_last_14_days"] - 0.4) < 3 * fitted.std_errors["contacts_last_14_days"] / \
        fitted.scales["contacts_last_14_days"]
    assert abs(per_unit["active_days_ratio"] * -0.7 - 1.2) < 0.35, "a dip is the ratio falling from 1 to 0.3"
    notes = " ".join(fitted.notes)
    assert "constant in training" in notes and "collinear" in notes and "has_usage_dip" in notes, notes


def test_followup_counts_weeks_from_the_landmark_and_censors_at_the_end():
    weeks = pd.DataFrame([
        {"customer_key": "a", "week_start": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=i),
         "is_week_complete": True, "is_voluntary_churn_in_week": i == 3, "is_involuntary_churn_in_week": False}
        for i in range(4)] + [
        {"customer_key": "b", "week_start": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=i),
         "is_week_complete": i < 11, "is_voluntary_churn_in_week": False, "is_involuntary_churn_in_week": False}
        for i in range(12)])
    scored = weeks[["customer_key", "week_start"]].assign(test_start=pd.Timestamp("2026-01-05"), risk_full=0.1)
    settings = ChurnRiskSettings(horizon_weeks=2, landmark_every_weeks=4)
    followup = landmark_followup(weeks, scored, settings).set_index(["landmark_week", "customer_key"])
    first = pd.Timestamp("2026-01-05")
    assert followup.loc[(first, "a"), ["duration_weeks", "is_event"]].tolist() == [4.0, True]
    assert followup.loc[(first, "b"), ["duration_weeks", "is_event"]].tolist() == [11.0, False]
    landmarks = [first + pd.Timedelta(weeks=4 * k) for k in range(3)]  # each followed by 2 complete weeks
    assert sorted(followup.index.get_level_values(0).unique()) == landmarks


def test_horizon_labels_look_forward_and_say_when_the_horizon_was_not_observed():
    weeks = pd.DataFrame([
        {"customer_key": "a", "week_start": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=i), "is_week_complete": True,
         "is_voluntary_churn_in_week": i == 4} for i in range(5)] + [
        {"customer_key": "b", "week_start": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=i),
         "is_week_complete": i < 4, "is_voluntary_churn_in_week": False} for i in range(5)])
    labels = horizon_labels(weeks, 2)
    assert labels["churns_within_horizon"].tolist() == [False, False, False, True, True] + [False] * 5
    assert labels["is_horizon_observed"].tolist() == [True] * 5 + [True, True, True, False, False]


def test_evaluation_says_why_when_there_is_nothing_to_evaluate():
    table = evaluation_table(pd.DataFrame(columns=["customer_key", "landmark_week", "duration_weeks", "is_event"]),
                             ChurnRiskSettings())
    assert set(table["status"]) == {"no_landmark_with_full_horizon"} and len(table) == 12


def test_model_beats_a_usage_only_baseline_when_contacts_matter(simulated):
    settings = ChurnRiskSettings(horizon_weeks=4, test_weeks=20, landmark_every_weeks=4, bootstrap_replicates=30)
    scored, fitted = score_weeks(simulated, settings)
    assert fitted["usage_only"].status == "ok"
    reasons = [json.loads(s) for s in scored["top_signals"].head(500)]
    assert all(list(r.values()) == sorted(r.values(), reverse=True) for r in reasons)
    followup = landmark_followup(simulated, scored, settings)
    table = evaluation_table(followup, settings)
    average = table[table["landmark_week"].isna()].set_index(["model", "metric"])
    assert average.loc[("difference", "concordance"), "ci_lower"] > 0, average.loc["difference"]
    assert 0.5 < average.loc[("full", "auc_at_horizon"), "estimate"] <= 1
    features = features_of(simulated.head(3), ["customer_sentiment_last_28_days", "sentiment_missing"])
    assert features["sentiment_missing"].tolist() == [1.0, 1.0, 1.0], "missing sentiment is flagged, set to 0"


# ------------------------------------------------------------------------- the churn-risk model at scale (D35)
def test_training_sample_keeps_every_row_under_the_cap_and_draws_uniformly_above_it():
    rows = np.arange(100, 200)
    assert np.array_equal(training_sample(rows, ChurnRiskSettings(max_training_weeks=100)), rows)
    sample = training_sample(rows, ChurnRiskSettings(max_training_weeks=10, seed=3))
    assert sample.size == 10 and np.all(np.diff(sample) > 0) and np.isin(sample, rows).all()
    assert np.array_equal(sample, training_sample(rows, ChurnRiskSettings(max_training_weeks=10, seed=3)))
    # every landmark has the same chance (10 in 100) of being fitted on: inclusion counts over 2,000 seeds
    counts = np.zeros(rows.size)
    for seed in range(2000):
        counts[training_sample(rows, ChurnRiskSettings(max_training_weeks=10, seed=seed)) - 100] += 1
    expected, sd = 2000 * 0.1, np.sqrt(2000 * 0.1 * 0.9)
    assert np.all(np.abs(counts - expected) < 4.5 * sd), counts
    with pytest.raises(ValueError, match="at least 1"):
        training_sample(rows, ChurnRiskSettings(max_training_weeks=0))


def test_a_capped_fit_agrees_with_the_full_fit_and_is_centred_on_it(simulated):
    """The coefficients fitted on a sample of a quarter of the training landmarks: each within four of its own
    standard errors of the full fit's (the sample's estimate differs from the full one by about
    sqrt(se_sample^2 - se_full^2)), and their mean over 20 seeds within four standard errors of that mean."""
    settings = ChurnRiskSettings(horizon_weeks=4, test_weeks=20)
    full_train, _, _ = split_weeks(simulated, settings)
    full = fit_hazard(full_train, "full")
    cap = len(full_train) // 4
    estimates = []
    for seed in range(20):
        train, _, _ = split_weeks(simulated, ChurnRiskSettings(horizon_weeks=4, test_weeks=20, seed=seed,
                                                               max_training_weeks=cap))
        assert len(train) == cap and train.index.isin(full_train.index).all()
        capped = fit_hazard(train, "full")
        assert capped.status == "ok" and capped.n_weeks == cap
        assert list(capped.params.index) == list(full.params.index)
        gap = (capped.params - full.params).abs()
        assert (gap < 4 * capped.std_errors).all(), gap / capped.std_errors
        # per unit of each signal (scales differ a little between samples)
        estimates.append(capped.params[capped.features] / capped.scales)
    per_unit = pd.DataFrame(estimates)
    full_per_unit = full.params[full.features] / full.scales
    spread = per_unit.std(ddof=1) / np.sqrt(len(per_unit))
    assert ((per_unit.mean() - full_per_unit).abs() < 4 * spread + 1e-12).all(), (per_unit.mean(), full_per_unit)


def _top_contributions_by_dict(parts: pd.DataFrame, k: int) -> list[str]:
    """The definition, row by row: a dict of the k largest contributions that are positive, values rounded to
    4 decimals by Python, written by json.dumps."""
    values, names = parts.to_numpy(), list(parts.columns)
    order = np.argsort(-values, axis=1)[:, :k]
    return [json.dumps({names[j]: round(float(values[i, j]), 4) for j in order[i] if values[i, j] > 0})
            for i in range(len(values))]


def test_top_contributions_are_the_json_of_the_largest_positive_parts():
    rng = np.random.default_rng(5)
    parts = pd.DataFrame(rng.normal(0, 0.6, (5000, 7)), columns=[f"signal_{i}" for i in range(6)] + ['odd "name"'])
    parts.iloc[:50] = -np.abs(parts.iloc[:50])  # nothing positive: {}
    parts.iloc[50:100, 0] = 0.00004  # rounds to 0.0 but is positive
    parts.iloc[100:200, 1] = np.round(parts.iloc[100:200, 1], 4) + 0.00005  # halves at the fifth decimal
    got = _top_contributions(parts, 3)
    assert list(got) == _top_contributions_by_dict(parts, 3)
    assert got[0] == "{}" and json.loads(got[60])["signal_0"] == 0.0


def test_scoring_in_chunks_changes_no_value(simulated, monkeypatch):
    settings = ChurnRiskSettings(horizon_weeks=4, test_weeks=20)
    whole, _ = score_weeks(simulated, settings)
    monkeypatch.setattr(churn_risk, "SCORE_CHUNK_ROWS", 997)
    chunked, _ = score_weeks(simulated, settings)
    pd.testing.assert_frame_equal(whole, chunked)


def test_collinearity_checks_on_one_qr_match_the_rank_of_each_candidate():
    """The QR shortcut keeps the columns that raising the rank of [1, kept..., x_j] keeps (numpy's matrix_rank with
    the same tolerance), with exactly collinear, constant-plus-shift and nearly collinear columns."""
    rng = np.random.default_rng(11)
    for _ in range(20):
        n = int(rng.integers(50, 400))
        base = rng.normal(size=(n, 4))
        columns = [base[:, 0], base[:, 1], base[:, 0] - 2 * base[:, 1], np.full(n, 3.0), base[:, 2] + 5.0,
                   base[:, 3], base[:, 2] + 1e-3 * rng.normal(size=n), 2 * base[:, 3] - 1]
        x = np.column_stack([columns[i] for i in rng.permutation(len(columns))])
        kept, basis = [], np.ones((n, 1))
        for j in range(x.shape[1]):
            candidate = np.column_stack([basis, x[:, j]])
            if np.linalg.matrix_rank(candidate, tol=1e-8 * np.sqrt(n)) == candidate.shape[1]:
                kept.append(j)
                basis = candidate
        assert churn_risk._linearly_independent(x) == kept


def test_the_models_read_only_the_test_period_and_the_alert_weeks_and_get_the_same_answers(simulated):
    """followup_frames and alert_period_filter filter in DuckDB; the follow-up and the alert decisions from the
    filtered frames equal those from the whole tables."""
    duckdb = pytest.importorskip("duckdb")
    settings = ChurnRiskSettings(horizon_weeks=4, test_weeks=20, landmark_every_weeks=4)
    scored, _ = score_weeks(simulated, settings)
    weeks = simulated.assign(week_start=simulated["week_start"].dt.date, is_contact_opted_out=False,
                             has_open_contact=False)
    scored = scored.assign(week_start=scored["week_start"].dt.date)
    con = duckdb.connect()
    con.register("weeks_frame", weeks)
    con.register("scored_frame", scored)
    weeks_rel, scored_rel = con.sql("select * from weeks_frame"), con.sql("select * from scored_frame")
    few_weeks, few_scores = followup_frames(weeks_rel, scored_rel)
    assert len(few_weeks) < len(weeks) and len(few_scores) < len(scored)
    whole = landmark_followup(weeks, scored, settings)
    part = landmark_followup(few_weeks, few_scores, settings)
    # the keys arrive numbered in their sorted order (D40): numbered back, the follow-up is the same
    assert pd.api.types.is_integer_dtype(few_weeks["customer_key"])
    keys = np.sort(con.sql(f"select distinct customer_key from weeks_frame where week_start >= "
                           f"date '{scored['test_start'].min().date()}'").df()["customer_key"].to_numpy())
    part_keyed = part.assign(customer_key=keys[part["customer_key"].to_numpy(int)])
    columns = ["customer_key", "landmark_week", "duration_weeks", "is_event", "risk_full", "weekly_hazard_full"]
    pd.testing.assert_frame_equal(whole[columns].reset_index(drop=True), part_keyed[columns].reset_index(drop=True),
                                  check_dtype=False)
    few_replicates = ChurnRiskSettings(horizon_weeks=4, test_weeks=20, landmark_every_weeks=4, bootstrap_replicates=5)
    pd.testing.assert_frame_equal(evaluation_table(whole, few_replicates), evaluation_table(part, few_replicates))
    pd.testing.assert_frame_equal(churn_risk.calibration_table(whole, settings),
                                  churn_risk.calibration_table(part, settings))
    alerts = AlertSettings(weekly_capacity=5, weeks=6)
    period = alert_period_filter(scored_rel, alerts)
    merged = weeks.merge(scored, on=["customer_key", "week_start"])
    filtered = con.sql(f"select * from weeks_frame where {period}").df().merge(
        con.sql(f"select * from scored_frame where {period}").df(), on=["customer_key", "week_start"])
    assert len(filtered) < len(merged)
    pd.testing.assert_frame_equal(alert_decisions(merged, alerts), alert_decisions(filtered, alerts))


# ------------------------------------------------- the churn-risk model read from the engine, not from pandas (D40)
def _weeks_relation(frame: pd.DataFrame):
    """The frame as a DuckDB relation shaped like int_customer_weeks_signalled (week_start a DATE), and its
    connection. The last three weeks are incomplete, and the data of every seventh customer stop after 30 weeks
    without a churn, so some horizons are not observed."""
    duckdb = pytest.importorskip("duckdb")
    last = frame["week_start"].max()
    stops_early = frame["customer_key"].str[1:].astype(int) % 7 == 0
    frame = frame[~stops_early | (frame["week_start"] < frame["week_start"].min() + pd.Timedelta(weeks=30))]
    data = frame.assign(is_week_complete=frame["week_start"] <= last - pd.Timedelta(weeks=3),
                        week_start=frame["week_start"].dt.date)
    con = duckdb.connect()
    con.register("weeks_frame", data)
    con.execute("create table weeks as select * from weeks_frame")
    return con.table("weeks"), con


@pytest.mark.parametrize("cap", [250_000, 4_000])
def test_training_weeks_labelled_in_the_engine_are_split_weeks_rows(simulated, cap):
    """The training landmarks labelled and drawn in DuckDB are the very rows split_weeks picks from the sorted
    frame (index, labels and the seeded sample included), below the cap and above it."""
    from empathy.frames import sorted_frame
    relation, con = _weeks_relation(simulated)
    settings = ChurnRiskSettings(horizon_weeks=4, test_weeks=20, max_training_weeks=cap)
    expected, _, expected_start = split_weeks(sorted_frame(relation, list(churn_risk.FIT_COLUMNS)), settings)
    got, test_start = churn_risk.training_weeks(relation, settings, con)
    assert test_start == expected_start
    ends_by_test = relation.filter(f"week_start + interval 4 week <= date '{test_start.date()}'").count("*")
    n_ends_by_test = ends_by_test.fetchone()[0]
    assert len(got) == cap if cap < 100_000 else 0 < len(got) < n_ends_by_test, "unobserved horizons left out"
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_scoring_from_the_engine_in_chunks_gives_score_weeks_rows(simulated, monkeypatch):
    """scored_chunks (the fit on training_weeks, weeks read whole customers at a time) gives the rows score_weeks
    gives on the whole sorted frame, through written_in_chunks into a table as well."""
    from empathy.frames import sorted_frame, written_in_chunks
    relation, con = _weeks_relation(simulated)
    settings = ChurnRiskSettings(horizon_weeks=4, test_weeks=20)
    expected, expected_fits = score_weeks(sorted_frame(relation, list(churn_risk.FIT_COLUMNS)), settings)
    monkeypatch.setattr(churn_risk, "READ_CHUNK_ROWS", 20_000)
    chunks, fitted = churn_risk.scored_chunks(relation, settings, con)
    frames = list(chunks)
    assert len(frames) > 3
    keys = ["customer_key", "week_start"]
    got = pd.concat(frames).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected.sort_values(keys).reset_index(drop=True))
    assert all(fitted[m].params.equals(expected_fits[m].params) for m in fitted)
    chunks, _ = churn_risk.scored_chunks(relation, settings, con)
    table = written_in_chunks(con, "scored", chunks).order("customer_key, week_start").df()
    assert table["top_signals"].tolist() == got["top_signals"].tolist()
    assert np.allclose(table["risk_full"], got["risk_full"], rtol=0, atol=0)


def test_stored_training_sample_reads_back_as_the_drawn_frame_and_scores_alike(simulated):
    """The training sample stored as a table (int_customer_weeks_sampled_for_training: training_table) reads back
    (training_frame) as the very frame training_weeks drew, index and order included, with week_start a date as in
    the customer-weeks; scoring with it gives the rows scoring with a fresh draw gives; test_start_of is
    split_weeks' test start, and NaT without weeks."""
    from empathy.frames import sorted_frame
    relation, con = _weeks_relation(simulated)
    settings = ChurnRiskSettings(horizon_weeks=4, test_weeks=20, max_training_weeks=4_000)
    drawn, test_start = churn_risk.training_weeks(relation, settings, con)
    table = churn_risk.training_table(drawn)
    con.register("training_frame_view", table)
    con.execute("create table training as select * from training_frame_view")
    assert con.execute("select data_type from information_schema.columns where table_name = 'training' "
                       "and column_name = 'week_start'").fetchone()[0] == "DATE"
    stored = churn_risk.training_frame(con.table("training"))
    pd.testing.assert_frame_equal(stored, drawn, check_dtype=False)
    assert churn_risk.test_start_of(relation, settings) == test_start
    assert split_weeks(sorted_frame(relation, list(churn_risk.FIT_COLUMNS)), settings)[2] == test_start
    assert pd.isna(churn_risk.test_start_of(relation.filter("false"), settings))
    keys = ["customer_key", "week_start"]
    fresh, _ = churn_risk.scored_chunks(relation, settings, con)
    given, _ = churn_risk.scored_chunks(relation, settings, con, stored)
    pd.testing.assert_frame_equal(pd.concat(list(given)).sort_values(keys).reset_index(drop=True),
                                  pd.concat(list(fresh)).sort_values(keys).reset_index(drop=True))


def test_scoring_from_the_engine_says_why_with_too_few_churns_and_keeps_columns_when_empty(simulated):
    """Too few voluntary churns: every risk is null and the coefficients say why; no customer-week at all: one
    empty chunk with every column."""
    settings = ChurnRiskSettings(horizon_weeks=4, test_weeks=20)
    calm = simulated.groupby("customer_key").filter(lambda rows: not rows["is_voluntary_churn_in_week"].any())
    relation, con = _weeks_relation(calm.head(2000))
    chunks, fitted = churn_risk.scored_chunks(relation, settings, con)
    frame = pd.concat(list(chunks))
    assert {m.status for m in fitted.values()} == {"too_few_training_events"}
    assert frame["risk_full"].isna().all() and frame["top_signals"].isna().all()
    assert len(frame) == relation.count("*").fetchone()[0]
    empty_relation, con = _weeks_relation(simulated.head(0).astype(simulated.dtypes.to_dict()))
    chunks, fitted = churn_risk.scored_chunks(empty_relation, settings, con)
    frames = list(chunks)
    assert len(frames) == 1 and frames[0].empty
    assert list(frames[0].columns) == list(frame.columns)
