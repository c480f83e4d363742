"""china-2019 reproduces the published magnitudes within the stated tolerances."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from simulation import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "china-2019.toml"
TABLE = ROOT / "calibration" / "output" / "comparison.csv"
# Targets the calibrated model misses, with the reason (docs/validation.md, section 3). The test
# asserts they are still missed, so a model change that fixes one must update this list.
KNOWN_MISSES = {
    "stock_per_capita": "listed unable debtors are wrongful at source and removed by appeals, and "
                        "payment is a constant hazard: mean time listed ~1.4 years vs 3.4 on record",
}


def calibrate_module():
    sys.path.insert(0, str(ROOT / "calibration"))
    try:
        import calibrate
    finally:
        sys.path.pop(0)
    return calibrate


def test_scenario_opens_with_its_question_and_loads():
    first = SCENARIO.read_text().splitlines()[0]
    assert first.startswith("# ") and first.rstrip().endswith("?")
    s = load_scenario(SCENARIO)
    assert s.population.individuals == 200_000
    assert s.days >= s.courts.listing_term_days + 365  # warm-up: one term, then a measured year


def test_committed_comparison_hits_every_target():
    rows = list(csv.DictReader(TABLE.open()))
    cal = calibrate_module()
    assert {r["key"] for r in rows} == set(cal.TARGET)
    for r in rows:
        assert (r["within_band"] == "True") == (r["key"] not in KNOWN_MISSES), r


@pytest.mark.slow
def test_china_2019_hits_targets_when_rerun():
    """Reruns the calibrated scenario (one seed, ~30 s) and checks every target band."""
    cal = calibrate_module()
    measures, _ = cal.run_once(({}, cal.SEEDS[0]))
    missed = {k: measures[k] for k, t in cal.TARGET.items() if not t.low <= measures[k] <= t.high}
    assert set(missed) == set(KNOWN_MISSES), missed
