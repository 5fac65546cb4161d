"""The learned detector's honest evaluation (empathy/stats/detection.py train_detectors, D37): per training
interaction x trained behaviour, the probability from the detector of the grouped cross-validation fold (by agent)
that did not read this interaction's agent. Computed again when the training set's fingerprint changes (the
pre-hook deletes the rows of another training set); otherwise the stored rows are kept."""
from empathy.detector_models import is_stored, nothing_new, stamped, trained_from_warehouse
from empathy.frames import sorted_frame


def model(dbt, session):
    if is_stored(session, dbt.this, dbt.is_incremental):
        return nothing_new(session, dbt.this)
    trained = trained_from_warehouse(dbt.config.get("detector_settings"), dbt.ref("empathy_behaviors"),
                                     dbt.ref("int_qa_verdicts_selected_for_training"),
                                     dbt.ref("consented_transcript_segments"), cross_validate=True)
    return stamped(trained.out_of_fold, sorted_frame(dbt.ref("int_detector_training_set_fingerprinted")))
