"""The learned behaviour detector and its quality figures (empathy/stats/detection.py, mart_detection_quality).

Unit tests check the statistics against scikit-learn and statsmodels; the build test runs the warehouse on
transcripts made of hand-written sentences (tests/fixtures/agent_sentences_handwritten.csv, written independently
of the generator and the lexicon) whose true labels are known, and checks what the marts report about them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from statsmodels.stats.proportion import proportion_confint

from conftest import query, run_dbt
from empathy.stats.detection import (
    DetectorSettings, agent_documents, candidate_phrases, classification_metrics, detect_behaviors, detector_table,
    detectors_from_table, panel_leniency, qa_verdicts, score_segments, top_terms, train_detectors, wilson_interval,
)
from empathy.stats.agreement import reviewer_leniency
from tests.fixtures.transcript_corpus_raw import BEHAVIORS, write_corpus_raw


# ----------------------------------------------------------------------------------------------- statistics
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_classification_metrics_equal_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.random(300) < 0.3
    predicted = np.where(rng.random(300) < 0.8, truth, ~truth)
    got = {r["metric"]: r for r in classification_metrics(truth, predicted)}
    assert got["precision"]["estimate"] == pytest.approx(precision_score(truth, predicted), abs=1e-12)
    assert got["recall"]["estimate"] == pytest.approx(recall_score(truth, predicted), abs=1e-12)
    assert got["f1"]["estimate"] == pytest.approx(f1_score(truth, predicted), abs=1e-12)
    assert got["cohen_kappa"]["estimate"] == pytest.approx(cohen_kappa_score(truth, predicted), abs=1e-12)
    tp = int((truth & predicted).sum())
    lo, hi = proportion_confint(tp, int(predicted.sum()), alpha=0.05, method="wilson")
    assert (got["precision"]["ci_lower"], got["precision"]["ci_upper"]) == pytest.approx((lo, hi), abs=1e-9)
    lo, hi = proportion_confint(tp, int(truth.sum()), alpha=0.05, method="wilson")
    assert (got["recall"]["ci_lower"], got["recall"]["ci_upper"]) == pytest.approx((lo, hi), abs=1e-9)
    assert got["f1"]["ci_lower"] < got["f1"]["estimate"] < got["f1"]["ci_upper"]
    assert {r["status"] for r in got.values()} == {"ok"}


def test_wilson_interval_of_nothing_is_undefined_and_small_cells_get_a_status() -> None:
    assert all(np.isnan(wilson_interval(0, 0)))
    rows = classification_metrics(np.array([True, False]), np.array([True, True]), min_interactions=20)
    assert {r["status"] for r in rows} == {"too_few_interactions"}
    assert all(np.isnan(r["estimate"]) for r in rows)
    undefined = {r["metric"]: r["status"] for r in classification_metrics(np.zeros(50, bool), np.zeros(50, bool))}
    assert undefined["precision"] == "undefined" and undefined["recall"] == "undefined"


def test_qa_verdicts_remove_each_reviewers_leniency() -> None:
    """Calibration: QA2 scores one point above QA1 on every shared item, so against the panel QA2's leniency is +0.5
    and QA1's -0.5 (half of the pairwise +1 that reviewer_leniency reports); a 4 from QA2 becomes 3.5 (present at
    the 3.5 midpoint), a 3 from QA1 becomes 3.5 as well, a 3 from QA2 2.5."""
    calibration = pd.DataFrame({
        "interaction_key": ["c1", "c1", "c2", "c2"], "behavior_code": "acknowledge",
        "reviewer_id": ["QA1", "QA2", "QA1", "QA2"], "score": [3, 4, 2, 3]})
    reviews = pd.DataFrame({"interaction_key": ["i1", "i2", "i3"], "behavior_code": "acknowledge",
                            "reviewer_id": ["QA2", "QA1", "QA2"], "score": [4, 3, 3]})
    v = qa_verdicts(reviews, calibration, present_min_score=4).set_index("interaction_key")
    assert v.loc["i1", "qa_mean_score_adjusted"] == pytest.approx(3.5)
    assert v.loc["i2", "qa_mean_score_adjusted"] == pytest.approx(3.5)
    assert v.loc[["i1", "i2", "i3"], "is_present_in_qa_adjusted"].tolist() == [True, True, False]
    pairwise = reviewer_leniency(calibration, by_behavior=True).set_index("reviewer_id")["leniency"]
    centred = panel_leniency(calibration)[0].set_index("reviewer_id")["leniency"]
    assert (centred * 2).to_dict() == pytest.approx(pairwise.to_dict())


def _toy(n_agents: int = 6, per_agent: int = 60, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Agents who share the words of a behaviour ("apologies") and each have a private tic word."""
    rng = np.random.default_rng(seed)
    segs, verdicts, agents = [], [], []
    for a in range(n_agents):
        for j in range(per_agent):
            key = f"a{a}i{j}"
            present = bool(rng.random() < 0.4)
            words = ["hello there", f"tic{a} okay"] + (["our apologies for that"] if present else ["let me look"])
            segs += [{"interaction_key": key, "segment_index": k, "offset_ms": 1000 * k, "text": w}
                     for k, w in enumerate(words)]
            verdicts.append({"interaction_key": key, "behavior_code": "acknowledge",
                             "is_present_in_qa_adjusted": present})
            agents.append({"interaction_key": key, "agent_id": f"A{a}"})
    return pd.DataFrame(segs), pd.DataFrame(verdicts), pd.DataFrame(agents)


