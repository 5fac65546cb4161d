"""Per rubric behaviour and outcome: the effect the rubric expects beside the raw and adjusted association
observed (logic and method: empathy/effects.py). Only the columns the model needs leave DuckDB."""
from empathy.frames import sorted_frame
from empathy.effects import INPUT_COLUMNS, behavior_effects


def model(dbt, session):
    outcomes = sorted_frame(dbt.ref("mart_interaction_outcomes"), INPUT_COLUMNS)
    behaviors = sorted_frame(dbt.ref("empathy_behaviors"))
    return behavior_effects(outcomes, behaviors)
