"""The learned detector (empathy/stats/detection.py): per interaction with a usable transcript and per behaviour
of the empathy_behaviors seed, the best agent segment's probability, the first segment reaching the threshold,
the out-of-fold probability (grouped cross-validation by agent) where QA reviewed the interaction, the
leniency-adjusted QA verdict it was trained on, and the detector's status."""
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
                           settings)
    scores = out.scores.merge(verdicts, on=["interaction_key", "behavior_code"], how="left")
    return scores.drop(columns=["n_reviews", "qa_mean_score"])
