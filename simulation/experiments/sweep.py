"""Parameter sweeps: crash-safe, resumable, with full provenance.

Output folder::

    sweep.toml        the sweep file as given
    base.toml         the base scenario with the fixed overrides, fully resolved
    design.parquet    one row per point (and, for sampled designs, the raw design matrix)
    runs/NNNNNN.parquet  one file per finished run, written atomically (temp file + os.replace)
    runs.parquet      all runs, one row each (written at the end, and on Ctrl-C)
    manifest.json     versions, git commit, seeds, design, counts, throughput, status
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import ScenarioError
from simulation.experiments.design import design_points, expected_points, replicate_seeds, sample_matrix
from simulation.experiments.engine import SweepAborted, SweepInterrupted, Task, execute
from simulation.experiments.executors import ExecutorInfo, open_executor
from simulation.experiments.spec import SweepSpec, load_sweep
from simulation.runner import PACKAGES, _version, git_commit
from simulation.scenario import build_scenario, to_toml

SWEEP_ROOT = Path("results") / "sweeps"
EXTRA_PACKAGES = ("SALib", "scipy", "dask", "distributed", "tqdm")


def provenance() -> dict[str, Any]:
    """Package, dependency and Python versions, git commit, platform."""
    return {
        "package": "joint-sanctions", "version": _version("joint-sanctions"), "git_commit": git_commit(),
        "python": sys.version.split()[0], "platform": platform.platform(),
        "dependencies": {p: _version(p) for p in (*PACKAGES, *EXTRA_PACKAGES)},
    }


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old file or the whole new one, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def atomic_write_parquet(df: pd.DataFrame, path: Path) -> None:
    """DataFrame to Parquet via a temporary file and os.replace."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def sweep_tasks(spec: SweepSpec, points: pd.DataFrame | None = None) -> list[Task]:
    """Every run of the sweep, point-major: run_id = point * replicates + replicate."""
    points = design_points(spec) if points is None else points
    seeds = replicate_seeds(spec.seed, spec.replicates)
    tasks = []
    for rec in points.to_dict("records"):
        p = int(rec.pop("point"))
        for k, seed in enumerate(seeds):
            run_id = p * spec.replicates + k
            meta = {"run_id": run_id, "point": p, "replicate": k, "seed": seed, **rec}
            tasks.append(Task(run_id, "base", {**spec.fixed, **rec}, seed, meta))
    return tasks


