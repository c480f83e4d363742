"""Name-only matching: namesake false matches against their expectation from name frequencies."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import names
from simulation.registry import MatchIndex

from .checks import check_name_collisions, check_name_pool_collisions, names_scenario, run_model

SEEDS = (21, 22, 23)
POOL = 20_000


def uniform_pool(distinct_names: int) -> np.ndarray:
    """A flat pool: every full name equally likely (no Wang, no Zhang Wei)."""
    return np.full(distinct_names, 1.0 / distinct_names)


UNIFORM = [("simulation.names.name_pool", uniform_pool)]


class Toneless(MatchIndex):
    """A broken matcher: compares a coarser name key (50 names per key, as if romanisation
    dropped the tones), so distinct names collide."""

    def name_keys_of(self, names_, jurisdictions):
        return super().name_keys_of(names_ // 50, jurisdictions)


@pytest.fixture(scope="module")
def heavy():
    return [run_model(names_scenario(seed=s, distinct_names=POOL)) for s in SEEDS]


@pytest.fixture(scope="module")
def uniform():
    return [run_model(names_scenario(seed=s, distinct_names=POOL), UNIFORM) for s in SEEDS]


def test_namesakes_heavy_tailed_pool_from_name_counts(heavy):
    check = check_name_collisions(heavy, "heavy-tailed")
    assert check.passed, check


def test_namesakes_uniform_pool_from_name_counts(uniform):
    check = check_name_collisions(uniform, "uniform")
    assert check.passed, check


def test_namesakes_from_pool_probabilities(heavy, uniform):
    for results, pool, label in ((heavy, names.name_pool(POOL), "heavy-tailed"),
                                 (uniform, uniform_pool(POOL), "uniform")):
        check = check_name_pool_collisions(results, pool, label)
        assert check.passed, check


def test_heavy_tail_makes_more_namesakes(heavy, uniform):
    count = lambda rs: sum(r.summary["wrongful_sanctions.name_collision"] for r in rs)  # noqa: E731
    assert count(heavy) > 1.5 * count(uniform)


def test_namesakes_detect_broken_mechanism(heavy):
    broken = [run_model(names_scenario(seed=s, distinct_names=POOL),
                        [("simulation.agencies.MatchIndex", Toneless)]) for s in SEEDS[:1]]
    assert not check_name_collisions(broken, "broken matcher").passed
    # A population drawn from the wrong pool fails the pool-probability expectation.
    assert not check_name_pool_collisions(
        [run_model(names_scenario(seed=s, distinct_names=POOL), UNIFORM) for s in SEEDS],
        names.name_pool(POOL), "uniform drawn, heavy expected").passed
