"""Service recovery: after an NPS detractor's answer or a bottom-box CSAT, the follow-up contact and its empathy,
the transition to the next NPS category, the adjusted difference an empathetic follow-up makes and the time to
recovery (empathy/stats/service_recovery.py; D30)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.service_recovery import COLUMNS, RecoverySettings, service_recovery
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    settings = RecoverySettings.from_config(json.loads(dbt.config.get("recovery_settings")))
    low_scores = sorted_frame(dbt.ref("int_low_scores_joined_to_follow_ups"))
    return to_vocabulary(service_recovery(low_scores, settings), {}, columns=COLUMNS)
