"""The ``joint-sanctions`` command line (also ``python -m simulation``).

Bad input of any kind ends with one line on stderr naming the file, field and reason, and exit
status 2; no traceback, nothing half-written.

Start-up is kept short (``--help``, ``validate`` and ``scenarios`` well under 0.5 s): each command
imports what it needs inside its body, rich is imported only when something is printed with it,
and the help is click's plain help (typer's rich help imports markdown and traceback rendering,
about 0.1 s, for panels). tests/test_startup.py checks which modules each of those commands loads.
"""

from __future__ import annotations

import json
import math
import signal
import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from simulation.errors import ScenarioError
from simulation.headline import HEADLINE
from simulation.scenario.catalogue import SCENARIO_DIR, resolve_scenario_path, scenario_purpose

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table as RichTable


class CommandList(TyperGroup):
    """The command group, whose help lists each command's whole first sentence (wrapped, not cut)."""

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        """Write the "Commands" section: name and first sentence of every visible command."""
        commands = ((name, self.get_command(ctx, name)) for name in self.list_commands(ctx))
        rows = [(name, cmd.get_short_help_str(limit=1_000)) for name, cmd in commands
                if cmd is not None and not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyConsole:
    """A rich Console made on first use (importing rich costs about 0.05-0.1 s of start-up)."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr

    @cached_property
    def _console(self) -> Console:
        from rich.console import Console

        return Console(stderr=self._stderr)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console, name)


app = typer.Typer(
    name="joint-sanctions",
    help="Simulate blacklist/redlist joint-sanctions regimes and who they punish wrongly.",
    cls=CommandList,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = LazyConsole()
err_console = LazyConsole(stderr=True)

def fail(exc: ScenarioError) -> None:
    """Print a user error and exit with its status (2 for bad input, 1 for an I/O fault)."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_status)


def headline_table(summary: dict[str, float], title: str) -> RichTable:
    """The short table printed after a run."""
    from rich.table import Table as RichTable

    table = RichTable(title=title, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for key, label, unit in HEADLINE:
        value = summary.get(key, float("nan"))
        if value is None or (isinstance(value, float) and math.isnan(value)):
            text = "n/a"
        elif unit in ("share", "0-1"):
            text = f"{value:.3f}"
        elif unit == "days":
            text = f"{value:.1f}"
        else:
            text = f"{value:,.0f}"
        table.add_row(label, text, unit)
    return table


def _interrupt_on_signals(done: Callable[[], bool]) -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt(signum) unless ``done()`` (then: ignored)."""

    def handler(signum: int, _frame: object) -> None:
        if not done():
            raise KeyboardInterrupt(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or a shipped scenario name.")],
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    days: Annotated[int | None, typer.Option(help="Days to simulate (default: the scenario's).")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a field: dotted.name=value (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default results/<scenario>/<timestamp>-seed<N>/); must not exist.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="Print only the output folder.")] = False,
    truth: Annotated[bool, typer.Option(
        help="Also write the ground-truth tables (truth/*.parquet) behind every event.")] = False,
) -> None:
    """Run one scenario and write summary, time series, events, resolved scenario, manifest."""
    finished: list[Path] = []  # the run folder, once it exists: a later signal changes nothing
    _interrupt_on_signals(lambda: bool(finished) and finished[0].exists())
    try:
        from simulation.paths import check_output_target
        from simulation.runner import default_out_dir
        from simulation.runner import run as run_scenario
        from simulation.scenario import load_scenario, parse_set_options

        path = resolve_scenario_path(scenario)
        overrides = parse_set_options(set_)
        extra = {k: v for k, v in (("seed", seed), ("days", days)) if v is not None}
        spec = load_scenario(path, {**overrides, **extra})
        target = check_output_target(out or default_out_dir(spec))
        if not quiet:
            err_console.print(f"running {spec.name} ({spec.population.individuals:,} individuals, "
                              f"{spec.days} days, seed {spec.seed}) ...", highlight=False)
        result = run_scenario(spec, truth=truth, facts=True)
        finished.append(target)
        written = result.write(target)
    except ScenarioError as exc:
        fail(exc)
        return
    except KeyboardInterrupt as exc:
        if finished and finished[0].exists():  # the signal came just after the final rename
            written = finished[0]
        else:
            err_console.print("interrupted: nothing was written")
            raise typer.Exit(128 + (exc.args[0] if exc.args else signal.SIGINT)) from None
    if quiet:
        console.print(str(written), highlight=False)
        return
    console.print(headline_table(result.summary, f"{spec.name}, seed {spec.seed}"))
    console.print(f"wall time {result.wall_time_s:.2f} s; results in [bold]{written}[/]",
                  highlight=False)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")]) -> None:
    """Check scenario files; prints OK per file or the first problem (exit 2)."""
    from simulation.scenario import load_scenario

    bad = False
    for f in files:
        try:
            load_scenario(resolve_scenario_path(str(f)))
            typer.echo(f"{f}: OK")
        except ScenarioError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            bad = True
    if bad:
        raise typer.Exit(2)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from simulation.scenario import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")


@app.command()
def scenarios() -> None:
    """List the shipped scenarios with their one-line purpose."""
    from rich.table import Table as RichTable

    table = RichTable(show_header=True, header_style="bold")
    table.add_column("scenario")
    table.add_column("question it answers")
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        table.add_row(path.stem, scenario_purpose(path))
    console.print(table)


def _register_extensions() -> None:
    """Add the commands of optional subpackages (experiments, viz) when they are present."""
    import importlib

    for module in ("simulation.experiments.cli", "simulation.viz.cli"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name not in (module, module.rpartition(".")[0]):
                raise
            continue
        mod.register(app)


_register_extensions()


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except ScenarioError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_status)
    except KeyboardInterrupt as exc:
        err_console.print("interrupted")
        sys.exit(128 + (exc.args[0] if exc.args else signal.SIGINT))


if __name__ == "__main__":
    main()
