"""Behaviour detection against QA reviewers: per behaviour, detector (lexicon, learned model, combined rule),
overall and per channel and month, the precision, recall, F1 and Cohen's kappa of transcript detection against the
leniency-adjusted QA verdict, with 95% intervals and counts (empathy/stats/detection.py). The model and the combined
rule are judged out of fold (grouped cross-validation by agent)."""
from empathy.frames import sorted_frame, with_keys_in
from empathy.stats.detection import quality_table


def model(dbt, session):
    behaviors = sorted_frame(dbt.ref("empathy_behaviors")).sort_values(["display_order", "behavior_code"])
    judged = dbt.ref("int_interaction_behaviors_observed").filter(
        "is_present_in_qa_adjusted is not null and is_detected_by_lexicon is not null")
    observed = sorted_frame(judged, ["interaction_key", "behavior_code", "is_present_in_qa_adjusted",
                                     "is_detected_by_lexicon", "is_detected_by_model_out_of_fold", "detector_status"])
    # only the judged interactions' channel and start reach pandas (a semi-join in DuckDB, D40)
    interactions = sorted_frame(with_keys_in(dbt.ref("int_interactions_categorized"), judged),
                                ["interaction_key", "channel", "started_at"])
    rows = observed.merge(interactions, on="interaction_key", how="inner")
    rows["month"] = rows["started_at"].dt.strftime("%Y-%m")
    rows["rule"] = dbt.config.get("detector_rule")
    return quality_table(rows, ["channel", "month"], int(dbt.config.get("min_interactions")),
                         list(behaviors["behavior_code"]))
