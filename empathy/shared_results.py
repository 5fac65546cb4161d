"""Results that several dbt Python models of one build share: computed once per dbt process, not once per model.

dbt-duckdb runs every Python model in the dbt process (one thread per dbt thread). Some marts are views of one
computation: the difference-in-differences group-time, event-study and summary tables come from the same
Callaway-Sant'Anna fits, and the synthetic control's summary, weights and path from the same fits and placebos.
Each mart still reads its inputs and calls the computation; :func:`computed_once` returns the result of an
earlier call with equal inputs (the same frame content, the same settings) instead of computing again. A second
model asking while the first computes waits for it. The computations are deterministic, so a mart gets what its
own call would have computed (tests).
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")

_RESULTS: dict[str, Any] = {}
_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()
#: Results kept per process (the oldest dropped first): a build has a few such computations.
MAX_RESULTS = 8


def frame_digest(frame: pd.DataFrame) -> str:
    """A digest of a frame's content, column names and types (not its index)."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def computed_once(name: str, frame: pd.DataFrame, settings: Any, compute: Callable[[], T]) -> T:
    """``compute()`` the first time ``name`` is asked for with this frame content and these settings (their
    ``repr``) in this process, the stored result afterwards. Treat the result as read-only (copy before changing)."""
    key = f"{name}:{frame_digest(frame)}:{hashlib.sha256(repr(settings).encode()).hexdigest()}"
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key not in _RESULTS:
            result = compute()
            with _GUARD:
                while len(_RESULTS) >= MAX_RESULTS:
                    _RESULTS.pop(next(iter(_RESULTS)))
                _RESULTS[key] = result
        return _RESULTS[key]
