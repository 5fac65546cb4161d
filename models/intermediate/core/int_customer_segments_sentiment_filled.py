"""Every customer segment of a usable transcript with a sentiment score: the vendor's where the source supplies
one, else the VADER lexicon's on the redacted text (empathy/sentiment.py; D29). Both scores are kept, so their
agreement can be checked where both exist. The segments cross into pandas a chunk of whole interactions at a time
(var sentiment_chunk_segments) and each chunk's scores are written before the next is read, so memory stays
bounded at tens of millions of segments. Incremental (D41): the pre-hook deletes the refresh scope
(identity_interactions_changed), and only the interactions without stored scores are scored."""
from empathy.frames import keys_to_refresh, sorted_chunks, written_in_chunks
from empathy.sentiment import fill_sentiment

COLUMNS = ["interaction_key", "segment_index", "text_redacted", "sentiment"]


def model(dbt, session):
    segments = dbt.ref("consented_transcript_segments")
    customer = segments.filter("speaker = 'customer'")
    if dbt.is_incremental:
        keys = keys_to_refresh(session, dbt.ref("consented_interactions"), dbt.this, True)
        customer = customer.join(keys, "interaction_key", how="semi")
    max_rows = int(dbt.config.get("chunk_segments"))
    return written_in_chunks(session, "int_customer_segments_sentiment_filled",
                             (fill_sentiment(part) for part in sorted_chunks(customer, COLUMNS, "interaction_key",
                                                                             max_rows)))
