"""Behaviour detection in transcripts: a learned detector beside the phrase lexicon, and its quality against QA.

What it estimates
-----------------
* **QA verdicts** (:func:`qa_verdicts`): whether reviewers saw a behaviour in an interaction, from the mean of their
  scores after removing each reviewer's leniency against the panel on the calibration sample (:func:`panel_leniency`,
  the centred form of ``reviewer_leniency`` in :mod:`empathy.stats.agreement`), against the rubric's threshold.
* **A learned detector per behaviour** (:func:`train_detectors`, applied by :func:`score_segments`, both at one
  go by :func:`detect_behaviors`): logistic regression (scikit-learn, liblinear,
  L2, balanced class weights, seeded) on TF-IDF word n-grams of the agent's words in an interaction, trained on
  the interactions that have a usable transcript and a QA verdict (a seeded sample of at most
  ``max_training_interactions`` of them, which bounds the training time at scale). The vectoriser is fitted once on those
  documents without their labels and shared by every behaviour and fold. The detector is applied segment by
  segment (each agent turn scored on its own) so the timing rules still hold: an interaction's score is its best
  segment's probability, and the first segment reaching the threshold gives the time of the evidence. TF-IDF then
  logistic regression is a linear model, so the fitted detector is its numbers (vocabulary, IDF weights,
  coefficients, intercept): :func:`detector_table` stores them as rows and :func:`detectors_from_table` reads
  them back, and a later build scores new interactions without training (D37).
* **Honest evaluation**: out-of-fold probabilities from grouped K-fold cross-validation by agent (an agent's
  interactions are never both in training and test), so the quality figures describe phrasing from agents the
  model has not read.
* **Classification quality** (:func:`classification_metrics`): precision and recall with Wilson score intervals
  (Wilson 1927; as statsmodels ``proportion_confint(method="wilson")``), F1 with a percentile bootstrap interval
  over the 2x2 table, and Cohen's kappa with its large-sample standard error (Fleiss, Cohen & Everitt 1969; the
  kappa of :mod:`empathy.stats.agreement`). Point values equal scikit-learn's ``precision_score``,
  ``recall_score``, ``f1_score`` and ``cohen_kappa_score`` (tests).
* **Lexicon gaps** (:func:`candidate_phrases`): agent n-grams over-represented in interactions where reviewers saw
  a behaviour the lexicon missed, against interactions where reviewers did not see it (document frequency, lift).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit
from scipy.stats import norm
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from empathy.settings import settings_from_var
from empathy.stats.agreement import cohen_kappa_table, collapse_duplicate_ratings

Z_95 = float(norm.ppf(0.975))

#: status values of the detector (per behaviour) and of the quality rows
DETECTOR_STATUSES: dict[str, str] = {
    "ok": "trained and applied; evaluated out of fold",
    "too_few_reviewed": "fewer reviewed interactions with a usable transcript than var detector_min_reviewed "
                        "(or fewer than the minimum per class): the lexicon alone is used",
    "one_class_only": "reviewers saw the behaviour in every or in no reviewed interaction: nothing to learn",
    "too_few_agents": "fewer agents than two among the reviewed interactions: no grouped cross-validation",
}
QUALITY_STATUSES: dict[str, str] = {
    "ok": "computed",
    "too_few_interactions": "fewer than min_interactions interactions with a verdict in the cell",
    "undefined": "the metric is 0/0 in the cell (no detection, no positive verdict, or no chance disagreement)",
    "detector_not_trained": "the learned detector was not trained (its status says why)",
}


@dataclass(frozen=True)
class DetectorSettings:
    """Settings of the learned detector (dbt vars, documented in dbt_project.yml)."""

    min_reviewed: int = 200
    min_per_class: int = 20
    folds: int = 5
    threshold: float = 0.5
    max_features: int = 50_000
    min_df: int = 3
    ngram_max: int = 3
    regularisation_c: float = 1.0
    seed: int = 20260101
    max_training_interactions: int = 20_000
    #: Interactions are scored this many agent segments at a time (bounded memory; D37).
    score_chunk_segments: int = 2_000_000

    @classmethod
    def from_config(cls, config: dict) -> "DetectorSettings":
        """From var behavior_detector (its ``min_probability`` is the threshold; keys read by SQL models only, such
        as ``rule`` and ``retrain_every``, are left to them)."""
        values = dict(config)
        if "min_probability" in values:
            values["threshold"] = float(values.pop("min_probability"))
        return settings_from_var(cls, values)


# ----------------------------------------------------------------------------------------------- QA verdicts
def panel_leniency(calibration: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each reviewer's leniency against the panel on the calibration sample: the mean over shared items (two or
    more reviewers) of own score - the item's mean over all its reviewers, per reviewer x behaviour and pooled per
    reviewer. It is mart_rater_agreement's leniency (own - mean of the others) times (m - 1) / m for an item with m
    reviewers, i.e. centred on the panel, so that subtracting it puts every reviewer on the panel's scale (with two
    reviewers, half the pairwise difference each)."""
    df = collapse_duplicate_ratings(calibration)
    m = df.groupby(["interaction_key", "behavior_code"])["score"].transform("size")
    df = df.assign(deviation=df["score"] - df.groupby(["interaction_key", "behavior_code"])["score"].transform("mean"))
    shared = df[m >= 2]
    by_behavior = shared.groupby(["reviewer_id", "behavior_code"], as_index=False)["deviation"].mean()
    pooled = shared.groupby("reviewer_id", as_index=False)["deviation"].mean()
    return by_behavior.rename(columns={"deviation": "leniency"}), pooled.rename(columns={"deviation": "pooled"})


