"""The product and policy feed: tough-moment categories, contact reasons and products where even full empathy
leaves CSAT top-2 or 90-day churn credibly worse than elsewhere, ranked by the customers and revenue they touch
(empathy/stats/product_signals.py; decisions: docs/decisions.md D31)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.product_signals import COLUMNS, SignalSettings, product_policy_signals
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    settings = SignalSettings.from_config(json.loads(dbt.config.get("coaching_settings")))
    segments = sorted_frame(dbt.ref("int_segments_counted_for_signals"))
    return to_vocabulary(product_policy_signals(segments, settings), {}, columns=COLUMNS)
