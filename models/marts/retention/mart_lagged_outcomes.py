"""Lagged outcomes by exposure (var exposure: exposed or not), lag windows declared once (var
lag_windows_days): next relationship NPS within `next_month_nps` days and the renewal decision within
`next_quarter_renewal` days; unweighted, standard errors clustered by customer (empathy/stats/survey_estimates.py)."""
from empathy.frames import key_ordered_frame
from empathy.stats.survey_estimates import lagged_outcome_estimates


def model(dbt, session):
    exposed = dbt.config.get("exposure_name")
    # every column but the interaction key, in the key's order (D40)
    rows = key_ordered_frame(dbt.ref("int_interactions_joined_to_lagged_outcomes"), [
        "customer_key", "outcome", "lag_window_days", "exposure_group", "nps_category", "is_renewed"],
        ["interaction_key", "outcome"])
    return lagged_outcome_estimates(rows, [exposed, f"not_{exposed}"])
