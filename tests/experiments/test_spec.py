"""Sweep files: validation with clear errors, design sizes, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from simulation import ScenarioError
from simulation.cli import app
from simulation.experiments.design import design_points, expected_points, replicate_seed
from simulation.experiments.spec import load_sweep
from simulation.experiments.sweep import sweep_tasks

from .conftest import ROOT, spec_of, sweep_data, write_sweep

RANGES = {"registry.sharing": {"min": 0.1, "max": 0.9},
          "registry.id_missing_rate": {"min": 0.0, "max": 0.2},
          "population.distinct_names": {"min": 2000, "max": 100000, "scale": "log"}}


@pytest.mark.parametrize("design, expected", [
    ({"kind": "random", "samples": 7}, 7),
    ({"kind": "lhs", "samples": 9}, 9),
    ({"kind": "sobol", "samples": 8}, 8 * (3 + 2)),
    ({"kind": "sobol", "samples": 8, "second_order": True}, 8 * (2 * 3 + 2)),
    ({"kind": "morris", "samples": 4}, 4 * (3 + 1)),
])
def test_sampled_designs_have_the_documented_number_of_points(design, expected):
    spec = spec_of(sweep_data(design=design, parameters=RANGES))
    points = design_points(spec)
    assert len(points) == expected == expected_points(spec)
    assert list(points["point"]) == list(range(expected))
    assert points["population.distinct_names"].map(type).eq(int).all()  # whole-number field
    assert points["registry.sharing"].between(0.1, 0.9).all()
    assert points["population.distinct_names"].between(2000, 100000).all()


def test_grid_is_the_product_of_the_values():
    spec = spec_of(sweep_data(parameters={"registry.sharing": [0.1, 0.5, 0.9],
                                          "appeals.enabled": [True, False],
                                          "registry.matching": ["id", "name"],
                                          "registry.delay_days": {"start": 0, "stop": 30, "num": 4}}))
    points = design_points(spec)
    assert len(points) == 3 * 2 * 2 * 4 == expected_points(spec)
    assert len(points.drop(columns="point").drop_duplicates()) == len(points)
    assert sorted(points["registry.delay_days"].unique()) == [0.0, 10.0, 20.0, 30.0]


def test_nested_tables_mean_the_same_as_dotted_names():
    a = spec_of(sweep_data(parameters={"registry.sharing": [0.2, 0.4]}))
    b = spec_of(sweep_data(parameters={"registry": {"sharing": [0.2, 0.4]}}))
    assert a.fingerprint() == b.fingerprint()


def test_sampled_designs_are_reproducible_from_the_sweep_seed():
    data = sweep_data(design={"kind": "lhs", "samples": 5}, parameters=RANGES)
    assert design_points(spec_of(data)).equals(design_points(spec_of(data)))
    other = design_points(spec_of({**data, "seed": 12}))
    assert not design_points(spec_of(data)).equals(other)


def test_replicate_k_has_the_same_seed_at_every_point():
    spec = spec_of(sweep_data(replicates=3))
    tasks = sweep_tasks(spec)
    assert len(tasks) == 4 * 3
    for t in tasks:
        assert t.seed == replicate_seed(spec.seed, t.meta["replicate"])
        assert t.run_id == t.meta["point"] * 3 + t.meta["replicate"]
    seeds = {t.meta["replicate"]: set() for t in tasks}
    for t in tasks:
        seeds[t.meta["replicate"]].add(t.seed)
    assert all(len(s) == 1 for s in seeds.values())
    assert len({next(iter(s)) for s in seeds.values()}) == 3
    # Adding replicates keeps the seeds of the earlier ones.
    more = sweep_tasks(spec_of(sweep_data(replicates=5)))
    assert [t.seed for t in more if t.meta["point"] == 0][:3] == [t.seed for t in tasks[:3]]
    assert all(0 <= t.seed < 2**63 for t in more)


@pytest.mark.parametrize("change, field, words", [
    ({"replicate": 3}, "replicate", "did you mean 'replicates'"),
    ({"design": "factorial"}, "design.kind", "grid"),
    ({"design": {"kind": "sobol", "samples": 10}}, "design", "power of 2"),
    ({"design": {"kind": "lhs"}}, "design", "needs samples"),
    ({"base": "no-such-scenario"}, "base", "no scenario 'no-such-scenario'"),
    ({"parameters": {"registry.sharing": [0.5, 1.5]}}, "parameters.registry.sharing",
     "point 1 {'registry.sharing': 1.5}: Input should be less than or equal to 1"),
    ({"parameters": {"registry.sharng": [0.5]}}, "parameters.registry.sharng", "did you mean 'sharing'"),
    ({"parameters": {"registry.sharing": {"min": 0.1, "max": 0.9}}}, "parameters.registry.sharing",
     "a grid needs a list"),
    ({"parameters": {"seed": [1, 2]}}, "parameters.seed", "cannot be varied"),
    ({"parameters": {"registry.sharing": 0.5}}, "parameters.registry.sharing",
     "put single values in [fixed]"),
    ({"parameters": {"registry.sharing": [0.5, "x"]}}, "parameters.registry.sharing", "one type"),
    ({"parameters": {}}, "parameters", "at least one parameter"),
    ({"fixed": {"days": 0}}, "fixed.days", "greater than or equal to 1"),
])
def test_bad_sweep_files_name_the_field_and_reason(change, field, words):
    with pytest.raises(ScenarioError) as info:
        spec_of(sweep_data(**change))
    assert info.value.field == field
    assert words in info.value.reason
    assert info.value.file.endswith("test.toml")


def test_sobol_ranges_are_validated_at_every_point(tmp_path):
    # A range that passes for most of the design still fails up front if any point is invalid.
    data = sweep_data(design={"kind": "random", "samples": 20},
                      parameters={"registry.sharing": {"min": 0.5, "max": 1.5}})
    with pytest.raises(ScenarioError) as info:
        spec_of(data)
    assert info.value.field == "parameters.registry.sharing"


def test_cli_rejects_a_bad_sweep_file_with_exit_status_2(tmp_path):
    path = write_sweep(tmp_path, sweep_data(parameters={"registry.sharing": [0.5, 2.0]}))
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "parameters.registry.sharing" in text and "less than or equal to 1" in text
    assert "Traceback" not in text
    assert not (tmp_path / "out").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("base = 'classroom'\n[parameters\n")
    result = CliRunner().invoke(app, ["sweep", str(bad)])
    assert result.exit_code == 2
    assert "not valid TOML" in result.output + result.stderr


def test_shipped_example_sweeps_are_valid():
    for path in sorted((ROOT / "sweeps").glob("*.toml")):
        spec = load_sweep(path)
        assert len(design_points(spec)) == expected_points(spec)
    assert expected_points(load_sweep(ROOT / "sweeps" / "sharing-grid.toml")) == 6
    assert expected_points(load_sweep(ROOT / "sweeps" / "sobol-errors.toml")) == 8 * (4 + 2)


def test_value_lists_are_discrete_in_sampled_designs():
    spec = spec_of(sweep_data(design={"kind": "sobol", "samples": 16},
                              parameters={"registry.sharing": {"min": 0.1, "max": 0.9},
                                          "appeals.enabled": [True, False]}))
    points = design_points(spec)
    assert set(points["appeals.enabled"]) == {True, False}
    assert np.isclose(points["appeals.enabled"].mean(), 0.5, atol=0.2)
