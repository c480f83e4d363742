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
    from simulation.experiments.frontier import load_frontier

    for path in sorted((ROOT / "sweeps").glob("*.toml")):
        if "[search]" in path.read_text():
            assert load_frontier(path).runs <= 100  # a quick example
            continue
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


LEVERS = {"registry.deletion_sharing": {"values": [0.0, 0.5, 1.0]}}
UNCERTAIN = {"registry.id_missing_rate": {"min": 0.0, "max": 0.2},
             "population.distinct_names": {"min": 2000, "max": 50000, "scale": "log"}}


def test_levers_and_uncertainties_are_marked_with_their_scales():
    spec = spec_of(sweep_data(design={"kind": "lhs", "samples": 4}, parameters={},
                              levers={**LEVERS, "appeals.enabled": [True, False]},
                              uncertainties=UNCERTAIN))
    assert [p.name for p in spec.levers] == ["registry.deletion_sharing", "appeals.enabled"]
    assert [p.name for p in spec.uncertainties] == list(UNCERTAIN)
    scales = {p.name: p.scale for p in spec.parameters}
    assert scales == {"registry.deletion_sharing": "linear", "appeals.enabled": "categorical",
                      "registry.id_missing_rate": "linear", "population.distinct_names": "log"}
    # [parameters] entries are uncertainties unless they say otherwise.
    plain = spec_of(sweep_data(parameters={"registry.sharing": {"values": [0.2, 0.8], "role": "lever"},
                                           "appeals.enabled": [True, False]}))
    assert [(p.name, p.role) for p in plain.parameters] == [("registry.sharing", "lever"),
                                                           ("appeals.enabled", "uncertainty")]


@pytest.mark.parametrize("change, field, words", [
    ({"levers": LEVERS, "uncertainties": {"registry.deletion_sharing": [0.1, 0.2]}},
     "uncertainties.registry.deletion_sharing", "varied twice"),
    ({"parameters": {"registry.sharing": {"values": [0.2], "role": "levr"}}},
     "parameters.registry.sharing.role", "did you mean 'lever'"),
    ({"levers": {"registry.sharing": {"values": [0.2], "role": "uncertainty"}}},
     "levers.registry.sharing.role", "contradicts its section"),
    ({"parameters": {"registry.sharing": {"values": [0.2, 0.4], "scale": "lgo"}}},
     "parameters.registry.sharing.scale", "did you mean 'log'"),
    ({"parameters": {"appeals.enabled": {"values": [True, False], "scale": "log"}}},
     "parameters.appeals.enabled.scale", "needs numbers"),
    ({"parameters": {"registry.sharing": {"values": [0.0, 0.5], "scale": "log"}}},
     "parameters.registry.sharing", "values > 0"),
    ({"design": {"kind": "lhs", "samples": 4},
      "parameters": {"registry.sharing": {"min": 0.1, "max": 0.9, "scale": "categorical"}}},
     "parameters.registry.sharing.scale", "list of values, not a range"),
    ({"parameters": {"registry.sharing": {"values": [0.2], "step": 1}}},
     "parameters.registry.sharing", "takes only scale and role"),
])
def test_bad_levers_and_uncertainties_name_the_field(change, field, words):
    with pytest.raises(ScenarioError) as info:
        spec_of(sweep_data(**{"parameters": {}, **change}))
    assert info.value.field == field
    assert words in info.value.reason


@pytest.mark.parametrize("change, size", [
    ({"design": {"kind": "random", "samples": 10_000_000}}, "20,000,000 runs"),
    ({"parameters": {f"registry.{k}": {"start": 0.01, "stop": 0.99, "num": 1000} for k in
                     ("sharing", "id_missing_rate", "deletion_sharing")}}, "2,000,000,000 runs"),
    ({"replicates": 100_000, "parameters": {"registry.sharing": [0.1, 0.2, 0.3]}}, "300,000 runs"),
])
def test_oversized_designs_are_refused_before_they_are_built(change, size):
    data = sweep_data(**change)
    if "design" in change:
        data["parameters"] = {"registry.sharing": {"min": 0.1, "max": 0.9}}
    start = __import__("time").perf_counter()
    with pytest.raises(ScenarioError) as info:
        spec_of(data)
    assert size in info.value.reason and "--max-runs" in info.value.reason
    assert __import__("time").perf_counter() - start < 2


def test_max_runs_lowers_or_lifts_the_limit():
    from simulation.experiments.spec import parse_sweep

    with pytest.raises(ScenarioError, match="would have 8 runs"):
        parse_sweep(sweep_data(), path=ROOT / "sweeps" / "t.toml", max_runs=7)
    assert parse_sweep(sweep_data(), path=ROOT / "sweeps" / "t.toml", max_runs=8).replicates == 2


def test_workers_are_capped_at_the_cores_unless_forced():
    from simulation.experiments.executors import capped_workers, default_workers

    cores = default_workers()
    n, note = capped_workers(cores + 28)
    assert n == cores and f"capped from {cores + 28}" in note
    assert capped_workers(cores + 28, force=True) == (cores + 28, "")
    assert capped_workers(None) == (cores, "")
