"""Allowed values cost what they need: the network is at most agencies x jurisdictions links, and
the name pool costs what the population needs, not what ``distinct_names`` could hold."""

from __future__ import annotations

import tracemalloc

import numpy as np

from simulation.names import (
    _given_p,
    _pool_shape,
    _surname_p,
    display_name,
    draw_names,
    expected_namesakes,
)
from simulation.network import build_network
from simulation.population import Individuals
from simulation.scenario import build_scenario
from simulation.streams import Streams

HUB_PER_JURISDICTION = {"topology": "hub", "platform": "per_jurisdiction"}


def test_per_jurisdiction_hub_at_1000_jurisdictions_is_linear():
    j = 1000
    spec = build_scenario({"population": {"individuals": 2000, "firms": 10, "jurisdictions": j},
                           "registry": HUB_PER_JURISDICTION})
    nodes, links = build_network(spec)
    agencies = len(spec.active_agencies())
    assert len(links) <= (agencies + 1) * j + agencies  # was 1,009,000 (every platform pair)
    assert not any(nodes[lk.source].kind == nodes[lk.to].kind == "platform" for lk in links)


def test_platforms_relay_to_platforms_with_local_consumers_only():
    spec = build_scenario({
        "population": {"individuals": 2000, "firms": 10, "jurisdictions": 50},
        "registry": HUB_PER_JURISDICTION,
        "agencies": {"local_bus": {"new": True, "kind": "transport", "jurisdiction": "j7"}}})
    nodes, links = build_network(spec)
    mesh = [(nodes[lk.source].name, nodes[lk.to].name) for lk in links
            if nodes[lk.source].kind == nodes[lk.to].kind == "platform"]
    assert len(mesh) == 49 and {to for _, to in mesh} == {"platform:j7"}


def test_a_huge_name_pool_costs_what_the_population_needs():
    tracemalloc.start()
    try:
        ids = draw_names(np.random.default_rng(0), 2000, 100_000_000)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        spec = build_scenario({"population": {"individuals": 2000, "firms": 10,
                                              "distinct_names": 100_000_000}})
        Individuals(spec, Streams(spec.seed))
        _, peak_population = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6 and peak_population < 50e6, (peak, peak_population)  # was 2.9 GB
    assert ids.min() >= 0 and ids.max() < 100_000_000
    assert " " in display_name(int(ids[0]), 100_000_000)


def test_a_large_pool_has_the_namesakes_of_its_distribution():
    """Namesakes per person are (n - 1) x sum(p^2); the product pool's sum(p^2) is
    sum(surname^2) x sum(given^2). Five seeds at 200,000 people: sd of the mean about 0.7%."""
    n, pool = 200_000, 5_000_000
    surnames, given = _pool_shape(pool)
    theory = (n - 1) * (_surname_p(surnames) ** 2).sum() * (_given_p(given) ** 2).sum()
    seen = np.mean([expected_namesakes(draw_names(np.random.default_rng(s), n, pool))
                    for s in range(5)])
    assert abs(seen / theory - 1) < 0.04, (seen, theory)
