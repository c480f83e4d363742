"""Sweep throughput: 1 vs 2 worker processes, and the per-run overhead of the sweep machinery.

    .venv/bin/python benchmarks/sweep_throughput.py            # ~1 minute on 2 idle cores
    .venv/bin/python benchmarks/sweep_throughput.py --runs 12 --days 120   # quicker

Measures, on the classroom world:

1. the same sweep in this process (pure model time per run, no executor at all);
2. the sweep on a process pool with 1 worker and with 2 workers: wall time, speed-up, and the
   overhead per run = (workers x wall - time spent running models) / runs, which includes
   process start-up, imports, task transfer, writing each run's Parquet file and idle tails;
3. many tiny runs (a few simulated days each) with adaptive chunking versus one run per task,
   to show that batching keeps the overhead small when runs are short.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from simulation.experiments.spec import parse_sweep
from simulation.experiments.sweep import run_sweep

ROOT = Path(__file__).resolve().parent.parent


def spec(runs: int, days: int, individuals: int, name: str):
    values = [round(0.05 + 0.9 * i / max(runs - 1, 1), 6) for i in range(runs)]
    return parse_sweep({
        "name": name, "base": "classroom", "design": "grid", "replicates": 1, "seed": 1,
        "fixed": {"days": days, "population.individuals": individuals},
        "parameters": {"registry.sharing": values},
    }, path=ROOT / "sweeps" / f"{name}.toml")


def timed(sp, folder: Path, **kwargs) -> tuple[float, dict]:
    start = time.perf_counter()
    df = run_sweep(sp, folder, progress=False, **kwargs)
    wall = time.perf_counter() - start
    assert (df["status"] == "ok").all()
    return wall, df.attrs["throughput"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--individuals", type=int, default=10000)
    ap.add_argument("--tiny-runs", type=int, default=120)
    args = ap.parse_args()

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {cores} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    big = spec(args.runs, args.days, args.individuals, "bench")
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        w0, tp0 = timed(big, t / "inline", workers=0)
        w1, tp1 = timed(big, t / "w1", workers=1)
        w2, tp2 = timed(big, t / "w2", workers=2)
        mean = tp0["mean_run_s"]
        print(f"\nsweep of {args.runs} runs (classroom, {args.individuals:,} people, {args.days} days)")
        print(f"  in-process (no executor): {w0:6.2f} s wall, {mean:.3f} s per run of model time")
        for label, w, tp in (("1 worker ", w1, tp1), ("2 workers", w2, tp2)):
            print(f"  {label}: {w:6.2f} s wall, overhead {tp['overhead_per_run_s']:.3f} s per run = "
                  f"{100 * tp['overhead_share']:.1f}% of worker capacity ({tp['chunks']} tasks)")
        print(f"  speed-up 2 vs 1 workers: {w1 / w2:.2f}x")

        tiny = spec(args.tiny_runs, 5, 3000, "tiny")
        a, tpa = timed(tiny, t / "tiny-adaptive", workers=2)
        b, tpb = timed(tiny, t / "tiny-single", workers=2, chunk_size=1)
        print(f"\n{args.tiny_runs} tiny runs (3,000 people, 5 days; "
              f"{tpa['mean_run_s']:.3f} s each), 2 workers")
        print(f"  adaptive chunks ({tpa['chunks']} tasks, up to {tpa['max_chunk']} runs): {a:5.2f} s wall, "
              f"overhead {100 * tpa['overhead_share']:.1f}%")
        print(f"  one run per task ({tpb['chunks']} tasks):          {b:5.2f} s wall, "
              f"overhead {100 * tpb['overhead_share']:.1f}%")


if __name__ == "__main__":
    main()
