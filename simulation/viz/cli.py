"""Commands ``plot``, ``report``, ``trace`` and ``app``, added to the ``joint-sanctions`` CLI.

``simulation.cli`` calls :func:`register` at import. Bad input (not a results folder, unknown
person) ends with one line on stderr and exit status 2, as everywhere else.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulation.errors import ScenarioError

# PNG resolution: below 20 dpi the labels are unreadable; 1200 dpi makes a ~200-megapixel figure.
MIN_DPI, MAX_DPI = 20, 1200


def _fail(exc: ScenarioError) -> None:
    from simulation.cli import fail

    fail(exc)


def plot(
    folder: Annotated[Path, typer.Argument(help="A run, sweep or compare results folder.")],
    out: Annotated[Path | None, typer.Option(help="Where to write figures (default <folder>/figures).")]
    = None,
    fmt: Annotated[list[str] | None, typer.Option(
        "--format", help="png and/or svg (repeatable; default both).")] = None,
    dpi: Annotated[int, typer.Option(min=MIN_DPI, max=MAX_DPI,
                                     help="Resolution of PNG files, dots per inch.")] = 100,
) -> None:
    """Draw every figure of a results folder as PNG and SVG."""
    from simulation.viz.figures import plot_dir

    formats = tuple(fmt or ("png", "svg"))
    try:
        bad = [f for f in formats if f not in ("png", "svg")]
        if bad:
            raise ScenarioError(f"unknown format {bad[0]!r}; use png or svg", field="--format")
        written = plot_dir(folder, out, formats, dpi)
    except ScenarioError as exc:
        _fail(exc)
        return
    target = written[0].parent if written else out
    typer.echo(f"wrote {len(written)} files to {target}")


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (from joint-sanctions run).")],
    out: Annotated[Path | None, typer.Option(help="HTML file (default <run_dir>/report.html).")] = None,
    cases: Annotated[int, typer.Option(help="How many of the longest wrongful sanctions to tell.")] = 3,
) -> None:
    """Write one self-contained HTML report of a run (figures embedded, no external files)."""
    from simulation.viz.report import write_report

    try:
        path = write_report(run_dir, out, cases=cases)
    except ScenarioError as exc:
        _fail(exc)
        return
    typer.echo(f"wrote {path}")


def trace(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (from joint-sanctions run).")],
    person: Annotated[int | None, typer.Option(help="A person's ID (their row, 0-based).")] = None,
    firm: Annotated[int | None, typer.Option(help="A firm's credit code (its row, 0-based).")] = None,
    worst: Annotated[int | None, typer.Option(
        help="Tell the N longest wrongful sanctions briefly.")] = None,
) -> None:
    """Tell one case's story: judgment, listing, the record's travels, each sanction and appeal."""
    from simulation.viz.trace import trace_text

    try:
        if person is None and firm is None and worst is None:
            raise ScenarioError("give --person ID, --firm ID or --worst N")
        text = trace_text(run_dir, person=person, firm=firm, worst=worst)
    except ScenarioError as exc:
        _fail(exc)
        return
    sys.stdout.write(text)


def app_command(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option(help=(
        "Interface to bind. Beyond 127.0.0.1 (e.g. 0.0.0.0) the app needs the token it prints."))]
    = "127.0.0.1",
    scenario: Annotated[str | None, typer.Option(help="Scenario to open first.")] = None,
    max_sessions: Annotated[int, typer.Option(help="At most this many browser sessions at once.")]
    = 60,
) -> None:
    """Open the interactive browser app."""
    if importlib.util.find_spec("simulation.viz.app") is None:
        typer.echo("error: the browser app (simulation.viz.app) is not installed in this checkout "
                   "yet; use plot, report and trace meanwhile", err=True)
        raise typer.Exit(2)
    from simulation.viz.app import serve

    try:
        serve(port=port, host=host, scenario=scenario, max_sessions=max_sessions)
    except ScenarioError as exc:
        _fail(exc)


def register(app: typer.Typer) -> None:
    """Add the viz commands to the ``joint-sanctions`` Typer app."""
    app.command("plot")(plot)
    app.command("report")(report)
    app.command("trace")(trace)
    app.command("app")(app_command)
