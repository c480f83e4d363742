"""Fast name drawing and counting give exactly what the plain definitions give (issue 13).

The guide-table search must return ``np.searchsorted`` 's index for every uniform, and the dense
name counts must give every person the same count and common-name flag as ``np.unique`` does:
the golden outputs depend on both, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import names
from simulation.names import draw_names, name_counts, name_pool
from simulation.population import Individuals
from simulation.scenario import build_scenario
from simulation.streams import Streams


def searchsorted_answer(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The definition: the first index whose cumulative probability exceeds each uniform."""
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, u, side="right")


@settings(max_examples=150, deadline=None)
@given(weights=st.lists(st.floats(1e-9, 1.0), min_size=1, max_size=300), seed=st.integers(0, 2**32 - 1))
def test_the_guide_table_finds_what_a_binary_search_finds(weights, seed):
    p = np.asarray(weights) / np.sum(weights)
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    # Uniforms at, just below and just above every step of the CDF, plus random ones.
    edges = np.concatenate([cdf, np.nextafter(cdf, 0), np.nextafter(cdf, 1), [0.0]])
    u = np.concatenate([edges[(edges >= 0) & (edges < 1)], np.random.default_rng(seed).random(500)])
    assert np.array_equal(names._guided_search(cdf, u), searchsorted_answer(p, u))


def test_a_national_pool_is_searched_through_the_guide_and_agrees():
    p = name_pool(1_000_000)
    assert p.size >= names.GUIDED_MIN
    u = np.random.default_rng(3).random(300_000)
    assert np.array_equal(names._inverse_cdf(p, u), searchsorted_answer(p, u))


def unique_counts(ids: np.ndarray) -> np.ndarray:
    """The definition: how many people share each person's name."""
    _, index, counts = np.unique(ids, return_inverse=True, return_counts=True)
    return counts[index]


@pytest.mark.parametrize("pool", [50, 20_000, 1_000_000, 100_000_000])
def test_name_counts_give_each_person_the_count_of_their_name(pool):
    ids = draw_names(np.random.default_rng(pool), 50_000, pool)
    counts, index = name_counts(ids)
    assert np.array_equal(counts[index], unique_counts(ids))
    dense = ids.max() < names.EXACT_POOL_LIMIT
    assert (counts == 0).any() == (dense and pool > 50)  # dense counts list unused names too
    assert counts.sum() == ids.size


def test_common_names_and_counts_match_their_definition():
    spec = build_scenario({"population": {"individuals": 60_000, "firms": 10,
                                          "distinct_names": 30_000}})
    people = Individuals(spec, Streams(5))
    assert np.array_equal(people.name_count, unique_counts(people.name))
    # Common: a name among the most frequent ones (ties by id) that together hold half of everyone.
    ids, counts = np.unique(people.name, return_counts=True)
    order = np.lexsort((ids, -counts))
    needed = int(np.searchsorted(np.cumsum(counts[order]), people.n / 2)) + 1
    common = np.isin(people.name, ids[order[:needed]])
    assert np.array_equal(people.common_name, common)
    assert 0.5 <= common.mean() < 0.6
