"""What the learned detector's dbt models share (docs/decisions.md D37): reading their inputs from the warehouse,
keeping what is stored when the training set has not changed, and scoring interactions in chunks.

The detector is trained when what it learns from changes, not in every build:
``int_detector_training_set_fingerprinted`` fingerprints the training set (settings, behaviours, every verdict
and a digest of every training document). ``int_behavior_detectors_trained`` and
``int_behaviors_scored_out_of_fold`` are incremental models whose pre-hook deletes the rows made with another
fingerprint; their body trains only when nothing is left (:func:`is_stored`). ``int_behaviors_detected_by_model``
scores, with the stored detectors, the interactions that have no score yet (every one after a retraining, the
refresh scope of the day otherwise). Training is deterministic (seeded), so keeping a detector gives what training
it again would: an incremental build equals a one-shot build.
"""
from __future__ import annotations

import json

import pandas as pd

from empathy.frames import sorted_chunks, sorted_frame, with_keys_in
from empathy.stats.detection import AGENT_COLUMNS, DetectorSettings, TrainedDetectors, agent_segments, train_detectors

def is_stored(session, this, is_incremental: bool) -> bool:
    """Whether an incremental model already holds rows (after its pre-hook deleted those of another training set):
    then they are kept, as training again on the same training set would give them back."""
    return bool(is_incremental) and session.sql(f"select count(*) from {this}").fetchone()[0] > 0


def nothing_new(session, this):
    """No rows, with the stored table's columns: what an incremental model appends when it keeps what it holds."""
    return session.sql(f"select * from {this} where false")


def behavior_codes(behaviors) -> list[str]:
    """The behaviours of the empathy_behaviors seed in display order."""
    return list(sorted_frame(behaviors).sort_values(["display_order", "behavior_code"])["behavior_code"])


def agent_turns_of(segments, interactions):
    """The agent turns (transcript segments with speaker ``agent``) of the interactions in the relation
    ``interactions``, chosen in the engine."""
    return with_keys_in(segments.filter("speaker = 'agent'"), interactions)


def trained_from_warehouse(settings_json: str, behaviors, training, segments,
                           cross_validate: bool) -> TrainedDetectors:
    """Train the detectors (:func:`empathy.stats.detection.train_detectors`) on the training set
    (int_qa_verdicts_selected_for_training) and the agent segments of its interactions, the segments filtered in
    the engine so that only the training documents reach pandas. ``settings_json``: var behavior_detector."""
    verdicts = sorted_frame(training, ["interaction_key", "behavior_code", "agent_id", "is_present_in_qa_adjusted"])
    return train_detectors(agent_segments(sorted_frame(agent_turns_of(segments, training), AGENT_COLUMNS)), verdicts,
                           verdicts[["interaction_key", "agent_id"]].drop_duplicates(), behavior_codes(behaviors),
                           DetectorSettings.from_config(json.loads(settings_json)), cross_validate=cross_validate)


def stamped(frame: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The frame with the training set's fingerprint and cutoff (the one row of
    int_detector_training_set_fingerprinted) on every row, its text columns typed as strings: DuckDB reads an
    empty object column as INTEGER, and an incremental model must keep its types when a build adds no row (an
    untrained detector has no out-of-fold probability)."""
    row = summary.iloc[0]
    out = frame.assign(training_set_fingerprint=row["training_set_fingerprint"],
                       training_cutoff_at=row["training_cutoff_at"])
    return out.astype({column: "string" for column in out.columns if out[column].dtype == object})


def chunks_of_segments(segments, keys, max_segments: int):
    """Yield the agent segments of the interactions in ``keys`` as DataFrames of at most about ``max_segments``
    rows, an interaction never split across two (:func:`empathy.frames.sorted_chunks`), so that scoring a million
    customers' transcripts never holds them all in memory."""
    for part in sorted_chunks(agent_turns_of(segments, keys), AGENT_COLUMNS, "interaction_key", max_segments):
        yield agent_segments(part)
