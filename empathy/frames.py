"""The one way dbt Python models read a relation into pandas: sorted, so the same table always gives the same frame.

DuckDB returns rows in whatever order its threads finish. Floating-point sums depend on the order of their terms,
so a statistic fitted on an unsorted frame can differ in the last digits from one build to the next (and a
Newton-Raphson fit or a raking loop can amplify that to the third digit). Sorting by every column (`ORDER BY ALL`)
makes the frame, and therefore every estimate, a function of the table's content alone.
"""
from __future__ import annotations

import pandas as pd


def sorted_frame(relation, columns: list[str] | None = None) -> pd.DataFrame:
    """The relation (a DuckDB relation, as `dbt.ref()` returns it) as a DataFrame in a deterministic row order.

    `columns`: keep only these (projection happens in DuckDB, before rows reach pandas).
    """
    if columns:
        relation = relation.project(", ".join(f'"{c}"' for c in columns))
    return relation.order("all").df()
