"""Verbatim themes of survey open-text answers (redacted of personal data upstream).

A seeded, deterministic topic model for short customer comments:

* **Preparation.** Text is lower-cased, apostrophes are dropped (``don't`` -> ``dont``) and the redaction
  placeholders of staging (``[EMAIL]``, ``[CARD]``, ``[PHONE]``) removed; tokens are runs of two or more letters.
  Content tokens are those outside scikit-learn's ``ENGLISH_STOP_WORDS``, the apostrophe-less contractions that
  list cannot catch (``dont``, ``im``, ...) and a few courtesy words that carry no theme (``thanks``, ``please``,
  ``cheers``, ``ok``, ...). An answer with fewer than ``min_tokens`` content tokens is ``too_short`` and a null or
  blank one ``empty``: both keep their row in the output with that status and are counted (:func:`status_counts`),
  never dropped silently.
* **Terms.** Content tokens are reduced to stems by a light suffix stripper (:func:`stem`: charge, charges and
  charged are one term), then TF-IDF of unigrams and bigrams of adjacent stems (sublinear tf, smoothed idf, rows
  l2-normalised), keeping the terms in at least ``min_df`` answers (a small absolute count, 3 by default: a phrase
  two answers share verbatim is not yet a theme). Top terms and labels show each stem as its most frequent word.
* **Themes.** Non-negative matrix factorisation with the generalised Kullback-Leibler divergence (multiplicative
  updates, ``init='nndsvda'``, ``random_state=seed``). The theme rows are scaled to unit l2 norm (the answer weights
  rescaled to match) and ordered by their total answer weight, so the order never depends on the solver. An
  answer's theme is the argmax of its weights; an answer whose weights are all ~0 (none of its terms kept) is
  ``unassigned``; ``theme_weight`` is the theme's share of the answer's total weight. Why KL and stems (D30): on
  twelve draws of the hand-written test corpus (four themes), the Frobenius loss on words found four themes in 8,
  KL on stems in 10; on the demo's comments Frobenius merged the smallest theme (billing, whose words are spread
  over refund, charge, bill, invoice) into the others at every k it chose, KL on stems found all four (adjusted
  Rand index 0.90).
* **Number of themes** (Greene, O'Callaghan and Cunningham 2014, "How many topics? Stability analysis for topic
  models", ECML PKDD). For each candidate k, a reference model is fitted on all usable answers; then
  ``n_stability_samples`` models are refitted, each on a random 80% of the answers (drawn without replacement, the
  paper's beta = 0.8) with a seed derived from ``seed``, k and the sample number (the subsample is what varies:
  nndsvda barely depends on its seed). A refit's agreement with the reference is the mean cosine similarity of
  their theme-term vectors after a one-to-one (Hungarian) matching; the stability of k is the mean agreement over
  the refits. The chosen k is the largest whose stability is within ``stability_tolerance`` (default 0.01) of the
  highest: differences that small are within the refits' noise, and among equally stable solutions the finer one
  keeps two themes apart that the coarser merges (on the demo after session 10's routing, k = 3 scored 0.989 and
  k = 4 0.986, and k = 3 merged billing with app faults; k = 5 scored 0.978). The stability of every k is kept
  (:func:`stability_table`). On small corpora the criterion can still prefer merging two close themes (k one too
  small) to a split that some subsamples draw differently.
* **Stable identity** (:func:`assign_theme_codes`). An analyst's seed of named themes (``theme_code``,
  ``theme_name``, ``anchor_terms`` as pipe-separated words or phrases) is matched one-to-one (Hungarian, scipy's
  ``linear_sum_assignment``) to the fitted themes by the cosine similarity of the theme's term-weight vector and
  the indicator vector of the anchors (a vocabulary term is indicated when it equals an anchor, stemmed, stop words removed;
  the indicator's norm counts every distinct anchor, so anchors absent from the answers lower the similarity). A
  match counts only above ``min_anchor_similarity`` (default 0.15: the planted themes of the tests match their
  analyst rows at 0.48-0.54 with four or five anchors, other pairs stay below 0.04); the analyst's name is the
  label. Several seed rows may share a ``theme_code``: the fitted themes matched to any of them get that code
  (merged themes, one summary row). Unmatched themes get ``auto_`` and the first 8 hex digits of the SHA-1 of their
  top 5 terms, sorted and joined by ``|``, so the same data gives the same code on every rebuild (two unmatched
  themes with the same top 5 terms would share a code and be merged in the summary).

At scale (more usable answers than ``max_fit_answers``, 5,000 by default) the vocabulary, the themes and the
stability refits use a seeded simple random sample of that many answers, and every usable answer's weights are then
solved under the fitted themes (KL multiplicative updates with the themes fixed): the refits' cost stays bounded and
no answer is left without its theme.

Answers are fitted in a canonical order (sorted by text), so the fit, and every code, is the same whatever the
order of the input rows; the same input and seed give bit-for-bit identical outputs.
"""
from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF, non_negative_factorization
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from ..settings import settings_from_var

