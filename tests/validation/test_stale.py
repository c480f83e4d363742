"""Stale records: copies and sanctions expected from deletion share and deletion delay."""

from __future__ import annotations

import pytest

from simulation import registry

from .checks import check_stale_copies, check_stale_sanctions, run_model, stale_scenario

SEEDS = (41, 42, 43)


@pytest.fixture(scope="module")
def stale():
    return [run_model(stale_scenario(seed=s)) for s in SEEDS]


def test_stale_copies(stale):
    check = check_stale_copies(stale)
    assert check.passed, check


def test_stale_sanctions(stale):
    check = check_stale_sanctions(stale)
    assert check.passed, check


def test_stale_checks_hold_when_deletions_never_travel():
    results = [run_model(stale_scenario(seed=s, deletion_sharing=0.0)) for s in SEEDS[:2]]
    assert check_stale_copies(results).passed
    assert check_stale_sanctions(results).passed


def test_stale_detects_broken_mechanism():
    original = registry.geometric_delay

    def double_delay(u, mean):
        return original(u, 2 * mean)

    broken = [run_model(stale_scenario(seed=s), [("simulation.registry.geometric_delay",
                                                  double_delay)]) for s in SEEDS]
    assert not check_stale_copies(broken).passed
    assert not check_stale_sanctions(broken).passed
