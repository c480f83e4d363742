"""The ``sweep``, ``compare`` and ``sensitivity`` commands (registered by simulation.cli).

Heavy imports happen inside the commands so that ``joint-sanctions --help`` stays fast.
"""

from __future__ import annotations

import math
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


def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep TOML file (see sweeps/).")],
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
) -> None:
    """Run a parameter sweep: every point x replicate, crash-safe and resumable."""
    from simulation.cli import console, err_console, fail
    from simulation.experiments.engine import SweepAborted, SweepInterrupted
    from simulation.experiments.spec import load_sweep
    from simulation.experiments.sweep import run_sweep

    try:
        spec = load_sweep(sweep_file)
        if chunk_size is not None and chunk_size < 1:
            raise ScenarioError(f"must be >= 1 (got {chunk_size})", field="--chunk-size")
        from simulation.experiments.design import expected_points

        n = expected_points(spec)
        err_console.print(f"sweep {spec.name}: {spec.design.kind} design, {n} points x {spec.replicates} "
                          f"replicates = {n * spec.replicates} runs", highlight=False, soft_wrap=True)
        df = run_sweep(spec, out, workers=workers, scheduler=scheduler, cluster=cluster, resume=resume,
                       retry_errors=retry_errors, progress=progress, chunk_size=chunk_size)
    except ScenarioError as exc:
        fail(exc)
        return
    except SweepInterrupted as exc:
        err_console.print(str(exc), highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    except SweepAborted as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
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

    from simulation.cli import console, err_console, fail
    from simulation.experiments.comparison import compare as run_compare
    from simulation.experiments.comparison import default_compare_dir
    from simulation.experiments.engine import SweepInterrupted
    from simulation.scenario import parse_set_options

    try:
        overrides = parse_set_options(set_)
        target = out or default_compare_dir()
        table = run_compare(scenarios, replicates=replicates, seed=seed, overrides=overrides, days=days,
                            metrics=metric, out=target, workers=workers, progress=progress)
    except ScenarioError as exc:
        fail(exc)
        return
    except SweepInterrupted as exc:
        err_console.print(str(exc), highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
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
        else "one replicate per point (with several, they would be averaged before analysis)"))
    rt = Table(title=note, header_style="bold")
    cols = (["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol"
            else ["mu_star", "mu_star_conf", "sigma", "mu"])
    for c in ["metric", "parameter", *cols]:
        rt.add_column(c, justify="left" if c in ("metric", "parameter") else "right")
    for _, r in table.iterrows():
        rt.add_row(r["metric"], r["parameter"], *[_fmt(float(r[c])) for c in cols])
    console.print(rt)
    if method == "sobol":
        console.print("S1_conf, ST_conf: half-width of the 95% bootstrap interval", highlight=False)
    for m, why in table.attrs["skipped"].items():
        err_console.print(f"skipped {m}: {why}", highlight=False, soft_wrap=True)
    console.print(f"results in [bold]{out or sweep_dir}[/] (sensitivity.csv, .parquet, .png, .svg)",
                  highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the experiment commands to the main CLI."""
    app.command()(sweep)
    app.command()(compare)
    app.command()(sensitivity)
