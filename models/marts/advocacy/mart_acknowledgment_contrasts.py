"""The pilot's two claims for the 30-second acknowledgment, overall and by channel: the relative change in promoter
share of relationship NPS answers whose window held a contact acknowledged within 30 s (survey-weighted, clustered
by customer), and the ratio of handle-time variances with and without it (Bonett's interval, Brown-Forsythe test)
(empathy/stats/exposure_contrasts.py; D30). Descriptive contrasts: the acknowledgment was not randomised here."""
from empathy.frames import key_ordered_frame, sorted_frame
from empathy.stats.exposure_contrasts import COLUMNS, acknowledgment_contrasts
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    answers = sorted_frame(dbt.ref("int_survey_answers_joined_to_contacts"))
    weights = sorted_frame(dbt.ref("fct_relationship_nps_weights"), ["invitation_id", "final_weight"])
    timing = dbt.ref("mart_interaction_outcomes").project("interaction_key, channel, is_acknowledged_within_30s")
    handle = dbt.ref("fct_interactions").project("interaction_key, handle_time_seconds")
    # joined in DuckDB; ten million interaction keys at a million customers stay there (D40)
    interactions = key_ordered_frame(timing.join(handle, "interaction_key", how="left"),
                                     ["channel", "is_acknowledged_within_30s", "handle_time_seconds"],
                                     ["interaction_key"])
    return to_vocabulary(acknowledgment_contrasts(answers, weights, interactions), {}, columns=COLUMNS)