def default_sweep_dir(spec: SweepSpec, root: Path = SWEEP_ROOT) -> Path:
    """results/sweeps/<name>/<timestamp>/, never an existing folder."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out, k = root / spec.name / stamp, 1
    while out.exists():
        k += 1
        out = root / spec.name / f"{stamp}-{k}"
    return out


def latest_sweep_dir(spec: SweepSpec, root: Path = SWEEP_ROOT) -> Path | None:
    """The newest folder under results/sweeps/<name>/ made by this same sweep, if any."""
    folder = root / spec.name
    if not folder.is_dir():
        return None
    for cand in sorted(folder.iterdir(), reverse=True):
        try:
            manifest = json.loads((cand / "manifest.json").read_text())
        except (OSError, ValueError):
            continue
        if manifest.get("fingerprint") == spec.fingerprint():
            return cand
    return None


def read_run_files(runs_dir: Path) -> list[dict[str, Any]]:
    """Rows of every finished run file (temporary files are ignored)."""
    rows = []
    for path in sorted(runs_dir.glob("[0-9]*.parquet")):
        try:
            rows.extend(pd.read_parquet(path).to_dict("records"))
        except Exception:  # noqa: BLE001 - unreadable means not finished: run it again
            path.unlink(missing_ok=True)
    return rows


def consolidate(rows: list[dict[str, Any]], names: list[str]) -> pd.DataFrame:
    """One row per run, sorted by run_id, columns: ids, parameters, metrics, status, error, time."""
    head = ["run_id", "point", "replicate", "seed", *names]
    tail = ["status", "error", "wall_time_s"]
    if not rows:
        return pd.DataFrame(columns=head + tail)
    df = pd.DataFrame(rows)
    metrics = sorted(c for c in df.columns if c not in head and c not in tail)
    df = df[head + metrics + tail].sort_values("run_id", kind="stable").reset_index(drop=True)
    df["error"] = df["error"].astype(object).where(df["error"].notna(), None)
    for col in ("run_id", "point", "replicate", "seed"):
        df[col] = df[col].astype("int64")
    return df


def _prepare_dir(spec: SweepSpec, out: Path | None, resume: bool) -> Path:
    if out is None:
        if resume:
            found = latest_sweep_dir(spec)
            if found is None:
                raise ScenarioError(f"nothing to resume under {SWEEP_ROOT / spec.name}; give --out",
                                    field="--resume")
            return found
        return default_sweep_dir(spec)
    if out.exists() and not out.is_dir():
        raise ScenarioError("exists and is not a folder", file=str(out))
    if out.exists() and any(out.iterdir()):
        if not resume:
            raise ScenarioError("output folder exists and is not empty; use --resume to continue "
                                "that sweep, or choose another --out", file=str(out))
        try:
            manifest = json.loads((out / "manifest.json").read_text())
        except (OSError, ValueError):
            raise ScenarioError("not a sweep folder (no readable manifest.json)", file=str(out)) from None
        if manifest.get("fingerprint") != spec.fingerprint():
            raise ScenarioError("this folder holds a different sweep (the sweep file or its base "
                                "scenario changed); choose another --out", file=str(out))
    return out


def run_sweep(sweep: str | Path | SweepSpec, out: str | Path | None = None, *,
              workers: int | None = None, scheduler: str | None = None, cluster: str | None = None,
              executor: ExecutorInfo | None = None, resume: bool = False, retry_errors: bool = False,
              progress: bool = True, chunk_size: int | None = None) -> pd.DataFrame:
    """Run a sweep into ``out`` and return its runs table (one row per run).

    ``workers=0`` runs in this process; ``cluster="local"`` starts a Dask LocalCluster;
    ``scheduler`` connects to a running Dask scheduler. With ``resume``, runs already in ``out``
    are skipped (and failed runs too, unless ``retry_errors``). Ctrl-C raises
    :class:`SweepInterrupted` after saving what finished. The folder is in ``df.attrs["out"]``.
    """
    spec = sweep if isinstance(sweep, SweepSpec) else load_sweep(sweep)
    target = _prepare_dir(spec, Path(out) if out is not None else None, resume)
    runs_dir = target / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    points = design_points(spec)
    assert len(points) == expected_points(spec), "design produced an unexpected number of points"
    tasks = sweep_tasks(spec, points)

    previous = read_run_files(runs_dir)
    if retry_errors:
        for row in previous:
            if row["status"] != "ok":
                (runs_dir / f"{int(row['run_id']):06d}.parquet").unlink(missing_ok=True)
        previous = [r for r in previous if r["status"] == "ok"]
    by_id = {t.run_id: t for t in tasks}
    for row in previous:
        task = by_id.get(int(row["run_id"]))
        if task is None or int(row["seed"]) != task.seed:
            raise ScenarioError(f"run file {int(row['run_id']):06d}.parquet does not belong to this sweep",
                                file=str(target))
    done = {int(r["run_id"]) for r in previous}
    todo = [t for t in tasks if t.run_id not in done]

    started = datetime.now(UTC).isoformat(timespec="seconds")
    manifest = _manifest(spec, len(points), started)
    manifest["status"] = "running"
    _write_manifest(target, manifest)
    if not (target / "sweep.toml").exists():
        atomic_write_bytes(target / "sweep.toml", (spec.text or "").encode())
        resolved = build_scenario(spec.base_data, spec.fixed, file=str(spec.base_path))
        atomic_write_bytes(target / "base.toml", to_toml(resolved).encode())
        design = points.copy()
        x = sample_matrix(spec)
        if x is not None:
            for i, name in enumerate(spec.names):
                design[f"problem:{name}"] = x[:, i]
        atomic_write_parquet(design, target / "design.parquet")

    new_rows: list[dict[str, Any]] = []

    def on_row(row: dict[str, Any]) -> None:
        atomic_write_parquet(pd.DataFrame([row]), runs_dir / f"{row['run_id']:06d}.parquet")
        new_rows.append(row)

    n_failed_before = sum(r["status"] != "ok" for r in previous)
    t0 = time.perf_counter()
    bases = {"base": spec.base_data}
    if executor is not None:
        stats = execute(todo, bases, executor, on_row=on_row, progress=progress, desc=spec.name,
                        done_before=len(previous), failed_before=n_failed_before, chunk_size=chunk_size)
        detail = executor.detail
    else:
        with open_executor(workers, scheduler, cluster) as info:
            stats = execute(todo, bases, info, on_row=on_row, progress=progress, desc=spec.name,
                            done_before=len(previous), failed_before=n_failed_before,
                            chunk_size=chunk_size)
            detail = info.detail
    stats.wall_s = time.perf_counter() - t0

    df = consolidate(previous + new_rows, spec.names)
    atomic_write_parquet(df, target / "runs.parquet")
    n_ok = int((df["status"] == "ok").sum())
    status = ("interrupted" if stats.interrupted else "aborted" if stats.aborted
              else "complete" if len(df) == len(tasks) else "incomplete")
    manifest.update({
        "status": status, "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "executor": detail,
        "counts": {"runs": len(tasks), "ok": n_ok, "error": len(df) - n_ok,
                   "pending": len(tasks) - len(df), "resumed": len(previous), "this_session": stats.runs},
        "throughput": stats.throughput(),
    })
    _write_manifest(target, manifest)
    df.attrs["out"] = str(target)
    df.attrs["throughput"] = manifest["throughput"]
    if stats.interrupted:
        raise SweepInterrupted(f"interrupted: {len(df)} of {len(tasks)} runs saved in {target}; "
                               "continue with --resume")
    if stats.aborted:
        raise SweepAborted(f"{stats.aborted}; {len(df)} of {len(tasks)} runs saved in {target}; "
                           "continue with --resume")
    return df


def _manifest(spec: SweepSpec, n_points: int, started: str) -> dict[str, Any]:
    return {
        "kind": "sweep", "name": spec.name, "description": spec.description,
        "fingerprint": spec.fingerprint(),
        "sweep_file": str(spec.path) if spec.path else None, "base_scenario": str(spec.base_path),
        "design": spec.design.model_dump(), "problem": spec.problem(),
        "parameters": [{k: v for k, v in p.__dict__.items() if v is not None} for p in spec.parameters],
        "fixed": spec.fixed, "points": n_points, "replicates": spec.replicates,
        "runs": n_points * spec.replicates, "seed": spec.seed,
        "replicate_seeds": replicate_seeds(spec.seed, spec.replicates),
        "seeding": "numpy SeedSequence(seed, spawn_key=(1, k)) for replicate k of every point; "
                   "design sampler seeded from spawn_key=(0,)",
        "started": started, **provenance(),
    }


def _write_manifest(target: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    atomic_write_bytes(target / "manifest.json", text.encode())
