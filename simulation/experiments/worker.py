"""What runs on a worker: a chunk of runs, each caught separately so one failure stays one row.

Kept small and importable on its own: process pools and Dask workers import it by name.
"""

from __future__ import annotations

import signal
import time
import traceback
from typing import Any

from simulation.runner import run
from simulation.scenario import build_scenario


def worker_init() -> None:
    """Process-pool initializer: leave Ctrl-C to the parent, which stops the pool cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def describe_error(exc: BaseException) -> str:
    """``Type: message (at file.py:line in function)`` from the innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name})"
    return f"{type(exc).__name__}: {exc}{where}"


def run_one(base: dict[str, Any], overrides: dict[str, Any], seed: int) -> dict[str, float]:
    """Run one scenario and return its summary (the unit a sweep repeats)."""
    scenario = build_scenario(base, {**overrides, "seed": int(seed)})
    return run(scenario).summary


def run_chunk(chunk: list[tuple[int, str, dict[str, Any], int]],
              bases: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Run ``(run_id, base_key, overrides, seed)`` tasks; return one result row per task.

    A row holds ``run_id``, ``status`` ("ok" or "error"), ``error`` (None or a message),
    ``wall_time_s`` and, when the run succeeded, the summary under ``summary``.
    """
    rows = []
    for run_id, key, overrides, seed in chunk:
        start = time.perf_counter()
        try:
            summary = run_one(bases[key], overrides, seed)
            row: dict[str, Any] = {"run_id": run_id, "status": "ok", "error": None, "summary": summary}
        except Exception as exc:  # noqa: BLE001 - a failed run is data, the sweep goes on
            row = {"run_id": run_id, "status": "error", "error": describe_error(exc), "summary": {}}
        row["wall_time_s"] = time.perf_counter() - start
        rows.append(row)
    return rows