#: contractions written without their apostrophe (the preparation drops it), stop words like their originals
CONTRACTIONS = frozenset({
    "aint", "arent", "cant", "couldnt", "didnt", "doesnt", "dont", "hadnt", "hasnt", "havent", "hes", "id", "im",
    "isnt", "ive", "lets", "shes", "shouldnt", "thats", "theres", "theyre", "theyve", "wasnt", "werent", "weve",
    "whats", "wont", "wouldnt", "youd", "youll", "youre", "youve",
})
#: courtesy words that close or open a comment whatever its theme
COURTESY = frozenset({"cheers", "hello", "hi", "ok", "okay", "please", "pls", "thank", "thanks", "thx"})
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | CONTRACTIONS | COURTESY
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
REDACTION_PLACEHOLDER = re.compile(r"\[(?:EMAIL|CARD|PHONE)\]")
APOSTROPHE = re.compile(r"['\u2019`]")
#: the share of the answers in each stability refit (Greene et al. 2014's beta)
SAMPLE_FRACTION = 0.8
#: an answer is unassigned when its largest weight is below this fraction of the largest weight of any answer
UNASSIGNED_TOLERANCE = 1e-6
STABILITY_TIE = 1e-9
N_CODE_TERMS = 5
N_LABEL_TERMS = 3

#: ThemeModel.status and the summary's status (documented in the mart's YAML)
STATUSES = {
    "ok": "themes fitted",
    "too_few_answers": "fewer usable answers (enough content tokens) than var themes.min_answers",
    "too_few_terms": "no term in min_df answers, or no candidate number of themes fits the answers and terms",
}
#: assignment_status of an answer
ASSIGNMENT_STATUSES = {
    "assigned": "the answer's theme is the argmax of its theme weights",
    "unassigned": "usable, but none of its terms is in the vocabulary: every theme weight ~0",
    "too_short": "fewer content tokens (outside the English stop words) than var themes.min_tokens",
    "empty": "null or blank answer",
    "too_few_answers": "usable, but the themes were not fitted: too few usable answers",
    "too_few_terms": "usable, but the themes were not fitted: too few terms",
}
#: status of a candidate number of themes in the stability table
STABILITY_STATUSES = {
    "ok": "stability estimated",
    "k_too_large": "more themes than the answers of a refit or the terms allow",
    "too_few_answers": "the themes were not fitted: too few usable answers",
    "too_few_terms": "the themes were not fitted: too few terms",
}
SUMMARY_COLUMNS = ["theme_code", "theme_label", "top_terms", "is_named", "n_answers", "n_fitted_themes",
                   "match_similarity", "n_themes", "stability", "status"]


