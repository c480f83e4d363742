"""Sweeps: identical results on every executor, resume after a kill, failed runs recorded."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from simulation import ScenarioError
from simulation.experiments import run_sweep
from simulation.experiments import worker as worker_module
from simulation.experiments.store import RunStore

from .conftest import results, spec_of, sweep_data, write_sweep

CLI = [sys.executable, "-m", "simulation"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny grid run in this process: the rows every other way of running must reproduce."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    df = run_sweep(spec_of(sweep_data()), out, workers=0, progress=False)
    return out, df


def test_sweep_writes_runs_manifest_and_provenance(reference):
    out, df = reference
    assert len(df) == 8 and (df["status"] == "ok").all()
    assert list(df.columns[:7]) == ["run_id", "point", "replicate", "seed", "run_key",
                                    "registry.sharing", "appeals.enabled"]
    assert list(df.columns[-3:]) == ["status", "error", "wall_time_s"]
    for metric in ("compliance_rate", "wrongful_sanctions", "wrongful_sanction_days", "legitimacy_mean"):
        assert metric in df.columns
    assert pd.read_parquet(out / "runs.parquet").equals(df)
    assert [p.name for p in (out / "runs").iterdir()] == ["part-000001.parquet"]  # one part, no journal
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["counts"] == {"runs": 8, "ok": 8, "error": 0, "pending": 0, "resumed": 0,
                                  "this_session": 8}
    assert manifest["replicate_seeds"] == sorted(set(df["seed"]), key=list(df["seed"]).index)
    assert manifest["dependencies"]["mesa"] and "git_commit" in manifest
    assert (out / "sweep.toml").exists() and (out / "base.toml").exists()
    assert len(pd.read_parquet(out / "design.parquet")) == 4
    # Common random numbers: replicate k has the same seed at every point.
    assert df.groupby("replicate")["seed"].nunique().eq(1).all()


def test_process_pool_gives_identical_results(reference, tmp_path):
    _, ref = reference
    df = run_sweep(spec_of(sweep_data()), tmp_path / "pool", workers=2, progress=False, chunk_size=3)
    pd.testing.assert_frame_equal(results(df), results(ref))


def test_dask_local_cluster_gives_identical_results(reference, tmp_path):
    pytest.importorskip("distributed")
    _, ref = reference
    df = run_sweep(spec_of(sweep_data()), tmp_path / "dask", cluster="local", workers=2, progress=False)
    pd.testing.assert_frame_equal(results(df), results(ref))
    assert "LocalCluster" in json.loads((tmp_path / "dask" / "manifest.json").read_text())["executor"]


def test_resume_runs_only_what_is_missing_and_gives_the_same_rows(reference, tmp_path):
    out, ref = reference
    crashed = tmp_path / "crashed"
    shutil.copytree(out, crashed)
    (crashed / "runs.parquet").unlink()  # a killed sweep never consolidated
    # As a kill -9 leaves it: no part yet, four runs in the journal, the fifth torn mid-line.
    part = crashed / "runs" / "part-000001.parquet"
    rows = pd.read_parquet(part).to_dict("records")
    part.unlink()
    kept = [json.dumps({"row": r}) for r in rows if r["run_id"] not in (1, 4, 5, 7)]
    torn = json.dumps({"row": rows[1]})[:40]
    (crashed / "runs" / "journal-000001.jsonl").write_text("\n".join(kept) + "\n" + torn)
    (crashed / "runs" / ".part-000001.parquet.999.tmp").write_bytes(b"half a file")
    with pytest.raises(ScenarioError, match="use --resume"):
        run_sweep(spec_of(sweep_data()), crashed, workers=0, progress=False)
    df = run_sweep(spec_of(sweep_data()), crashed, workers=0, progress=False, resume=True)
    pd.testing.assert_frame_equal(results(df), results(ref))
    counts = json.loads((crashed / "manifest.json").read_text())["counts"]
    assert counts["resumed"] == 4 and counts["this_session"] == 4
    # Resuming a finished sweep runs nothing.
    again = run_sweep(spec_of(sweep_data()), crashed, workers=0, progress=False, resume=True)
    pd.testing.assert_frame_equal(results(again), results(ref))


def test_resume_refuses_a_folder_of_another_sweep(reference, tmp_path):
    out, _ = reference
    shutil.copytree(out, tmp_path / "other")
    with pytest.raises(ScenarioError, match="different sweep"):
        run_sweep(spec_of(sweep_data(seed=99)), tmp_path / "other", workers=0, progress=False,
                  resume=True)


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(monkeypatch, tmp_path):
    real = worker_module.run_one

    def flaky(base, overrides, seed):
        if overrides["registry.sharing"] == 0.9 and overrides["appeals.enabled"] is False:
            raise RuntimeError("injected failure")
        return real(base, overrides, seed)

    monkeypatch.setattr(worker_module, "run_one", flaky)
    df = run_sweep(spec_of(sweep_data()), tmp_path / "s", workers=0, progress=False)
    bad = df[df["status"] == "error"]
    assert list(bad["point"]) == [3, 3]
    assert bad["error"].str.startswith("RuntimeError: injected failure").all()
    assert bad["compliance_rate"].isna().all()
    assert (df.loc[df["status"] == "ok", "error"].isna()).all() and len(df) == 8
    counts = json.loads((tmp_path / "s" / "manifest.json").read_text())["counts"]
    assert counts["ok"] == 6 and counts["error"] == 2
    # --retry-errors runs exactly the failed runs again.
    monkeypatch.setattr(worker_module, "run_one", real)
    df2 = run_sweep(spec_of(sweep_data()), tmp_path / "s", workers=0, progress=False, resume=True,
                    retry_errors=True)
    assert (df2["status"] == "ok").all()


FAILING_CLI = """
import sys
import simulation.experiments.worker as worker
real = worker.run_one
def failing(base, overrides, seed):
    if overrides.get("population.individuals") == 1:
        raise IndexError("injected failure in the model")
    return real(base, overrides, seed)
