"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

import pytest

from simulation import build_scenario

SMALL = {"days": 120, "population": {"individuals": 5000, "firms": 300, "jurisdictions": 2,
                                     "distinct_names": 20000},
         "courts": {"judgment_rate_per_year": 0.04, "firm_judgment_rate_per_year": 0.05}}


def small(**sections) -> object:
    """A small scenario with nested overrides, e.g. small(registry={"sharing": 0.5})."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in SMALL.items()}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return build_scenario(data)


PERFECT_REGISTRY = {
    "sharing": 1.0, "delay_days": 0, "deletion_sharing": 1.0, "deletion_delay_days": 0,
    "cross_jurisdiction_sharing": 1.0, "id_missing_rate": 0.0, "id_error_rate": 0.0,
    "firm_code_error_rate": 0.0, "format_loss_rate": 0.0, "matching": "id",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long checks, skipped by default (make test-slow)")


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``slow`` unless they were asked for with ``-m slow``."""
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with make test-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def small_scenario():
    return small()
