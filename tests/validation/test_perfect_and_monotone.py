"""Perfect data wrongs no one by data; monotone effects hold in expectation (paired seeds)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simulation import appeals, names, registry
from simulation.model import JointSanctionsModel
from simulation.network import build_network

from .checks import (
    check_perfect_data,
    collisions_by_pool,
    paired_trend,
    perfect_scenario,
    recall_by_sharing,
    run_model,
    wrongful_days_by_appeals,
)

SEEDS = (61, 62, 63, 64)


def test_perfect_data_in_per_jurisdiction_hub_with_expiry_and_appeals():
    for seed in (71, 72):
        check = check_perfect_data(run_model(perfect_scenario(seed=seed)))
        assert check.passed, check


def test_perfect_data_detects_broken_mechanism():
    original = registry.geometric_delay

    def one_day_late(u, mean):
        return original(u, mean) + 1

    broken = run_model(perfect_scenario(seed=71), [("simulation.registry.geometric_delay",
                                                    one_day_late)])
    assert not check_perfect_data(broken).passed


def test_less_sharing_lower_recall():
    check = paired_trend(recall_by_sharing(SEEDS), "recall rises with sharing")
    assert check.passed, check


def test_more_namesakes_more_collisions():
    check = paired_trend(collisions_by_pool(SEEDS), "collisions rise as the name pool shrinks")
    assert check.passed, check


def test_appeals_shorten_wrongful_sanction_days():
    check = paired_trend(wrongful_days_by_appeals(SEEDS), "appeals shorten wrongful days",
                         decreasing=True)
    assert check.passed, check


@pytest.mark.slow
def test_monotone_checks_detect_broken_mechanism():
    original_network = build_network

    def sharing_ignored(scenario):
        nodes, links = original_network(scenario)
        return nodes, [dataclasses.replace(lk, sharing=0.6) for lk in links]

    flat = recall_by_sharing(SEEDS[:3], patches=[("simulation.model.build_network",
                                                  sharing_ignored)])
    assert not paired_trend(flat, "recall, sharing ignored").passed
    original_pool = names.name_pool
    fixed = collisions_by_pool(SEEDS[:3], patches=[("simulation.names.name_pool",
                                                    lambda d: original_pool(20_000))])
    assert not paired_trend(fixed, "collisions, pool size ignored").passed
    never = wrongful_days_by_appeals(SEEDS[:3], patches=[
        ("simulation.appeals.decide_appeals", lambda model, court, ids, t: None)])
    assert not paired_trend(never, "appeals never decided", decreasing=True).passed
    assert np.all(np.diff(never, axis=1) == 0)


def test_jointsanctionsmodel_is_patchable():
    # The broken-mechanism tests patch these names; fail loudly if they move.
    for owner, attr in ((JointSanctionsModel, "create_records"), (appeals, "decide_appeals"),
                        (registry, "geometric_delay"), (names, "name_pool")):
        assert hasattr(owner, attr)