worker.run_one = failing
from simulation.cli import main
sys.argv = ["joint-sanctions", *sys.argv[1:]]
main()
"""


def test_cli_sweep_records_a_run_that_fails_in_the_model(tmp_path):
    # The CLI end to end (in-process executor, so the injected failure reaches the run).
    path = write_sweep(tmp_path, sweep_data(replicates=1, fixed={"days": 40}, parameters={
        "population.individuals": [1, 2000]}))
    proc = subprocess.run([sys.executable, "-c", FAILING_CLI, "sweep", str(path), "--out",
                           str(tmp_path / "out"), "--workers", "0", "--no-progress"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    df = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert list(df["status"]) == ["error", "ok"]
    assert df["error"].iloc[0].startswith("IndexError")
    assert "1 failed" in proc.stdout and "first failure" in proc.stderr


def _start(args, cwd):
    return subprocess.Popen([*CLI, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _finished(folder):
    return len(RunStore(folder).rows()) if (folder / "runs").exists() else 0


def _wait_for_runs(folder, n, proc, timeout=90):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if _finished(folder) >= n:
            return
        if proc.poll() is not None:
            pytest.fail(f"sweep ended early: {proc.communicate()}")
        time.sleep(0.05)
    pytest.fail("sweep made no progress")


KILL_DATA = sweep_data(replicates=3, fixed={"days": 50, "population": {"individuals": 2500}})


@pytest.fixture(scope="module")
def kill_reference(tmp_path_factory):
    return run_sweep(spec_of(KILL_DATA), tmp_path_factory.mktemp("k") / "s", workers=0, progress=False)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killed_cli_sweep_resumes_to_the_uninterrupted_rows(sig, tmp_path, kill_reference):
    path = write_sweep(tmp_path, KILL_DATA)
    out = tmp_path / "out"
    proc = _start(["sweep", str(path), "--out", str(out), "--workers", "1", "--chunk-size", "1",
                   "--no-progress"], tmp_path)
    _wait_for_runs(out, 2, proc)
    os.killpg(proc.pid, sig)  # the whole group: Ctrl-C at a terminal, or a hard crash
    _, stderr = proc.communicate(timeout=60)
    finished = _finished(out)
    assert 2 <= finished < 12, "the sweep finished before it could be interrupted"
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert "continue with --resume" in stderr and "Traceback" not in stderr
        assert len(pd.read_parquet(out / "runs.parquet")) == finished
        assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
        resumed = subprocess.run([*CLI, "sweep", str(path), "--out", str(out), "--resume", "--workers",
                                  "1", "--no-progress"], capture_output=True, text=True, cwd=tmp_path,
                                 timeout=120)
        assert resumed.returncode == 0, resumed.stderr
    else:
        run_sweep(spec_of(KILL_DATA), out, workers=0, progress=False, resume=True)
    got = pd.read_parquet(out / "runs.parquet")
    pd.testing.assert_frame_equal(results(got), results(kill_reference))