@dataclass(frozen=True)
class ThemeSettings:
    """The var `themes` of dbt_project.yml (the keys read here)."""
    seed: int = 12
    min_tokens: int = 3
    min_answers: int = 30
    min_df: int = 3
    k_min: int = 3
    k_max: int = 10
    n_top_terms: int = 8
    n_stability_samples: int = 20
    stability_tolerance: float = 0.01
    min_anchor_similarity: float = 0.15
    #: The themes are fitted on a seeded sample of at most this many usable answers (bounded time at scale).
    max_fit_answers: int = 5000

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ThemeSettings":
        return settings_from_var(cls, config)

    def fit_arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`fit_themes`."""
        return {"seed": self.seed, "k_candidates": range(self.k_min, self.k_max + 1), "min_tokens": self.min_tokens,
                "min_answers": self.min_answers, "min_df": self.min_df, "n_top_terms": self.n_top_terms,
                "n_stability_samples": self.n_stability_samples, "stability_tolerance": self.stability_tolerance,
                "max_fit_answers": self.max_fit_answers}


@dataclass(frozen=True, eq=False)
class ThemeModel:
    """A fitted theme model. Per answer (input order): ``reason`` (usable, too_short, empty), ``n_content_tokens``
    and ``weights`` (answers x themes, zero rows for unusable answers). Per theme: ``components`` (themes x terms,
    unit l2 rows), ``top_terms`` and ``labels``. ``stability`` maps every candidate k to its stability (NaN when it
    was not fitted)."""
    status: str
    index: pd.Index
    reason: tuple[str, ...]
    n_content_tokens: tuple[int, ...]
    seed: int
    n_themes: int | None = None
    stability: dict[int, float] = field(default_factory=dict)
    terms: tuple[str, ...] = ()
    components: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    top_terms: tuple[tuple[str, ...], ...] = ()
    labels: tuple[str, ...] = ()
    surface: Mapping[str, str] = field(default_factory=dict)

    def readable(self, terms: Sequence[str]) -> tuple[str, ...]:
        """``terms`` (stems) shown as words (:func:`readable_terms`)."""
        return readable_terms(terms, self.surface)

    @property
    def theme_of_answer(self) -> np.ndarray:
        """Each answer's theme (index into the themes), -1 when not assigned."""
        if self.status != "ok":
            return np.full(len(self.index), -1)
        largest = self.weights.max(axis=1)
        assigned = largest > UNASSIGNED_TOLERANCE * max(float(self.weights.max()), np.finfo(float).tiny)
        return np.where(assigned, self.weights.argmax(axis=1), -1)


@dataclass(frozen=True)
class ThemeCode:
    """The stable identity of a fitted theme: its code, label, whether an analyst named it and the similarity of
    the match (None when unmatched)."""
    theme_code: str
    theme_label: str
    is_named: bool
    match_similarity: float | None


def _normalise(text: str) -> str:
    """Lower-cased text without redaction placeholders and apostrophes."""
    return APOSTROPHE.sub("", REDACTION_PLACEHOLDER.sub(" ", text)).lower()


def content_tokens(text: str) -> list[str]:
    """The tokens of ``text`` outside the stop words, in order."""
    return [t for t in re.findall(TOKEN_PATTERN, _normalise(text)) if t not in STOP_WORDS]


