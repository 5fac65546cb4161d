"""Every customer segment of a usable transcript with a sentiment score: the vendor's where the source supplies
one, else the VADER lexicon's on the redacted text (empathy/sentiment.py; D29). Both scores are kept, so their
agreement can be checked where both exist."""
from empathy.frames import sorted_frame
from empathy.sentiment import fill_sentiment


def model(dbt, session):
    segments = sorted_frame(
        dbt.ref("consented_transcript_segments").filter("speaker = 'customer'"),
        ["interaction_key", "segment_index", "text_redacted", "sentiment"])
    return fill_sentiment(segments)
