"""The learned detectors (empathy/stats/detection.py train_detectors, D37): one TF-IDF vocabulary and per behaviour
of the empathy_behaviors seed a logistic regression, stored as rows (term, IDF weight, coefficient, intercept), or
one status row for a behaviour that could not be trained. Trained when the training set's fingerprint changes
(the pre-hook deletes a detector of another training set); otherwise the stored detectors are kept."""
from empathy.detector_models import is_stored, nothing_new, stamped, trained_from_warehouse
from empathy.frames import sorted_frame
from empathy.stats.detection import detector_table


def model(dbt, session):
    if is_stored(session, dbt.this, dbt.is_incremental):
        return nothing_new(session, dbt.this)
    trained = trained_from_warehouse(dbt.config.get("detector_settings"), dbt.ref("empathy_behaviors"),
                                     dbt.ref("int_qa_verdicts_selected_for_training"),
                                     dbt.ref("consented_transcript_segments"), cross_validate=False)
    return stamped(detector_table(trained), sorted_frame(dbt.ref("int_detector_training_set_fingerprinted")))