def stem(token: str) -> str:
    """A light suffix stripper (not Porter's): drop a plural -s (not of -ss, -us, -is), then -ing or -ed when at
    least three letters remain, then a final -e when three or more letters remain. So charge, charges and charged
    are one term (``charg``), as are crash, crashes and crashing, care, cared and caring, or refund and refunded;
    irregular forms (paid, pay) stay apart, and a few unrelated words meet (car and care)."""
    if token.endswith("s") and not token.endswith(("ss", "us", "is")) and len(token) >= 4:
        token = token[:-1]
    for suffix in ("ing", "ed"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            token = token[: -len(suffix)]
            break
    return token[:-1] if token.endswith("e") and len(token) >= 4 else token


def stemmed_tokens(text: str) -> list[str]:
    """The stems of the content tokens of ``text``, in order: the analyser of the term matrix (bigrams are built
    from adjacent stems)."""
    return [stem(t) for t in content_tokens(text)]


def surface_forms(texts: Iterable[str]) -> dict[str, str]:
    """The word each stem is shown as: its most frequent content token in ``texts`` (ties: alphabetical)."""
    counts: dict[str, dict[str, int]] = {}
    for text in texts:
        for token in content_tokens(text):
            forms = counts.setdefault(stem(token), {})
            forms[token] = forms.get(token, 0) + 1
    return {root: min(forms, key=lambda f: (-forms[f], f)) for root, forms in counts.items()}


def readable_terms(terms: Sequence[str], surface: Mapping[str, str]) -> tuple[str, ...]:
    """``terms`` (stems, unigrams or bigrams) with each stem shown as its word in ``surface``
    (:func:`surface_forms`)."""
    return tuple(" ".join(surface.get(part, part) for part in term.split()) for term in terms)


def prepare(texts: pd.Series, *, min_tokens: int) -> tuple[np.ndarray, pd.Series]:
    """(usable mask, reason) of each answer: ``empty`` for a null or blank answer, ``too_short`` for fewer than
    ``min_tokens`` content tokens, else ``usable``."""
    reasons = []
    for text in texts.tolist():
        if not isinstance(text, str) or not text.strip():
            reasons.append("empty")
        elif len(content_tokens(text)) < min_tokens:
            reasons.append("too_short")
        else:
            reasons.append("usable")
    reason = pd.Series(reasons, index=texts.index, dtype=object)
    return (reason == "usable").to_numpy(), reason


def _vectorizer(min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(tokenizer=stemmed_tokens, lowercase=False, token_pattern=None, ngram_range=(1, 2),
                           sublinear_tf=True, min_df=min_df, dtype=np.float64)


def _nmf_model(k: int, seed: int, max_iter: int) -> NMF:
    return NMF(n_components=k, init="nndsvda", solver="mu", beta_loss="kullback-leibler", random_state=seed,
               max_iter=max_iter, tol=1e-5)


def _nmf(x: Any, k: int, seed: int, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """(W, H) of NMF with the generalised Kullback-Leibler divergence (multiplicative updates, nndsvda
    initialisation; Lee and Seung 2001). On short comments KL suits the sparse counts better than the Frobenius
    loss, which splits a large theme before it separates a small one with a spread-out vocabulary (D30)."""
    model = _nmf_model(k, seed, max_iter)
    with warnings.catch_warnings():
        # a tiny refit may not converge within max_iter; the stability of that k then shows it
        warnings.simplefilter("ignore", ConvergenceWarning)
        w = model.fit_transform(x)
    return w, model.components_


def _nmf_weights(x: Any, h: np.ndarray, seed: int, max_iter: int) -> np.ndarray:
    """The answer weights W of ``x`` under fixed themes ``h`` (the same KL multiplicative updates, H not
    updated: scikit-learn's ``non_negative_factorization(update_H=False)``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        w, _, _ = non_negative_factorization(
            x, H=h, n_components=h.shape[0], init="custom", update_H=False, solver="mu", beta_loss="kullback-leibler",
            max_iter=max_iter, tol=1e-5, random_state=seed)
    return w


def _unit_rows(h: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(h, axis=1, keepdims=True)
    return h / np.where(norms > 0, norms, 1.0)


def matched_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Mean cosine similarity of the rows of ``a`` and ``b`` (themes x terms) after a one-to-one matching that
    maximises it (Hungarian)."""
    similarity = _unit_rows(a) @ _unit_rows(b).T
    rows, cols = linear_sum_assignment(similarity, maximize=True)
    return float(similarity[rows, cols].mean())


def _derived_seed(seed: int, k: int, sample: int) -> int:
    return int(np.random.SeedSequence([seed, k, sample]).generate_state(1)[0])


def stability(x: Any, k: int, *, seed: int, n_samples: int, max_iter: int,
              reference: np.ndarray | None = None) -> float:
    """Greene et al. (2014) stability of k themes: the mean Hungarian-matched cosine similarity between the
    reference themes (fitted on all answers) and themes refitted on ``n_samples`` random 80% samples."""
    if reference is None:
        reference = _nmf(x, k, seed, max_iter)[1]
    n = x.shape[0]
    size = int(round(SAMPLE_FRACTION * n))
    agreements = []
    for sample in range(n_samples):
        sample_seed = _derived_seed(seed, k, sample)
        rows = np.sort(np.random.default_rng(sample_seed).choice(n, size=size, replace=False))
        agreements.append(matched_similarity(reference, _nmf(x[rows], k, sample_seed, max_iter)[1]))
    return float(np.mean(agreements))


def choose_k(stabilities: dict[int, float], tolerance: float = 0.01) -> int | None:
    """The largest k whose stability is within ``tolerance`` of the highest (NaN ignored); with a tolerance of 0,
    the k of highest stability, the smaller k on a tie (within STABILITY_TIE)."""
    valid = {k: s for k, s in stabilities.items() if not np.isnan(s)}
    if not valid:
        return None
    best = max(valid.values())
    if tolerance <= 0:
        return min(k for k, s in valid.items() if s >= best - STABILITY_TIE)
    return max(k for k, s in valid.items() if s >= best - tolerance)


def top_terms_of(component: np.ndarray, terms: Sequence[str], n: int) -> tuple[str, ...]:
    """The ``n`` terms of largest weight (ties by term), only terms of positive weight."""
    order = sorted((i for i in range(len(terms)) if component[i] > 0), key=lambda i: (-component[i], terms[i]))
    return tuple(terms[i] for i in order[:n])


def default_label(top: Sequence[str]) -> str:
    """A readable label: the first three top terms that each add a word not already in the label, joined by
    `` / ``."""
    chosen: list[str] = []
    words: set[str] = set()
    for term in top:
        if set(term.split()) - words:
            chosen.append(term)
            words |= set(term.split())
        if len(chosen) == N_LABEL_TERMS:
            break
    return " / ".join(chosen)


def auto_code(top: Sequence[str]) -> str:
    """``auto_`` and the first 8 hex digits of the SHA-1 of the top 5 terms, sorted and joined by ``|``."""
    key = "|".join(sorted(top[:N_CODE_TERMS]))
    return "auto_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]


def fit_themes(texts: pd.Series, *, seed: int, k_candidates: Iterable[int] = range(3, 11), min_tokens: int = 3,
               min_answers: int = 30, min_df: int = 3, n_top_terms: int = 8, n_stability_samples: int = 20,
               stability_tolerance: float = 0.01, max_iter: int = 2000, max_fit_answers: int = 5000) -> ThemeModel:
    """Fit the themes of ``texts`` (one answer per row, any index): TF-IDF, NMF, the number of themes by
    stability (module docstring). Never raises on degenerate input: the model's status says why it has no
    themes.

    Above ``max_fit_answers`` usable answers the vocabulary, the themes and their stability are fitted on a
    seeded simple random sample of that many (in the canonical order), and every usable answer's weights are then
    solved under the fitted themes (:func:`_nmf_weights`): the cost of the stability refits stays bounded while
    every answer still gets its theme. At or below it, everything is fitted on all answers, as before."""
    usable, reason = prepare(texts, min_tokens=min_tokens)
    values = texts.tolist()
    n_tokens = tuple(len(content_tokens(t)) if isinstance(t, str) else 0 for t in values)
    base = dict(index=texts.index, reason=tuple(reason.tolist()), n_content_tokens=n_tokens, seed=seed)
    candidates = sorted({int(k) for k in k_candidates})
    positions = np.flatnonzero(usable)
    if len(positions) < max(min_answers, 1):
        return ThemeModel(status="too_few_answers", stability={k: np.nan for k in candidates}, **base)
    # canonical order: the fit never depends on the order of the input rows
    positions = np.array(sorted(positions, key=lambda i: (values[i], i)))
    fitted = positions
    if len(positions) > max_fit_answers:
        picked = np.random.default_rng(np.random.SeedSequence([seed, len(positions)])).choice(
            len(positions), size=max_fit_answers, replace=False)
        fitted = positions[np.sort(picked)]
    vectorizer = _vectorizer(min_df)
    try:
        x = vectorizer.fit_transform([values[i] for i in fitted])
    except ValueError:  # no term left after min_df
        return ThemeModel(status="too_few_terms", stability={k: np.nan for k in candidates}, **base)
    terms = tuple(vectorizer.get_feature_names_out().tolist())
    largest_k = min(int(round(SAMPLE_FRACTION * x.shape[0])), x.shape[1])
    stabilities: dict[int, float] = {}
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for k in candidates:
        if k < 1 or k > largest_k:
            stabilities[k] = np.nan
            continue
        fits[k] = _nmf(x, k, seed, max_iter)
        stabilities[k] = stability(x, k, seed=seed, n_samples=n_stability_samples, max_iter=max_iter,
                                   reference=fits[k][1])
    k = choose_k(stabilities, stability_tolerance)
    if k is None:
        return ThemeModel(status="too_few_terms", stability=stabilities, terms=terms, **base)
    w, h = fits[k]
    if len(fitted) < len(positions):
        w = _nmf_weights(vectorizer.transform([values[i] for i in positions]), h, seed, max_iter)
    norms = np.linalg.norm(h, axis=1)
    norms = np.where(norms > 0, norms, 1.0)
    h, w = h / norms[:, None], w * norms[None, :]
    tops = [top_terms_of(h[j], terms, n_top_terms) for j in range(k)]
    order = sorted(range(k), key=lambda j: (-float(w[:, j].sum()), tops[j]))
    h, w, tops = h[order], w[:, order], [tops[j] for j in order]
    weights = np.zeros((len(values), k))
    weights[positions] = w
    surface = surface_forms(values[i] for i in positions)
    return ThemeModel(status="ok", n_themes=k, stability=stabilities, terms=terms, components=h, weights=weights,
                      top_terms=tuple(tops), labels=tuple(default_label(readable_terms(t, surface)) for t in tops),
                      surface=surface, **base)


def _anchors(anchor_terms: Any) -> list[str]:
    """The distinct anchors of a pipe-separated cell, normalised and stemmed like the answers, stop words removed
    (sorted)."""
    if not isinstance(anchor_terms, str):
        return []
    anchors = {" ".join(stemmed_tokens(a)) for a in anchor_terms.split("|")}
    return sorted(a for a in anchors if a)


def anchor_similarity(model: ThemeModel, named: pd.DataFrame) -> np.ndarray:
    """Cosine similarity (themes x named rows) of each theme's term weights and each row's anchor indicator."""
    position = {term: i for i, term in enumerate(model.terms)}
    similarity = np.zeros((model.components.shape[0], len(named)))
    for j, cell in enumerate(named["anchor_terms"].tolist()):
        anchors = _anchors(cell)
        hits = [position[a] for a in anchors if a in position]
        if hits:
            # components rows have unit norm; the indicator has norm sqrt(number of anchors)
            similarity[:, j] = model.components[:, hits].sum(axis=1) / np.sqrt(len(anchors))
    return similarity


def assign_theme_codes(model: ThemeModel, named: pd.DataFrame | None = None, *,
                       min_anchor_similarity: float = 0.15) -> dict[int, ThemeCode]:
    """The code of each fitted theme (key: index into the model's themes): the analyst's ``theme_code`` and
    ``theme_name`` of the seed row it matches one-to-one above ``min_anchor_similarity``, else an ``auto_`` code and
    the default label. Seed rows sharing a code merge the themes matched to them."""
    if model.status != "ok":
        return {}
    seed = (named if named is not None else pd.DataFrame(columns=["theme_code", "theme_name", "anchor_terms"]))
    seed = seed.loc[seed["theme_code"].notna(), ["theme_code", "theme_name", "anchor_terms"]].astype(object)
    seed = seed.assign(theme_code=seed["theme_code"].astype(str)).fillna("")
    seed = seed.sort_values(["theme_code", "theme_name", "anchor_terms"], kind="mergesort").reset_index(drop=True)
    name_of_code = {c: (g["theme_name"].iloc[0] or c) for c, g in seed.groupby("theme_code", sort=True)}
    matched: dict[int, tuple[str, float]] = {}
    if len(seed):
        similarity = anchor_similarity(model, seed)
        for theme, row in zip(*linear_sum_assignment(similarity, maximize=True)):
            if similarity[theme, row] > min_anchor_similarity:
                matched[int(theme)] = (seed.at[row, "theme_code"], float(similarity[theme, row]))
    codes = {}
    for theme in range(model.components.shape[0]):
        if theme in matched:
            code, similarity_value = matched[theme]
            codes[theme] = ThemeCode(code, str(name_of_code[code]), True, similarity_value)
        else:
            top = model.top_terms[theme]
            codes[theme] = ThemeCode(auto_code(top), model.labels[theme], False, None)
    return codes


def theme_assignments(model: ThemeModel, codes: dict[int, ThemeCode] | None = None) -> pd.DataFrame:
    """One row per input answer (the input's index): ``theme_code``, ``theme_label``, ``theme_weight`` (the
    theme's share of the answer's weights), ``assignment_status`` and ``n_content_tokens``."""
    codes = assign_theme_codes(model) if codes is None else codes
    theme = model.theme_of_answer
    status = np.array(model.reason, dtype=object)
    usable = status == "usable"
    if model.status != "ok":
        status[usable] = model.status
    else:
        status[usable] = np.where(theme[usable] >= 0, "assigned", "unassigned")
    out = pd.DataFrame(index=model.index.copy())
    assigned = theme >= 0
    out["theme_code"] = pd.Series([codes[t].theme_code if t >= 0 else None for t in theme], index=out.index,
                                  dtype=object)
    out["theme_label"] = pd.Series([codes[t].theme_label if t >= 0 else None for t in theme], index=out.index,
                                   dtype=object)
    weight = np.full(len(theme), np.nan)
    if assigned.any():
        rows = model.weights[assigned]
        weight[assigned] = rows[np.arange(len(rows)), theme[assigned]] / rows.sum(axis=1)
    out["theme_weight"] = weight
    out["assignment_status"] = pd.Series(status, index=out.index, dtype=object)
    out["n_content_tokens"] = np.array(model.n_content_tokens, dtype=np.int64)
    return out


def status_counts(model: ThemeModel) -> pd.DataFrame:
    """The number of answers of every assignment status (zero rows included, in the order of
    ASSIGNMENT_STATUSES)."""
    counts = theme_assignments(model)["assignment_status"].value_counts()
    return pd.DataFrame({"assignment_status": list(ASSIGNMENT_STATUSES),
                         "n_answers": [int(counts.get(s, 0)) for s in ASSIGNMENT_STATUSES]})


def theme_summary(model: ThemeModel, codes: dict[int, ThemeCode] | None = None, *,
                  n_top_terms: int = 8) -> pd.DataFrame:
    """One row per theme code: label, top terms (of the merged themes' summed unit term vectors), whether an
    analyst named it, answers assigned, fitted themes merged into it, the match similarity (largest of the merged
    themes; null when unmatched), the chosen number of themes and its stability, status. Without themes, one row
    with a null code, the number of usable answers and the model's status."""
    if model.status != "ok":
        row = {"theme_code": None, "theme_label": None, "top_terms": None, "is_named": None,
               "n_answers": sum(r == "usable" for r in model.reason), "n_fitted_themes": 0,
               "match_similarity": np.nan, "n_themes": None, "stability": np.nan, "status": model.status}
        return _typed(pd.DataFrame([row], columns=SUMMARY_COLUMNS))
    codes = assign_theme_codes(model) if codes is None else codes
    theme = model.theme_of_answer
    rows = []
    for code in sorted({c.theme_code for c in codes.values()}):
        members = sorted(t for t, c in codes.items() if c.theme_code == code)
        first = codes[members[0]]
        if len(members) == 1:
            top = model.top_terms[members[0]][:n_top_terms]
        else:
            top = top_terms_of(model.components[members].sum(axis=0), model.terms, n_top_terms)
        similarities = [codes[t].match_similarity for t in members if codes[t].match_similarity is not None]
        rows.append({"theme_code": code, "theme_label": first.theme_label, "top_terms": ", ".join(model.readable(top)),
                     "is_named": first.is_named, "n_answers": int(np.isin(theme, members).sum()),
                     "n_fitted_themes": len(members),
                     "match_similarity": max(similarities) if similarities else np.nan,
                     "n_themes": model.n_themes, "stability": model.stability[model.n_themes], "status": "ok"})
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    out = out.sort_values(["n_answers", "theme_code"], ascending=[False, True], kind="mergesort")
    return _typed(out.reset_index(drop=True))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The summary's column types: integer counts (nullable), a nullable boolean, floats, strings as objects."""
    return frame.astype({"theme_code": object, "theme_label": object, "top_terms": object, "is_named": "boolean",
                         "n_answers": "int64", "n_fitted_themes": "int64", "match_similarity": "float64",
                         "n_themes": "Int64", "stability": "float64", "status": object})


def stability_table(model: ThemeModel) -> pd.DataFrame:
    """One row per candidate number of themes: ``n_themes``, ``stability``, ``is_chosen`` and status."""
    rows = []
    for k in sorted(model.stability):
        value = model.stability[k]
        if not np.isnan(value):
            status = "ok"
        elif model.status == "too_few_answers" or not model.terms:
            status = model.status
        else:
            status = "k_too_large"
        rows.append({"n_themes": k, "stability": value, "is_chosen": k == model.n_themes, "status": status})
    return pd.DataFrame(rows, columns=["n_themes", "stability", "is_chosen", "status"]).astype(
        {"n_themes": "int64", "stability": "float64", "is_chosen": bool, "status": object})
