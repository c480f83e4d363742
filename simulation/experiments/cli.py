"""The ``sweep``, ``compare`` and ``sensitivity`` commands (registered by simulation.cli).

Heavy imports happen inside the commands so that ``joint-sanctions --help`` stays fast.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from simulation.errors import ScenarioError


def _fmt(value: float, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in ("share", "0-1") or abs(value) < 10:
        return f"{value:.3f}"
    return f"{value:,.1f}"


@contextmanager
def _run_errors() -> Iterator[None]:
    """How sweep, compare and frontier end on an error: bad input exits 2 (or 1 for an I/O fault)
    with the message; a signal exits 128 + its number; an aborted sweep exits 1."""
    from simulation.cli import err_console, fail
    from simulation.experiments.engine import SweepAborted, SweepInterrupted

    try:
        yield
    except ScenarioError as exc:
        fail(exc)
    except SweepInterrupted as exc:
        err_console.print(str(exc), highlight=False, soft_wrap=True)
        raise typer.Exit(128 + exc.signal) from None
    except SweepAborted as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def sweep(
    sweep_file: Annotated[Path, typer.Argument(
        help="Sweep TOML file (see sweeps/), or 'rerun' followed by a sweep folder and a run_id.")],
    rerun_args: Annotated[list[str] | None, typer.Argument(
        help="With 'rerun': the sweep folder and the run_id of the row to run again.",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default results/sweeps/<name>/<timestamp>/).")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes (default: every core; 0 = in this process).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786.")] = None,
    cluster: Annotated[str | None, typer.Option(
        help="'local': start a Dask LocalCluster on 127.0.0.1 with --workers workers.")] = None,
    resume: Annotated[bool, typer.Option(
        help="Continue the sweep in --out (default: its newest folder), skipping finished runs.")
    ] = False,
    retry_errors: Annotated[bool, typer.Option(help="With --resume, run failed runs again.")] = False,
    chunk_size: Annotated[int | None, typer.Option(
        help="Runs per task (default: adaptive, about one second of work).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    max_runs: Annotated[int | None, typer.Option(
        help="Refuse designs of more runs than this (default 200,000).")] = None,
    force_workers: Annotated[bool, typer.Option(
        help="Allow more --workers than cores (otherwise capped at the cores available).")] = False,
) -> None:
    """Run a parameter sweep: every point x replicate, crash-safe and resumable.

    Ctrl-C, SIGTERM and SIGHUP stop it cleanly (exit 128 + signal); --resume continues.
    `sweep rerun DIR ROW` runs row ROW (its run_id) of the sweep in DIR again and checks that
    it gives the stored row exactly (exit 0 if so, 1 if not); --out also writes that run's folder.
    """
    from simulation.cli import console, err_console, fail

    if str(sweep_file) == "rerun":
        _rerun(rerun_args or [], out)
        return
    if rerun_args:
        fail(ScenarioError(f"unexpected argument '{rerun_args[0]}'", field="SWEEP_FILE"))
    from simulation.experiments.spec import load_sweep
    from simulation.experiments.sweep import run_sweep

    with _run_errors():
        spec = load_sweep(sweep_file, max_runs=max_runs)
        if chunk_size is not None and chunk_size < 1:
            raise ScenarioError(f"must be >= 1 (got {chunk_size})", field="--chunk-size")
        from simulation.experiments.design import expected_points

        n = expected_points(spec)
        err_console.print(f"sweep {spec.name}: {spec.design.kind} design, {n} points x {spec.replicates} "
                          f"replicates = {n * spec.replicates} runs", highlight=False, soft_wrap=True)
        df = run_sweep(spec, out, workers=workers, scheduler=scheduler, cluster=cluster, resume=resume,
                       retry_errors=retry_errors, progress=progress, chunk_size=chunk_size,
                       force_workers=force_workers)
    tp = df.attrs.get("throughput", {})
    n_err = int((df["status"] != "ok").sum())
    console.print(f"{len(df)} runs ({n_err} failed) in {df.attrs['out']}", highlight=False, soft_wrap=True)
    if tp.get("runs"):
        console.print(f"this session: {tp['runs']} runs in {tp['wall_time_s']:.1f} s on {tp['workers']} "
                      f"workers; mean run {tp['mean_run_s']:.3f} s; "
                      f"overhead {100 * tp['overhead_share']:.1f}% "
                      f"({tp['overhead_per_run_s']:.3f} s per run)", highlight=False, soft_wrap=True)
    if n_err:
        first = df.loc[df["status"] != "ok", "error"].iloc[0]
        err_console.print(f"first failure: {first}", highlight=False, soft_wrap=True)


def _rerun(args: list[str], out: Path | None) -> None:
    from simulation.cli import console, err_console, fail
    from simulation.experiments.rerun import differences, rerun

    try:
        if len(args) != 2:
            raise ScenarioError("usage: joint-sanctions sweep rerun SWEEP_DIR RUN_ID", field="rerun")
        try:
            run_id = int(args[1])
        except ValueError:
            raise ScenarioError(f"must be a run_id, a whole number (got {args[1]!r})", field="ROW") from None
        old, new = rerun(Path(args[0]), run_id, out)
    except ScenarioError as exc:
        fail(exc)
        return
    diff = differences(old, new)
    if diff:
        err_console.print(f"run {run_id} did NOT reproduce ({len(diff)} columns differ):\n  "
                          + "\n  ".join(diff[:20]), highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"run {run_id} (seed {new['seed']}) reproduced exactly: all {len(new) - 1} columns "
                  "equal the stored row (wall time aside)" + (f"; run folder in {out}" if out else ""),
                  highlight=False, soft_wrap=True)


def compare(
    scenarios: Annotated[list[str], typer.Argument(
        help="Scenario files or shipped names; differences are to the first.")],
    replicates: Annotated[int, typer.Option(help="Runs per scenario (paired seeds).")] = 10,
    seed: Annotated[int, typer.Option(help="Root seed of the replicate seeds.")] = 0,
    days: Annotated[int | None, typer.Option(help="Days to simulate (default: each scenario's).")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a field in every scenario: dotted.name=value (repeatable).")] = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", help="Metrics to show (repeatable; default: the headline metrics).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default results/compare/<timestamp>/); must not exist.")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes (default: every core; 0 = in this process).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Compare scenarios: mean and 95% CI of every headline metric, paired difference to the first."""
    from rich.table import Table

    from simulation.cli import console, err_console
    from simulation.experiments.comparison import compare as run_compare
    from simulation.experiments.comparison import default_compare_dir
    from simulation.scenario import parse_set_options

    with _run_errors():
        overrides = parse_set_options(set_)
        target = out or default_compare_dir()
        table = run_compare(scenarios, replicates=replicates, seed=seed, overrides=overrides, days=days,
                            metrics=metric, out=target, workers=workers, progress=progress)
    labels = list(dict.fromkeys(table["scenario"]))
    ref = labels[0]
    rt = Table(title=f"{replicates} replicates per scenario, paired seeds; mean [95% CI]; "
                     f"difference to {ref} [paired 95% CI]", header_style="bold")
    rt.add_column("metric")
    rt.add_column("unit")
    for lab in labels:
        rt.add_column(lab, justify="right")
    for lab in labels[1:]:
        rt.add_column(f"{lab} - {ref}", justify="right")
    for _, sub in table.groupby("metric", sort=False):
        sub = sub.set_index("scenario")
        unit = sub["unit"].iloc[0]
        cells = [f"{_fmt(r['mean'], unit)} [{_fmt(r['ci_low'], unit)}, {_fmt(r['ci_high'], unit)}]"
                 for _, r in sub.loc[labels].iterrows()]
        diffs = [f"{_fmt(r['diff'], unit)} [{_fmt(r['diff_ci_low'], unit)}, {_fmt(r['diff_ci_high'], unit)}]"
                 for _, r in sub.loc[labels[1:]].iterrows()]
        rt.add_row(str(sub["label"].iloc[0]), unit, *cells, *diffs)
    console.print(rt)
    runs = table.attrs["runs"]
    n_err = int((runs["status"] != "ok").sum())
    if n_err:
        first = runs.loc[runs.status != "ok", "error"].iloc[0]
        err_console.print(f"{n_err} runs failed and are left out: {first}", highlight=False, soft_wrap=True)
    console.print(f"results in [bold]{target}[/] (compare.csv, compare.parquet, compare.png, compare.svg)",
                  highlight=False, soft_wrap=True)


