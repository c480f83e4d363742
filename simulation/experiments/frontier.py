"""The policy frontier: which lever settings trade compliance against wrongful punishment best,
whatever the uncertainties turn out to be?

A frontier file is a sweep file with ``[levers]`` (what a policy maker chooses),
``[uncertainties]`` (what nobody controls) and a ``[search]`` table::

    [search]
    objectives = ["compliance_rate:max", "wrongful_people:min", "wrongful_sanction_days:min"]
    generations = 4        # NSGA-II generations
    population = 8         # designs per generation
    scenarios = 4          # uncertainty samples each design is evaluated on (the same for all)
    quantile = 0.9         # the robust statistic: the bad-side 90% quantile over scenarios x seeds
    optimise = "mean"      # what the search ranks designs by: "mean" or "quantile"

Each design (one setting of the levers) runs on ``scenarios`` Latin-hypercube samples of the
uncertainties x ``replicates`` seeds (the same samples and seeds for every design: common
random numbers), and each objective is summarised by its mean (with a 95% bootstrap
percentile interval over those runs) and its bad-side quantile (the ``quantile``-quantile of a
metric to minimise, the ``1 - quantile``-quantile of one to maximise).

The optimiser is Optuna's NSGA-II sampler (``optuna.samplers.NSGAIISampler``), used through
its ask-and-tell interface. Why Optuna rather than pymoo: ask-and-tell lets this module keep
the run loop, so designs run on the same executors as sweeps (processes, Dask) and every run
lands in the same crash-safe store; its sampler is seeded, so a resumed search asks for the
same designs again and finds their runs already stored (resumable like sweeps); and it
handles mixed continuous, log-scaled and categorical levers directly. The Pareto set is then
computed exactly over every design evaluated (:func:`pareto_mask`), not just the last
generation.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulation.errors import ScenarioError
from simulation.experiments.design import design_seed, replicate_seeds
from simulation.experiments.engine import LoopStats, SweepInterrupted, Task, execute
from simulation.experiments.executors import ExecutorInfo, use_executor
from simulation.experiments.manifest import atomic_write_bytes, provenance, read_manifest, write_manifest
from simulation.experiments.spec import Parameter, SweepSpec, check_size, parse_sweep
from simulation.experiments.store import RunStore, atomic_write_parquet, run_key

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 1000
FRONTIER_ROOT = Path("results") / "frontiers"


class Search(BaseModel):
    """The ``[search]`` table of a frontier file."""

    model_config = ConfigDict(extra="forbid")

    objectives: list[str] = Field(
        default_factory=lambda: ["compliance_rate:max", "wrongful_people:min", "wrongful_sanction_days:min"],
        description="metric:min or metric:max, two or more.")
    generations: int = Field(4, ge=1, le=1000, description="NSGA-II generations.")
    population: int = Field(8, ge=2, le=1000, description="Designs per generation.")
    scenarios: int = Field(4, ge=1, le=10_000, description="Uncertainty samples per design.")
    quantile: float = Field(0.9, gt=0.5, lt=1.0, description="Bad-side quantile reported (and "
                            "optimised with optimise = 'quantile').")
    optimise: Literal["mean", "quantile"] = Field("mean", description="What designs are ranked by.")

    @field_validator("objectives")
    @classmethod
    def _two_or_more(cls, value: list[str]) -> list[str]:
        if len(value) < 2:
            raise ValueError("name at least two objectives (metric:min or metric:max)")
        for item in value:
            if item.count(":") != 1 or item.split(":")[1] not in ("min", "max"):
                raise ValueError(f"'{item}' is not metric:min or metric:max")
        names = [v.split(":")[0] for v in value]
        if len(set(names)) != len(names):
            raise ValueError("an objective is named twice")
        return value


@dataclass
class FrontierSpec:
    """A validated frontier file: the sweep part (levers, uncertainties, base) and the search."""

    sweep: SweepSpec
    search: Search

    @property
    def objectives(self) -> list[tuple[str, str]]:
        """(metric, "min" | "max") pairs."""
        return [tuple(o.split(":")) for o in self.search.objectives]  # type: ignore[misc]

    @property
    def runs(self) -> int:
        """Every run the search makes: generations x population x scenarios x replicates."""
        s = self.search
        return s.generations * s.population * s.scenarios * self.sweep.replicates


def parse_frontier(data: dict[str, Any], *, path: Path | None = None, text: str = "",
                   max_runs: int | None = None) -> FrontierSpec:
    """Validate a frontier file's data; its size is checked before anything is built."""
    file = str(path) if path else "<frontier>"
    data = dict(data)
    raw_search = data.pop("search", {})
    if "design" in data:
        raise ScenarioError("a frontier has no design: the search chooses the levers and [search] "
                            "scenarios samples the uncertainties", file=file, field="design")
    try:
        search = Search.model_validate(raw_search)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in ("search", *err["loc"]))
        raise ScenarioError(err["msg"].removeprefix("Value error, "), file=file, field=loc) from None
    check_size(search.generations * search.population * search.scenarios, int(data.get("replicates", 1)),
               max_runs, file, what="frontier")
    # The sweep machinery validates levers, uncertainties, base and fixed; a random design of
    # one point stands in for the search (every corner is validated below).
    sweep = parse_sweep({**data, "design": {"kind": "random", "samples": 1}}, path=path, text=text)
    if not sweep.levers:
        raise ScenarioError("name at least one lever ([levers])", file=file, field="levers")
    _validate_corners(sweep, file)
    _validate_objectives(sweep, search, file)
    return FrontierSpec(sweep, search)


