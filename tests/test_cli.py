"""The command line: outputs, the headline table, and clear errors with exit status 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "simulation"]
FAST = ["--days", "40", "--set", "population.individuals=3000", "--set", "population.firms=100"]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_run_writes_every_output_and_prints_the_table(tmp_path):
    out = tmp_path / "run"
    p = cli("run", "scenarios/classroom.toml", *FAST, "--seed", "5",
            "--set", "registry.matching=name", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "Wrongful sanction-days" in p.stdout and str(out) in p.stdout.replace("\n", "")
    assert sorted(f.name for f in out.iterdir()) == [
        "events.parquet", "facts", "manifest.json", "scenario.toml", "summary.json",
        "timeseries.parquet"]
    summary = json.loads((out / "summary.json").read_text())
    for key in ["compliance_rate", "on_time_compliance_rate", "sanctions", "wrongful_sanctions",
                "wrongful_people", "wrongful_sanction_days", "wrongful_sanctions.name_collision",
                "wrongful_sanctions.id_error", "wrongful_sanctions.stale_record",
                "wrongful_sanctions.stale_representative", "wrongful_sanctions.listed_at_source",
                "missed_sanctions", "sanction_precision", "sanction_recall", "appeals_filed",
                "appeals_upheld", "mean_days_to_remedy", "ineligible_rewards", "legitimacy_mean",
                "listed_stock_end"]:
        assert key in summary, key
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["python"] and manifest["dependencies"]["mesa"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 40
    ev = pd.read_parquet(out / "events.parquet")
    wrongful = ev[(ev.event == "sanction") & ev.wrongful]
    assert set(wrongful.cause.astype(str)) <= {"name_collision", "id_error", "stale_record",
                                               "stale_representative", "listed_at_source"}
    resolved = (out / "scenario.toml").read_text()
    assert 'matching = "name"' in resolved and "seed = 5" in resolved
    # The resolved scenario reruns as is, to the same bytes.
    again = tmp_path / "again"
    p2 = cli("run", str(out / "scenario.toml"), "--out", str(again), "--quiet")
    assert p2.returncode == 0, p2.stderr
    assert (again / "summary.json").read_bytes() == (out / "summary.json").read_bytes()


def test_default_output_folder_is_under_results(tmp_path):
    p = subprocess.run([*CLI, "run", str(ROOT / "scenarios/classroom.toml"), *FAST, "--quiet"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    out = Path(tmp_path / p.stdout.strip())
    assert out.parent == tmp_path / "results" / "classroom"
    assert out.name.endswith("-seed1") and (out / "summary.json").exists()


def test_shipped_scenario_by_name_and_listing(tmp_path):
    p = cli("scenarios")
    assert p.returncode == 0
    for name in ("baseline", "unified-ids", "name-matching", "no-appeals", "slow-deletion",
                 "hub", "local-pilots", "firms-representatives"):
        assert name in p.stdout
    p = cli("run", "classroom", *FAST, "--out", str(tmp_path / "x"), "--quiet")
    assert p.returncode == 0, p.stderr


def test_validate_and_schema():
    p = cli("validate", *[str(f) for f in sorted((ROOT / "scenarios").glob("*.toml"))])
    assert p.returncode == 0 and p.stdout.count(": OK") >= 8
    p = cli("schema")
    schema = json.loads(p.stdout)
    assert "registry" in schema["properties"]


@pytest.fixture
def bad_files(tmp_path):
    files = {
        "not_toml.toml": "days = = 3\n",
        "unknown_key.toml": "[registry]\nsharin = 0.5\n",
        "wrong_type.toml": "[population]\nindividuals = \"many\"\n",
        "rate.toml": "[registry]\nsharing = 1.5\n",
        "negative.toml": "days = -3\n",
        "zero_people.toml": "[population]\nindividuals = 0\n",
        "enum.toml": "[registry]\nmatching = \"fuzzy\"\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("name, words", [
    ("not_toml.toml", "not valid TOML"),
    ("unknown_key.toml", "registry.sharin: unknown key 'sharin'; did you mean 'sharing'?"),
    ("wrong_type.toml", "population.individuals"),
    ("rate.toml", "registry.sharing: Input should be less than or equal to 1"),
    ("negative.toml", "days: Input should be greater than or equal to 1"),
    ("zero_people.toml", "population.individuals: Input should be greater than or equal to 1"),
    ("enum.toml", "registry.matching"),
])
def test_bad_scenario_files_exit_2_with_file_field_reason(bad_files, name, words, tmp_path):
    out = tmp_path / "never"
    p = cli("run", str(bad_files / name), "--out", str(out))
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert name in p.stderr and words in " ".join(p.stderr.split())
    assert not out.exists()
    v = cli("validate", str(bad_files / name))
    assert v.returncode == 2 and "Traceback" not in v.stderr


@pytest.mark.parametrize("args, words", [
    (["run", "nope.toml"], "nope.toml: no such file"),
    (["run", "classroom", "--set", "registry.sharing"], "--set: 'registry.sharing' is not of the form"),
    (["run", "classroom", "--set", "registry.sharing=2"], "registry.sharing"),
    (["run", "classroom", "--set", "registry.matching=fuzzy"], "registry.matching"),
    (["run", "classroom", "--set", "agencies.airline.matchng=id"], "did you mean 'matching'"),
    (["run", "classroom", "--set", "jurisdictions.j9.appeals.enabled=false"],
     "unknown jurisdictions 'j9'"),
    (["run", "classroom", "--days", "-1"], "days"),
])
def test_bad_command_line_input_exits_2(args, words):
    p = cli(*args)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    assert words in " ".join(p.stderr.split())


def test_existing_output_folder_is_refused(tmp_path):
    out = tmp_path / "exists"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    p = cli("run", "classroom", *FAST, "--out", str(out))
    assert p.returncode == 2 and "output folder exists" in p.stderr
    assert [f.name for f in out.iterdir()] == ["keep.txt"]


def test_interrupted_run_leaves_nothing_behind(tmp_path):
    out = tmp_path / "interrupted"
    proc = subprocess.Popen([*CLI, "run", "baseline", "--days", "3000", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert "running baseline" in proc.stderr.readline()  # the run itself has started
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not out.exists()
    assert not any(p.name.startswith(".interrupted") for p in tmp_path.iterdir())
