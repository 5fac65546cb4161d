"""What the learned detector learned: per behaviour, the word n-grams with the largest positive weights in its
logistic regression (fitted on every reviewed interaction, as int_behaviors_detected_by_model is), so an analyst
can read what it reacts to; one status row for a behaviour it could not be trained on (empathy/stats/detection.py)."""
from empathy.frames import sorted_frame
from empathy.stats.detection import AGENT_COLUMNS, DetectorSettings, agent_segments, detect_behaviors, qa_verdicts


def model(dbt, session):
    settings = DetectorSettings.from_config({
        "detector_min_reviewed": dbt.config.get("detector_min_reviewed"),
        "detector_min_per_class": dbt.config.get("detector_min_per_class"),
        "detector_folds": dbt.config.get("detector_folds"),
        "detector_min_probability": dbt.config.get("detector_min_probability"),
        "detector_max_features": dbt.config.get("detector_max_features"),
        "detector_seed": dbt.config.get("detector_seed"),
        "detector_max_training_interactions": dbt.config.get("detector_max_training_interactions"),
    })
    behaviors = sorted_frame(dbt.ref("empathy_behaviors")).sort_values(["display_order", "behavior_code"])
    segments = agent_segments(sorted_frame(dbt.ref("consented_transcript_segments").filter("speaker = 'agent'"),
                                             AGENT_COLUMNS))
    interactions = sorted_frame(dbt.ref("consented_interactions"))[["interaction_key", "agent_id"]]
    verdicts = qa_verdicts(sorted_frame(dbt.ref("consented_qa_reviews")),
                           sorted_frame(dbt.ref("int_qa_reviews_filtered_to_calibration")),
                           float(dbt.config.get("qa_present_min_score")))
    out = detect_behaviors(segments, verdicts, interactions, list(behaviors["behavior_code"]),
                           settings, apply=False)
    table = out.status.merge(out.terms, on="behavior_code", how="left").rename(columns={"detector_status": "status"})
    table["term_rank"] = table["term_rank"].astype("Int64")
    for column in ("n_interactions", "n_positive_verdicts"):
        table[column] = table[column].astype("int64")
    return table[["behavior_code", "term_rank", "term", "coefficient", "n_interactions", "n_positive_verdicts",
                  "status"]]