def test_detector_learns_shared_words_and_reports_the_first_segment() -> None:
    segs, verdicts, agents = _toy()
    out = detect_behaviors(segs, verdicts, agents, ["acknowledge"], DetectorSettings(min_reviewed=50, min_df=2))
    s = out.scores.set_index("interaction_key")
    truth = verdicts.set_index("interaction_key")["is_present_in_qa_adjusted"]
    assert (s["is_detected_by_model_out_of_fold"].astype(bool) == truth.reindex(s.index)).all()
    assert set(s.loc[truth[truth].index, "model_first_segment_index"]) == {2}
    assert "apologies" in set(out.terms["term"])
    assert out.status.iloc[0]["detector_status"] == "ok"


def test_stored_detectors_score_as_scikit_learns_fitted_pipeline() -> None:
    """The detectors stored as rows (vocabulary, IDF, coefficients, intercept: D37) and read back give the
    probabilities scikit-learn's own fitted TfidfVectorizer + LogisticRegression give, on segments never trained
    on, and the same out-of-fold probabilities and terms as training at one go."""
    segs, verdicts, agents = _toy()
    settings = DetectorSettings(min_reviewed=50, min_df=2)
    trained = train_detectors(segs, verdicts, agents, ["acknowledge"], settings)
    stored = detectors_from_table(detector_table(trained))
    assert list(stored.vocabulary) == list(trained.vocabulary)
    # the reference: scikit-learn's pipeline fitted on the same documents and verdicts
    docs = agent_documents(segs).set_index("interaction_key")["text"]
    truth = verdicts.set_index("interaction_key").loc[docs.index, "is_present_in_qa_adjusted"].astype(bool)
    vectoriser = TfidfVectorizer(ngram_range=(1, settings.ngram_max), min_df=settings.min_df,
                                 max_features=settings.max_features, sublinear_tf=True,
                                 token_pattern=r"(?u)\b[\w']+\b")
    reference = LogisticRegression(C=settings.regularisation_c, class_weight="balanced", solver="liblinear",
                                   random_state=settings.seed, max_iter=1000).fit(vectoriser.fit_transform(docs.to_numpy()), truth.to_numpy())
    new_segs, _, _ = _toy(n_agents=2, per_agent=30, seed=9)
    new_segs["interaction_key"] = "new_" + new_segs["interaction_key"]
    new_segs.loc[new_segs.index[::7], "text"] = "an unseen sentence with apologies in it"
    expected = reference.predict_proba(vectoriser.transform(new_segs.sort_values(
        ["interaction_key", "offset_ms", "segment_index"], kind="mergesort")["text"].to_numpy()))[:, 1]
    ordered = new_segs.sort_values(["interaction_key", "offset_ms", "segment_index"], kind="mergesort")
    best = pd.Series(expected, index=ordered["interaction_key"].to_numpy()).groupby(level=0).max()
    scored = score_segments(stored, new_segs, ["acknowledge"], settings).set_index("interaction_key")
    assert scored["model_probability"].to_numpy() == pytest.approx(best.reindex(scored.index).to_numpy(),
                                                                   abs=1e-12)
    at_once = detect_behaviors(segs, verdicts, agents, ["acknowledge"], settings)
    again = score_segments(stored, segs, ["acknowledge"], settings).merge(
        trained.out_of_fold, on=["interaction_key", "behavior_code"], how="left")
    pd.testing.assert_frame_equal(again[at_once.scores.columns[:-1]], at_once.scores.iloc[:, :-1])
    assert top_terms(stored).equals(at_once.terms)


