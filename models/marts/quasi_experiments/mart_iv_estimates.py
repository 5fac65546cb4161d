"""Instrumental variables: the effect of the behaviours a customer received on CSAT top-2 and repeat contact,
instrumented by dated policy changes and by agents' changes of supervisor (empathy/stats/iv_analysis.py; estimator
in empathy/stats/iv.py; decisions: docs/decisions.md D26, D27)."""
import json

from empathy.frames import is_spark_frame, left_joined_frame, sorted_frame
from empathy.stats.iv_analysis import COLUMNS, IvSettings, iv_table
from empathy.vocabulary import IV, to_vocabulary


def model(dbt, session):
    settings = IvSettings.from_config(json.loads(dbt.config.get("iv_settings")))
    columns = ["agent_id", "channel", "started_at", "behaviors_count", *settings.outcomes]
    outcomes = dbt.ref("mart_interaction_outcomes")
    supervisors = dbt.ref("int_interactions_joined_to_supervisor_spells")
    policies = sorted_frame(dbt.ref("policy_changes"))
    if is_spark_frame(outcomes):
        table = iv_table(sorted_frame(outcomes, ["interaction_key", *columns]), policies, settings,
                         sorted_frame(supervisors, ["interaction_key", "supervisor_id"]))
    else:  # each contact's supervisor looked up in DuckDB, the interaction keys left there (D40)
        table = iv_table(left_joined_frame(outcomes, columns, supervisors, ["supervisor_id"], "interaction_key"),
                         policies, settings)
    return to_vocabulary(table, IV, columns=COLUMNS)
