"""Appeals: waiting times and backlog against discrete-time queueing results."""

from __future__ import annotations

import pytest

from simulation.appeals import AppealsDesk

from .checks import (
    appeals_scenario,
    check_appeals_fifo,
    check_appeals_littles_law,
    check_queue_overload,
    check_queue_wait,
    run_model,
)


class ExtraCaseDesk(AppealsDesk):
    """Broken desk: takes one case more a day than its capacity."""

    def take_up(self, day, capacity, review_days, table):
        super().take_up(day, capacity + 1, review_days, table)


class LifoDesk(AppealsDesk):
    """Broken desk: newest case first."""

    def take_up(self, day, capacity, review_days, table):
        self.queue.reverse()
        super().take_up(day, capacity, review_days, table)
        self.queue.reverse()


@pytest.mark.parametrize(("lam", "capacity"), [(0.8, 1), (1.5, 2), (4.0, 5)])
def test_stable_queue_wait_matches_slotted_queue(lam, capacity):
    check = check_queue_wait(lam, capacity)
    assert check.passed, check


@pytest.mark.parametrize(("lam", "capacity"), [(6.0, 5), (1.2, 1), (2.7, 2.5)])
def test_overloaded_queue_grows_at_lambda_minus_capacity(lam, capacity):
    check = check_queue_overload(lam, capacity)
    assert check.passed, check


@pytest.fixture(scope="module", params=[2.0, 40.0], ids=["overloaded", "near-capacity"])
def appeals_run(request):
    return run_model(appeals_scenario(seed=51, capacity=request.param))


def test_appeals_backlog_littles_law_in_model(appeals_run):
    check = check_appeals_littles_law(appeals_run)
    assert check.passed, check


def test_appeals_fifo_capacity_in_model(appeals_run):
    check = check_appeals_fifo(appeals_run)
    assert check.passed, check


def test_queue_detects_broken_mechanism():
    assert not check_queue_wait(4.0, 5, desk_factory=ExtraCaseDesk).passed
    assert not check_queue_overload(6.0, 5, desk_factory=ExtraCaseDesk).passed
    lifo = run_model(appeals_scenario(seed=51, capacity=2.0),
                     [("simulation.institutions.AppealsDesk", LifoDesk)])
    assert not check_appeals_fifo(lifo).passed
    in_queue_only = property(lambda self: len(self.queue))
    hidden = run_model(appeals_scenario(seed=51, capacity=2.0),
                       [("simulation.appeals.AppealsDesk.backlog", in_queue_only)])
    assert not check_appeals_littles_law(hidden).passed
