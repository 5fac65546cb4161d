"""The learned detector (empathy/stats/detection.py): per interaction with a usable transcript and per behaviour
of the empathy_behaviors seed, the best agent segment's probability, the first segment reaching the threshold,
the out-of-fold probability (grouped cross-validation by agent) where QA reviewed the interaction, the
leniency-adjusted QA verdict it was trained on, and the detector's status."""
from empathy.frames import sorted_frame
from empathy.stats.detection import DetectorSettings, detect_behaviors, qa_verdicts


def settings(dbt) -> DetectorSettings:
    return DetectorSettings(
        min_reviewed=int(dbt.config.get("detector_min_reviewed")),
        min_per_class=int(dbt.config.get("detector_min_per_class")),
        folds=int(dbt.config.get("detector_folds")),
        threshold=float(dbt.config.get("detector_min_probability")),
        max_features=int(dbt.config.get("detector_max_features")),
        seed=int(dbt.config.get("detector_seed")),
    )


def model(dbt, session):
    behaviors = sorted_frame(dbt.ref("empathy_behaviors")).sort_values(["display_order", "behavior_code"])
    segments = sorted_frame(dbt.ref("consented_transcript_segments"))
    segments = segments[segments["speaker"] == "agent"].rename(columns={"text_redacted": "text"})
    interactions = sorted_frame(dbt.ref("consented_interactions"))[["interaction_key", "agent_id"]]
    reviews = sorted_frame(dbt.ref("consented_qa_reviews"))
    calibration = sorted_frame(dbt.ref("int_qa_reviews_filtered_to_calibration"))
    verdicts = qa_verdicts(reviews, calibration, float(dbt.config.get("qa_present_min_score")))
    out = detect_behaviors(segments[["interaction_key", "segment_index", "offset_ms", "text"]], verdicts,
                           interactions, list(behaviors["behavior_code"]), settings(dbt))
    scores = out.scores.merge(verdicts, on=["interaction_key", "behavior_code"], how="left")
    return scores.drop(columns=["n_reviews", "qa_mean_score"])
