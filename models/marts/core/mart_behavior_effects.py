"""Per rubric behaviour and outcome: the effect the rubric expects beside the raw and adjusted association
observed (logic and method: empathy/effects.py)."""
from empathy.effects import behavior_effects


def model(dbt, session):
    outcomes = dbt.ref("mart_interaction_outcomes").df()
    behaviors = dbt.ref("empathy_behaviors").df()
    return behavior_effects(outcomes, behaviors)
