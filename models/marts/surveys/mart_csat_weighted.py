"""CSAT weighted back to the interaction mix: mean CSAT and top-2-box share, overall and by channel, tough-moment
category, acknowledgment group, plan and period; naive beside weighted, jackknife replicate standard errors and 95%
t intervals (Taylor-linearised beside them), respondents and effective n (empathy/stats/survey_estimates.py)."""
from empathy.frames import sorted_frame
from empathy.stats.survey_estimates import estimate_table, replicate_matrix
from empathy.vocabulary import SURVEY_ESTIMATES, to_vocabulary


def model(dbt, session):
    weighted = sorted_frame(dbt.ref("fct_csat_pulse_weights"))
    replicates = replicate_matrix(weighted, sorted_frame(dbt.ref("fct_csat_pulse_replicate_weights")))
    table = estimate_table(
        weighted,
        metrics=[("csat_mean", "csat", "mean"), ("csat_top2_share", "is_csat_top2", "proportion")],
        groupings=["channel", "tough_moment_category", "exposure_group", "plan", "period"],
        replicates=replicates,
    )
    return to_vocabulary(table, SURVEY_ESTIMATES)
