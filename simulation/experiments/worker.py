"""What runs on a worker: a chunk of runs, each caught separately so one failure stays one row.

Kept small and importable on its own: process pools and Dask workers import it by name.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any

from simulation.runner import run
from simulation.scenario import build_scenario

WATCH_INTERVAL_S = 0.5  # how often a worker checks that the sweep's process is still alive


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG).

    Returns False where that is not available (then :func:`watch_parent` still ends it).
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _in_forkserver() -> bool:
    """True while this module is being preloaded by multiprocessing's fork server."""
    return sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules


if _in_forkserver():  # the fork server is the sweep's child: it dies with the sweep
    die_with_parent()


def worker_init(parent_pid: int | None = None) -> None:
    """Process-pool initializer: leave Ctrl-C, SIGTERM and SIGHUP to the parent (which stops the
    pool cleanly, with SIGKILL), and exit as soon as the parent is gone, however it died: with
    the fork server (SIGKILL from the kernel) or, failing that, by polling ``parent_pid``."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    die_with_parent()
    if parent_pid is not None:
        watch_parent(parent_pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else: a reused pid, so ours is gone
        return False
    return True


def watch_parent(parent_pid: int, interval_s: float = WATCH_INTERVAL_S) -> threading.Thread:
    """A daemon thread that ends this process (``os._exit``) once ``parent_pid`` no longer exists.

    A pool worker is a child of the forkserver, not of the sweep, so neither the parent-death
    signal nor EOF on a pipe reaches it when the sweep is killed with SIGKILL; polling does.
    """
    def watch() -> None:
        while _alive(parent_pid):
            time.sleep(interval_s)
        os._exit(1)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread


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


def run_one_with_series(base: dict[str, Any], overrides: dict[str, Any], seed: int,
                        record: Sequence[str]) -> tuple[dict[str, float], dict[str, list[Any]]]:
    """Run one scenario; return its summary and the daily series named in ``record``."""
    scenario = build_scenario(base, {**overrides, "seed": int(seed)})
    result = run(scenario)
    ts = result.timeseries
    return result.summary, {"day": ts["day"].astype(int).tolist(),
                            **{name: ts[name].tolist() for name in record}}


def run_chunk(chunk: list[tuple[int, str, dict[str, Any], int]], bases: dict[str, dict[str, Any]],
              record: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Run ``(run_id, base_key, overrides, seed)`` tasks; return one result row per task.

    A row holds ``run_id``, ``status`` ("ok" or "error"), ``error`` (None or a message),
    ``wall_time_s`` and, when the run succeeded, the summary under ``summary`` (and with
    ``record``, the chosen daily series under ``series``).
    """
    rows = []
    for run_id, key, overrides, seed in chunk:
        start = time.perf_counter()
        try:
            row: dict[str, Any] = {"run_id": run_id, "status": "ok", "error": None}
            if record:
                row["summary"], row["series"] = run_one_with_series(bases[key], overrides, seed, record)
            else:
                row["summary"] = run_one(bases[key], overrides, seed)
        except Exception as exc:  # noqa: BLE001 - a failed run is data, the sweep goes on
            row = {"run_id": run_id, "status": "error", "error": describe_error(exc), "summary": {}}
        row["wall_time_s"] = time.perf_counter() - start
        rows.append(row)
    return rows