def qa_verdicts(reviews: pd.DataFrame, calibration: pd.DataFrame, present_min_score: float) -> pd.DataFrame:
    """Per interaction x behaviour: the reviewers' mean score before and after removing each reviewer's leniency
    (:func:`panel_leniency`; pooled over behaviours where the behaviour has no shared item, 0 for a reviewer with no
    shared item at all), and whether the behaviour was present: adjusted mean >= ``present_min_score`` - 0.5.
    Whole-point scores meet the rubric's threshold exactly when they reach the midpoint below it; adjusted scores
    are no longer whole points, so the midpoint between the anchors is the cut (a single reviewer without leniency
    gets the rubric's own verdict).

    ``reviews``: interaction_key, behavior_code, reviewer_id, score (every review). ``calibration``: the same
    columns for the calibration sample.
    """
    cols = ["interaction_key", "behavior_code", "n_reviews", "qa_mean_score", "qa_mean_score_adjusted",
            "is_present_in_qa_adjusted"]
    if len(reviews) == 0:
        types = {"n_reviews": "int64", "qa_mean_score": float, "qa_mean_score_adjusted": float,
                 "is_present_in_qa_adjusted": bool}
        return pd.DataFrame({c: pd.Series(dtype=types.get(c, object)) for c in cols})
    by_behavior, pooled = panel_leniency(calibration)
    df = reviews.merge(by_behavior, on=["reviewer_id", "behavior_code"], how="left").merge(
        pooled, on="reviewer_id", how="left")
    offset = df["leniency"].fillna(df["pooled"]).fillna(0.0).astype(float)
    df = df.assign(score=df["score"].astype(float), adjusted=df["score"].astype(float) - offset)
    out = df.groupby(["interaction_key", "behavior_code"], sort=True, as_index=False).agg(
        n_reviews=("score", "size"), qa_mean_score=("score", "mean"), qa_mean_score_adjusted=("adjusted", "mean"))
    out["is_present_in_qa_adjusted"] = out["qa_mean_score_adjusted"] >= present_min_score - 0.5
    return out[cols]


# ----------------------------------------------------------------------------------------------- the detector
#: The columns of consented_transcript_segments the detector reads (the models project them in DuckDB).
AGENT_COLUMNS = ["interaction_key", "segment_index", "offset_ms", "speaker", "text_redacted", "customer_key"]


def agent_segments(segments: pd.DataFrame) -> pd.DataFrame:
    """The agent's turns of consented transcript segments, as the detector reads them (interaction_key,
    segment_index, offset_ms, text, customer_key)."""
    agent = segments[segments["speaker"] == "agent"].rename(columns={"text_redacted": "text"})
    return agent[["interaction_key", "segment_index", "offset_ms", "text", "customer_key"]].reset_index(drop=True)


def agent_documents(segments: pd.DataFrame) -> pd.DataFrame:
    """One document per interaction: its agent segments' text in offset order (interaction_key, text)."""
    ordered = segments.sort_values(["interaction_key", "offset_ms", "segment_index"], kind="mergesort")
    docs = ordered.groupby("interaction_key", sort=True)["text"].agg(" ".join)
    return docs.rename("text").reset_index()


