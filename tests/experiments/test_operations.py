"""Operations: signals end a sweep cleanly, no worker outlives the sweep, resume grows a design,
rerun reproduces a row, damaged folders give clear errors."""

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
from typer.testing import CliRunner

from simulation import ScenarioError
from simulation.cli import app
from simulation.experiments import run_sweep
from simulation.experiments.store import RunStore

from .conftest import results, spec_of, sweep_data, write_sweep

CLI = [sys.executable, "-m", "simulation"]
SMALL = {"days": 30, "population": {"individuals": 1500, "firms": 60}}
SLOW = sweep_data(replicates=4, fixed={"days": 60, "population": {"individuals": 2500}})


def session_processes(sid: int) -> list[int]:
    """Pids of live processes in session ``sid`` (zombies excluded)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def wait_until_gone(sid: int, timeout: float = 15) -> list[int]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        left = session_processes(sid)
        if not left:
            return []
        time.sleep(0.1)
    return session_processes(sid)


def start_sweep(tmp_path, data, *extra):
    path = write_sweep(tmp_path, data)
    out = tmp_path / "out"
    proc = subprocess.Popen([*CLI, "sweep", str(path), "--out", str(out), "--workers", "2",
                             "--chunk-size", "1", "--no-progress", *extra], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if (out / "runs").exists() and len(RunStore(out).rows()) >= 1:
            return proc, out
        if proc.poll() is not None:
            pytest.fail(f"sweep ended early: {proc.communicate()}")
        time.sleep(0.05)
    pytest.fail("sweep made no progress")


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_end_a_sweep_like_ctrl_c(sig, tmp_path):
    proc, out = start_sweep(tmp_path, SLOW)
    os.kill(proc.pid, sig)  # the sweep's own process only, as a batch scheduler does
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, stderr
    assert "Traceback" not in stderr and "continue with --resume" in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["signal"] == sig
    finished = len(RunStore(out).rows())
    assert 1 <= finished < 16 and len(pd.read_parquet(out / "runs.parquet")) == finished
    assert wait_until_gone(proc.pid) == []


def test_kill_9_of_the_sweep_leaves_no_process(tmp_path):
    proc, out = start_sweep(tmp_path, SLOW)
    assert len(session_processes(proc.pid)) >= 3  # the sweep, the forkserver, two workers
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert wait_until_gone(proc.pid) == [], "a worker (or the forkserver) outlived the sweep"
    assert len(RunStore(out).rows()) >= 1  # what finished is in the journal


def test_resume_may_add_replicates_and_points(tmp_path):
    small = sweep_data(replicates=1, fixed=SMALL, parameters={"registry.sharing": [0.3, 0.9]})
    grown = sweep_data(replicates=2, fixed=SMALL, parameters={"registry.sharing": [0.3, 0.6, 0.9]})
    out = tmp_path / "s"
    first = run_sweep(spec_of(small), out, workers=0, progress=False)
    df = run_sweep(spec_of(grown), out, workers=0, progress=False, resume=True)
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert counts == {"runs": 6, "ok": 6, "error": 0, "pending": 0, "resumed": 2, "this_session": 4}
    fresh = run_sweep(spec_of(grown), tmp_path / "fresh", workers=0, progress=False)
    pd.testing.assert_frame_equal(results(df), results(fresh))
    kept = df.set_index("run_key").loc[first["run_key"]]
    assert list(kept["registry.sharing"]) == [0.3, 0.9] and list(kept["replicate"]) == [0, 0]
    # A different seed is another sweep.
    with pytest.raises(ScenarioError, match="different sweep"):
        run_sweep(spec_of({**grown, "seed": 5}), out, workers=0, progress=False, resume=True)


def test_sweep_rerun_reproduces_a_row_byte_for_byte(tmp_path):
    data = sweep_data(replicates=2, fixed=SMALL, parameters={"registry.sharing": [0.3, 0.9]})
    out = tmp_path / "s"
    df = run_sweep(spec_of(data), out, workers=0, progress=False)
    from simulation.experiments.rerun import rerun

    old, new = rerun(out, 3, tmp_path / "run3")
    def strip(row):
        return json.dumps({k: v for k, v in row.items() if k != "wall_time_s"}, sort_keys=True, default=str)

    assert strip(old) == strip(new)
    assert json.loads((tmp_path / "run3" / "summary.json").read_text())["judgments"] == \
        df.loc[3, "judgments"]
    res = CliRunner().invoke(app, ["sweep", "rerun", str(out), "3"])
    assert res.exit_code == 0 and "reproduced exactly" in res.output
    res = CliRunner().invoke(app, ["sweep", "rerun", str(out), "x"])
    assert res.exit_code == 2 and "run_id" in res.output


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("f") / "s"
    data = sweep_data(replicates=1, fixed=SMALL, parameters={"registry.sharing": [0.3, 0.9]})
    run_sweep(spec_of(data), out, workers=0, progress=False)
    return out, data


@pytest.mark.parametrize("damage, words", [
    (lambda d: (d / "manifest.json").write_text("{not json"), "damaged manifest (not valid JSON)"),
    (lambda d: (d / "manifest.json").write_text("[1, 2]"), "not a JSON object"),
    (lambda d: (d / "manifest.json").write_text('{"kind": "sweep", "fingerprint": 3}'),
     "'fingerprint' is missing or not a str"),
    (lambda d: (d / "manifest.json").write_bytes(b"\xff\xfe"), "damaged manifest"),
    (lambda d: (d / "runs" / "part-000001.parquet").write_bytes(b"PAR1 garbage"),
     "damaged results file"),
    (lambda d: pd.DataFrame({"x": [1]}).to_parquet(d / "runs" / "part-000001.parquet"),
     "not a file of sweep runs"),
    (lambda d: (d / "runs" / "journal-000009.jsonl").write_text('garbage\n{"row": {}}\n'),
     "damaged journal (line 1"),
])
def test_damaged_sweep_folders_give_a_clear_error_naming_the_file(finished, tmp_path, damage, words):
    import shutil

    src, data = finished
    folder = tmp_path / "d"
    shutil.copytree(src, folder)
    damage(folder)
    path = write_sweep(tmp_path, data)
    res = CliRunner().invoke(app, ["sweep", str(path), "--out", str(folder), "--resume", "--workers", "0",
                                   "--no-progress"])
    text = res.output + (res.stderr if res.stderr_bytes is not None else "")
    assert res.exit_code == 2, text
    assert words in text and str(folder) in text and "Traceback" not in text
    res = CliRunner().invoke(app, ["sensitivity", str(folder)])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_manifest_records_the_dirty_flag_and_diff_hash(finished):
    manifest = json.loads((finished[0] / "manifest.json").read_text())
    assert isinstance(manifest["git_dirty"], bool)
    assert (manifest["git_diff_sha256"] is None) == (not manifest["git_dirty"])
    assert manifest["levers"] == [] and manifest["uncertainties"] == ["registry.sharing"]
