"""Per rubric behaviour and outcome: the effect the rubric expects beside the raw and adjusted association
observed (logic and method: empathy/effects.py). Only the columns the model needs leave DuckDB."""
from empathy.effects import INPUT_COLUMNS, behavior_effects


def model(dbt, session):
    outcomes = dbt.ref("mart_interaction_outcomes").project(", ".join(INPUT_COLUMNS)).df()
    behaviors = dbt.ref("empathy_behaviors").df()
    return behavior_effects(outcomes, behaviors)
