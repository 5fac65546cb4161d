"""The learned detector applied (empathy/stats/detection.py score_segments, D37): per consented interaction with
agent turns in a usable transcript and per behaviour, the best agent segment's probability under the stored
detector (int_behavior_detectors_trained), the first segment reaching the threshold, and the detector's status.
Incremental: the pre-hook deletes the refresh scope and every score of another detector; the interactions without
a score are scored, a chunk of segments at a time, each chunk's scores written before the next is read."""
import json

from empathy.detector_models import behavior_codes, chunks_of_segments, stamped
from empathy.frames import keys_to_refresh, sorted_frame, written_in_chunks
from empathy.stats.detection import DetectorSettings, detectors_from_table, score_segments


def model(dbt, session):
    settings = DetectorSettings.from_config(json.loads(dbt.config.get("detector_settings")))
    behaviors = behavior_codes(dbt.ref("empathy_behaviors"))
    detectors = detectors_from_table(sorted_frame(dbt.ref("int_behavior_detectors_trained")))
    summary = sorted_frame(dbt.ref("int_detector_training_set_fingerprinted"))
    keys = keys_to_refresh(session, dbt.ref("consented_interactions"), dbt.this, dbt.is_incremental)
    chunks = chunks_of_segments(dbt.ref("consented_transcript_segments"), keys, settings.score_chunk_segments)
    return written_in_chunks(session, "int_behaviors_detected_by_model",
                             (stamped(score_segments(detectors, segments, behaviors, settings), summary)
                              for segments in chunks))
