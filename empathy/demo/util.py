"""Small helpers for the demo-data generator (vectorised numpy / pyarrow)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400
HOUR = 3_600
MINUTE = 60


def T(s: str) -> int:
    """ISO date/datetime (UTC) -> epoch seconds."""
    return int(np.datetime64(s, "s").astype(np.int64))


def sub_rng(seed: int, stage: int) -> np.random.Generator:
    """An independent, deterministic generator per stage."""
    return np.random.default_rng([seed, stage])


def chunk_rng(seed: int, stage: int, chunk: int) -> np.random.Generator:
    """The stage's generator for one chunk of customers in streaming mode: chunk 0 draws from the stage's own stream
    (sub_rng), so a single chunk holding every customer draws exactly what the in-memory generator draws; every
    later chunk has an independent stream of its own."""
    return sub_rng(seed, stage) if chunk == 0 else np.random.default_rng([seed, stage, chunk])


def pick(rng, n, p):
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def cond_pick(rng, groups, P):
    """Row-wise categorical draw: row i uses probabilities P[groups[i]]."""
    P = np.asarray(P, dtype=float)
    cum = np.cumsum(P, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(groups))
    out = np.zeros(len(groups), dtype=np.int64)
    for k in range(P.shape[1] - 1):
        out += u > cum[groups, k]
    return out


def labels(values, idx) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def zpad(x, width) -> pa.Array:
    return pc.utf8_lpad(pa.array(np.asarray(x, dtype=np.int64)).cast(pa.string()), width, padding="0")


def cat(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def ids(prefix: str, nums, width) -> pa.Array:
    return cat(prefix, zpad(nums, width))


def with_nulls(arr: pa.Array, null_mask) -> pa.Array:
    if null_mask is None or not np.any(null_mask):
        return arr
    return pc.if_else(pa.array(np.asarray(null_mask, dtype=bool)), pa.nulls(len(arr), arr.type), arr)


def day_floor(sec):
    return (np.asarray(sec) // DAY) * DAY


def group_starts(counts):
    """For repeat-expanded rows, the within-group position 0..k-1."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


ISO_OFFSETS_MIN = np.array([-480, -420, -300, -240, 0, 60, 120, 330, 540, 600])


def _offset_suffix(mins):
    out = []
    for m in mins:
        sign = "+" if m >= 0 else "-"
        a = abs(int(m))
        out.append(f"{sign}{a // 60:02d}:{a % 60:02d}")
    return out


ISO_SUFFIX = _offset_suffix(ISO_OFFSETS_MIN)


def ts_array(sec, null, style: str, rng=None) -> pa.Array:
    """Epoch seconds -> timestamp column in one of the delivery styles.

    style: 'utc' (tz-aware UTC), 'naive' (no tz, meaning UTC) or 'iso'
    (ISO-8601 string with a random UTC offset, same instant).
    """
    sec = np.asarray(sec, dtype=np.int64)
    null = None if null is None else np.asarray(null, dtype=bool)
    if style in ("utc", "naive"):
        typ = pa.timestamp("us", tz="UTC") if style == "utc" else pa.timestamp("us")
        return pa.array(sec * 1_000_000, type=typ, mask=null)
    if style == "iso":
        k = rng.integers(0, len(ISO_OFFSETS_MIN), len(sec))
        local = sec + ISO_OFFSETS_MIN[k] * 60
        base = pa.array(np.datetime_as_string(local.astype("datetime64[s]"), unit="s"))
        out = cat(base, labels(ISO_SUFFIX, k))
        return with_nulls(out, null)
    raise ValueError(style)
