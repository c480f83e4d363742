"""Sensitivity indices: correct plumbing on a known function, and on a real sobol/morris sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation import ScenarioError
from simulation.cli import app
from simulation.experiments import run_sweep, sensitivity

from .conftest import fake_sweep_folder, spec_of, sweep_data

TWO = {"registry.sharing": {"min": 0.1, "max": 0.9}, "registry.delay_days": {"min": 0.0, "max": 30.0}}


def _fake_sweep(tmp_path, design, fn):
    """A sweep folder whose runs are a known function of the parameters (no model runs)."""
    spec = spec_of(sweep_data(design=design, parameters=TWO, replicates=2))
    return fake_sweep_folder(tmp_path / "fake", spec, lambda o, k: fn(o["registry.sharing"],
                                                                      o["registry.delay_days"]) + 0.001 * k)


def test_sobol_finds_the_one_parameter_that_matters(tmp_path):
    out = _fake_sweep(tmp_path, {"kind": "sobol", "samples": 64}, lambda a, b: 10 * a)
    table = sensitivity(out, ["y"], figure=False).set_index("parameter")
    assert table.loc["registry.sharing", "ST"] > 0.95
    assert abs(table.loc["registry.delay_days", "ST"]) < 0.05
    assert table.attrs["replicates"] == 2


def test_morris_ranks_parameters_by_effect(tmp_path):
    out = _fake_sweep(tmp_path, {"kind": "morris", "samples": 6}, lambda a, b: a + 0.01 * b)
    table = sensitivity(out, ["y"], figure=False).set_index("parameter")
    assert table.loc["registry.sharing", "mu_star"] == pytest.approx(0.8, rel=1e-6)  # range 0.8
    assert table.loc["registry.delay_days", "mu_star"] == pytest.approx(0.3, rel=1e-6)  # 0.01 * 30


def test_real_sobol_sweep_then_cli_sensitivity(tmp_path):
    data = sweep_data(design={"kind": "sobol", "samples": 2}, replicates=1, parameters=TWO,
                      fixed={"days": 120, "population": {"individuals": 2000, "distinct_names": 3000},
                             "courts": {"judgment_rate_per_year": 0.04}})
    run_sweep(spec_of(data), tmp_path / "s", workers=0, progress=False)
    result = CliRunner().invoke(app, ["sensitivity", str(tmp_path / "s"), "--metric", "sanctions",
                                      "--metric", "legitimacy_mean"])
    assert result.exit_code == 0, result.output
    assert "one replicate per point" in result.output and "skipped" not in result.output
    for name in ("sensitivity.csv", "sensitivity.parquet", "sensitivity.png", "sensitivity.svg"):
        assert (tmp_path / "s" / name).exists(), name
    table = pd.read_parquet(tmp_path / "s" / "sensitivity.parquet")
    assert set(table.columns) >= {"metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"}


def test_sensitivity_needs_a_sobol_or_morris_sweep(tmp_path):
    run_sweep(spec_of(sweep_data(replicates=1, fixed={"days": 20, "population": {"individuals": 1000}})),
              tmp_path / "grid", workers=0, progress=False)
    with pytest.raises(ScenarioError, match="sobol or morris"):
        sensitivity(tmp_path / "grid")
    result = CliRunner().invoke(app, ["sensitivity", str(tmp_path / "grid")])
    assert result.exit_code == 2


def test_noise_convergence_and_unreliable_indices_are_reported(tmp_path):
    rng = np.random.default_rng(3)
    noise = {}

    def noisy(o, k):
        # A weak signal under heavy replicate noise, from a small sample: unreliable indices.
        key = (o["registry.sharing"], o["registry.delay_days"], k)
        noise.setdefault(key, rng.normal(0, 5))
        return o["registry.sharing"] + noise[key]

    spec = spec_of(sweep_data(design={"kind": "sobol", "samples": 8}, parameters=TWO, replicates=2))
    out = fake_sweep_folder(tmp_path / "noisy", spec, noisy)
    table = sensitivity(out, ["y"], figure=False)
    assert table["noise_share"].iloc[0] > 0.5  # most of the variance is seed noise
    assert np.isfinite(table["S1_half"]).all()  # indices at N/2 = 4 base samples
    text = " ".join(table.attrs["warnings"])
    assert "replicate noise" in text and "wider than" in text
    result = CliRunner().invoke(app, ["sensitivity", str(out), "--metric", "y"])
    assert result.exit_code == 0 and "warning:" in result.output
    assert "registry.delay_days" in result.output  # full names, never cut


@pytest.mark.slow  # about 30 s on a busy machine: 1,024 base samples
def test_a_clean_function_gives_no_warning_and_converges(tmp_path):
    out = _fake_sweep(tmp_path, {"kind": "sobol", "samples": 1024}, lambda a, b: 10 * a + 0.01 * b)
    table = sensitivity(out, ["y"], figure=False)
    assert table.attrs["warnings"] == []
    assert (table["max_change_half"] < 0.1).all()
    assert (table["noise_share"] < 0.01).all()