def sensitivity(
    sweep_dir: Annotated[Path, typer.Argument(help="Folder of a finished sobol or morris sweep.")],
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", help="Metrics to analyse (repeatable; default: the wrongful-punishment headline).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write sensitivity.* (default: SWEEP_DIR).")
                   ] = None,
) -> None:
    """Sobol (S1, ST) or Morris (mu*, sigma) indices per metric from a sweep folder."""
    from rich.table import Table

    from simulation.cli import console, err_console, fail
    from simulation.experiments.indices import sensitivity as analyse

    try:
        table = analyse(sweep_dir, metric, out=out)
    except ScenarioError as exc:
        fail(exc)
        return
    method = table.attrs["method"]
    reps = table.attrs["replicates"]
    note = (f"{method} indices from {table.attrs['points']} points; " + (
        f"the {reps} replicates of each point are averaged before analysis" if reps != 1
        else "one replicate per point (replicate noise cannot be separated)"))
    rt = Table(title=note, header_style="bold")
    if method == "sobol":
        cols = [("S1 [95% bootstrap CI]", "S1"), ("ST [95% bootstrap CI]", "ST"), ("S1 at N/2", "S1_half"),
                ("ST at N/2", "ST_half"), ("noise share", "noise_share")]
    else:
        cols = [("mu* [95% bootstrap CI]", "mu_star"), ("mu* at r/2", "mu_star_half"), ("sigma", "sigma"),
                ("mu", "mu"), ("noise share", "noise_share")]
    rt.add_column("metric", overflow="fold")
    rt.add_column("parameter", overflow="fold", min_width=max(len(p) for p in table["parameter"])
                  if len(table) else 9)
    for head, _ in cols:
        rt.add_column(head, justify="right")
    for _, r in table.iterrows():
        cells = []
        for _, c in cols:
            if f"{c}_low" in r:
                lo, hi = _fmt(float(r[f"{c}_low"])), _fmt(float(r[f"{c}_high"]))
                cells.append(f"{_fmt(float(r[c]))} [{lo}, {hi}]")
            else:
                cells.append(_fmt(float(r[c])))
        rt.add_row(r["metric"], r["parameter"], *cells)
    console.print(rt)
    console.print("noise share: share of the metric's variance due to replicate noise (runs that differ "
                  "only in seed); 'at N/2': the index from the first half of the design (convergence)",
                  highlight=False, soft_wrap=True)
    for text in table.attrs.get("warnings", []):
        err_console.print(f"[bold yellow]warning:[/] {text}", highlight=False, soft_wrap=True)
    for m, why in table.attrs["skipped"].items():
        err_console.print(f"skipped {m}: {why}", highlight=False, soft_wrap=True)
    console.print(f"results in [bold]{out or sweep_dir}[/] (sensitivity.csv, .parquet, .png, .svg)",
                  highlight=False, soft_wrap=True)


