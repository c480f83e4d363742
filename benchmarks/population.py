"""Population benchmark: building the baseline's individuals and firms (5%) at each size.

Each size is built ``--repeats`` times, each time in a fresh subprocess (so the imports are not
counted, and no build reuses memory a previous one touched), and the median wall and CPU time of
the build itself (``Individuals`` + ``Firms``) is printed with the machine's load, then where the
time went in the last build (the named steps of :class:`simulation.population.Individuals`).

    .venv/bin/python benchmarks/population.py                  # 10^7, 5 builds
    .venv/bin/python benchmarks/population.py --sizes 1e6 1e7 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import cProfile, json, pstats, sys, time
from simulation import load_scenario
from simulation.population import Firms, Individuals
from simulation.streams import Streams

n = int(sys.argv[1])
scenario = load_scenario("scenarios/baseline.toml",
                         {"population.individuals": n, "population.firms": n // 20})
streams = Streams(scenario.seed)
profile = cProfile.Profile() if sys.argv[2] == "profile" else None
wall, cpu = time.perf_counter(), time.process_time()
if profile:
    profile.enable()
people = Individuals(scenario, streams)
Firms(scenario, streams, people)
if profile:
    profile.disable()
out = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
if profile:
    stats = pstats.Stats(profile).stats
    rows = sorted(((v[2], f"{k[0].rpartition('/')[2]}:{k[2]}") for k, v in stats.items()), reverse=True)
    out["own_time"] = rows[:8]
print(json.dumps(out))
"""


def build(n: int, profile: bool) -> dict:
    """One build of ``n`` individuals (and n/20 firms) in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", CHILD, str(n), "profile" if profile else "time"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    """Time the builds and print one line per size, then the last size's profile."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e7])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"load before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min; 2 cores)")
    for size in args.sizes:
        n = int(size)
        runs = [build(n, profile=False) for _ in range(args.repeats)]
        wall = statistics.median(r["wall_s"] for r in runs)
        cpu = statistics.median(r["cpu_s"] for r in runs)
        print(f"{n:>12,} individuals + {n // 20:,} firms: build {wall:.2f} s wall "
              f"(median of {args.repeats}; all {', '.join(f'{r['wall_s']:.2f}' for r in runs)}), "
              f"{cpu:.2f} s CPU", flush=True)
    print(f"load after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"own time by function, one profiled build of {int(args.sizes[-1]):,} (profiler overhead "
          "included):")
    for seconds, name in build(int(args.sizes[-1]), profile=True)["own_time"]:
        print(f"  {seconds:6.2f} s  {name}")


if __name__ == "__main__":
    main()
