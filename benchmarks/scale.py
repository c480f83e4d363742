"""Scale benchmark: the baseline at 10^5, 10^6 and 10^7 individuals (firms 5%) for 365 days.

Each size runs in a fresh subprocess, so start-up (imports, building the population) is counted
and peak memory (VmHWM) is that run's alone. A naive object-per-agent Mesa model with a trivial
rule is timed in the same session as the reference.

    .venv/bin/python benchmarks/scale.py                 # 10^5 and 10^6 (about 20 s)
    .venv/bin/python benchmarks/scale.py --sizes 1e5 1e6 1e7
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from simulation import load_scenario, run
n = int(float(sys.argv[1])); days = int(sys.argv[2])
scenario = load_scenario("scenarios/baseline.toml", {
    "population.individuals": n, "population.firms": n // 20, "days": days})
result = run(scenario)
wall = time.perf_counter() - t0
hwm = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1]) * 1024
print(json.dumps({"individuals": n, "days": days, "wall_s": wall, "model_s": result.wall_time_s,
                  "peak_bytes": hwm, "sanctions": result.summary["sanctions"]}))
"""

NAIVE = r"""
import json, sys, time
import mesa

class Person(mesa.Agent):
    def __init__(self, model):
        super().__init__(model)
        self.wealth = 1.0

    def step(self):
        # A trivial rule: one random draw and one update per agent per step.
        if self.model.random.random() < 0.01:
            self.wealth += 1.0

class Naive(mesa.Model):
    def __init__(self, n, seed=0):
        super().__init__(rng=seed)
        Person.create_agents(self, n)

    def step(self):
        self.agents.do("step")

n, steps = int(float(sys.argv[1])), int(sys.argv[2])
model = Naive(n)
t0 = time.perf_counter()
model.run_for(steps)
dt = time.perf_counter() - t0
print(json.dumps({"agents": n, "steps": steps, "agent_steps_per_s": n * steps / dt}))
"""


def child(code: str, *args: str) -> dict:
    """Run a snippet in a fresh interpreter and return the JSON it prints."""
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure and print the table (also as JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1e5", "1e6"])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    naive = child(NAIVE, "100000", "20")
    rows = [child(CHILD, size, str(args.days)) for size in args.sizes]
    info = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                       f"{platform.python_version()}",
            "naive_mesa_agent_steps_per_s": naive["agent_steps_per_s"], "runs": rows}
    if args.json:
        print(json.dumps(info, indent=2))
        return
    print(f"machine: {info['machine']}")
    print(f"naive object-per-agent Mesa model (10^5 agents x 20 steps, trivial rule): "
          f"{naive['agent_steps_per_s'] / 1e6:.2f} M agent-steps/s")
    print(f"{'individuals':>12} {'days':>5} {'wall s':>8} {'M agent-days/s':>15} "
          f"{'x naive':>8} {'peak MB':>9}")
    for r in rows:
        rate = r["individuals"] * r["days"] / r["wall_s"]
        print(f"{r['individuals']:>12,} {r['days']:>5} {r['wall_s']:>8.2f} {rate / 1e6:>15.1f} "
              f"{rate / naive['agent_steps_per_s']:>8.1f} {r['peak_bytes'] / 2**20:>9.0f}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