def _vectoriser(settings: DetectorSettings, n_docs: int) -> TfidfVectorizer:
    return TfidfVectorizer(lowercase=True, ngram_range=(1, settings.ngram_max), min_df=min(settings.min_df, n_docs),
                           max_features=settings.max_features, sublinear_tf=True, token_pattern=r"(?u)\b[\w']+\b",
                           dtype=np.float64)


def _classifier(settings: DetectorSettings) -> LogisticRegression:
    return LogisticRegression(C=settings.regularisation_c, class_weight="balanced", solver="liblinear",
                              random_state=settings.seed, max_iter=1000)


def _best_segment(seg: pd.DataFrame, prob: np.ndarray, threshold: float) -> pd.DataFrame:
    """Per interaction: the highest segment probability and the first segment (by offset) reaching threshold."""
    df = seg[["interaction_key", "segment_index", "offset_ms"]].assign(probability=prob)
    best = df.groupby("interaction_key", sort=True)["probability"].max().rename("model_probability")
    hits = df[df["probability"] >= threshold].sort_values(["interaction_key", "offset_ms", "segment_index"],
                                                          kind="mergesort")
    first = hits.groupby("interaction_key", sort=True).first()[["segment_index", "offset_ms"]].rename(
        columns={"segment_index": "model_first_segment_index", "offset_ms": "model_first_offset_ms"})
    return best.to_frame().join(first, how="left").reset_index()


@dataclass(frozen=True)
class TrainedDetectors:
    """The fitted detectors of :func:`train_detectors`: one vocabulary with its IDF weights (the vectoriser, fitted
    on the training documents without their labels) and per trained behaviour a logistic regression (coefficients
    over that vocabulary and an intercept). TF-IDF followed by logistic regression is a linear model, so these
    numbers are the whole detector: :func:`detector_table` stores them as rows and :func:`detectors_from_table`
    reads them back, so a build can score new interactions without training again (D37)."""

    vocabulary: np.ndarray  # the term of each column
    idf: np.ndarray
    coefficients: dict[str, np.ndarray]
    intercepts: dict[str, float]
    status: pd.DataFrame  # behavior_code, detector_status, n_interactions, n_positive_verdicts, n_agents
    out_of_fold: pd.DataFrame  # interaction_key, behavior_code, model_probability_out_of_fold


@dataclass(frozen=True)
class DetectorOutput:
    """What :func:`detect_behaviors` returns: scores per interaction x behaviour, status per behaviour, and the
    fitted detectors' heaviest terms."""

    scores: pd.DataFrame
    status: pd.DataFrame
    terms: pd.DataFrame


STATUS_COLUMNS = ["behavior_code", "detector_status", "n_interactions", "n_positive_verdicts", "n_agents"]
OUT_OF_FOLD_COLUMNS = ["interaction_key", "behavior_code", "model_probability_out_of_fold"]
SCORE_COLUMNS = ["interaction_key", "behavior_code", "model_probability", "model_first_segment_index",
                 "model_first_offset_ms", "is_detected_by_model", "detector_status"]


def _ordered_segments(segments: pd.DataFrame) -> pd.DataFrame:
    seg = segments.sort_values(["interaction_key", "offset_ms", "segment_index"], kind="mergesort").reset_index(
        drop=True)
    seg["text"] = seg["text"].fillna("")
    return seg


def training_sample(verdicts: pd.DataFrame, settings: DetectorSettings) -> pd.DataFrame:
    """The verdicts the detectors are trained on: all of them, or those of a seeded random sample of
    ``settings.max_training_interactions`` interactions, which bounds the training time at scale (the rest are
    scored, not trained on)."""
    keys = sorted(set(verdicts["interaction_key"]))
    if len(keys) <= settings.max_training_interactions:
        return verdicts
    picked = np.random.default_rng(settings.seed).choice(len(keys), settings.max_training_interactions,
                                                         replace=False)
    return verdicts[verdicts["interaction_key"].isin({keys[i] for i in sorted(picked)})]


