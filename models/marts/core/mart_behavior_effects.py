"""Per rubric behaviour (rows of the empathy_behaviors seed) and outcome: the effect the rubric expects beside the
raw and adjusted association observed, churn for every declared window (logic and method: empathy/stats/effects.py)."""
from empathy.stats.effects import behavior_effects, input_columns
from empathy.frames import sorted_frame


def model(dbt, session):
    behaviors = sorted_frame(dbt.ref("empathy_behaviors"))
    outcomes = sorted_frame(dbt.ref("mart_interaction_outcomes"), input_columns(list(behaviors["behavior_code"])))
    churn = sorted_frame(dbt.ref("mart_interaction_churn_windows"),
                         ["interaction_key", "churn_window_days", "is_voluntarily_churned"])
    windows = [int(days) for days in str(dbt.config.get("churn_windows_days")).strip("[]").split(",") if days.strip()]
    return behavior_effects(outcomes, churn, behaviors, windows)
