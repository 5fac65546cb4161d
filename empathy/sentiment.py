"""Customer sentiment where the conversation-analytics vendor supplied none (issue 12, D29).

The raw contract's `transcript_segments.sentiment` (-1..1) comes from a vendor "where one is used"; sources without
one would leave the risk model's sentiment signal empty. The fallback is VADER (Hutto and Gilbert 2014, "VADER: A
Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text", ICWSM), a lexicon and rules that ship
inside the vaderSentiment package (no download at run time). Its compound score is a normalised sum of valences in
-1..1, the vendor's scale; it reads the redacted text, so no personal data is scored. A test checks the published
examples of the package's documentation.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

#: sentiment_source values (documented in the model's YAML)
SOURCES = ("vendor", "lexicon")


def lexicon_sentiment(texts: pd.Series) -> np.ndarray:
    """VADER's compound score (-1..1) of each text; NaN for a missing or empty text."""
    analyzer = SentimentIntensityAnalyzer()
    out = np.full(len(texts), np.nan)
    for i, text in enumerate(texts.tolist()):
        if isinstance(text, str) and text.strip():
            out[i] = analyzer.polarity_scores(text)["compound"]
    return out


def fill_sentiment(segments: pd.DataFrame) -> pd.DataFrame:
    """Per customer segment (interaction_key, segment_index, text_redacted, sentiment): the vendor's score, the
    lexicon's score, and the score used (the vendor's where supplied, else the lexicon's) with its source."""
    out = segments[["interaction_key", "segment_index"]].copy()
    out["vendor_sentiment"] = segments["sentiment"].astype(float).to_numpy()
    out["lexicon_sentiment"] = lexicon_sentiment(segments["text_redacted"])
    has_vendor = out["vendor_sentiment"].notna()
    out["sentiment"] = out["vendor_sentiment"].where(has_vendor, out["lexicon_sentiment"])
    out["sentiment_source"] = pd.Series(np.where(has_vendor, "vendor", np.where(
        out["lexicon_sentiment"].notna(), "lexicon", None)), index=out.index, dtype=object)
    return out