def train_detectors(segments: pd.DataFrame, verdicts: pd.DataFrame, agents: pd.DataFrame, behaviors: list[str],
                    settings: DetectorSettings, cross_validate: bool = True) -> TrainedDetectors:
    """Fit the vectoriser and one detector per behaviour, and (``cross_validate``) the out-of-fold probability of
    every training interaction: grouped K-fold by agent, each fold's detector scoring the segments of the agents it
    did not read, the interaction's probability its best segment's.

    ``segments``: agent segments (interaction_key, segment_index, offset_ms, text) of at least the interactions
    with a verdict (others are ignored). ``verdicts``: :func:`qa_verdicts` output. ``agents``: interaction_key,
    agent_id (the CV groups). A behaviour without enough verdicts of each class or agents gets a status instead.
    """
    seg = _ordered_segments(segments)
    with_text = set(seg["interaction_key"])
    labelled_all = training_sample(verdicts[verdicts["interaction_key"].isin(with_text)], settings)
    labelled_keys = sorted(set(labelled_all["interaction_key"]))
    vocabulary, idf = np.array([], dtype=object), np.array([], dtype=float)
    status_rows, coefficients, intercepts, oof_frames = [], {}, {}, []
    if labelled_keys:
        # documents of the reviewed interactions only: they are all the detector is ever trained on
        seg = seg[seg["interaction_key"].isin(set(labelled_keys))].reset_index(drop=True)
        train_docs = agent_documents(seg).set_index("interaction_key").loc[labelled_keys, "text"]
        vectoriser = _vectoriser(settings, len(train_docs))
        doc_matrix = vectoriser.fit_transform(train_docs.to_numpy())
        vocabulary, idf = np.asarray(vectoriser.get_feature_names_out(), dtype=object), vectoriser.idf_.copy()
        seg_matrix = vectoriser.transform(seg["text"].to_numpy()) if cross_validate else None
        doc_row = pd.Series(np.arange(len(labelled_keys)), index=labelled_keys)
        seg_rows = seg.groupby("interaction_key", sort=False).indices

    for behavior in behaviors:
        lab = labelled_all[labelled_all["behavior_code"] == behavior]
        lab = lab.drop(columns=["agent_id"], errors="ignore").merge(
            agents[["interaction_key", "agent_id"]], on="interaction_key", how="inner")
        y = lab["is_present_in_qa_adjusted"].astype(bool).to_numpy()
        n_pos, n_neg = int(y.sum()), int((~y).sum())
        n_agents = lab["agent_id"].nunique()
        status = "ok"
        if len(lab) < settings.min_reviewed or min(n_pos, n_neg) < settings.min_per_class:
            status = "one_class_only" if (n_pos == 0 or n_neg == 0) and len(lab) >= settings.min_reviewed \
                else "too_few_reviewed"
        elif n_agents < 2:
            status = "too_few_agents"
        status_rows.append({"behavior_code": behavior, "detector_status": status, "n_interactions": len(lab),
                            "n_positive_verdicts": n_pos, "n_agents": int(n_agents)})
        if status != "ok":
            continue
        rows = doc_row.loc[lab["interaction_key"]].to_numpy()
        full = _classifier(settings).fit(doc_matrix[rows], y)
        coefficients[behavior], intercepts[behavior] = full.coef_.ravel().copy(), float(full.intercept_[0])
        if not cross_validate:
            continue
        oof = pd.Series(np.nan, index=lab["interaction_key"].to_numpy())
        splitter = GroupKFold(n_splits=min(settings.folds, n_agents))
        for train, test in splitter.split(rows, y, groups=lab["agent_id"].to_numpy()):
            if len(set(y[train])) < 2:
                continue
            model = _classifier(settings).fit(doc_matrix[rows[train]], y[train])
            test_keys = lab["interaction_key"].to_numpy()[test]
            idx = np.concatenate([seg_rows[k] for k in test_keys])
            p = model.predict_proba(seg_matrix[idx])[:, 1]
            per = pd.DataFrame({"interaction_key": seg["interaction_key"].to_numpy()[idx], "p": p}).groupby(
                "interaction_key")["p"].max()
            oof.loc[per.index] = per.to_numpy()
        oof_frames.append(pd.DataFrame({"interaction_key": oof.index, "behavior_code": behavior,
                                        "model_probability_out_of_fold": oof.to_numpy(dtype=float)}))

    status_frame = pd.DataFrame(status_rows, columns=STATUS_COLUMNS)
    out_of_fold = (pd.concat(oof_frames, ignore_index=True) if oof_frames else pd.DataFrame(
        {"interaction_key": pd.Series(dtype=object), "behavior_code": pd.Series(dtype=object),
         "model_probability_out_of_fold": pd.Series(dtype=float)}))
    out_of_fold = out_of_fold.sort_values(["interaction_key", "behavior_code"], kind="mergesort")
    return TrainedDetectors(vocabulary=vocabulary, idf=idf, coefficients=coefficients, intercepts=intercepts,
                            status=status_frame, out_of_fold=out_of_fold.reset_index(drop=True))


