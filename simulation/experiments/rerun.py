"""``sweep rerun DIR ROW``: run one row of a finished sweep again, from the folder alone.

The run is rebuilt from what the folder recorded (``base.toml``, the manifest's fixed
overrides, the row's parameter values and seed), so it does not depend on the sweep file or
base scenario still being as they were. The new row is compared column by column with the
stored one (every column but ``wall_time_s``); with ``out`` the full run folder (summary,
daily series, events) is written too.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from simulation.errors import ScenarioError
from simulation.experiments.engine import Task, make_row
from simulation.experiments.manifest import read_manifest
from simulation.experiments.store import RunStore
from simulation.scenario import Scenario, build_scenario

IGNORED = ("wall_time_s",)


def stored_row(folder: Path, run_id: int) -> dict[str, Any]:
    """The stored row ``run_id`` of a sweep folder."""
    for row in RunStore(folder).rows():
        if int(row["run_id"]) == run_id:
            return row
    raise ScenarioError(f"no run {run_id} in this sweep folder", file=str(folder), field="ROW")


def row_scenario(folder: Path, row: dict[str, Any]) -> Scenario:
    """The scenario of one stored row, rebuilt from the folder's base.toml and manifest."""
    manifest = read_manifest(folder)
    path = folder / "base.toml"
    try:
        base = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"damaged or missing base scenario ({type(exc).__name__})",
                            file=str(path)) from None
    point = {n: row[n] for n in manifest["problem"]["names"]}
    return build_scenario(base, {**manifest.get("fixed", {}), **point, "seed": int(row["seed"])},
                          file=str(path))


def rerun(folder: str | Path, run_id: int, out: str | Path | None = None) -> tuple[dict[str, Any],
                                                                                     dict[str, Any]]:
    """Run row ``run_id`` again; return (stored row, new row). With ``out``, write the run folder."""
    from simulation.runner import run

    folder = Path(folder)
    old = stored_row(folder, run_id)
    scenario = row_scenario(folder, old)
    result = run(scenario, facts=out is not None)
    if out is not None:
        result.write(out)
    meta = {k: old[k] for k in old if k in ("run_id", "point", "replicate", "seed", "run_key")
            or k in read_manifest(folder)["problem"]["names"]}
    task = Task(run_id, "base", {}, int(old["seed"]), meta)
    new = make_row(task, {"status": "ok", "error": None, "summary": result.summary,
                          "wall_time_s": result.wall_time_s})
    return old, new


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Columns whose values differ (NaN equals NaN), ignoring wall time."""
    out = []
    for key in sorted(set(old) | set(new)):
        if key in IGNORED:
            continue
        a, b = old.get(key), new.get(key)
        same = a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
        if not same:
            out.append(f"{key}: stored {a!r}, rerun {b!r}")
    return out
