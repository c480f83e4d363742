"""A small run folder shared by the viz tests (made once per session, ~1 s)."""

from __future__ import annotations

import pytest

from simulation import run
from tests.conftest import small


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """A 5,000-person, 200-day run on a crowded name pool, so every kind of event happens."""
    scenario = small(days=200, population={"distinct_names": 3000})
    result = run(scenario)
    assert result.summary["wrongful_sanctions"] > 0
    return result.write(tmp_path_factory.mktemp("viz") / "run")
