"""Verbatim themes of survey open text in the warehouse (issue 13, decision D30): the theme of each answer with
its sentiment (restricted schema), and design-weighted theme shares by NPS category, CSAT band and quarter, with
emerging themes (marts: counts and shares, never text).

The theme model is empathy/stats/themes.py (TF-IDF + NMF, number of themes by stability, analysts' names from the
verbatim_theme_names seed). Sentiment is VADER's compound score (empathy/sentiment.py) with the thresholds its
authors recommend: positive at 0.05 or more, negative at -0.05 or less, neutral between (Hutto and Gilbert 2014;
the vaderSentiment README). Shares are among the answers that got a theme, weighted by the survey's final weight
(Taylor-linearised standard errors, customers as clusters; empathy/stats/weights.survey_estimate), with Korn and
Graubard's interval (:func:`korn_graubard_interval`), which a share near 0 needs. An emerging
theme is one whose share changed between the last two quarters with answers: the difference of the two shares,
its standard error treating the quarters as independent samples (a customer answering in both makes it slightly
conservative or liberal; the bias is small when few customers answer twice), a two-sided z test and Holm's
procedure over the themes of one survey.

Status values of the shares mart: ``ok``; ``too_few_answers`` (fewer answers with a theme than
``min_answers_per_group`` in the group, or in either quarter); ``no_themes`` (the model fitted no theme).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..sentiment import lexicon_sentiment
from ..settings import settings_from_var
from .multiple_testing import holm_adjusted
from .themes import ThemeSettings, assign_theme_codes, fit_themes, theme_assignments, theme_summary
from .weights import survey_estimate

#: VADER's recommended thresholds on the compound score
POSITIVE_AT, NEGATIVE_AT = 0.05, -0.05
ANSWER_COLUMNS = ["response_id", "invitation_id", "survey_type", "customer_key", "responded_at",
                  "assignment_status", "theme_code", "theme_label", "theme_weight", "n_content_tokens",
                  "theme_top_terms", "is_named_theme", "n_themes", "theme_stability", "model_status", "sentiment",
                  "sentiment_label"]
SHARE_COLUMNS = ["survey_type", "breakdown", "group_value", "theme_code", "theme_label", "estimate", "std_error",
                 "ci_lower", "ci_upper", "p_value", "p_value_adjusted", "n_answers", "n_answers_with_theme",
                 "status"]
Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class ShareSettings:
    """Var ``themes`` (the keys the shares mart reads)."""

    min_answers_per_group: int = 30

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ShareSettings":
        return settings_from_var(cls, config)


def sentiment_label(scores: np.ndarray) -> np.ndarray:
    """positive / negative / neutral by VADER's thresholds; None where there is no score."""
    return np.where(np.isnan(scores), None, np.where(scores >= POSITIVE_AT, "positive",
                                                     np.where(scores <= NEGATIVE_AT, "negative", "neutral")))


def answer_themes(answers: pd.DataFrame, named: pd.DataFrame, settings: ThemeSettings) -> pd.DataFrame:
    """One row per open-text answer (``answer_text_redacted`` and its ids): its theme, the theme's top terms and
    identity, the model's number of themes and stability, and the answer's sentiment. Every answer keeps its row,
    whatever its status."""
    answers = answers.reset_index(drop=True)
    model = fit_themes(answers["answer_text_redacted"], **settings.fit_arguments())
    codes = assign_theme_codes(model, named, min_anchor_similarity=settings.min_anchor_similarity)
    assigned = theme_assignments(model, codes)
    summary = theme_summary(model, codes)
    themes = summary.dropna(subset=["theme_code"])[["theme_code", "top_terms", "is_named"]].rename(
        columns={"top_terms": "theme_top_terms", "is_named": "is_named_theme"})
    out = answers.drop(columns=["answer_text_redacted"]).join(assigned)
    out = out.merge(themes, on="theme_code", how="left")
    out["n_themes"] = summary["n_themes"].iloc[0]
    out["theme_stability"] = summary["stability"].iloc[0]
    out["model_status"] = summary["status"].iloc[0]
    scores = lexicon_sentiment(answers["answer_text_redacted"])
    out["sentiment"] = scores
    out["sentiment_label"] = sentiment_label(scores)
    return out.reindex(columns=ANSWER_COLUMNS)


