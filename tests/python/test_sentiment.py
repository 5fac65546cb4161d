"""The sentiment fallback (empathy/sentiment.py): VADER's published examples (the vaderSentiment README's sample
output, Hutto and Gilbert 2014), and the fill rule on customer turns written here in support phrasing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from empathy.sentiment import SOURCES, fill_sentiment, lexicon_sentiment

#: compound scores printed in the vaderSentiment README for these sentences
PUBLISHED = {
    "VADER is smart, handsome, and funny.": 0.8316,
    "VADER is not smart, handsome, nor funny.": -0.7424,
    "The book was good.": 0.4404,
    "At least it isn't a horrible book.": 0.431,
    "Today SUX!": -0.5461,
}


def test_lexicon_scores_are_the_published_ones() -> None:
    scores = lexicon_sentiment(pd.Series(list(PUBLISHED)))
    assert scores == pytest.approx(list(PUBLISHED.values()), abs=1e-4)


def test_vendor_score_wins_and_the_lexicon_fills_the_rest() -> None:
    segments = pd.DataFrame({
        "interaction_key": ["a", "a", "b", "b", "c"],
        "segment_index": [0, 2, 0, 1, 0],
        "text_redacted": ["This is the third time I've called and nobody has fixed it, I'm furious.",
                          "Thanks, that's great, really appreciate it!", "This has been a terrible experience and I want to cancel.",
                          "Okay.", ""],
        "sentiment": [0.1, None, None, None, None],
    })
    out = fill_sentiment(segments)
    assert list(out["sentiment_source"]) == ["vendor", "lexicon", "lexicon", "lexicon", None]
    assert out.loc[0, "sentiment"] == 0.1 and out.loc[0, "lexicon_sentiment"] < -0.3
    assert out.loc[1, "sentiment"] > 0.5 and out.loc[2, "sentiment"] < -0.3
    assert abs(out.loc[3, "sentiment"]) < 0.5  # a bare "Okay." is near neutral
    assert np.isnan(out.loc[4, "sentiment"])
    assert set(out["sentiment_source"].dropna()) <= set(SOURCES)
