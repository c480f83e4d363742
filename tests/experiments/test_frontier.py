"""The policy frontier: a known Pareto front found through the real search loop, and the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from simulation import ScenarioError
from simulation.experiments import frontier as frontier_module
from simulation.experiments import worker as worker_module
from simulation.experiments.frontier import pareto_mask, parse_frontier, run_frontier

from .conftest import ROOT

KNOWN = {
    "name": "known-front", "base": "classroom", "seed": 4, "replicates": 1,
    "fixed": {"days": 10, "population": {"individuals": 500, "firms": 20}},
    "levers": {"registry.sharing": {"min": 0.0, "max": 1.0},
               "registry.deletion_sharing": {"min": 0.0, "max": 1.0}},
    "uncertainties": {"registry.id_missing_rate": {"min": 0.0, "max": 0.1}},
    "search": {"objectives": ["f1:min", "f2:min"], "generations": 10, "population": 16, "scenarios": 2},
}


def synthetic(base, overrides, seed):
    """A ZDT1-like problem in place of the simulator: front f2 = 1 - sqrt(f1) (+ the uncertainty)."""
    x, y, u = (overrides["registry.sharing"], overrides["registry.deletion_sharing"],
               overrides["registry.id_missing_rate"])
    return {"f1": x, "f2": 1 - math.sqrt(x) + y + u}


@pytest.fixture
def fake_simulator(monkeypatch):
    monkeypatch.setattr(worker_module, "run_one", synthetic)
    monkeypatch.setattr(frontier_module, "known_metrics", lambda sweep: ["f1", "f2"])


def test_pareto_mask_is_exact():
    values = np.array([[0, 3], [1, 1], [2, 2], [3, 0], [1, 1], [np.nan, 0]])
    assert list(pareto_mask(values)) == [True, True, False, True, True, False]


def test_the_search_finds_a_known_front_and_resumes_exactly(fake_simulator, tmp_path):
    spec = parse_frontier(KNOWN, path=ROOT / "sweeps" / "known.toml")
    table = run_frontier(spec, tmp_path / "f", workers=0)
    # NSGA-II may propose a design twice; its runs are stored once (matched by run_key).
    distinct = len(table.drop_duplicates(subset=["registry.sharing", "registry.deletion_sharing"]))
    assert len(table) == 160 and table.attrs["runs_this_session"] == 2 * distinct
    mean_u = np.mean([s["registry.id_missing_rate"] for s in frontier_module.uncertainty_samples(spec)])
    front = table[table["pareto"]]
    gap = front["f2:mean"] - (1 - np.sqrt(front["f1:mean"]) + mean_u)
    assert (gap >= -1e-9).all()  # nothing beats the true front
    # ... and the search gets close to it all along: every point of the true front between
    # f1 = 0.1 and 0.9 has a frontier design within 0.15.
    for g in np.linspace(0.1, 0.9, 9):
        dist = np.hypot(front["f1:mean"] - g, front["f2:mean"] - (1 - np.sqrt(g) + mean_u))
        assert dist.min() < 0.15, (g, dist.min())
    assert len(front) >= 8
    # No design off the front is better on both objectives than one on it.
    assert pareto_mask(table[["f1:mean", "f2:mean"]].to_numpy()).tolist() == table["pareto"].tolist()
    # Bootstrap intervals contain the mean; the bad-side quantile is at least the mean here.
    assert (table["f2:ci_low"] <= table["f2:mean"]).all() and (table["f2:mean"] <= table["f2:ci_high"]).all()
    out = tmp_path / "f"
    for name in ("frontier.csv", "frontier.parquet", "frontier.png", "frontier.svg", "frontier.md"):
        assert (out / name).stat().st_size > 0
    text = (out / "frontier.md").read_text()
    # One paragraph per distinct lever setting on the front (a design asked twice is told once).
    settings = front.drop_duplicates(subset=["registry.sharing", "registry.deletion_sharing"])
    assert text.count("- **Design") == len(settings) < len(front) and "bootstrap" in text
    assert "(also asked as " in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["pareto"] == len(front)
    # Resume replays the seeded search: same designs, no new run.
    again = run_frontier(spec, out, workers=0, resume=True)
    assert again.attrs["runs_this_session"] == 0
    pd.testing.assert_frame_equal(again, table)


def test_frontier_files_are_validated_before_anything_runs():
    def bad(**change):
        data = {**KNOWN, **change}
        with pytest.raises(ScenarioError) as info:
            parse_frontier(data, path=ROOT / "sweeps" / "known.toml")
        return info.value

    e = bad(search={**KNOWN["search"], "objectives": ["compliance_rate:max", "wrongful_poeple:min"]})
    assert e.field == "search.objectives" and "did you mean 'wrongful_people'" in e.reason
    e = bad(search={**KNOWN["search"], "objectives": ["compliance_rate:up", "wrongful_people:min"]})
    assert "metric:min or metric:max" in e.reason
    e = bad(search={**KNOWN["search"], "generations": 1000, "population": 1000})
    assert "would have 2,000,000 runs" in e.reason and "--max-runs" in e.reason
    e = bad(levers={})
    assert e.field == "levers"
    e = bad(levers={"registry.sharing": {"min": 0.0, "max": 1.5}})
    assert "less than or equal to 1" in e.reason
