"""The economics of empathy: expected recurring revenue per customer over a horizon (restricted mean survival time
x MRR) for customers whose first contact was empathetic against those whose was not, standardised over plan and
segment, the difference, and the yearly value of a one-point rise in empathetic first contacts
(empathy/stats/economics.py; D28; only the weeks holding the origins reach pandas, D40)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.economics import EconomicsSettings, economics_table, mrr_at, weeks_at_origins
from empathy.vocabulary import to_vocabulary

COLUMNS = ["metric", "exposure_group", "horizon_days", "estimate", "std_error", "ci_lower", "ci_upper", "rmst_days",
           "mrr_assumed", "group_mean_mrr", "share_change", "n_customers", "n_strata", "assumptions", "status"]


def model(dbt, session):
    settings = EconomicsSettings.from_config(json.loads(dbt.config.get("economics_settings")))
    lifelines = sorted_frame(dbt.ref("int_lifelines_assembled"))
    weeks = weeks_at_origins(dbt.ref("int_customer_weeks_signalled"), lifelines, session)
    mrr = mrr_at(lifelines["origin_at"], lifelines["customer_key"], weeks)
    table = economics_table(lifelines, mrr, dbt.config.get("exposure_name"), settings)
    return to_vocabulary(table, {}, columns=COLUMNS)
