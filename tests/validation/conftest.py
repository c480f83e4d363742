"""Validation suite: closed-form checks of each mechanism, and the calibration target test.

Fast checks run with ``make test``; the slow ones (the full china-2019 calibration run) are marked
``slow`` and run with ``.venv/bin/python -m pytest -m slow tests/validation``.
"""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long validation runs (pytest -m slow tests/validation)")


def pytest_collection_modifyitems(config, items):
    """Skip slow tests unless they were asked for with ``-m slow``."""
    import pytest

    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with pytest -m slow tests/validation")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
