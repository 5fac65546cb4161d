"""Per rubric behaviour (rows of the empathy_behaviors seed) and outcome: the effect the rubric expects beside the
raw and adjusted association observed, churn for every declared window (logic and method: empathy/stats/effects.py)."""
import pandas as pd

from empathy.frames import is_spark_frame, sorted_frame
from empathy.stats.effects import behavior_effects, input_columns, outcomes_with_churn_windows


def model(dbt, session):
    behaviors = sorted_frame(dbt.ref("empathy_behaviors"))
    codes = list(behaviors["behavior_code"])
    windows = [int(days) for days in str(dbt.config.get("churn_windows_days")).strip("[]").split(",") if days.strip()]
    outcomes, churn = dbt.ref("mart_interaction_outcomes"), dbt.ref("mart_interaction_churn_windows")
    if is_spark_frame(outcomes):
        outcomes = sorted_frame(outcomes, input_columns(codes))
        churn = sorted_frame(churn, ["interaction_key", "churn_window_days", "is_voluntarily_churned"])
    else:  # the windows pivoted and joined in DuckDB (D40)
        outcomes = outcomes_with_churn_windows(outcomes, churn, codes, windows)
        churn = pd.DataFrame(columns=["interaction_key", "churn_window_days", "is_voluntarily_churned"])
    return behavior_effects(outcomes, churn, behaviors, windows)
