"""How much disk a sweep's results take: files created, bytes, storage overhead per run.

Two measurements:

- ``--runs N`` (default 10,000): N run rows through the sweep's store (journal, then
  partitioned Parquet parts), each a real summary row and real daily series taken from a run of
  a tiny scenario, made distinct per run (its run_id, seed and key; metric values perturbed so
  that compression cannot cheat). This isolates the storage layer: no model time.
- ``--real-runs M`` (default 0): an actual sweep of M runs of the tiny scenario on 2 workers,
  for the bytes per run of the whole folder as a user gets it.

    python benchmarks/sweep_storage.py --runs 10000 --real-runs 200
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from simulation.experiments.store import RunStore, run_key
from simulation.runner import run
from simulation.scenario import load_scenario

TINY = {"days": 30, "population.individuals": 300, "population.firms": 15}
SERIES = ("listed_stock.individuals", "wrongful_sanctions", "legitimacy_mean")


def folder_stats(folder: Path) -> tuple[int, int]:
    """(files, bytes) under ``folder``."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def replay(n: int, with_series: bool) -> dict[str, float]:
    """n rows through a RunStore; returns files, bytes, bytes per run, seconds per run."""
    result = run(load_scenario("scenarios/classroom.toml", TINY))
    template = {k: v for k, v in result.summary.items()}
    ts = result.timeseries
    rng = np.random.default_rng(0)
    out = Path(tempfile.mkdtemp()) / "store"
    store = RunStore(out).open()
    start = time.perf_counter()
    for i in range(n):
        row = {"run_id": i, "point": i // 4, "replicate": i % 4, "seed": int(rng.integers(2**62)),
               "run_key": run_key([i], i), "registry.sharing": float(rng.random())}
        row.update({k: (v * (1 + 0.01 * rng.standard_normal()) if isinstance(v, float) else v)
                    for k, v in template.items()})
        row.update(status="ok", error=None, wall_time_s=float(rng.random()))
        series = None
        if with_series:
            series = {"day": ts["day"].astype(int).tolist(),
                      **{s: (ts[s].to_numpy() * (1 + 0.01 * rng.standard_normal(len(ts)))).tolist()
                         for s in SERIES}}
        store.append(row, series)
    store.close()
    wall = time.perf_counter() - start
    files, size = folder_stats(out)
    summary_bytes = sum(p.stat().st_size for p in (out / "runs").glob("*.parquet"))
    assert len(RunStore(out).rows()) == n
    return {"runs": n, "files": files, "bytes": size, "summary_bytes_per_run": summary_bytes / n,
            "bytes_per_run": size / n, "store_s_per_run": wall / n, "days": len(ts),
            "metrics": len(template)}


def real(n: int) -> dict[str, float]:
    """An actual sweep of n tiny runs on 2 workers."""
    from simulation.experiments import run_sweep
    from simulation.experiments.spec import parse_sweep

    reps = 4
    data = {"name": "storage", "base": "classroom", "replicates": reps, "seed": 1,
            "design": {"kind": "random", "samples": n // reps},
            "fixed": {"days": TINY["days"], "population": {"individuals": 300, "firms": 15}},
            "record": list(SERIES),
            "parameters": {"registry.sharing": {"min": 0.1, "max": 0.9}}}
    spec = parse_sweep(data, path=Path("sweeps") / "storage.toml")
    out = Path(tempfile.mkdtemp()) / "sweep"
    start = time.perf_counter()
    df = run_sweep(spec, out, workers=2, progress=False)
    wall = time.perf_counter() - start
    files, size = folder_stats(out)
    return {"runs": len(df), "files": files, "bytes": size, "bytes_per_run": size / len(df),
            "wall_s": wall, "overhead_share": df.attrs["throughput"]["overhead_share"]}


def main() -> None:
    """Print the storage figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--real-runs", type=int, default=0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for with_series in (False, True):
        r = replay(args.runs, with_series)
        label = f"with {len(SERIES)} daily series x {r['days']} days" if with_series else "summary rows only"
        print(f"{r['runs']:,} runs through the store, {label}: {r['files']} files, {r['bytes']:,} bytes; "
              f"summary {r['summary_bytes_per_run']:.0f} B/run, all {r['bytes_per_run']:.0f} B/run; "
              f"{1e3 * r['store_s_per_run']:.2f} ms/run to store ({r['metrics']} metrics per row)")
    if args.real_runs:
        r = real(args.real_runs)
        print(f"real sweep of {r['runs']} tiny runs (2 workers, with series): {r['files']} files, "
              f"{r['bytes']:,} bytes = {r['bytes_per_run']:.0f} B/run in total (inputs, manifest, "
              f"runs.parquet included); {r['wall_s']:.1f} s wall, overhead {100 * r['overhead_share']:.1f}%")


if __name__ == "__main__":
    main()