def fixed_vectoriser(trained: TrainedDetectors, settings: DetectorSettings) -> TfidfVectorizer:
    """A vectoriser that transforms text as the fitted one did, from its vocabulary and IDF weights alone
    (scikit-learn's TfidfVectorizer with a fixed ``vocabulary`` and its ``idf_`` set; equal to the fitted one's
    transform: tests)."""
    vectoriser = _vectoriser(settings, max(len(trained.vocabulary), 1))
    vectoriser.set_params(vocabulary={term: i for i, term in enumerate(trained.vocabulary)}, min_df=1,
                          max_features=None)
    vectoriser.idf_ = np.asarray(trained.idf, dtype=np.float64)
    return vectoriser


def score_segments(trained: TrainedDetectors, segments: pd.DataFrame, behaviors: list[str],
                   settings: DetectorSettings) -> pd.DataFrame:
    """Apply the trained detectors segment by segment: per interaction with agent segments x behaviour, the best
    segment's probability, the first segment (by offset) reaching ``settings.threshold``, whether it is reached,
    and the detector's status (probabilities null where the behaviour's detector was not trained)."""
    seg = _ordered_segments(segments)
    interactions = pd.Series(seg["interaction_key"].unique(), name="interaction_key")  # sorted: seg is sorted
    status = trained.status.set_index("behavior_code")["detector_status"]
    matrix = None
    if trained.coefficients and len(seg):
        matrix = fixed_vectoriser(trained, settings).transform(seg["text"].to_numpy())
    frames = []
    for behavior in behaviors:
        frame = pd.DataFrame({"interaction_key": interactions, "behavior_code": behavior})
        if behavior in trained.coefficients and matrix is not None:
            logit = matrix @ trained.coefficients[behavior] + trained.intercepts[behavior]
            prob = expit(np.asarray(logit).ravel())
            frame = frame.merge(_best_segment(seg, prob, settings.threshold), on="interaction_key", how="left")
            frame["is_detected_by_model"] = (frame["model_probability"] >= settings.threshold).astype("boolean")
        else:
            for c in ("model_probability", "model_first_segment_index", "model_first_offset_ms"):
                frame[c] = np.nan
            frame["is_detected_by_model"] = pd.array([pd.NA] * len(frame), dtype="boolean")
        frame["detector_status"] = status.get(behavior, "too_few_reviewed")
        frames.append(frame[SCORE_COLUMNS])
    scores = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SCORE_COLUMNS)
    scores["model_probability"] = scores["model_probability"].astype(float)
    for column in ("model_first_segment_index", "model_first_offset_ms"):
        scores[column] = pd.to_numeric(scores[column]).round().astype("Int64")
    return scores


def top_terms(trained: TrainedDetectors, n: int = 25) -> pd.DataFrame:
    """Per trained behaviour, the ``n`` terms with the largest positive coefficients (behavior_code, term_rank,
    term, coefficient)."""
    frames = []
    for behavior, coef in trained.coefficients.items():
        order = np.argsort(-coef, kind="mergesort")[:n]
        frames.append(pd.DataFrame({"behavior_code": behavior, "term_rank": np.arange(1, len(order) + 1),
                                    "term": trained.vocabulary[order], "coefficient": coef[order]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"behavior_code": pd.Series(dtype=object), "term_rank": pd.Series(dtype="int64"),
         "term": pd.Series(dtype=object), "coefficient": pd.Series(dtype=float)})


#: The columns of the stored detectors (int_behavior_detectors_trained).
DETECTOR_TABLE_COLUMNS = ["behavior_code", "term_index", "term", "idf", "coefficient", "intercept",
                          "detector_status", "n_interactions", "n_positive_verdicts", "n_agents"]


def detector_table(trained: TrainedDetectors) -> pd.DataFrame:
    """The detectors as rows: per trained behaviour one row per vocabulary term (its column index, IDF weight and
    coefficient, the intercept repeated); one row without a term for a behaviour that was not trained."""
    frames = []
    for row in trained.status.itertuples(index=False):
        base = {"behavior_code": row.behavior_code, "detector_status": row.detector_status,
                "n_interactions": row.n_interactions, "n_positive_verdicts": row.n_positive_verdicts,
                "n_agents": row.n_agents}
        if row.behavior_code in trained.coefficients:
            frames.append(pd.DataFrame({**base, "term_index": np.arange(len(trained.vocabulary)),
                                        "term": trained.vocabulary, "idf": trained.idf,
                                        "coefficient": trained.coefficients[row.behavior_code],
                                        "intercept": trained.intercepts[row.behavior_code]}))
        else:
            frames.append(pd.DataFrame({**base, "term_index": [pd.NA], "term": [None], "idf": [np.nan],
                                        "coefficient": [np.nan], "intercept": [np.nan]}))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DETECTOR_TABLE_COLUMNS)
    table["term_index"] = table["term_index"].astype("Int64")
    for column in ("n_interactions", "n_positive_verdicts", "n_agents"):
        table[column] = table[column].astype("int64")
    return table[DETECTOR_TABLE_COLUMNS]


