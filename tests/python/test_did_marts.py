"""The difference-in-differences marts' assembly (empathy/stats/did_analysis.py) on team-month panels written here,
independently of the demo generator: other team names, four adoption cohorts, a common seasonal shock, effects that
grow with time since adoption, and degenerate panels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from empathy.stats.did_analysis import COLUMNS, DidSettings, did_tables
from empathy.vocabulary import DID, to_vocabulary

SETTINGS = DidSettings(outcomes=("warmth_share",), negative_control_outcome="reason_mix_share",
                       placebo_shift_months=2, min_treated_teams=5)


def _panel(rng: np.random.Generator, n_teams: int = 40, effect: float = 0.08, months: int = 16) -> pd.DataFrame:
    cohorts = [24_300 + c for c in (5, 8, 11)]  # period_index of the adoption months
    rows = []
    for i in range(n_teams):
        cohort = cohorts[i % 4] if i % 4 < 3 else None
        level = rng.normal(0.4, 0.05)
        for m in range(months):
            period = 24_300 + m
            shock = -0.05 if m % 12 in (10, 11, 0) else 0.0
            lift = effect * (1 + 0.1 * (period - cohort)) if cohort and period >= cohort else 0.0
            rows.append({"team": f"squad-{i:03d}", "period_index": period, "adoption_period_index": cohort,
                         "warmth_share": level + 0.003 * m + shock + lift + rng.normal(0, 0.02),
                         "reason_mix_share": 0.3 + rng.normal(0, 0.02)})
    return pd.DataFrame(rows)


def _truth(panel: pd.DataFrame, effect: float) -> float:
    """The cohort-weighted ATT (Callaway & Sant'Anna's group aggregation) of the planted effect."""
    treated = panel.drop_duplicates("team").dropna(subset=["adoption_period_index"])
    months = panel["period_index"].unique()
    per_cohort = {g: np.mean([effect * (1 + 0.1 * (t - g)) for t in months if t >= g])
                  for g in treated["adoption_period_index"].unique()}
    sizes = treated["adoption_period_index"].value_counts()
    return float(sum(per_cohort[g] * sizes[g] for g in per_cohort) / sizes.sum())


def test_tables_recover_the_planted_effect_and_pass_their_checks():
    rng = np.random.default_rng(17)
    panel = _panel(rng)
    tables = {name: to_vocabulary(t, DID, columns=COLUMNS[name]) for name, t in did_tables(panel, SETTINGS).items()}
    summary = tables["summary"].set_index(["control_group", "aggregation", "label"])
    truth = _truth(panel, 0.08)
    for control_group in ("never_treated", "not_yet_treated"):
        row = summary.loc[(control_group, "group", "overall")]
        assert row["status"] == "ok" and row["ci_lower"] <= truth <= row["ci_upper"], (control_group, row, truth)
    robustness = tables["robustness"].set_index(["check_name", "label"])["status"]
    assert robustness[("pretrend_average", "mean_of_pre_event_times")] == "passed"
    assert robustness[("pretrend_wald", "all_pre_periods")] in ("passed", "inconclusive_too_many_pre_cells")
    assert robustness[("in_time_placebo", "shift_2_months")] == "passed"
    assert robustness[("negative_control_outcome", "reason_mix_share")] == "passed"
    assert robustness[("leave_one_team_out_range", "all_treated_teams")] == "passed"
    assert (tables["robustness"]["check_name"] == "leave_one_team_out").sum() == 30
    # TWFE sits beside it with its Bacon weights summing to one
    bacon = tables["summary"][tables["summary"]["aggregation"] == "bacon_weight"]
    assert bacon["weight"].sum() == pytest.approx(1.0)
    events = tables["event_study"]
    assert set(events["control_group"]) == {"never_treated", "not_yet_treated"}
    assert (events["event_time_months"] < 0).any() and (events["event_time_months"] >= 0).any()
    assert tables["group_time"]["n_teams_cohort"].dtype.name == "Int64"


def test_leave_one_team_out_samples_the_treated_teams_above_the_cap():
    """Above var did.max_leave_one_out_teams treated teams, a seeded sample of that many is left out in turn (the
    same sample every build); the range row says how many of how many, and each sampled estimate equals the
    estimate of the same team left out in the uncapped check."""
    import dataclasses
    import json

    panel = _panel(np.random.default_rng(17))
    capped = dataclasses.replace(SETTINGS, max_leave_one_out_teams=7)
    full = did_tables(panel, SETTINGS)["robustness"]
    first, again = (did_tables(panel, capped)["robustness"] for _ in range(2))
    sampled = first[first["check_name"] == "leave_one_team_out"]
    assert len(sampled) == 7 and sampled["label"].is_unique
    pd.testing.assert_frame_equal(first, again)
    uncapped = full[full["check_name"] == "leave_one_team_out"].set_index("label")["estimate"]
    assert np.allclose(sampled.set_index("label")["estimate"], uncapped.loc[sampled["label"]], rtol=0, atol=1e-12)
    detail = json.loads(first.loc[first["check_name"] == "leave_one_team_out_range", "detail"].iloc[0])
    assert detail["n_treated_teams"] == 30 and detail["n_teams_left_out_in_turn"] == 7
    assert detail["teams_left_out"].startswith("seeded random sample")
    assert json.loads(full.loc[full["check_name"] == "leave_one_team_out_range", "detail"].iloc[0])[
        "teams_left_out"] == "all"


def test_in_time_placebo_fails_when_the_effect_starts_before_the_recorded_adoption():
    """Teams that changed two months before their recorded adoption: the placebo window catches it."""
    rng = np.random.default_rng(3)
    panel = _panel(rng, effect=0.0)
    early = panel["adoption_period_index"].notna() & (panel["period_index"] >= panel["adoption_period_index"] - 2)
    panel.loc[early, "warmth_share"] += 0.15
    robustness = did_tables(panel, SETTINGS)["robustness"].set_index("check_name")["status"]
    assert robustness["in_time_placebo"] == "failed"


def test_few_teams_are_said_in_the_status_and_degenerate_panels_give_rows():
    rng = np.random.default_rng(5)
    small = _panel(rng, n_teams=8)
    tables = did_tables(small, SETTINGS)
    assert set(tables["summary"]["status"]) <= {"few_treated_teams", "few_control_teams", "singular_covariance"}
    assert {s for s in tables["robustness"]["status"] if s != "estimated"} <= {
        "inconclusive_few_treated_teams", "inconclusive_few_control_teams", "not_estimable"}

    untreated = _panel(rng).assign(adoption_period_index=None)
    for name, table in did_tables(untreated, SETTINGS).items():
        assert list(table["status"]) == ["no_treated_teams"], name

    one_team = _panel(rng).query("team == 'squad-000'")
    assert list(did_tables(one_team, SETTINGS)["summary"]["status"]) == ["too_few_teams"]


def test_teams_with_an_unknown_month_leave_that_outcomes_panel_and_are_counted():
    rng = np.random.default_rng(9)
    panel = _panel(rng)
    panel.loc[(panel["team"] == "squad-001") & (panel["period_index"] == 24_303), "warmth_share"] = np.nan
    summary = did_tables(panel, SETTINGS, robustness=False)["summary"]
    assert set(summary["n_teams_left_out"]) == {1}
    assert set(summary["n_teams_treated"] + summary["n_teams_control"]) == {39}


def test_average_pretrend_test_holds_its_level_on_null_panels():
    """No pre-trend anywhere (a common shock and drift only): the one-degree-of-freedom average pre-trend test
    rejects at about its nominal 5%, where the joint chi-square over 21 pre-adoption cells estimated from 40 teams
    rejects far more often (the reason the robustness status reads it in Hotelling's F form)."""
    from empathy.stats.did import att_gt, pretrend_average, pretrend_wald
    from empathy.stats.did_analysis import outcome_panel

    rng = np.random.default_rng(23)
    reps, average_rejects, chi_square_rejects = 120, 0, 0
    for _ in range(reps):
        frame, _ = outcome_panel(_panel(rng, effect=0.0), "warmth_share")
        result = att_gt(frame, "team", "period_index", "adoption_period_index", "warmth_share")
        average_rejects += pretrend_average(result)[2] < 0.05
        chi_square_rejects += pretrend_wald(result).p_value < 0.05
    assert average_rejects / reps < 0.11
    assert chi_square_rejects / reps > 0.3
