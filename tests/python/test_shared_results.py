"""Results shared by marts of one computation (empathy/shared_results.py): computed once per content and settings,
waited for by a second caller, recomputed when the content or the settings differ."""
from __future__ import annotations

import threading
import time

import pandas as pd

from empathy import shared_results
from empathy.shared_results import computed_once, frame_digest


def test_computed_once_per_content_and_settings():
    calls = []

    def compute(tag):
        calls.append(tag)
        return {"tag": tag}

    frame = pd.DataFrame({"team": ["a", "b"], "x": [1.0, 2.0]})
    first = computed_once("unit_test_a", frame, ("s", 1), lambda: compute(1))
    again = computed_once("unit_test_a", frame.copy(), ("s", 1), lambda: compute(2))  # equal content: stored result
    assert first is again and calls == [1]
    computed_once("unit_test_a", frame.assign(x=[1.0, 2.5]), ("s", 1), lambda: compute(3))  # other content
    computed_once("unit_test_a", frame, ("s", 2), lambda: compute(4))  # other settings
    computed_once("unit_test_b", frame, ("s", 1), lambda: compute(5))  # another computation
    assert calls == [1, 3, 4, 5]


def test_a_second_caller_waits_for_the_first():
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return object()

    frame = pd.DataFrame({"x": [1, 2, 3]})
    results = []
    threads = [threading.Thread(target=lambda: results.append(computed_once("unit_test_slow", frame, None, slow)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and results[0] is results[1]


def test_digest_follows_content_names_and_types_not_the_index():
    frame = pd.DataFrame({"x": [1, 2]})
    assert frame_digest(frame) == frame_digest(frame.set_axis([5, 6]))
    assert frame_digest(frame) != frame_digest(frame.rename(columns={"x": "y"}))
    assert frame_digest(frame) != frame_digest(frame.astype(float))
    assert frame_digest(frame) != frame_digest(pd.DataFrame({"x": [2, 1]}))


def test_old_results_are_dropped_beyond_the_cap():
    for i in range(shared_results.MAX_RESULTS + 3):
        computed_once("unit_test_cap", pd.DataFrame({"x": [i]}), None, lambda: i)
    assert len(shared_results._RESULTS) <= shared_results.MAX_RESULTS