def test_a_detector_that_was_not_trained_is_stored_as_a_status_row() -> None:
    segs, verdicts, agents = _toy(n_agents=2, per_agent=10)
    trained = train_detectors(segs, verdicts, agents, ["acknowledge", "name_emotion"], DetectorSettings())
    table = detector_table(trained)
    assert table["term"].isna().all() and len(table) == 2
    assert set(table["detector_status"]) == {"too_few_reviewed"}
    scored = score_segments(detectors_from_table(table), segs, ["acknowledge", "name_emotion"], DetectorSettings())
    assert scored["model_probability"].isna().all() and len(scored) == 2 * segs["interaction_key"].nunique()


def test_detector_steps_aside_with_too_few_reviews_or_one_class() -> None:
    segs, verdicts, agents = _toy(per_agent=5)
    out = detect_behaviors(segs, verdicts, agents, ["acknowledge"], DetectorSettings(min_reviewed=50))
    assert out.status.iloc[0]["detector_status"] == "too_few_reviewed"
    assert out.scores["model_probability"].isna().all()
    segs, verdicts, agents = _toy()
    verdicts["is_present_in_qa_adjusted"] = False
    out = detect_behaviors(segs, verdicts, agents, ["acknowledge"], DetectorSettings(min_reviewed=50))
    assert out.status.iloc[0]["detector_status"] == "one_class_only"


def test_candidate_phrases_need_enough_customers() -> None:
    docs = pd.DataFrame({"interaction_key": [f"k{i}" for i in range(12)],
                         "text": ["that's on us for sure"] * 6 + ["hello there friend"] * 6})
    customers = pd.Series([f"c{i % 6}" for i in range(12)], index=docs["interaction_key"])
    found = candidate_phrases(docs, {f"k{i}" for i in range(6)}, {f"k{i}" for i in range(6, 12)}, customers,
                              min_customers=5)
    assert "that's on us" in set(found["phrase"]) and "hello there" not in set(found["phrase"])
    few = candidate_phrases(docs, {f"k{i}" for i in range(6)}, set(), customers, min_customers=7)
    assert len(few) == 0


# ----------------------------------------------------------------------------------------------- a build
@pytest.fixture(scope="module")
def corpus_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("corpus")
    raw, truth = write_corpus_raw(work / "raw")
    # The exposure var set to another bundle (no time limit) on the way: every split by exposure must follow it.
    result = run_dbt(["build", "--vars", "{consent_default_call_recording: granted, exposure: {name: options_offered, "
                                         "behaviors: [offer_options, close_loop], within_seconds: null}}"], raw, work)
    assert result.returncode == 0, result.stdout[-4000:]
    return work / "warehouse.duckdb", truth


def _flags(db: Path) -> pd.DataFrame:
    rows = query(db, "select f.interaction_id, o.behavior_code, o.is_present_in_qa_adjusted, "
                     "o.is_detected_by_lexicon, o.is_detected_by_model_out_of_fold, o.is_detected_in_transcript "
                     "from intermediate.int_interaction_behaviors_observed as o "
                     "inner join marts.fct_interactions as f using (interaction_key)")
    return pd.DataFrame(rows, columns=["interaction_id", "behavior_code", "verdict", "lexicon", "oof", "combined"])


def test_reviewer_verdicts_are_the_planted_labels(corpus_build: tuple[Path, dict]) -> None:
    db, truth = corpus_build
    flags = _flags(db)
    assert len(flags) == len(truth)
    assert all(bool(r.verdict) == truth[(r.interaction_id, r.behavior_code)] for r in flags.itertuples())


