"""Run a scenario and write its outputs: the one entry point scripts and the CLI share."""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import OutputError
from simulation.facts import facts_tables, write_facts
from simulation.metrics import events_frame, summarise, tables_of
from simulation.model import JointSanctionsModel
from simulation.paths import check_output_target, folder_slug
from simulation.scenario.loading import build_scenario, load_scenario
from simulation.scenario.schema import Scenario
from simulation.scenario.writing import to_toml
from simulation.truth import truth_tables, write_truth

PACKAGES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "matplotlib")


@dataclass
class RunResult:
    """What one run produced: the summary, the daily time series and every event."""

    scenario: Scenario
    seed: int
    summary: dict[str, float]
    timeseries: pd.DataFrame
    events: pd.DataFrame
    wall_time_s: float
    model: JointSanctionsModel | None = field(default=None, repr=False)
    truth: dict[str, pd.DataFrame] | None = field(default=None, repr=False)
    facts: dict[str, pd.DataFrame] | None = field(default=None, repr=False)

    def write(self, out_dir: str | Path) -> Path:
        """Write every output into ``out_dir`` atomically (temporary folder, then rename).

        Refuses to overwrite an existing folder (ScenarioError).
        """
        out = check_output_target(out_dir)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name[:40]}.", dir=out.parent))
        except OSError as exc:
            raise OutputError(f"cannot create the output folder: {exc.strerror or exc}",
                              file=str(out)) from None
        try:
            (tmp / "summary.json").write_text(json.dumps(_json_safe(self.summary), indent=2) + "\n")
            self.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
            self.events.to_parquet(tmp / "events.parquet", index=False)
            (tmp / "scenario.toml").write_text(to_toml(self.scenario))
            (tmp / "manifest.json").write_text(json.dumps(self.manifest(), indent=2) + "\n")
            if self.facts is not None:
                write_facts(self.facts, tmp / "facts")
            if self.truth is not None:
                write_truth(self.truth, tmp / "truth")
            tmp.chmod(0o755)  # mkdtemp makes 0700; results are meant to be shared and read
            # No signal between the rename and the return: a run is either all there or absent.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            try:
                os.rename(tmp, out)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise OutputError(f"writing the results failed ({exc.strerror or exc}); "
                              "nothing was written", file=str(out)) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    def manifest(self) -> dict[str, Any]:
        """Provenance: versions, git commit, seed, wall time."""
        return {
            "package": "joint-sanctions",
            "version": _version("joint-sanctions"),
            "git_commit": git_commit(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "dependencies": {p: _version(p) for p in PACKAGES},
            "scenario": self.scenario.name,
            "seed": self.seed,
            "days": self.scenario.days,
            "wall_time_s": round(self.wall_time_s, 3),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def git_commit() -> str | None:
    """The commit of the source tree this package runs from, if it is a git checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _json_safe(summary: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()}


def run(scenario: Scenario | str | Path, *, seed: int | None = None, days: int | None = None,
        overrides: dict[str, Any] | None = None, keep_model: bool = False,
        truth: bool = False, facts: bool = False) -> RunResult:
    """Run one scenario (a Scenario or a TOML path) and return its results in memory.

    ``truth``: also keep the ground-truth tables (:mod:`simulation.truth`), written by
    :meth:`RunResult.write` into ``truth/``. ``facts``: keep the facts stories are told from
    (:mod:`simulation.facts`), written into ``facts/`` (``joint-sanctions run`` always does).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = build_scenario(scenario.model_dump(mode="json"), overrides)
    updates: dict[str, Any] = {}
    if seed is not None:
        updates["seed"] = int(seed)
    if days is not None:
        updates["days"] = int(days)
    if updates:
        scenario = build_scenario(scenario.model_dump(mode="json"), updates)
    start = time.perf_counter()
    model = JointSanctionsModel(scenario, record_truth=truth)
    model.run()
    tables = tables_of(model)
    summary = summarise(tables)
    timeseries = model.counters.frame()
    events = events_frame(tables.events, model.node_names)
    wall = time.perf_counter() - start
    return RunResult(scenario=scenario, seed=scenario.seed, summary=summary,
                     timeseries=timeseries, events=events, wall_time_s=wall,
                     model=model if keep_model else None,
                     truth=truth_tables(model, model.truth_log) if truth else None,
                     facts=facts_tables(model) if facts else None)


def default_out_dir(scenario: Scenario, root: str | Path = "results") -> Path:
    """results/<slug of the name>/<timestamp>-seed<N>/, never an existing folder.

    The scenario's name is a label: :func:`~simulation.paths.folder_slug` makes it one safe
    folder name, so no name can lead outside ``root``.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / folder_slug(scenario.name) / f"{stamp}-seed{scenario.seed}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out
