"""Parameter sweeps: crash-safe, resumable, with full provenance.

Output folder::

    sweep.toml        the sweep file as given
    base.toml         the base scenario with the fixed overrides, fully resolved
    design.parquet    one row per point (and, for sampled designs, the raw design matrix)
    runs/             the finished runs: journal + partitioned Parquet dataset (see store.py)
    series/           the daily series named in ``record``, if any (see store.py)
    runs.parquet      all runs, one row each (written at the end, and on Ctrl-C or SIGTERM)
    manifest.json     versions, git commit and dirty flag, seeds, design, counts, throughput, status

:func:`run_sweep` goes through named phases: prepare the folder, match finished runs to the
design, write the inputs, run what is left, consolidate and write the manifest.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import OutputError, ScenarioError
from simulation.experiments.design import design_points, expected_points, replicate_seeds, sample_matrix
from simulation.experiments.engine import LoopStats, SweepAborted, SweepInterrupted, Task, execute
from simulation.experiments.executors import ExecutorInfo, use_executor
from simulation.experiments.manifest import (
    atomic_write_bytes,
    provenance,
    read_manifest,
    write_manifest,
)
from simulation.experiments.spec import SweepSpec, load_sweep
from simulation.experiments.store import RunStore, atomic_write_parquet, run_key
from simulation.scenario import build_scenario, to_toml

SWEEP_ROOT = Path("results") / "sweeps"
__all__ = ["atomic_write_bytes", "atomic_write_parquet", "provenance", "run_sweep", "sweep_tasks",
           "write_manifest"]


def sweep_tasks(spec: SweepSpec, points: pd.DataFrame | None = None) -> list[Task]:
    """Every run of the sweep, point-major: run_id = point * replicates + replicate."""
    points = design_points(spec) if points is None else points
    seeds = replicate_seeds(spec.seed, spec.replicates)
    tasks = []
    seen: dict[str, int] = {}  # a sampled design may repeat a point: its copies are distinct runs
    for rec in points.to_dict("records"):
        p = int(rec.pop("point"))
        values = [rec[n] for n in spec.names]
        copy = seen[repr(values)] = seen.get(repr(values), -1) + 1
        for k, seed in enumerate(seeds):
            run_id = p * spec.replicates + k
            key = run_key([*values, copy] if copy else values, seed)
            meta = {"run_id": run_id, "point": p, "replicate": k, "seed": seed, "run_key": key, **rec}
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
            manifest = read_manifest(cand)
        except ScenarioError:
            continue
        if manifest["fingerprint"] == spec.fingerprint():
            return cand
    return None


def consolidate(rows: list[dict[str, Any]], names: list[str]) -> pd.DataFrame:
    """One row per run, sorted by run_id, columns: ids, parameters, metrics, status, error, time."""
    head = ["run_id", "point", "replicate", "seed", "run_key", *names]
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
        manifest = read_manifest(out)
        if manifest["fingerprint"] != spec.fingerprint():
            raise ScenarioError("this folder holds a different sweep (the sweep file or its base "
                                "scenario changed); choose another --out", file=str(out))
    return out


def run_sweep(sweep: str | Path | SweepSpec, out: str | Path | None = None, *,
              workers: int | None = None, scheduler: str | None = None, cluster: str | None = None,
              executor: ExecutorInfo | None = None, resume: bool = False, retry_errors: bool = False,
              progress: bool = True, chunk_size: int | None = None,
              force_workers: bool = False) -> pd.DataFrame:
    """Run a sweep into ``out`` and return its runs table (one row per run).

    ``workers=0`` runs in this process; ``cluster="local"`` starts a Dask LocalCluster;
    ``scheduler`` connects to a running Dask scheduler; more workers than cores are capped
    unless ``force_workers``. With ``resume``, runs already in ``out`` are skipped (and failed
    runs too, unless ``retry_errors``); the sweep may have gained replicates or points since.
    Ctrl-C, SIGTERM or SIGHUP raise :class:`SweepInterrupted` after saving what finished.
    The folder is in ``df.attrs["out"]``.
    """
    spec = sweep if isinstance(sweep, SweepSpec) else load_sweep(sweep)
    target = _prepare_dir(spec, Path(out) if out is not None else None, resume)
    points = design_points(spec)
    assert len(points) == expected_points(spec), "design produced an unexpected number of points"
    tasks = sweep_tasks(spec, points)
    store = RunStore(target).open()
    manifest = _manifest(spec, len(points), datetime.now(UTC).isoformat(timespec="seconds"))
    try:
        try:
            previous, todo = match_previous(store.rows(), tasks, retry_errors=retry_errors,
                                            folder=target)
            write_manifest(target, {**manifest, "status": "running"})
            _write_inputs(target, spec, points)
            stats, detail = _run_tasks(spec, todo, store, previous, executor=executor,
                                       workers=workers, scheduler=scheduler, cluster=cluster,
                                       progress=progress, chunk_size=chunk_size,
                                       force_workers=force_workers)
        finally:
            store.close()
        df = _finish(target, spec, manifest, stats, detail, tasks, n_previous=len(previous))
    except OSError as exc:
        raise _write_failed(target, manifest, exc) from None
    _raise_if_stopped(stats, len(df), len(tasks), target)
    return df


def _write_failed(target: Path, manifest: dict[str, Any], exc: OSError) -> OutputError:
    """A disk full or I/O fault mid-sweep: the manifest says "failed" (if it still can be
    written), the runs saved so far stay for ``--resume``, and the error names the file."""
    try:
        write_manifest(target, {**manifest, "status": "failed",
                                "finished": datetime.now(UTC).isoformat(timespec="seconds")})
    except OSError:
        pass  # the disk is still full: the manifest keeps its last complete state
    return OutputError(f"writing the sweep failed ({exc.strerror or exc}); the runs saved so far "
                       "are kept: free space and continue with --resume",
                       file=str(exc.filename or target))


def match_previous(rows: list[dict[str, Any]], tasks: list[Task], *, retry_errors: bool,
                   folder: Path) -> tuple[list[dict[str, Any]], list[Task]]:
    """Stored rows that belong to this design (renumbered to it), and the tasks still to run.

    Rows are matched by ``run_key`` (parameter values and seed), so a design that gained
    replicates or points keeps every run it already has. A row that matches no run of the
    design means the folder holds another sweep; with ``retry_errors`` failed rows are run again.
    """
    by_key = {t.meta["run_key"]: t for t in tasks}
    previous = []
    for row in rows:
        task = by_key.get(row.get("run_key"))
        if task is None:
            raise ScenarioError(f"stored run {row.get('run_id')} (seed {row.get('seed')}) is not a run of "
                                "this sweep; choose another --out", file=str(folder / "runs"))
        if retry_errors and row["status"] != "ok":
            continue
        previous.append({**row, **task.meta})
    done = {r["run_key"] for r in previous}
    return previous, [t for t in tasks if t.meta["run_key"] not in done]


def _write_inputs(target: Path, spec: SweepSpec, points: pd.DataFrame) -> None:
    """sweep.toml, base.toml and design.parquet (the design is rewritten: it may have grown)."""
    atomic_write_bytes(target / "sweep.toml", (spec.text or "").encode())
    resolved = build_scenario(spec.base_data, spec.fixed, file=str(spec.base_path))
    atomic_write_bytes(target / "base.toml", to_toml(resolved).encode())
    design = points.copy()
    x = sample_matrix(spec)
    if x is not None:
        for i, name in enumerate(spec.names):
            design[f"problem:{name}"] = x[:, i]
    atomic_write_parquet(design, target / "design.parquet")


def _run_tasks(spec: SweepSpec, todo: list[Task], store: RunStore, previous: list[dict[str, Any]], *,
               executor: ExecutorInfo | None, workers: int | None, scheduler: str | None,
               cluster: str | None, progress: bool, chunk_size: int | None,
               force_workers: bool) -> tuple[LoopStats, str]:
    """Run ``todo`` on the chosen executor, appending each finished run to ``store``."""
    options = {"on_row": store.append, "progress": progress, "desc": spec.name,
               "done_before": len(previous), "failed_before": sum(r["status"] != "ok" for r in previous),
               "chunk_size": chunk_size, "record": spec.record}
    t0 = time.perf_counter()
    bases = {"base": spec.base_data}
    with use_executor(executor, workers, scheduler, cluster, force=force_workers) as info:
        stats, detail = execute(todo, bases, info, **options), info.detail
    stats.wall_s = time.perf_counter() - t0
    return stats, detail


def _finish(target: Path, spec: SweepSpec, manifest: dict[str, Any], stats: LoopStats, detail: str,
            tasks: list[Task], *, n_previous: int) -> pd.DataFrame:
    """Consolidate runs.parquet from the store (numbered as this design) and write the manifest."""
    n_tasks = len(tasks)
    rows, _ = match_previous(RunStore(target).rows(), tasks, retry_errors=False, folder=target)
    df = consolidate(rows, spec.names)
    atomic_write_parquet(df, target / "runs.parquet")
    n_ok = int((df["status"] == "ok").sum())
    status = ("interrupted" if stats.interrupted else "aborted" if stats.aborted
              else "complete" if len(df) == n_tasks else "incomplete")
    manifest.update({
        "status": status, "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "executor": detail, "signal": stats.signal,
        "counts": {"runs": n_tasks, "ok": n_ok, "error": len(df) - n_ok,
                   "pending": n_tasks - len(df), "resumed": n_previous, "this_session": stats.runs},
        "throughput": stats.throughput(),
    })
    write_manifest(target, manifest)
    df.attrs["out"] = str(target)
    df.attrs["throughput"] = manifest["throughput"]
    return df


def _raise_if_stopped(stats: LoopStats, n_saved: int, n_tasks: int, target: Path) -> None:
    if stats.interrupted:
        raise SweepInterrupted(f"interrupted: {n_saved} of {n_tasks} runs saved in {target}; "
                               "continue with --resume", signal=stats.signal)
    if stats.aborted:
        raise SweepAborted(f"{stats.aborted}; {n_saved} of {n_tasks} runs saved in {target}; "
                           "continue with --resume")


def _manifest(spec: SweepSpec, n_points: int, started: str) -> dict[str, Any]:
    return {
        "kind": "sweep", "name": spec.name, "description": spec.description,
        "fingerprint": spec.fingerprint(),
        "sweep_file": str(spec.path) if spec.path else None, "base_scenario": str(spec.base_path),
        "design": spec.design.model_dump(), "problem": spec.problem(),
        "parameters": [{k: v for k, v in p.__dict__.items() if v is not None} for p in spec.parameters],
        "levers": [p.name for p in spec.levers], "uncertainties": [p.name for p in spec.uncertainties],
        "record": list(spec.record),
        "fixed": spec.fixed, "points": n_points, "replicates": spec.replicates,
        "runs": n_points * spec.replicates, "seed": spec.seed,
        "replicate_seeds": replicate_seeds(spec.seed, spec.replicates),
        "seeding": "numpy SeedSequence(seed, spawn_key=(1, k)) for replicate k of every point; "
                   "design sampler seeded from spawn_key=(0,)",
        "started": started, **provenance(),
    }