def discover(
    sweep_dir: Annotated[Path, typer.Argument(help="Folder of a finished sweep (any design).")],
    metric: Annotated[str, typer.Option(help="Metric whose bad values to explain.")] = "wrongful_people",
    above: Annotated[float | None, typer.Option(
        help="Cases of interest: points whose mean metric is above this (default: upper quartile).")
    ] = None,
    below: Annotated[float | None, typer.Option(help="Or: points whose mean metric is below this.")] = None,
    min_density: Annotated[float, typer.Option(
        help="Choose the widest box on PRIM's trajectory at least this dense.")] = 0.8,
    out: Annotated[Path | None, typer.Option(help="Where to write discovery.* (default: SWEEP_DIR).")
                   ] = None,
) -> None:
    """Scenario discovery with PRIM (needs the [ema] extra): which parameter ranges produce the cases?"""
    from simulation.cli import console, fail
    from simulation.experiments.discovery import discover as run_discover

    try:
        if not 0 < min_density <= 1:
            raise ScenarioError(f"must be in (0, 1] (got {min_density})", field="--min-density")
        result = run_discover(sweep_dir, metric, above=above, below=below, min_density=min_density,
                              out=out)
    except ScenarioError as exc:
        fail(exc)
        return
    except ImportError as exc:
        fail(ScenarioError(str(exc), field="discover"))
        return
    stats = result["stats"]
    console.print(f"cases of interest: {result['rule']} ({result['cases']} of {result['points']} points)",
                  highlight=False, soft_wrap=True)
    console.print(f"PRIM box {result['chosen']}: coverage {stats['coverage']:.2f}, density "
                  f"{stats['density']:.2f}, mass {stats['mass']:.2f}", highlight=False, soft_wrap=True)
    for text in result["limits"]["restriction"]:
        console.print(f"  {text}", highlight=False, soft_wrap=True)
    console.print(f"results in [bold]{out or sweep_dir}[/] (discovery.csv, discovery-trajectory.csv, "
                  "discovery.png, discovery.svg)", highlight=False, soft_wrap=True)


