"""Paired comparisons: exact zero against itself, a clear effect, honest coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from simulation import load_scenario
from simulation.cli import app
from simulation.experiments import compare, run_many, summarise_comparison
from simulation.experiments.comparison import t_interval

SMALL = {"days": 60, "population.individuals": 3000, "population.firms": 150}


def test_a_scenario_compared_with_itself_differs_by_exactly_zero():
    table = compare(["classroom", "classroom"], replicates=3, overrides=SMALL, workers=0)
    second = table[table["scenario"] == "classroom (2)"]
    assert len(second) == table["metric"].nunique()
    defined = second[second["n_pairs"] >= 2]
    assert len(defined) >= 10
    assert (defined["diff"] == 0).all()
    assert (defined["diff_ci_low"] == 0).all() and (defined["diff_ci_high"] == 0).all()
    runs = table.attrs["runs"]
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()  # paired by seed


def test_a_clear_effect_has_a_paired_interval_excluding_zero():
    # Name matching in a crowded name pool wrongs namesakes; ID matching never does.
    crowded = {**SMALL, "days": 90, "population.distinct_names": 1000,
               "courts.judgment_rate_per_year": 0.03}
    a = load_scenario("scenarios/classroom.toml", {**crowded, "registry.matching": "id"})
    b = load_scenario("scenarios/classroom.toml", {**crowded, "registry.matching": "name"})
    table = compare([a, b], replicates=5, metrics=["wrongful_sanctions.name_collision"], workers=0)
    row = table.iloc[1]
    assert row["diff_ci_low"] > 0 and row["diff"] > 0
    assert table.iloc[0]["mean"] == 0  # ID matching: no name collisions at all
    assert row["n_pairs"] == 5 and row["unit"] == "events"


def test_paired_t_intervals_cover_the_true_difference_about_95_percent():
    rng = np.random.default_rng(5)
    truth, covered, trials, n = 2.0, 0, 250, 6
    for _ in range(trials):
        shared = rng.normal(10, 3, n)  # common random numbers: most noise is shared
        a = shared + rng.normal(0, 1, n)
        b = shared + truth + rng.normal(0, 1, n)
        runs = pd.DataFrame({"scenario": ["A"] * n + ["B"] * n, "scenario_index": [0] * n + [1] * n,
                             "replicate": list(range(n)) * 2, "status": "ok",
                             "m": np.concatenate([a, b])})
        row = summarise_comparison(runs, ["m"]).iloc[1]
        covered += row["diff_ci_low"] <= truth <= row["diff_ci_high"]
    assert 0.91 <= covered / trials <= 0.99


def test_t_interval_matches_the_textbook():
    mean, sd, lo, hi = t_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.5 and np.isclose(sd, 1.2909944)
    assert np.isclose(hi - mean, 3.182446 * sd / 2)  # t(0.975, 3) = 3.182446
    assert np.isnan(t_interval(np.array([1.0]))[2])


def test_run_many_crosses_scenarios_points_and_replicates():
    df = run_many(["classroom"], replicates=2, overrides=SMALL, workers=0,
                  points=[{"registry.sharing": 0.2}, {"registry.sharing": 0.8}])
    assert len(df) == 4 and list(df["registry.sharing"]) == [0.2, 0.2, 0.8, 0.8]
    assert (df["status"] == "ok").all()


def test_cli_compare_writes_table_and_figures(tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["compare", "classroom", "no-appeals", "--replicates", "2",
                                      "--days", "40", "--set", "population.individuals=2000",
                                      "--workers", "0", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    for name in ("compare.csv", "compare.parquet", "compare.png", "compare.svg", "runs.parquet",
                 "manifest.json"):
        assert (out / name).exists(), name
    table = pd.read_csv(out / "compare.csv")
    assert set(table["scenario"]) == {"classroom", "no-appeals"}
    assert "Wrongful" in result.output and "paired seeds" in result.output
    bad = CliRunner().invoke(app, ["compare", "classroom", "--replicates", "2", "--set",
                                   "registry.sharing=2", "--workers", "0", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "registry.sharing" in bad.output + bad.stderr