def test_reported_quality_is_what_the_flags_say(corpus_build: tuple[Path, dict]) -> None:
    """mart_detection_quality's overall precision and recall equal scikit-learn's on the warehouse's own flags
    against the planted labels, for the lexicon and for the combined rule (detector out of fold)."""
    db, truth = corpus_build
    flags = _flags(db)
    mart = {(b, d, m): (e, s) for b, d, m, e, s in query(
        db, "select behavior_code, detector, metric, estimate, status from marts.mart_detection_quality "
            "where group_by = 'overall'")}
    for behavior in BEHAVIORS:
        f = flags[flags["behavior_code"] == behavior]
        y = np.array([truth[(i, behavior)] for i in f["interaction_id"]])
        for detector, column in (("lexicon", "lexicon"), ("model", "oof"), ("combined", "combined_oof")):
            pred = (f["lexicon"].astype(bool) | f["oof"].astype(bool)) if column == "combined_oof" \
                else f[column].astype(bool)
            assert mart[(behavior, detector, "recall")] == (pytest.approx(recall_score(y, pred)), "ok")
            assert mart[(behavior, detector, "precision")] == (pytest.approx(precision_score(y, pred)), "ok")


def test_the_detector_learns_phrasing_of_agents_it_never_read(corpus_build: tuple[Path, dict]) -> None:
    """Out of fold (the agent's own sentences never in training), the detector agrees with reviewers beyond chance
    for every behaviour, and the combined rule finds more of what reviewers saw than the lexicon alone."""
    db, _ = corpus_build
    rows = query(db, "select behavior_code, detector, metric, estimate, ci_lower from marts.mart_detection_quality "
                     "where group_by = 'overall' and metric in ('cohen_kappa', 'recall')")
    got = {(b, d, m): (e, lo) for b, d, m, e, lo in rows}
    for behavior in BEHAVIORS:
        assert got[(behavior, "model", "cohen_kappa")][1] > 0, behavior
        assert got[(behavior, "combined", "recall")][0] > got[(behavior, "lexicon", "recall")][0], behavior


def test_gaps_and_terms_are_listed(corpus_build: tuple[Path, dict]) -> None:
    db, _ = corpus_build
    statuses = dict(query(db, "select behavior_code, min(status) from marts.mart_detector_terms group by 1"))
    assert statuses == {b: "ok" for b in BEHAVIORS}
    candidates = query(db, "select behavior_code, count(*) from marts.mart_lexicon_candidate_phrases "
                           "where status = 'ok' group by 1")
    assert len(candidates) >= 3
    assert query(db, "select min(n_customers_missed) from marts.mart_lexicon_candidate_phrases "
                     "where status = 'ok'")[0][0] >= 5


def test_the_exposure_var_decides_every_split(corpus_build: tuple[Path, dict]) -> None:
    """With exposure = {options_offered: offer_options and close_loop, no time limit}, an interaction is exposed
    exactly when both behaviours occurred, and the marts that split by exposure name their groups after the var."""
    db, _ = corpus_build
    rows = query(db, "select o.exposure_group, o.has_offer_options and o.has_close_loop as both "
                     "from marts.mart_interaction_outcomes as o")
    assert {g for g, _ in rows} <= {"options_offered", "not_options_offered", "transcript_not_usable"}
    assert all((g == "options_offered") == bool(both) for g, both in rows)
    assert {g for (g,) in query(db, "select distinct exposure_group from marts.mart_lagged_outcomes")} \
        <= {"options_offered", "not_options_offered"}


def test_documented_statuses_are_the_modules_statuses(dbt_manifest: dict) -> None:
    """The status values the marts' YAML accepts are exactly those empathy/stats/detection.py documents."""
    from empathy.stats.detection import DETECTOR_STATUSES, QUALITY_STATUSES

    def accepted(model: str, column: str) -> set[str]:
        for node in dbt_manifest["nodes"].values():
            meta = node.get("test_metadata") or {}
            if (node["resource_type"] == "test" and meta.get("name") == "accepted_values"
                    and node.get("column_name") == column and node["attached_node"].endswith(f".{model}")):
                return set(meta["kwargs"]["values"])
        raise AssertionError(f"no accepted_values test on {model}.{column}")

    assert accepted("int_behaviors_detected_by_model", "detector_status") == set(DETECTOR_STATUSES)
    assert accepted("mart_detector_terms", "status") == set(DETECTOR_STATUSES)
    assert accepted("mart_detection_quality", "status") == set(QUALITY_STATUSES)