def frontier(
    frontier_file: Annotated[Path, typer.Argument(help="Frontier TOML file: [levers], [uncertainties], "
                                                       "[search] (see sweeps/reform-frontier.toml).")],
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default results/frontiers/<name>/<timestamp>/).")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes (default: every core; 0 = in this process).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler.")] = None,
    cluster: Annotated[str | None, typer.Option(help="'local': start a Dask LocalCluster.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the search in --out; stored runs are reused.")
                      ] = False,
    max_runs: Annotated[int | None, typer.Option(
        help="Refuse searches of more runs than this (default 200,000).")] = None,
    force_workers: Annotated[bool, typer.Option(help="Allow more --workers than cores.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Policy frontier: NSGA-II search of the levers for the Pareto set, robust over uncertainties."""
    from simulation.cli import console, err_console
    from simulation.experiments.frontier import load_frontier, plural, run_frontier

    with _run_errors():
        spec = load_frontier(frontier_file, max_runs=max_runs)
        s = spec.search
        err_console.print(f"frontier {spec.sweep.name}: {plural(s.generations, 'generation')} x "
                          f"{plural(s.population, 'design')} x {plural(s.scenarios, 'uncertainty sample')} x "
                          f"{plural(spec.sweep.replicates, 'seed')} = up to "
                          f"{spec.runs} runs", highlight=False, soft_wrap=True)
        table = run_frontier(spec, out, workers=workers, scheduler=scheduler, cluster=cluster,
                             resume=resume, progress=progress, force_workers=force_workers)
    target = Path(table.attrs["out"])
    console.print((target / "frontier.md").read_text(), highlight=False, soft_wrap=True)
    console.print(f"{plural(len(table), 'design')}, {int(table['pareto'].sum())} on the frontier; "
                  f"{table.attrs['runs_this_session']} runs in {table.attrs['wall_time_s']:.1f} s; "
                  f"results in [bold]{target}[/] (frontier.csv, .parquet, .png, .svg, .md)", highlight=False,
                  soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the experiment commands to the main CLI."""
    app.command()(sweep)
    app.command()(compare)
    app.command()(sensitivity)
    app.command()(discover)
    app.command()(frontier)
