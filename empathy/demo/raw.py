"""Raw-delivery building blocks of the demo generator: load times, messy identifier formats and the RawTable
container (columns plus part-file assignments)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import spec as S
from .util import DAY, HOUR, MINUTE, cat, ids, labels, ts_array, zpad
from .world import World

TABLE_MINUTE = {t: i * 3 for i, t in enumerate(S.CONTRACT)}


def iso(sec: int) -> str:
    return str(np.datetime64(int(sec), "s")) + "Z"


def load_time(sec, table: str):
    sec = np.asarray(sec, dtype=np.int64)
    lt = (sec // DAY) * DAY + DAY + 2 * HOUR + TABLE_MINUTE[table] * MINUTE
    return np.maximum(np.minimum(lt, S.CAP), np.minimum(sec, S.CAP))


def later_load(rng, loaded, table):
    """A re-delivery load strictly after `loaded` (callers pick rows with room before CAP)."""
    return np.minimum(loaded + rng.integers(1, 4, len(loaded)) * DAY + 3 * HOUR, S.CAP)


# ------------------------------------------------------------------ raw identifier formats
def account_ids(w: World, cust) -> pa.Array:
    """account_id of the world's customers ``cust`` (indexes within the world's chunk of customers)."""
    return ids("A", w.first + np.asarray(cust, dtype=np.int64) + 1, 6)


def email_strings(w: World, cust) -> pa.Array:
    first = labels(S.FIRST_NAMES, w.first_i[cust])
    last = labels(S.LAST_NAMES, w.last_i[cust])
    return cat(first, ".", last, zpad(w.first + np.asarray(cust, dtype=np.int64) + 1, 1), "@example.com")


def messy_email(rng, clean: pa.Array) -> pa.Array:
    n = len(clean)
    case = rng.integers(0, 4, n)  # lower, UPPER, Title, lower
    v = pc.if_else(pa.array(case == 1), pc.utf8_upper(clean),
                   pc.if_else(pa.array(case == 2), pc.utf8_title(clean), clean))
    pad = rng.integers(0, 5, n)  # none, lead, trail, both, none
    v = pc.if_else(pa.array(pad == 1), cat("  ", v), v)
    v = pc.if_else(pa.array(pad == 2), cat(v, " "), v)
    v = pc.if_else(pa.array(pad == 3), cat(" ", v, "  "), v)
    return v


def messy_phone(rng, digits) -> pa.Array:
    digits = np.asarray(digits, dtype=np.int64)
    n = len(digits)
    a = zpad(digits // 10_000_000, 3)
    e = zpad((digits // 10_000) % 1000, 3)
    l_ = zpad(digits % 10_000, 4)
    fmts = [cat("+1 (", a, ") ", e, "-", l_), cat(a, ".", e, ".", l_), cat("1", a, e, l_),
            cat(a, "-", e, "-", l_), cat("(", a, ") ", e, "-", l_), cat("+1", a, e, l_)]
    k = pa.array(rng.integers(0, len(fmts), n))
    return pc.choose(k, *fmts)


def card_numbers(rng, n) -> pa.Array:
    groups = [zpad(rng.integers(0, 10_000, n), 4) for _ in range(4)]
    groups[0] = cat("4", zpad(rng.integers(0, 1000, n), 3))
    sp = cat(groups[0], " ", groups[1], " ", groups[2], " ", groups[3])
    da = cat(groups[0], "-", groups[1], "-", groups[2], "-", groups[3])
    return pc.if_else(pa.array(rng.random(n) < 0.5), sp, da)


# ------------------------------------------------------------------ table container
class RawTable:
    """Columns (pyarrow arrays, or ('ts', seconds, null-mask)) plus part assignments."""

    def __init__(self, name: str, cols: dict):
        self.name = name
        self.cols = cols
        self.parts: list[tuple[np.ndarray, str]] = []

    def __len__(self):
        c = next(iter(self.cols.values()))
        return len(c[1]) if isinstance(c, tuple) else len(c)

    def write(self, out: Path, rng, prefix: str = "part-", skip_empty: bool = False) -> list[str]:
        """Write the parts as <out>/<table>/<prefix><i:04d>.parquet (streaming chunks name their own prefix and may
        have empty parts, which are then not written)."""
        d = out / self.name
        d.mkdir(parents=True, exist_ok=True)
        files = []
        for i, (idx, style) in enumerate(self.parts):
            idx = np.asarray(idx, dtype=np.int64)
            if skip_empty and len(idx) == 0:
                continue
            arrays, names = [], []
            ia = pa.array(idx)
            for col, typ in S.CONTRACT[self.name]:
                v = self.cols[col]
                if isinstance(v, tuple):
                    sec, null = v[1], v[2]
                    arr = ts_array(sec[idx], None if null is None else null[idx], style, rng)
                else:
                    arr = v.take(ia)
                arrays.append(arr)
                names.append(col)
            fn = d / f"{prefix}{i:04d}.parquet"
            pq.write_table(pa.Table.from_arrays(arrays, names=names), fn, compression="zstd")
            files.append(fn.name)
        return files


def at_least_one(sel, ok):
    """Guarantee a non-empty re-delivery set (small datasets) from eligible rows."""
    sel = np.asarray(sel, dtype=np.int64)
    if len(sel) == 0:
        cand = np.nonzero(ok)[0]
        sel = cand[:1]
    return sel


def tscol(sec, null=None):
    return ("ts", np.asarray(sec, dtype=np.int64), None if null is None else np.asarray(null, bool))


def sarr(x):
    return pa.array(x)
