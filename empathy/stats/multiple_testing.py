"""Adjusted p-values for a family of tests, nulls left out of the family.

- Holm's step-down procedure controls the family-wise error rate (Holm 1979, "A simple sequentially rejective
  multiple test procedure", Scandinavian Journal of Statistics 6(2)).
- Benjamini-Hochberg's step-up procedure controls the false discovery rate (Benjamini & Hochberg 1995,
  "Controlling the false discovery rate", JRSS B 57(1)).

Both equal statsmodels' ``multipletests`` (methods ``holm`` and ``fdr_bh``) on the same p-values (tests).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def holm_adjusted(p_values: pd.Series) -> pd.Series:
    """Holm-adjusted p-values: sorted ascending, the i-th (from 0) of m is multiplied by m − i, made monotone
    non-decreasing, capped at 1."""
    present = p_values.dropna().sort_values(kind="stable")
    m = len(present)
    adjusted = np.maximum.accumulate([(m - i) * p for i, p in enumerate(present.to_numpy())]) if m else []
    return pd.Series(np.minimum(adjusted, 1.0), index=present.index).reindex(p_values.index)


def bh_adjusted(p_values: pd.Series) -> pd.Series:
    """Benjamini-Hochberg-adjusted p-values: sorted ascending, the i-th (from 1) of m is multiplied by m / i, made
    monotone non-increasing from the largest down, capped at 1."""
    present = p_values.dropna().sort_values(kind="stable")
    m = len(present)
    if not m:
        return pd.Series(np.nan, index=p_values.index)
    scaled = present.to_numpy() * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    return pd.Series(np.minimum(adjusted, 1.0), index=present.index).reindex(p_values.index)
