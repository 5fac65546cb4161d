"""The lexicon's gaps: per behaviour, agent n-grams (2-4 words of redacted text) over-represented in interactions
where QA reviewers saw the behaviour and the lexicon did not, against interactions where reviewers did not see it;
counts, shares and lift, listed only when said to at least var lexicon_candidate_min_customers customers
(empathy/stats/detection.py). Read the candidates, add a row to the empathy_phrase_patterns seed, rebuild, and
watch recall in mart_detection_quality."""
import pandas as pd

from empathy.detector_models import agent_turns_of
from empathy.frames import sorted_frame, with_keys_in
from empathy.stats.detection import AGENT_COLUMNS, agent_documents, agent_segments, candidate_phrases

COLUMNS = ["behavior_code", "phrase_rank", "phrase", "n_interactions_missed", "n_customers_missed",
           "n_interactions_negative", "share_of_missed", "share_of_negative", "lift", "status"]


def model(dbt, session):
    behaviors = sorted_frame(dbt.ref("empathy_behaviors")).sort_values(["display_order", "behavior_code"])
    judged = dbt.ref("int_interaction_behaviors_observed").filter(
        "is_present_in_qa_adjusted is not null and is_detected_by_lexicon is not null")
    # at most var lexicon_candidate_max_interactions reviewed interactions, the same ones every build (by an md5 of
    # the key, in the engine): the n-gram counts of every reviewed transcript do not fit in memory at scale
    reviewed = judged.project("interaction_key").distinct().order("md5(interaction_key), interaction_key").limit(
        int(dbt.config.get("max_interactions")))
    observed = sorted_frame(with_keys_in(judged, reviewed),
                            ["interaction_key", "behavior_code", "is_present_in_qa_adjusted", "is_detected_by_lexicon"])
    transcripts = dbt.ref("consented_transcript_segments")
    # only the reviewed interactions' agent turns reach pandas (filtered in the engine, not after reading them all)
    segments = agent_segments(sorted_frame(agent_turns_of(transcripts, reviewed), AGENT_COLUMNS))
    customers = segments.drop_duplicates("interaction_key").set_index("interaction_key")["customer_key"]
    docs = agent_documents(segments)
    min_customers = int(dbt.config.get("min_customers"))
    frames = []
    for behavior in behaviors["behavior_code"]:
        b = observed[observed["behavior_code"] == behavior]
        verdict = b["is_present_in_qa_adjusted"].astype(bool)
        lexicon = b["is_detected_by_lexicon"].astype(bool)
        missed = set(b.loc[verdict & ~lexicon, "interaction_key"])
        negatives = set(b.loc[~verdict, "interaction_key"])
        found = candidate_phrases(docs, missed, negatives, customers, min_customers=min_customers)
        if len(found):
            found.insert(0, "phrase_rank", range(1, len(found) + 1))
            found["status"] = "ok"
        else:
            status = "no_missed_interactions" if not missed else "no_phrase_shared_by_enough_customers"
            found = pd.DataFrame([{"phrase_rank": None, "phrase": None, "status": status}])
        found.insert(0, "behavior_code", behavior)
        frames.append(found)
    table = pd.concat(frames, ignore_index=True).reindex(columns=COLUMNS)
    for c in ("phrase_rank", "n_interactions_missed", "n_customers_missed", "n_interactions_negative"):
        table[c] = table[c].astype("Int64")
    return table
