"""What the learned detector learned: per behaviour, the word n-grams with the largest positive weights in its
logistic regression (fitted on every reviewed interaction, as int_behaviors_detected_by_model is), so an analyst
can read what it reacts to; one status row for a behaviour it could not be trained on (empathy/stats/detection.py)."""
import pandas as pd

from empathy.frames import sorted_frame
from empathy.stats.detection import DetectorSettings, detect_behaviors, qa_verdicts


def model(dbt, session):
    behaviors = sorted_frame(dbt.ref("empathy_behaviors")).sort_values(["display_order", "behavior_code"])
    segments = sorted_frame(dbt.ref("consented_transcript_segments"))
    segments = segments[segments["speaker"] == "agent"].rename(columns={"text_redacted": "text"})
    interactions = sorted_frame(dbt.ref("consented_interactions"))[["interaction_key", "agent_id"]]
    verdicts = qa_verdicts(sorted_frame(dbt.ref("consented_qa_reviews")),
                           sorted_frame(dbt.ref("int_qa_reviews_filtered_to_calibration")),
                           float(dbt.config.get("qa_present_min_score")))
    settings = DetectorSettings(
        min_reviewed=int(dbt.config.get("detector_min_reviewed")),
        min_per_class=int(dbt.config.get("detector_min_per_class")),
        folds=int(dbt.config.get("detector_folds")),
        threshold=float(dbt.config.get("detector_min_probability")),
        max_features=int(dbt.config.get("detector_max_features")),
        seed=int(dbt.config.get("detector_seed")),
    )
    out = detect_behaviors(segments[["interaction_key", "segment_index", "offset_ms", "text"]], verdicts,
                           interactions, list(behaviors["behavior_code"]), settings, apply=False)
    table = out.status.merge(out.terms, on="behavior_code", how="left")
    table["term_rank"] = table["term_rank"].astype("Int64")
    table["n_interactions"] = table["n_interactions"].astype("int64")
    table["n_positive_verdicts"] = table["n_positive_verdicts"].astype("int64")
    table = table.rename(columns={"detector_status": "status"}).drop(columns=["n_agents"])
    return table[["behavior_code", "term_rank", "term", "coefficient", "n_interactions", "n_positive_verdicts",
                  "status"]].pipe(pd.DataFrame)
