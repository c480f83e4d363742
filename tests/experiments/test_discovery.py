"""Scenario discovery: PRIM finds a known box; EMA's perform_experiments with replications, then PRIM."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from simulation.cli import app

from .conftest import fake_sweep_folder, spec_of, sweep_data

pytest.importorskip("ema_workbench")

KNOWN = {"registry.sharing": {"min": 0.0, "max": 1.0},
         "population.distinct_names": {"min": 1000, "max": 100000, "scale": "log"},
         "registry.matching": ["id", "name"], "appeals.enabled": [True, False]}


def bad(o, k):
    """Bad when sharing > 0.6 and appeals are off, whatever the rest (plus replicate noise)."""
    return float(o["registry.sharing"] > 0.6 and not o["appeals.enabled"]) * 10 + 0.01 * k


def test_prim_recovers_a_known_box_with_categorical_and_log_inputs(tmp_path):
    spec = spec_of(sweep_data(design={"kind": "random", "samples": 400}, parameters=KNOWN, replicates=2))
    folder = fake_sweep_folder(tmp_path / "s", spec, bad)
    res = CliRunner().invoke(app, ["discover", str(folder), "--metric", "y", "--above", "5",
                                   "--min-density", "0.95"])
    assert res.exit_code == 0, res.output
    import pandas as pd

    box = pd.read_csv(folder / "discovery.csv").set_index("parameter")
    assert set(box.index) == {"registry.sharing", "appeals.enabled"}
    assert box.loc["registry.sharing", "low"] == pytest.approx(0.6, abs=0.03)
    assert box.loc["appeals.enabled", "restriction"] == "appeals.enabled is False"
    assert box["density"].iloc[0] >= 0.95 and box["coverage"].iloc[0] >= 0.9
    assert (folder / "discovery.png").stat().st_size > 10_000
    res = CliRunner().invoke(app, ["discover", str(folder), "--metric", "yy"])
    assert res.exit_code == 2 and "did you mean 'y'" in res.output


def test_ema_perform_experiments_with_seed_replications_then_prim():
    from ema_workbench import perform_experiments

    from simulation.experiments.discovery import prim_box
    from simulation.experiments.ema import ema_model, experiments_in_scenario_units

    model = ema_model("classroom", {"registry.id_missing_rate": (0.0, 0.3),
                                    "population.distinct_names": (500, 50000, "log")},
                      levers={"appeals.enabled": [True, False]}, outcomes=["sanctions", "legitimacy_mean"],
                      days=45, fixed={"population.individuals": 600, "population.firms": 30,
                                      "courts.judgment_rate_per_year": 0.3,
                                      "courts.compliance_deadline_days": 5},
                      replications=2)
    assert [u.name for u in model.uncertainties] == ["registry__id_missing_rate",
                                                     "population__distinct_names__log10"]
    experiments, outcomes = perform_experiments(model, scenarios=10, policies=1)
    x = experiments_in_scenario_units(experiments)
    names = x["population.distinct_names"]
    assert names.between(500, 50000).all() and names.map(type).eq(int).all()
    y = outcomes["sanctions"]
    assert y.shape == (10,) and np.isfinite(y).all() and np.ptp(y) > 0
    assert np.isfinite(outcomes["legitimacy_mean"]).all()
    cases = y > np.median(y) if (y > np.median(y)).any() else y >= np.median(y)
    result = prim_box(x[["registry.id_missing_rate", "population.distinct_names"]], cases,
                      min_density=0.5)
    assert 0 < result["stats"]["coverage"] <= 1 and result["cases"] == int(cases.sum())
    assert result["points"] == 10
