"""Issue 13's marts on the demo warehouse: the NPS driver mart is a complete importance-performance grid whose parts
add up to its R-squared, and no mart carries answer text or customer keys."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import query


def test_nps_drivers_are_a_complete_importance_performance_grid(demo_db: Path) -> None:
    rows = query(demo_db, """
        select outcome, method, count(*), sum(estimate), any_value(r_squared), min(performance), max(performance),
               count(*) filter (where status = 'ok')
        from marts.mart_nps_drivers where driver != 'handle_time_seconds_mean' group by all""")
    assert len(rows) == 4
    for outcome, method, n, total, r_squared, low, high, n_ok in rows:
        assert n == 7 and n_ok == 7, (outcome, method)
        assert 0 <= low <= high <= 1
    for outcome, method, total, r_squared in query(demo_db, """
            select outcome, method, sum(estimate), any_value(r_squared) from marts.mart_nps_drivers group by all"""):
        assert math.isclose(total, r_squared, rel_tol=1e-9), (outcome, method)


@pytest.mark.parametrize("table", ["mart_verbatim_themes", "mart_verbatim_theme_shares", "mart_nps_drivers",
                                   "mart_csat_drivers", "mart_service_recovery", "mart_acknowledgment_contrasts"])
def test_advocacy_marts_carry_no_answer_text(demo_db: Path, table: str) -> None:
    columns = {name for name, in query(demo_db, f"""
        select column_name from information_schema.columns
        where table_schema = 'marts' and table_name = '{table}'""")}
    assert columns and not columns & {"answer_text_redacted", "answer_text", "text_redacted", "customer_key"}


def _planted_theme(text: str, phrases: dict[str, list[str]]) -> str | None:
    """The planted theme of a demo answer: the theme whose listed predicate or second sentence it contains (the
    manifest's open_text_themes.phrases), None for answers replaced by contact details."""
    found = {theme for theme, texts in phrases.items() for phrase in texts if phrase in text}
    return found.pop() if len(found) == 1 else None


def test_themes_recover_the_planted_themes_under_the_analysts_names(demo_db: Path, demo_manifest: dict) -> None:
    """The theme model finds the demo's four planted themes (adjusted Rand index above 0.8 on the answers with a
    planted theme), each planted theme's answers mostly carry the code the analysts' seed gives it, and every
    answer is counted in mart_verbatim_themes."""
    from sklearn.metrics import adjusted_rand_score

    phrases = demo_manifest["effects"]["open_text_themes"]["phrases"]
    rows = query(demo_db, """
        select answers.answer_text_redacted, themes.theme_code, themes.n_themes
        from restricted.restricted_open_text_themes as themes
        inner join restricted.restricted_open_text_answers as answers on themes.response_id = answers.response_id""")
    themed = [(_planted_theme(text, phrases), code) for text, code, _ in rows if text and _planted_theme(text, phrases)]
    assert len(themed) > 300
    n_themes, = {n for *_, n in rows}
    assert len(phrases) <= n_themes <= len(phrases) + 2, n_themes  # a sub-theme split off is allowed
    ari = adjusted_rand_score([planted for planted, _ in themed], [str(code) for _, code in themed])
    assert ari > 0.8, ari  # measured on the demo: see D30
    for theme in phrases:
        codes = [str(code) for planted, code in themed if planted == theme]
        assert max(set(codes), key=codes.count) == theme, (theme, sorted(set(codes)))
    (n_answers,), = query(demo_db, "select count(*) from restricted.restricted_open_text_answers")
    (n_counted,), = query(demo_db, "select sum(n_answers) from marts.mart_verbatim_themes")
    assert n_counted == n_answers


def test_theme_shares_by_nps_category_cover_the_planted_shares(demo_db: Path, demo_manifest: dict) -> None:
    """The design-weighted theme shares of relationship-NPS answers, by NPS category, cover the generator's theme
    probabilities given the category. Twelve intervals are checked on one draw, so each is widened to the
    Bonferroni level of the family (two-sided 5% / 12)."""
    from scipy.stats import norm

    truth = demo_manifest["effects"]["open_text_themes"]
    themes = list(truth["phrases"])
    factor = norm.ppf(1 - 0.05 / (2 * 12)) / norm.ppf(0.975)
    listed = ", ".join(f"'{theme}'" for theme in themes)
    rows = query(demo_db, f"""
        select group_value, theme_code, estimate, ci_lower, ci_upper, status from marts.mart_verbatim_theme_shares
        where survey_type = 'relationship_nps' and breakdown = 'nps_category' and theme_code in ({listed})""")
    assert len(rows) == 12
    for category, theme, estimate, lower, upper, status in rows:
        assert status == "ok", (category, theme, status)
        planted = truth["share_by_category"][category][themes.index(theme)]
        assert estimate - factor * (estimate - lower) <= planted <= estimate + factor * (upper - estimate), (
            category, theme, estimate, lower, upper, planted)