def known_metrics(sweep: SweepSpec) -> list[str]:
    """Summary metric names of the base scenario (from a one-day probe run)."""
    from simulation.runner import run
    from simulation.scenario import build_scenario

    probe = build_scenario(sweep.base_data, {**sweep.fixed, "days": 1}, file=str(sweep.base_path))
    return sorted(run(probe).summary)


def _validate_objectives(sweep: SweepSpec, search: Search, file: str) -> None:
    import difflib

    valid = known_metrics(sweep)
    for item in search.objectives:
        metric = item.split(":")[0]
        if metric not in valid:
            close = difflib.get_close_matches(metric, valid, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ScenarioError(f"unknown metric '{metric}'{hint}", file=file, field="search.objectives")


def load_frontier(path: str | Path, *, max_runs: int | None = None) -> FrontierSpec:
    """Read and validate a frontier file."""
    from simulation.experiments.spec import _read_toml

    path = Path(path)
    data, text = _read_toml(path, "frontier")
    return parse_frontier(data, path=path, text=text, max_runs=max_runs)


def _validate_corners(sweep: SweepSpec, file: str) -> None:
    """Build the scenario at each end of every range, so a bad bound fails before any run."""
    from simulation.experiments.spec import validate_points

    lows = {p.name: _end(p, 0) for p in sweep.parameters}
    highs = {p.name: _end(p, -1) for p in sweep.parameters}
    validate_points(sweep, [lows, highs])


def _end(p: Parameter, i: int) -> Any:
    if p.values is not None:
        return p.values[i]
    value = p.low if i == 0 else p.high
    return int(round(value)) if p.integer else value  # type: ignore[arg-type]


# -- the search ------------------------------------------------------------------------------

def uncertainty_samples(spec: FrontierSpec) -> list[dict[str, Any]]:
    """The ``scenarios`` samples of the uncertainties every design is evaluated on (LHS, seeded)."""
    unc = spec.sweep.uncertainties
    if not unc:
        return [{}]
    n = spec.search.scenarios
    rng = np.random.default_rng(design_seed(spec.sweep.seed))
    # Latin hypercube by hand (one stratum per sample per dimension): no SALib problem needed.
    u = (rng.permuted(np.tile(np.arange(n), (len(unc), 1)), axis=1).T + rng.random((n, len(unc)))) / n
    cols = {p.name: p.from_unit(u[:, j]) for j, p in enumerate(unc)}
    return [{name: cols[name][i] for name in cols} for i in range(n)]


def suggest(trial: Any, p: Parameter) -> Any:
    """Ask Optuna's trial for a lever's value on its scale."""
    if p.values is not None:
        return trial.suggest_categorical(p.name, list(p.values))
    if p.integer:
        return trial.suggest_int(p.name, int(round(p.low)), int(round(p.high)), log=p.log)  # type: ignore[arg-type]
    return trial.suggest_float(p.name, p.low, p.high, log=p.log)  # type: ignore[arg-type]


def design_tasks(spec: FrontierSpec, design_id: int, levers: dict[str, Any],
                 samples: list[dict[str, Any]], seeds: list[int]) -> list[Task]:
    """Every run of one design: each uncertainty sample x each seed."""
    names = spec.sweep.names
    tasks = []
    for s, sample in enumerate(samples):
        for k, seed in enumerate(seeds):
            point = {**levers, **sample}
            run_id = (design_id * len(samples) + s) * len(seeds) + k
            meta = {"run_id": run_id, "design": design_id, "scenario": s, "replicate": k, "seed": seed,
                    "run_key": run_key([point.get(n) for n in names], seed), **point}
            tasks.append(Task(run_id, "base", {**spec.sweep.fixed, **point}, seed, meta))
    return tasks


def bootstrap_mean_interval(values: np.ndarray, rng: np.random.Generator,
                            confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (NaN with fewer than two values)."""
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return math.nan, math.nan
    idx = rng.integers(0, values.size, (BOOTSTRAP_RESAMPLES, values.size))
    means = values[idx].mean(axis=1)
    return float(np.quantile(means, (1 - confidence) / 2)), float(np.quantile(means, (1 + confidence) / 2))


def summarise_design(spec: FrontierSpec, rows: list[dict[str, Any]], design_id: int) -> dict[str, Any]:
    """Mean, bootstrap interval and bad-side quantile of each objective over a design's runs."""
    ok = [r for r in rows if r["status"] == "ok"]
    out: dict[str, Any] = {"design": design_id, "runs": len(rows), "failed": len(rows) - len(ok)}
    rng = np.random.default_rng([spec.sweep.seed, design_id])
    q = spec.search.quantile
    for metric, direction in spec.objectives:
        vals = np.array([r.get(metric, math.nan) for r in ok], dtype=float)
        vals = vals[~np.isnan(vals)]
        mean = float(vals.mean()) if vals.size else math.nan
        lo, hi = bootstrap_mean_interval(vals, rng)
        bad = float(np.quantile(vals, q if direction == "min" else 1 - q)) if vals.size else math.nan
        out.update({f"{metric}:mean": mean, f"{metric}:ci_low": lo, f"{metric}:ci_high": hi,
                    f"{metric}:q": bad})
    return out


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """True for rows not dominated by another (all objectives minimised; NaN rows never optimal)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    mask = ~np.isnan(values).any(axis=1)
    for i in range(n):
        if not mask[i]:
            continue
        others = values[mask]
        dominated = np.any(np.all(others <= values[i], axis=1) & np.any(others < values[i], axis=1))
        if dominated:
            mask[i] = False
    return mask


def robust_values(spec: FrontierSpec, summary: dict[str, Any]) -> list[float]:
    """The values the search minimises for one design (maximised objectives negated)."""
    stat = "mean" if spec.search.optimise == "mean" else "q"
    return [(-1 if d == "max" else 1) * summary[f"{m}:{stat}"] for m, d in spec.objectives]


def run_frontier(frontier: str | Path | FrontierSpec, out: str | Path | None = None, *,
                 workers: int | None = None, scheduler: str | None = None, cluster: str | None = None,
                 executor: ExecutorInfo | None = None, resume: bool = False, progress: bool = False,
                 force_workers: bool = False) -> pd.DataFrame:
    """Search the levers for the Pareto set; return one row per design (``pareto`` marks the set).

    Runs go to ``out`` like a sweep's (``runs/`` store, manifest); ``frontier.csv``,
    ``frontier.parquet``, ``frontier.png``/``.svg`` and ``frontier.md`` (what the frontier
    says, design by design) are written at the end. With ``resume`` the search is replayed
    and runs already stored are not run again.
    """
    spec = frontier if isinstance(frontier, FrontierSpec) else load_frontier(frontier)
    target = _prepare(spec, Path(out) if out is not None else None, resume)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    manifest = _manifest(spec, started)
    write_manifest(target, {**manifest, "status": "running"})
    atomic_write_bytes(target / "frontier.toml", (spec.sweep.text or "").encode())
    store = RunStore(target).open()
    t0 = time.perf_counter()
    stats_all = LoopStats()
    try:
        with use_executor(executor, workers, scheduler, cluster, force=force_workers) as info:
            designs = _search(spec, store, info, progress, stats_all)
    except SweepInterrupted:
        store.close()
        write_manifest(target, {**manifest, "status": "interrupted", "signal": stats_all.signal})
        raise
    store.close()
    table = _frontier_table(spec, designs)
    wall = time.perf_counter() - t0
    _write_outputs(spec, table, target)
    manifest.update(status="complete", finished=datetime.now(UTC).isoformat(timespec="seconds"),
                    wall_time_s=round(wall, 3), designs=len(table), pareto=int(table["pareto"].sum()),
                    runs_this_session=stats_all.runs, executor=getattr(info, "detail", ""))
    write_manifest(target, manifest)
    table.attrs.update(out=str(target), wall_time_s=wall, runs_this_session=stats_all.runs)
    return table


def _search(spec: FrontierSpec, store: RunStore, info: ExecutorInfo, progress: bool,
            stats_all: LoopStats) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Generation by generation: ask designs, run what is not stored yet, tell their objectives."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.NSGAIISampler(population_size=spec.search.population,
                                            seed=design_seed(spec.sweep.seed))
    study = optuna.create_study(directions=["minimize"] * len(spec.objectives), sampler=sampler)
    samples = uncertainty_samples(spec)
    seeds = replicate_seeds(spec.sweep.seed, spec.sweep.replicates)
    stored = {r["run_key"]: r for r in store.rows() if r["status"] == "ok"}
    designs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for _generation in range(spec.search.generations):
        trials = [study.ask() for _ in range(spec.search.population)]
        batch = []
        for trial in trials:
            levers = {p.name: suggest(trial, p) for p in spec.sweep.levers}
            batch.append((trial, levers, design_tasks(spec, trial.number, levers, samples, seeds)))
        rows = _run_missing([t for _, _, tasks in batch for t in tasks], spec.sweep.base_data, stored,
                            store, info, progress, stats_all, spec.sweep.name)
        for trial, levers, tasks in batch:
            summary = summarise_design(spec, [rows[t.meta["run_key"]] for t in tasks], trial.number)
            values = robust_values(spec, summary)
            if any(math.isnan(v) for v in values):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, values)
            designs.append((levers, summary))
    return designs


def _run_missing(tasks: list[Task], base: dict[str, Any], stored: dict[str, dict[str, Any]],
                 store: RunStore, info: ExecutorInfo, progress: bool, stats_all: LoopStats,
                 desc: str) -> dict[str, dict[str, Any]]:
    """Rows of every task: stored ones as they are, the others run now (and stored)."""
    todo = [t for t in tasks if t.meta["run_key"] not in stored]

    def on_row(row: dict[str, Any], series: Any) -> None:
        store.append(row, series)
        stored[row["run_key"]] = row

    stats = execute(todo, {"base": base}, info, on_row=on_row, progress=progress, desc=desc)
    stats_all.runs += stats.runs
    if stats.interrupted:
        stats_all.signal = stats.signal
        raise SweepInterrupted(f"interrupted: finished runs are saved in {store.folder}; continue with "
                               "--resume", signal=stats.signal)
    return {t.meta["run_key"]: {**stored[t.meta["run_key"]], **t.meta} for t in tasks}


def _prepare(spec: FrontierSpec, out: Path | None, resume: bool) -> Path:
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = FRONTIER_ROOT / spec.sweep.name / stamp
    if out.exists() and not out.is_dir():
        raise ScenarioError("exists and is not a folder", file=str(out))
    if out.exists() and any(out.iterdir()):
        if not resume:
            raise ScenarioError("output folder exists and is not empty; use --resume to continue that "
                                "search, or choose another --out", file=str(out))
        manifest = read_manifest(out, kind="frontier", fields={"fingerprint": str})
        if manifest["fingerprint"] != _fingerprint(spec):
            raise ScenarioError("this folder holds a different frontier search; choose another --out",
                                file=str(out))
    out.mkdir(parents=True, exist_ok=True)
    return out


def _fingerprint(spec: FrontierSpec) -> str:
    import hashlib

    blob = spec.sweep.fingerprint() + spec.search.model_dump_json()
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _manifest(spec: FrontierSpec, started: str) -> dict[str, Any]:
    return {
        "kind": "frontier", "name": spec.sweep.name, "description": spec.sweep.description,
        "fingerprint": _fingerprint(spec), "frontier_file": str(spec.sweep.path),
        "base_scenario": str(spec.sweep.base_path), "search": spec.search.model_dump(),
        "levers": [p.__dict__ for p in spec.sweep.levers],
        "uncertainties": [p.__dict__ for p in spec.sweep.uncertainties],
        "fixed": spec.sweep.fixed, "replicates": spec.sweep.replicates, "seed": spec.sweep.seed,
        "replicate_seeds": replicate_seeds(spec.sweep.seed, spec.sweep.replicates),
        "uncertainty_samples": uncertainty_samples(spec), "runs_planned": spec.runs,
        "optimiser": "optuna.samplers.NSGAIISampler (ask-and-tell), seeded from the frontier seed",
        "intervals": f"mean with {CONFIDENCE:.0%} percentile bootstrap interval over the design's runs "
                     f"({BOOTSTRAP_RESAMPLES} resamples); q = bad-side {spec.search.quantile} quantile",
        "started": started, **provenance(),
    }


# -- outputs ---------------------------------------------------------------------------------

def _frontier_table(spec: FrontierSpec, designs: list[tuple[dict[str, Any], dict[str, Any]]]) -> pd.DataFrame:
    rows = [{**summary, **levers} for levers, summary in designs]
    table = pd.DataFrame(rows)
    lever_cols = [p.name for p in spec.sweep.levers]
    head = ["design", *lever_cols]
    table = table[head + [c for c in table.columns if c not in head]]
    values = np.array([robust_values(spec, r) for r in rows], dtype=float)
    table["pareto"] = pareto_mask(values)
    return table


def _write_outputs(spec: FrontierSpec, table: pd.DataFrame, target: Path) -> None:
    from simulation.experiments.plots import frontier_figure

    atomic_write_parquet(table, target / "frontier.parquet")
    atomic_write_bytes(target / "frontier.csv", table.to_csv(index=False).encode())
    frontier_figure(table, spec.objectives, [p.name for p in spec.sweep.levers], spec.search.optimise,
                    target / "frontier")
    atomic_write_bytes(target / "frontier.md", frontier_text(spec, table).encode())


def _fmt(v: float) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else (
        f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}")


def plural(n: int, word: str) -> str:
    """"1 seed", "2 seeds": a count with its noun."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def frontier_text(spec: FrontierSpec, table: pd.DataFrame) -> str:
    """'What the frontier says': one paragraph per Pareto design, in order of the first objective.

    NSGA-II may ask for the same lever setting more than once; such repeats (same levers, so
    the same runs) are told once, as "Design 6 (also asked as 8, 9)".
    """
    first, first_dir = spec.objectives[0]
    front = table[table["pareto"]].sort_values([f"{first}:mean", "design"],
                                               ascending=[first_dir == "min", True])
    lever_names = [p.name for p in spec.sweep.levers]
    repeats = front.groupby(lever_names, sort=False, dropna=False)["design"].apply(list)
    q = spec.search.quantile
    ranked = "mean" if spec.search.optimise == "mean" else f"{q} bad-side quantile"
    lines = [f"# Policy frontier: {spec.sweep.name}", "",
             f"{plural(len(table), 'design')} searched (NSGA-II, "
             f"{plural(spec.search.generations, 'generation')} of {spec.search.population}); "
             f"each evaluated on {plural(spec.search.scenarios, 'sample')} of the "
             f"uncertainties x {plural(spec.sweep.replicates, 'seed')}. "
             f"{plural(len(repeats), 'lever setting')} on the frontier (no other design is at least as good "
             f"on every objective's {ranked} and better on one). "
             f"Intervals: 95% bootstrap intervals of the mean; 'worst {q:.0%}': the bad-side {q} quantile "
             "over scenarios and seeds.", ""]
    best = {m: front[f"{m}:mean"].max() if d == "max" else front[f"{m}:mean"].min()
            for m, d in spec.objectives}
    for ids in repeats:
        r = front[front["design"] == ids[0]].iloc[0]
        name = f"Design {int(ids[0])}" + (f" (also asked as {', '.join(str(int(i)) for i in ids[1:])})"
                                          if len(ids) > 1 else "")
        lines += [f"- **{name}** ({_levers_text(spec, r)}): {_objectives_text(spec, r)}. "
                  f"{_verdict(spec, r, best)}", ""]
    return "\n".join(lines)


def _levers_text(spec: FrontierSpec, r: pd.Series) -> str:
    return ", ".join(f"{p.name} = {_fmt(r[p.name]) if isinstance(r[p.name], float) else r[p.name]}"
                     for p in spec.sweep.levers)


def _objectives_text(spec: FrontierSpec, r: pd.Series) -> str:
    q = spec.search.quantile
    return "; ".join(f"{m} {_fmt(r[f'{m}:mean'])} [{_fmt(r[f'{m}:ci_low'])}, {_fmt(r[f'{m}:ci_high'])}] "
                     f"(worst {q:.0%}: {_fmt(r[f'{m}:q'])})" for m, _ in spec.objectives)


def _verdict(spec: FrontierSpec, r: pd.Series, best: dict[str, float]) -> str:
    leads = [m for m, _ in spec.objectives if r[f"{m}:mean"] == best[m]]
    costs = [f"{m} {_fmt(abs(r[f'{m}:mean'] - best[m]))} {'lower' if d == 'max' else 'higher'} than the "
             f"best on the frontier" for m, d in spec.objectives if r[f"{m}:mean"] != best[m]]
    if not costs:
        return "It is the frontier's best on every objective."
    says = (f"It is the frontier's best on {', '.join(leads)}" if leads
            else "It is a compromise, best on no single objective")
    return says + f"; it pays with {'; '.join(costs)}."