def detectors_from_table(table: pd.DataFrame) -> TrainedDetectors:
    """The detectors :func:`detector_table` stored (without the out-of-fold probabilities)."""
    status = table.drop_duplicates("behavior_code")[STATUS_COLUMNS].reset_index(drop=True)
    terms = table[table["term_index"].notna()].sort_values(["behavior_code", "term_index"], kind="mergesort")
    vocabulary, idf, coefficients, intercepts = np.array([], dtype=object), np.array([], dtype=float), {}, {}
    for behavior, rows in terms.groupby("behavior_code", sort=True):
        if len(vocabulary) == 0:
            vocabulary = rows["term"].to_numpy(dtype=object)
            idf = rows["idf"].to_numpy(dtype=float)
        elif not np.array_equal(rows["term"].to_numpy(dtype=object), vocabulary):
            raise ValueError(f"the stored detector of {behavior!r} has another vocabulary than the others")
        coefficients[behavior] = rows["coefficient"].to_numpy(dtype=float)
        intercepts[behavior] = float(rows["intercept"].iloc[0])
    return TrainedDetectors(vocabulary=vocabulary, idf=idf, coefficients=coefficients, intercepts=intercepts,
                            status=status, out_of_fold=pd.DataFrame(columns=OUT_OF_FOLD_COLUMNS))


def detect_behaviors(segments: pd.DataFrame, verdicts: pd.DataFrame, agents: pd.DataFrame,
                     behaviors: list[str], settings: DetectorSettings, top_terms_per_behavior: int = 25
                     ) -> DetectorOutput:
    """Train, cross-validate and apply one detector per behaviour at one go (:func:`train_detectors` then
    :func:`score_segments`): per interaction with agent segments x behaviour, model_probability,
    model_first_segment_index, model_first_offset_ms, is_detected_by_model, model_probability_out_of_fold,
    is_detected_by_model_out_of_fold (training interactions only) and detector_status; the status per behaviour;
    and the heaviest terms per behaviour."""
    trained = train_detectors(segments, verdicts, agents, behaviors, settings)
    scores = score_segments(trained, segments, behaviors, settings).merge(
        trained.out_of_fold, on=["interaction_key", "behavior_code"], how="left")
    scores["is_detected_by_model_out_of_fold"] = (
        scores["model_probability_out_of_fold"] >= settings.threshold).astype("boolean").where(
        scores["model_probability_out_of_fold"].notna(), pd.NA)
    return DetectorOutput(scores=scores, status=trained.status, terms=top_terms(trained, top_terms_per_behavior))


# ----------------------------------------------------------------------------------------------- quality
def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion (nan, nan for n = 0)."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + Z_95 ** 2 / n
    centre = (p + Z_95 ** 2 / (2 * n)) / denom
    half = Z_95 * np.sqrt(p * (1 - p) / n + Z_95 ** 2 / (4 * n ** 2)) / denom
    return float(centre - half), float(centre + half)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), np.nan)


