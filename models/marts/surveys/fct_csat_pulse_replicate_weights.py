"""Delete-a-group jackknife replicate weights of the answered CSAT pulses: one row per answered pulse and replicate
(var replicate_groups), each replicate re-running the whole weighting with one group of customers left out
(empathy/stats/replicates.py). Sum replicate_weight x value per replicate to get any estimate's replicate
variance; empty with no usable response or replicate_groups = 0."""
import json

from empathy.frames import sorted_frame, written_in_chunks
from empathy.stats.survey_estimates import (
    WeightingPlan,
    csat_replicate_weights,
    empty_replicates,
    replicate_long_chunks,
)

COLUMNS = ["invitation_id", "replicate_id", "replicate_weight"]


def model(dbt, session):
    invitations = dbt.ref("int_survey_invitations_joined_to_cells")
    margins = sorted_frame(dbt.ref("int_pulse_margins_counted"))
    respondents = sorted_frame(dbt.ref("fct_csat_pulse_weights"))
    plan = WeightingPlan.from_config(json.loads(dbt.config.get("weighting_plan")))
    n_groups = int(dbt.config.get("replicate_groups"))
    pulses = sorted_frame(invitations.filter("survey_type = 'csat_pulse'"))  # filtered in the engine
    if respondents.empty or n_groups < 2:
        return empty_replicates()
    matrix, _ = csat_replicate_weights(pulses, margins, plan, respondents, n_groups)
    # written a block of respondents at a time: tens of millions of rows at a million customers (D40)
    return written_in_chunks(session, "fct_csat_pulse_replicate_weights",
                             (rows[COLUMNS] for rows in replicate_long_chunks(respondents, matrix)))