def korn_graubard_interval(share: float, std_error: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """A design-based interval for a weighted share that stays inside [0, 1] and keeps its coverage near 0 and 1
    (Korn and Graubard 1998, without their degrees-of-freedom factor): the Clopper-Pearson interval of
    ``share * n_eff`` successes in ``n_eff`` trials, with the effective sample size ``n_eff = share (1 - share) /
    std_error^2`` capped at the ``n`` answers (``n`` itself when the share is 0 or 1 or the error is 0). A normal
    interval around a share of 1 in 55 answers reaches below zero and misses a true 10%; this one does not."""
    if not (np.isfinite(share) and n > 0):
        return np.nan, np.nan
    if 0 < share < 1 and np.isfinite(std_error) and std_error > 0:
        n_eff = min(share * (1 - share) / std_error**2, float(n))
    else:
        n_eff = float(n)
    x, alpha = share * n_eff, 1 - level
    lower = 0.0 if x <= 0 else float(stats.beta.ppf(alpha / 2, x, n_eff - x + 1))
    upper = 1.0 if x >= n_eff else float(stats.beta.ppf(1 - alpha / 2, x + 1, n_eff - x))
    return lower, upper


def _quarter(timestamps: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(timestamps, utc=True)
    return stamps.dt.year.astype(str) + "-Q" + stamps.dt.quarter.astype(str)


def _share_rows(frame: pd.DataFrame, survey_type: str, breakdown: str, by: str, themes: pd.DataFrame,
                minimum: int) -> list[dict]:
    rows = []
    for group, part in frame.groupby(by, sort=True):
        for code, label in themes.itertuples(index=False):
            row = {"survey_type": survey_type, "breakdown": breakdown, "group_value": str(group),
                   "theme_code": code, "theme_label": label, "n_answers": int(len(part)),
                   "n_answers_with_theme": int((part["theme_code"] == code).sum())}
            if len(part) < minimum:
                row["status"] = "too_few_answers"
            else:
                est = survey_estimate(part, "theme_code", "final_weight", statistic="proportion", category=code,
                                      cluster_column="customer_key").iloc[0]
                lower, upper = korn_graubard_interval(float(est["estimate"]), float(est["se"]), len(part))
                row.update(estimate=float(est["estimate"]), std_error=float(est["se"]),
                           ci_lower=lower, ci_upper=upper, status="ok")
            rows.append(row)
    return rows


def _emerging_rows(frame: pd.DataFrame, survey_type: str, themes: pd.DataFrame, minimum: int) -> list[dict]:
    quarters = sorted(frame["quarter"].unique())
    if len(quarters) < 2:
        return []
    before, last = quarters[-2], quarters[-1]
    rows = []
    for code, label in themes.itertuples(index=False):
        parts = [frame[frame["quarter"] == q] for q in (before, last)]
        row = {"survey_type": survey_type, "breakdown": "emerging", "group_value": f"{last} vs {before}",
               "theme_code": code, "theme_label": label, "n_answers": int(sum(len(p) for p in parts)),
               "n_answers_with_theme": int(sum((p["theme_code"] == code).sum() for p in parts))}
        if min(len(p) for p in parts) < minimum:
            row["status"] = "too_few_answers"
        else:
            est = [survey_estimate(p, "theme_code", "final_weight", statistic="proportion", category=code,
                                   cluster_column="customer_key").iloc[0] for p in parts]
            difference = float(est[1]["estimate"] - est[0]["estimate"])
            se = float(np.hypot(est[0]["se"], est[1]["se"]))
            p_value = float(2 * stats.norm.sf(abs(difference) / se)) if se > 0 else None
            row.update(estimate=difference, std_error=se, ci_lower=difference - Z95 * se,
                       ci_upper=difference + Z95 * se, p_value=p_value, status="ok")
        rows.append(row)
    return rows


def theme_shares(themed: pd.DataFrame, answers: pd.DataFrame, weights: pd.DataFrame,
                 settings: ShareSettings) -> pd.DataFrame:
    """Weighted theme shares among answers with a theme: relationship NPS by category, pulses by CSAT band (top
    two 4-5, middle 3, bottom 1-2), both by quarter, and the emerging-theme rows (module docstring)."""
    frame = themed[themed["assignment_status"] == "assigned"].merge(
        answers[["invitation_id", "nps_category", "csat"]], on="invitation_id", how="left").merge(
        weights[["invitation_id", "final_weight"]], on="invitation_id", how="inner")
    frame["quarter"] = _quarter(frame["responded_at"])
    csat = pd.to_numeric(frame["csat"], errors="coerce")
    frame["csat_band"] = np.where(csat >= 4, "top_two", np.where(csat == 3, "middle", np.where(
        csat <= 2, "bottom_two", None)))
    themes = (themed.dropna(subset=["theme_code"]).drop_duplicates("theme_code")
              .sort_values("theme_code")[["theme_code", "theme_label"]])
    minimum = settings.min_answers_per_group
    rows: list[dict] = []
    if themes.empty:
        rows.append({"survey_type": None, "breakdown": "overall", "group_value": "all",
                     "n_answers": int(len(themed)), "n_answers_with_theme": 0, "status": "no_themes"})
    for survey_type, category in (("relationship_nps", "nps_category"), ("csat_pulse", "csat_band")):
        part = frame[frame["survey_type"] == survey_type]
        rows += _share_rows(part.dropna(subset=[category]), survey_type, category, category, themes, minimum)
        rows += _share_rows(part, survey_type, "quarter", "quarter", themes, minimum)
        emerging = _emerging_rows(part, survey_type, themes, minimum)
        if emerging:
            table = pd.DataFrame(emerging).reindex(columns=SHARE_COLUMNS)
            table["p_value_adjusted"] = holm_adjusted(table["p_value"])
            rows += table.to_dict("records")
    return pd.DataFrame(rows).reindex(columns=SHARE_COLUMNS)
