"""List stock = inflow x time listed (Little's law), with fixed terms and with payment exits."""

from __future__ import annotations

import pytest

from simulation import behaviour
from simulation.model import JointSanctionsModel

from .checks import (
    check_compliance_within_120d,
    check_littles_law,
    check_stock_identity,
    check_stock_inflow_times_term,
    check_stock_survival,
    run_model,
    stock_scenario,
)

SEEDS = (11, 12, 13)


@pytest.fixture(scope="module")
def fixed_term():
    return [run_model(stock_scenario(seed=s)) for s in SEEDS]


@pytest.fixture(scope="module")
def payment_exits():
    return [run_model(stock_scenario(seed=s, hazard=0.01)) for s in SEEDS]


def longer_terms(days: int):
    """A broken listing term: records expire ``days`` later than the scenario says."""
    original = JointSanctionsModel.create_records

    def create_records(self, **kw):
        kw["term_days"] += days
        return original(self, **kw)
    return [("simulation.model.JointSanctionsModel.create_records", create_records)]


def test_stock_identity_fixed_term(fixed_term):
    for result in fixed_term:
        check = check_stock_identity(result)
        assert check.passed, check


def test_stock_inflow_times_term(fixed_term):
    check = check_stock_inflow_times_term(fixed_term)
    assert check.passed, check


def test_stock_survival_with_payment_exits(payment_exits):
    check = check_stock_survival(payment_exits)
    assert check.passed, check


def test_littles_law_with_payment_exits(payment_exits):
    check = check_littles_law(payment_exits)
    assert check.passed, check


def test_compliance_within_120d(payment_exits):
    check = check_compliance_within_120d(payment_exits)
    assert check.passed, check


def test_stock_checks_detect_broken_mechanism():
    broken = [run_model(stock_scenario(seed=s), longer_terms(30)) for s in SEEDS[:1]]
    assert not check_stock_identity(broken[0]).passed
    assert not check_stock_inflow_times_term(broken).passed


def test_littles_law_detects_broken_mechanism():
    original = behaviour.listed_daily_hazard

    def half_hazard(*args, **kw):
        return original(*args, **kw) / 2

    broken = [run_model(stock_scenario(seed=s, hazard=0.01),
                        [("simulation.behaviour.listed_daily_hazard", half_hazard)])
              for s in SEEDS[:2]]
    assert not check_stock_survival(broken).passed
    assert not check_littles_law(broken).passed
    assert not check_compliance_within_120d(broken).passed
