"""Delete-a-group jackknife replicate weights of the answered relationship-NPS invitations: one row per answer and
replicate (var replicate_groups), each replicate re-running the whole weighting (response model, raking within
waves, trimming) with one group of customers left out of the frame (empathy/stats/replicates.py). Empty with no
usable answer or replicate_groups = 0."""
import json

from empathy.frames import sorted_frame, written_in_chunks
from empathy.stats.survey_estimates import (
    WeightingPlan,
    empty_replicates,
    nps_replicate_weights,
    replicate_long_chunks,
)

COLUMNS = ["invitation_id", "replicate_id", "replicate_weight"]


def model(dbt, session):
    frame = sorted_frame(dbt.ref("int_nps_frame_members_described"))
    respondents = sorted_frame(dbt.ref("fct_relationship_nps_weights"))
    plan = WeightingPlan.from_config(json.loads(dbt.config.get("weighting_plan")))
    n_groups = int(dbt.config.get("replicate_groups"))
    if respondents.empty or n_groups < 2:
        return empty_replicates()
    matrix, _ = nps_replicate_weights(frame, plan, respondents, n_groups)
    # written a block of respondents at a time: tens of millions of rows at a million customers (D40)
    return written_in_chunks(session, "fct_relationship_nps_replicate_weights",
                             (rows[COLUMNS] for rows in replicate_long_chunks(respondents, matrix)))