def classification_metrics(truth: np.ndarray, predicted: np.ndarray, min_interactions: int = 20,
                           n_boot: int = 400, seed: int = 7) -> list[dict]:
    """Precision, recall, F1 and Cohen's kappa of ``predicted`` against ``truth`` (booleans, one per interaction).

    Rows: metric, estimate, std_error, ci_lower, ci_upper, n_interactions, n_positive_verdicts, n_detected, status.
    Precision and recall: proportion, binomial standard error, Wilson 95% interval. F1: percentile bootstrap 95%
    interval and bootstrap SD, resampling the 2x2 table (multinomial, seeded). Kappa: Cohen's kappa, large-sample
    SE, normal interval.
    """
    t = np.asarray(truth, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    n = len(t)
    tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
    tn = n - tp - fp - fn
    base = {"n_interactions": n, "n_positive_verdicts": tp + fn, "n_detected": tp + fp}
    rows = []
    small = n < min_interactions

    def row(metric: str, est: float, se: float, lo: float, hi: float, defined: bool) -> dict:
        status = "too_few_interactions" if small else ("ok" if defined else "undefined")
        ok = status == "ok"
        return {"metric": metric, "estimate": est if ok else np.nan, "std_error": se if ok else np.nan,
                "ci_lower": lo if ok else np.nan, "ci_upper": hi if ok else np.nan, **base, "status": status}

    for metric, k, m in (("precision", tp, tp + fp), ("recall", tp, tp + fn)):
        est = k / m if m else np.nan
        lo, hi = wilson_interval(k, m)
        rows.append(row(metric, est, np.sqrt(est * (1 - est) / m) if m else np.nan, lo, hi, m > 0))

    f1 = float(_f1(np.array(tp), np.array(fp), np.array(fn)))
    if n > 0:
        draws = np.random.default_rng(seed).multinomial(n, np.array([tp, fp, fn, tn]) / n, size=n_boot)
        boot = _f1(draws[:, 0].astype(float), draws[:, 1].astype(float), draws[:, 2].astype(float))
        boot = boot[~np.isnan(boot)]
    else:
        boot = np.array([])
    lo, hi = (np.percentile(boot, [2.5, 97.5]) if len(boot) else (np.nan, np.nan))
    rows.append(row("f1", f1, float(np.std(boot, ddof=1)) if len(boot) > 1 else np.nan, float(lo), float(hi),
                    not np.isnan(f1)))

    table = np.array([[tn, fp], [fn, tp]], dtype=float)
    kappa = cohen_kappa_table(table)
    k_ok = kappa.status == "ok" and np.isfinite(kappa.kappa)
    lo, hi = kappa.ci(Z_95)
    rows.append(row("cohen_kappa", kappa.kappa, kappa.se, lo, hi, k_ok))
    return rows


# ----------------------------------------------------------------------------------------------- lexicon gaps
def candidate_phrases(docs: pd.DataFrame, missed: set[str], negatives: set[str], customers: pd.Series,
                      min_customers: int = 5, top: int = 40, ngram: tuple[int, int] = (2, 4)) -> pd.DataFrame:
    """Agent n-grams over-represented where reviewers saw a behaviour and the lexicon did not.

    ``docs``: interaction_key, text (agent words). ``missed``: keys where QA saw it and the lexicon did not;
    ``negatives``: keys where QA did not see it. ``customers``: customer_key per interaction_key (an n-gram must be
    said to at least ``min_customers`` distinct customers among the missed interactions, so no phrase particular to
    one person, such as a name, is listed). Lift = share of missed interactions with the n-gram / share of negative
    interactions with it (+0.5 smoothing). Returns the ``top`` n-grams by lift then count.
    """
    cols = ["phrase", "n_interactions_missed", "n_customers_missed", "n_interactions_negative",
            "share_of_missed", "share_of_negative", "lift"]
    m_docs = docs[docs["interaction_key"].isin(missed)]
    n_docs = docs[docs["interaction_key"].isin(negatives)]
    if len(m_docs) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "phrase" else float) for c in cols})
    vec = CountVectorizer(lowercase=True, ngram_range=ngram, binary=True, token_pattern=r"(?u)\b[\w']+\b",
                          min_df=min(min_customers, len(m_docs)))
    try:
        xm = vec.fit_transform(m_docs["text"].to_numpy())
    except ValueError:  # no n-gram in min_df of the missed interactions
        return pd.DataFrame({c: pd.Series(dtype=object if c == "phrase" else float) for c in cols})
    names = np.asarray(vec.get_feature_names_out())
    xn = vec.transform(n_docs["text"].to_numpy()) if len(n_docs) else sparse.csr_matrix((0, len(names)))
    dm = np.asarray(xm.sum(axis=0)).ravel()
    dn = np.asarray(xn.sum(axis=0)).ravel()
    cust = customers.reindex(m_docs["interaction_key"]).to_numpy()
    xm_coo = xm.tocoo()
    pairs = pd.DataFrame({"term": xm_coo.col, "customer": cust[xm_coo.row]}).drop_duplicates()
    n_cust = pairs.groupby("term").size().reindex(np.arange(len(names)), fill_value=0).to_numpy()
    share_m = dm / len(m_docs)
    share_n = (dn + 0.5) / (len(n_docs) + 1.0)
    out = pd.DataFrame({"phrase": names, "n_interactions_missed": dm.astype(int), "n_customers_missed": n_cust,
                        "n_interactions_negative": dn.astype(int), "share_of_missed": share_m,
                        "share_of_negative": dn / max(len(n_docs), 1), "lift": share_m / share_n})
    out = out[out["n_customers_missed"] >= min_customers]
    return out.sort_values(["lift", "n_interactions_missed", "phrase"], ascending=[False, False, True],
                           kind="mergesort").head(top).reset_index(drop=True)[cols]


