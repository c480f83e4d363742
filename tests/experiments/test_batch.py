"""mesa.batch_run with BatchModel, and the optional EMA Workbench adapter."""

from __future__ import annotations

import math

import mesa
import pytest

from simulation.experiments import BatchModel


def test_batch_run_gives_one_row_per_run_with_final_metrics(restore_start_method):
    rows = mesa.batch_run(BatchModel, parameters={
        "scenario": "classroom", "days": 40, "population__individuals": 2000,
        "registry__sharing": [0.2, 0.8]}, rng=[1, 2], max_steps=1000, number_processes=1,
        display_progress=False)
    assert len(rows) == 4
    for row in rows:
        assert row["Step"] == 40 and row["day"] == 39
        assert row["seed"] in (1, 2)
        assert row["judgments"] > 0 and not math.isnan(row["legitimacy_mean"])
        assert "compliance_rate" in row and "wrongful_sanction_days" in row
    model = BatchModel("classroom", seed=1, days=40, population__individuals=2000, registry__sharing=0.2)
    model.run_model()
    assert model.config.registry.sharing == 0.2 and not model.running
    assert model.summary()["sanctions"] == rows[0]["sanctions"]
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 41 and frame["legitimacy_mean"].iloc[1:].notna().all()


def test_batch_run_rows_without_given_seeds_carry_the_seeds_they_ran_with(restore_start_method):
    rows = mesa.batch_run(BatchModel, parameters={"scenario": "classroom", "days": 10,
                                                  "population__individuals": 800},
                          rng=[None, None], max_steps=100, number_processes=1, display_progress=False)
    seeds = [row["seed"] for row in rows]
    assert all(isinstance(s, int) for s in seeds) and seeds[0] != seeds[1]
    again = BatchModel("classroom", seed=seeds[1], days=10, population__individuals=800)
    again.run_model()
    assert again.summary()["judgments"] == rows[1]["judgments"]
    assert again.summary()["sanctions"] == rows[1]["sanctions"]


def test_batch_model_without_seed_draws_fresh_entropy():
    a = BatchModel("classroom", days=5, population__individuals=500)
    b = BatchModel("classroom", days=5, population__individuals=500)
    assert a.seed != b.seed


def test_ema_adapter():
    ema = pytest.importorskip("ema_workbench")
    from simulation.experiments.ema import ema_model

    model = ema_model("classroom", {"registry.sharing": (0.1, 0.9), "appeals.enabled": [True, False]},
                      outcomes=["sanctions"], days=20, fixed={"population.individuals": 1000})
    assert isinstance(model, ema.ReplicatorModel) and len(model.replications) == 1
    assert [u.name for u in model.uncertainties] == ["registry__sharing", "appeals__enabled"]
