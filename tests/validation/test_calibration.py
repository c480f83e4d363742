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
# asserts they are still missed, so a model change that fixes one must update this list. Empty
# since behaviour.never_comply_share: the stock (missed before at 0.24%) is now hit.
KNOWN_MISSES: dict[str, str] = {}
# The record's mean time listed, by Little's law: 8.3 M listed / 2.457 M added a year = 3.4 years.
# Tolerance: +/-25% (2.5-4.2 years), about the spread of the published stocks (5.7-8.6 M).
MEAN_TIME_LISTED_YEARS = 8.3 / 2.457
MEAN_TIME_TOLERANCE = 0.25


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


def test_stock_and_mean_time_listed_are_reproduced():
    """The stock (3-seed mean) is in the published band, 5.7-8.6 M per 1.4 bn, and the mean time
    listed (stock / additions a year) is within 25% of the record's 3.4 years."""
    rows = {r["key"]: r for r in csv.DictReader(TABLE.open())}
    stock = rows["stock_per_capita"]
    assert float(stock["band_low"]) <= float(stock["model_mean"]) <= float(stock["band_high"])
    years = float(stock["model_mean"]) / float(rows["additions_per_capita_year"]["model_mean"])
    assert abs(years / MEAN_TIME_LISTED_YEARS - 1) <= MEAN_TIME_TOLERANCE, years


def test_never_payers_are_calibrated_and_marked():
    """The never-comply share is a calibrated assumption, marked as such in the scenario."""
    cal = calibrate_module()
    assert "behaviour.never_comply_share" in cal.PARAMETERS
    line = next(x for x in SCENARIO.read_text().splitlines()
                if x.startswith("never_comply_share"))
    assert "CALIBRATED" in line and "assumption" in line
    assert load_scenario(SCENARIO).behaviour.never_comply_share > 0
