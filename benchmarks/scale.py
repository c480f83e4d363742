"""Scale benchmark: the baseline at 10^5, 10^6 and 10^7 individuals (firms 5%) for 365 days.

Each size runs in a fresh subprocess, so start-up (imports, building the population) is counted
and peak memory (VmHWM) is that run's alone. Beside each size it prints the wall time with
start-up, the model time (the simulated days), peak memory, the rate of a naive
object-per-agent Mesa model (trivial rule) timed in the same session and the ratio, and where
the model's time went by phase (courts, registry sending, matching, classification, behaviour,
output writing; each phase's own time, nested phases excluded). Then the cost of 1, 5 and 10
simulated years at 200,000 people, and the classroom scenario's day and year.

    .venv/bin/python benchmarks/scale.py                     # 10^5 and 10^6, years, classroom
    .venv/bin/python benchmarks/scale.py --sizes 1e5 1e6 1e7
    .venv/bin/python benchmarks/scale.py --sizes 1e5 --days 30 --years --classroom-days 30
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys

# The phases and the functions whose own time makes each one up (module:qualified name).
# A function moved elsewhere is skipped (and named under "unmeasured"), never an error here;
# tests/test_benchmarks.py checks that every one of them exists, so none goes unmeasured.
PHASES = {
    "courts": ["simulation.institutions:Court.step"],
    "sending": ["simulation.registry:Registry.send", "simulation.registry:Registry.send_deletions",
                "simulation.registry:Registry.delete_at_source"],
    "matching": ["simulation.registry:MatchIndex.update", "simulation.registry:MatchIndex.pairs",
                 "simulation.registry:CopyView.refresh"],
    # JointSanctionsModel.truth recomputes who is rightly listed over every record whenever
    # something changed; Agency._truth_pairs looks today's users up in it.
    "classification: ground truth": ["simulation.model:JointSanctionsModel.truth",
                                     "simulation.agencies:Agency._truth_pairs"],
    "classification: causes": ["simulation.agencies:Agency._pair_causes",
                               "simulation.agencies:Agency._miss_causes",
                               "simulation.classify:pair_causes", "simulation.classify:sanctions",
                               "simulation.classify:miss_cause", "simulation.classify:reward_cause"],
    "appeals": ["simulation.institutions:Court.hear_appeals", "simulation.appeals:file_appeals",
                "simulation.appeals:decide_appeals"],
    "behaviour": ["simulation.agencies:Agency._after_sanctions",
                  "simulation.model:JointSanctionsModel._end_of_day",
                  "simulation.population:Firms.change_representatives"],
    "agencies (sampling, service)": ["simulation.agencies:Agency.step"],
}

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import importlib, tempfile
from simulation import load_scenario
from simulation.metrics import events_frame, summarise, tables_of
from simulation.model import JointSanctionsModel
from simulation.runner import RunResult

PHASES = json.loads(sys.argv[4])
own = {p: 0.0 for p in PHASES}
stack = []  # [phase, started] of the calls under way; a nested call pauses its caller
clock = time.perf_counter
missing = []

def timed(phase, fn):
    def wrapper(*a, **k):
        now = clock()
        if stack:
            top = stack[-1]
            own[top[0]] += now - top[1]
        stack.append([phase, now])
        try:
            return fn(*a, **k)
        finally:
            end = clock()
            own[phase] += end - stack.pop()[1]
            if stack:
                stack[-1][1] = end
    return wrapper

for phase, targets in PHASES.items():
    for target in targets:
        mod_name, qual = target.split(":")
        try:
            mod = importlib.import_module(mod_name)
            owner, _, attr = qual.rpartition(".")
            holder = getattr(mod, owner) if owner else mod
            fn = getattr(holder, attr)
        except (ImportError, AttributeError):
            missing.append(target)
            continue
        wrapped = timed(phase, fn)
        setattr(holder, attr, wrapped)
        if not owner:  # a function imported by name elsewhere: patch those references too
            for other in list(sys.modules.values()):
                if getattr(other, "__name__", "").startswith("simulation") and \
                        getattr(other, attr, None) is fn:
                    setattr(other, attr, wrapped)

scenario_name, n, days = sys.argv[1], int(float(sys.argv[2])), int(sys.argv[3])
overrides = {"days": days}
if n:
    overrides.update({"population.individuals": n, "population.firms": n // 20})
scenario = load_scenario(f"scenarios/{scenario_name}.toml", overrides)
t_build = clock()
model = JointSanctionsModel(scenario)
t_run = clock()
step_times = []
for _ in range(scenario.days):
    s = clock()
    model.step()
    step_times.append(clock() - s)
t_out = clock()
tables = tables_of(model)
summary = summarise(tables)
result = RunResult(scenario=scenario, seed=scenario.seed, summary=summary,
                   timeseries=model.counters.frame(), events=events_frame(tables.events, model.node_names),
                   wall_time_s=t_out - t_build)
with tempfile.TemporaryDirectory() as tmp:
    result.write(f"{tmp}/out")
t_end = clock()
hwm = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1]) * 1024
step_times.sort()
print(json.dumps({"scenario": scenario_name, "individuals": scenario.population.individuals,
                  "days": scenario.days, "wall_s": t_end - t0, "startup_s": t_build - t0,
                  "build_s": t_run - t_build, "model_s": t_out - t_run,
                  "output_s": t_end - t_out, "day_median_ms": 1000 * step_times[len(step_times) // 2],
                  "peak_bytes": hwm, "phases_s": own, "unmeasured": missing,
                  "sanctions": summary["sanctions"]}))
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


def run_size(scenario: str, individuals: str, days: int) -> dict:
    """One run in a fresh process (individuals "0": the scenario's own size)."""
    return child(CHILD, scenario, individuals, str(days), json.dumps(PHASES))


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def print_sizes(rows: list[dict], naive_rate: float) -> None:
    """The table of sizes, then each size's phases."""
    print(f"{'individuals':>12} {'days':>5} {'wall s':>7} {'start-up s':>10} {'model s':>8} "
          f"{'output s':>8} {'peak MB':>8} {'M agent-days/s':>15} {'naive M/s':>10} {'x naive':>8}")
    for r in rows:
        rate = r["individuals"] * r["days"] / r["wall_s"]
        print(f"{r['individuals']:>12,} {r['days']:>5} {r['wall_s']:>7.2f} "
              f"{r['startup_s'] + r['build_s']:>10.2f} {r['model_s']:>8.2f} {r['output_s']:>8.2f} "
              f"{r['peak_bytes'] / 2**20:>8.0f} {rate / 1e6:>15.1f} {naive_rate / 1e6:>10.2f} "
              f"{rate / naive_rate:>8.1f}")
    for r in rows:
        measured = sum(r["phases_s"].values())
        parts = [f"{k} {v:.2f}" for k, v in r["phases_s"].items()]
        parts.append(f"other {max(r['model_s'] - measured, 0.0):.2f}")
        parts.append(f"output writing {r['output_s']:.2f}")
        print(f"  {r['individuals']:,}: model time by phase, s: " + ", ".join(parts))
        if r["unmeasured"]:
            print(f"    (not found, so not timed: {', '.join(r['unmeasured'])})")


def main() -> None:
    """Measure and print the tables (also as JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1e5", "1e6"])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--years", action="store_true", default=None,
                        help="also 1, 5 and 10 simulated years at 200,000 people (default on)")
    parser.add_argument("--no-years", dest="years", action="store_false")
    parser.add_argument("--years-people", default="2e5")
    parser.add_argument("--year-list", nargs="+", type=int, default=[1, 5, 10])
    parser.add_argument("--classroom-days", type=int, default=365,
                        help="days of the classroom run (0: skip it)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    info: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                             f"{platform.python_version()}", "load_before": load()}
    naive = child(NAIVE, "100000", "20")
    info["naive_mesa_agent_steps_per_s"] = naive["agent_steps_per_s"]
    info["runs"] = [run_size("baseline", size, args.days) for size in args.sizes]
    if args.years is not False:
        info["years"] = [run_size("baseline", args.years_people, 365 * y) for y in args.year_list]
    if args.classroom_days:
        info["classroom"] = run_size("classroom", "0", args.classroom_days)
    info["load_after"] = load()
    if args.json:
        print(json.dumps(info, indent=2))
        return
    rate = naive["agent_steps_per_s"]
    print(f"machine: {info['machine']}; load average before {info['load_before']}, "
          f"after {info['load_after']}")
    print(f"naive object-per-agent Mesa model (10^5 agents x 20 steps, trivial rule): "
          f"{rate / 1e6:.2f} M agent-steps/s")
    print_sizes(info["runs"], rate)
    if info.get("years"):
        print(f"years at {int(float(args.years_people)):,} people:")
        for y, r in zip(args.year_list, info["years"], strict=True):
            print(f"  {y:>2} year(s): wall {r['wall_s']:.2f} s, model {r['model_s']:.2f} s, "
                  f"peak {r['peak_bytes'] / 2**20:.0f} MB")
    if info.get("classroom"):
        c = info["classroom"]
        print(f"classroom ({c['individuals']:,} people, {c['days']} days): model time "
              f"{c['model_s']:.2f} s, median day {c['day_median_ms']:.1f} ms, wall with start-up "
              f"{c['wall_s']:.2f} s")


if __name__ == "__main__":
    main()
