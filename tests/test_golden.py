"""Golden outputs: every shipped scenario's summary, events and time series, pinned by hash.

Each shipped scenario runs at 20,000 individuals (firms and name pool scaled alike) for 200 days
(or its own days, if fewer) at its own seed; the sha256 of the summary (sorted JSON) and of the
events and time series tables' contents must equal the committed ones in
``tests/golden_hashes.json``. Speed work and refactoring must change no output byte.

A deliberate model change updates the hashes with

    .venv/bin/python scripts/golden_hashes.py --update

in its own commit, whose message says why the outputs changed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from .golden import frame_hash, golden_hashes, load_hashes, shipped_scenarios, summary_hash


def test_every_shipped_scenario_has_hashes():
    assert sorted(load_hashes()) == shipped_scenarios()


@pytest.mark.parametrize("name", shipped_scenarios())
def test_outputs_match_golden_hashes(name):
    expected = load_hashes().get(name)
    assert expected is not None, f"no golden hashes for {name}; run scripts/golden_hashes.py --update"
    got = golden_hashes(name)
    changed = [k for k in expected if got[k] != expected[k]]
    assert not changed, (f"{name}: {', '.join(changed)} changed; if deliberate, run "
                         "scripts/golden_hashes.py --update in its own commit and say why")


def test_hashes_see_values_types_and_order():
    df = pd.DataFrame({"a": [1, 2], "b": pd.Categorical.from_codes([0, 1], categories=["x", "y"])})
    base = frame_hash(df)
    assert frame_hash(df.copy()) == base
    assert frame_hash(df.assign(a=[1, 3])) != base
    assert frame_hash(df.assign(a=[1.0, 2.0])) != base
    assert frame_hash(df.iloc[::-1].reset_index(drop=True)) != base
    assert frame_hash(df.assign(b=pd.Categorical.from_codes([0, 1], categories=["x", "z"]))) != base
    assert summary_hash({"a": 1.0, "b": float("nan")}) == summary_hash({"b": None, "a": 1.0})
    assert summary_hash({"a": 1.0}) != summary_hash({"a": 1.0 + 1e-15})
