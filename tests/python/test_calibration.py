"""The calibration study (`make calibrate`, empathy/calibration.py) run small: three data sets of 1,000 customers
with different response mechanisms, each built by the warehouse. The report and its CSV are written, and the
weighted estimates' intervals contain the planted population value in at least two of the three data sets."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from empathy.calibration import ESTIMATES, FIXABLE, main


def test_calibration_study_runs_and_covers_the_planted_values(tmp_path: Path) -> None:
    out = tmp_path / "calibration.md"
    assert main(["--datasets", "3", "--answer-itself", "0", "--customers", "1000", "--work", str(tmp_path / "work"),
                 "--out", str(out)]) == 0
    report = out.read_text()
    assert "| estimate | method |" in report and "(not run: `--answer-itself 0`)" in report
    runs = pd.read_csv(out.with_suffix(".csv"))
    assert set(runs["mechanism"]) == set(FIXABLE)  # three data sets, one per fixable mechanism
    after = runs[runs["method"] == "after"]
    assert len(after) == 3 * len(ESTIMATES)
    for estimate, rows in after.groupby("estimate_name"):
        assert rows["is_covered"].sum() >= 2, (estimate, rows[["population_value", "ci_lower", "ci_upper"]])
        assert (rows["ci_upper"] > rows["ci_lower"]).all()
    # the naive estimate is there to compare with, and the study knows the population value of every row
    assert runs["population_value"].notna().all() and (runs["method"] == "naive").sum() == 3 * len(ESTIMATES)
