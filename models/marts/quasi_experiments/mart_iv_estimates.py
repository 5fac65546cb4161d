"""Instrumental variables: the effect of the behaviours a customer received on CSAT top-2 and repeat contact,
instrumented by dated policy changes and by agents' changes of supervisor (empathy/stats/iv_analysis.py; estimator
in empathy/stats/iv.py; decisions: docs/decisions.md D26, D27)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.iv_analysis import COLUMNS, IvSettings, iv_table
from empathy.vocabulary import IV, to_vocabulary


def model(dbt, session):
    settings = IvSettings.from_config(json.loads(dbt.config.get("iv_settings")))
    outcomes = sorted_frame(dbt.ref("mart_interaction_outcomes"), columns=[
        "interaction_key", "agent_id", "channel", "started_at", "behaviors_count", *settings.outcomes])
    supervisors = sorted_frame(dbt.ref("int_interactions_joined_to_supervisor_spells"),
                               columns=["interaction_key", "supervisor_id"])
    policies = sorted_frame(dbt.ref("policy_changes"))
    return to_vocabulary(iv_table(outcomes, policies, settings, supervisors), IV, columns=COLUMNS)
