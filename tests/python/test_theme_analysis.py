"""Verbatim themes in the warehouse's shape (empathy/stats/theme_analysis.py) on the hand-written corpus of
test_themes (other phrasing, typos and proportions than the demo generator): every answer keeps a row, sentiment
follows VADER's documented thresholds, and design-weighted theme shares by NPS category recover shares planted by
category, with the weighted share equal to a hand computation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from empathy.stats.theme_analysis import (ANSWER_COLUMNS, SHARE_COLUMNS, ShareSettings, answer_themes,
                                          sentiment_label, theme_shares)
from empathy.stats.themes import ThemeSettings
from test_themes import NAMED, corpus

SETTINGS = ThemeSettings(seed=7, min_df=3)


@pytest.fixture(scope="module")
def themed() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = corpus(seed=1).reset_index()
    rng = np.random.default_rng(11)
    answers = pd.DataFrame({
        "response_id": frame["response_id"], "invitation_id": [f"inv{i}" for i in range(len(frame))],
        "survey_type": "relationship_nps", "customer_key": [f"c{i // 2}" for i in range(len(frame))],
        "responded_at": pd.Timestamp("2026-01-15", tz="UTC") + pd.to_timedelta(rng.integers(0, 150, len(frame)),
                                                                               unit="D"),
        "answer_text_redacted": frame["text"],
    })
    return answers, answer_themes(answers, NAMED, SETTINGS).assign(planted=frame["planted"].to_numpy())


def test_every_answer_keeps_a_row_with_its_status(themed: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    answers, out = themed
    assert list(out.columns[:len(ANSWER_COLUMNS)]) == ANSWER_COLUMNS
    assert len(out) == len(answers) and out["response_id"].tolist() == answers["response_id"].tolist()
    assert set(out.loc[out["planted"] == "empty", "assignment_status"]) == {"empty"}
    assert set(out.loc[out["planted"] == "short", "assignment_status"]) <= {"too_short", "empty"}
    assert (out["model_status"] == "ok").all()
    assigned = out[out["assignment_status"] == "assigned"]
    assert assigned["theme_code"].notna().all() and assigned["theme_top_terms"].notna().all()
    assert "answer_text_redacted" not in out.columns


def test_sentiment_labels_follow_vaders_thresholds() -> None:
    scores = np.array([0.05, 0.0499, -0.05, -0.0499, 0.8316, np.nan])
    assert sentiment_label(scores).tolist() == ["positive", "neutral", "negative", "neutral", "positive", None]


def test_weighted_shares_by_category_recover_planted_shares(themed: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Detractors answer about billing three times as often as promoters in this construction; the billing theme's
    weighted share by category matches a hand computation and its interval covers the planted share."""
    _, out = themed
    rng = np.random.default_rng(5)
    usable = out[out["assignment_status"] == "assigned"].copy()
    billing = usable["planted"] == "billing"
    # categories drawn so that P(detractor | billing) is high, P(detractor | other) low
    detractor = rng.random(len(usable)) < np.where(billing, 0.75, 0.25)
    usable["nps_category"] = np.where(detractor, "detractor", "promoter")
    answers = usable[["invitation_id", "nps_category"]].assign(csat=np.nan)
    weights = usable[["invitation_id"]].assign(final_weight=rng.uniform(0.5, 2.0, len(usable)))
    shares = theme_shares(out[out["invitation_id"].isin(usable["invitation_id"])], answers, weights,
                          ShareSettings(min_answers_per_group=10))
    assert list(shares.columns) == SHARE_COLUMNS
    code = usable.loc[billing, "theme_code"].mode().iloc[0]
    row = shares[(shares["breakdown"] == "nps_category") & (shares["group_value"] == "detractor")
                 & (shares["theme_code"] == code)].iloc[0]
    merged = usable.merge(weights, on="invitation_id")
    group = merged[merged["nps_category"] == "detractor"]
    by_hand = group.loc[group["theme_code"] == code, "final_weight"].sum() / group["final_weight"].sum()
    assert row["estimate"] == pytest.approx(by_hand, rel=1e-12)
    planted = (billing & detractor).sum() / detractor.sum()
    assert row["ci_lower"] <= planted + 0.05 and planted - 0.05 <= row["ci_upper"]
    promoter = shares[(shares["breakdown"] == "nps_category") & (shares["group_value"] == "promoter")
                      & (shares["theme_code"] == code)].iloc[0]
    assert row["estimate"] > promoter["estimate"]
    emerging = shares[shares["breakdown"] == "emerging"]
    assert len(emerging) == shares["theme_code"].nunique() and set(emerging["status"]) <= {"ok", "too_few_answers"}


def test_too_few_answers_gives_rows_not_errors() -> None:
    answers = pd.DataFrame({"response_id": ["a", "b"], "invitation_id": ["i1", "i2"],
                            "survey_type": "csat_pulse", "customer_key": ["c1", "c2"],
                            "responded_at": pd.Timestamp("2026-01-01", tz="UTC"),
                            "answer_text_redacted": ["The app keeps crashing on login", "ok"]})
    out = answer_themes(answers, NAMED, SETTINGS)
    assert len(out) == 2 and set(out["model_status"]) == {"too_few_answers"}
    shares = theme_shares(out, answers[["invitation_id"]].assign(nps_category=None, csat=4.0),
                          answers[["invitation_id"]].assign(final_weight=1.0), ShareSettings())
    assert len(shares) == 1 and shares["status"].iloc[0] == "no_themes"


def test_korn_graubard_interval_is_clopper_pearson_on_the_effective_sample_size():
    """With the binomial standard error the effective sample size is the count of answers, and the interval is
    statsmodels' Clopper-Pearson ('beta') interval; near zero it stays inside [0, 1] where a normal one does not."""
    from statsmodels.stats.proportion import proportion_confint

    from empathy.stats.theme_analysis import korn_graubard_interval

    for successes, n in ((1, 55), (12, 40), (0, 30), (30, 30)):
        share = successes / n
        se = np.sqrt(share * (1 - share) / n)
        lower, upper = korn_graubard_interval(share, se, n)
        ref_lower, ref_upper = proportion_confint(successes, n, alpha=0.05, method="beta")
        assert np.isclose(lower, ref_lower, atol=1e-9) and np.isclose(upper, ref_upper, atol=1e-9), (successes, n)
    lower, upper = korn_graubard_interval(1 / 55, 0.011, 55)
    assert 0 < lower and upper > 0.08, "a design effect widens it, and it covers a true 10% the normal one missed"
    assert np.isnan(korn_graubard_interval(np.nan, 0.1, 10)[0])