DETECTORS: dict[str, str] = {
    "lexicon": "the phrase lexicon alone, on every reviewed interaction with a usable transcript (nothing trained)",
    "model": "the learned detector, out of fold (grouped cross-validation by agent)",
    "combined": "the rule of the build (lexicon or learned detector), with the detector out of fold",
}


def quality_table(observed: pd.DataFrame, groupings: list[str], min_interactions: int,
                  behaviors: list[str]) -> pd.DataFrame:
    """Detection quality per behaviour x detector x grouping cell against the leniency-adjusted QA verdicts.

    ``observed``: behavior_code, is_present_in_qa_adjusted, is_detected_by_lexicon, is_detected_by_model_out_of_fold,
    detector_status, rule (``combined`` or ``lexicon``) and the grouping columns; rows with a verdict and a usable
    transcript. Cells: ``overall`` (always, so a behaviour without reviewed interactions still has rows saying so)
    and each value of each grouping. Columns: behavior_code, detector, evaluation, group_by, group_value and those
    of :func:`classification_metrics`.
    """
    rows: list[dict] = []
    for behavior in behaviors:
        b = observed[observed["behavior_code"] == behavior]
        trained = bool((b["detector_status"] == "ok").all()) and len(b) > 0
        use_model = trained and bool((b["rule"] == "combined").all())
        for detector in DETECTORS:
            if detector == "lexicon":
                frame, predicted, evaluation = b, b["is_detected_by_lexicon"], "all_reviewed"
            else:
                if not trained:
                    frame, predicted = b.iloc[0:0], b["is_detected_by_lexicon"].iloc[0:0]
                else:
                    frame = b[b["is_detected_by_model_out_of_fold"].notna()]
                    oof = frame["is_detected_by_model_out_of_fold"].astype(bool)
                    lex = frame["is_detected_by_lexicon"].astype(bool)
                    predicted = oof if detector == "model" else ((lex | oof) if use_model else lex)
                evaluation = "grouped_cv_by_agent"
            cells = [("overall", None, frame.index)]
            for g in groupings:
                cells += [(g, str(v), idx) for v, idx in frame.groupby(g, sort=True).groups.items()]
            for group_by, value, idx in cells:
                truth = frame.loc[idx, "is_present_in_qa_adjusted"].astype(bool).to_numpy()
                pred = predicted.loc[idx].astype(bool).to_numpy()
                for r in classification_metrics(truth, pred, min_interactions=min_interactions):
                    if detector != "lexicon" and not trained:
                        r = {**r, "status": "detector_not_trained", "estimate": np.nan, "std_error": np.nan,
                             "ci_lower": np.nan, "ci_upper": np.nan}
                    rows.append({"behavior_code": behavior, "detector": detector, "evaluation": evaluation,
                                 "group_by": group_by, "group_value": value, **r})
    cols = ["behavior_code", "detector", "evaluation", "group_by", "group_value", "metric", "estimate", "std_error",
            "ci_lower", "ci_upper", "n_interactions", "n_positive_verdicts", "n_detected", "status"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ("n_interactions", "n_positive_verdicts", "n_detected"):
        out[c] = out[c].astype("int64")
    return out
