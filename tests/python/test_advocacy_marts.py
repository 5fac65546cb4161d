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
