"""The run loop shared by sweeps, ``run_many`` and ``compare``.

Tasks go out in chunks (adaptive: single runs first, then chunks of about one second of work,
never so large that the last workers sit idle), at most two chunks per worker in flight. Each
finished run is handed to ``on_row`` at once (a sweep writes it to its own Parquet file), so a
crash or Ctrl-C loses at most the runs in flight.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from simulation.experiments.executors import ExecutorInfo
from simulation.experiments.worker import describe_error, run_chunk

TARGET_CHUNK_S = 1.0  # seconds of work per task once run times are known


class SweepInterrupted(Exception):
    """Ctrl-C: the runs finished so far are saved; the rest can be resumed."""


class SweepAborted(Exception):
    """The executor broke (a worker process died); finished runs are saved."""


@dataclass
class Task:
    """One run: which base scenario, which overrides, which seed, and its result columns."""

    run_id: int
    base: str
    overrides: dict[str, Any]
    seed: int
    meta: dict[str, Any]


@dataclass
class LoopStats:
    """What one call of :func:`execute` did."""

    runs: int = 0
    failed: int = 0
    wall_s: float = 0.0
    busy_s: float = 0.0
    workers: int = 1
    chunks: int = 0
    interrupted: bool = False
    aborted: str | None = None
    chunk_sizes: list[int] = field(default_factory=list)

    def throughput(self) -> dict[str, float | int | None]:
        """Runs per second, mean run time, and overhead (capacity not spent running models)."""
        capacity = self.workers * self.wall_s
        idle = max(capacity - self.busy_s, 0.0)
        return {
            "runs": self.runs, "workers": self.workers, "wall_time_s": round(self.wall_s, 3),
            "runs_per_s": round(self.runs / self.wall_s, 4) if self.wall_s else None,
            "mean_run_s": round(self.busy_s / self.runs, 4) if self.runs else None,
            "overhead_per_run_s": round(idle / self.runs, 4) if self.runs else None,
            "overhead_share": round(idle / capacity, 4) if capacity else None,
            "chunks": self.chunks, "max_chunk": max(self.chunk_sizes, default=0),
        }


def make_row(task: Task, result: dict[str, Any]) -> dict[str, Any]:
    """Result columns in order: the task's columns, every metric, status, error, wall time."""
    row = dict(task.meta)
    for key, value in sorted(result.get("summary", {}).items()):
        row[key if key not in task.meta else f"metric:{key}"] = value
    row["status"] = result["status"]
    row["error"] = result["error"]
    row["wall_time_s"] = float(result["wall_time_s"])
    return row


def execute(tasks: Sequence[Task], bases: dict[str, dict[str, Any]], info: ExecutorInfo, *,
            on_row: Callable[[dict[str, Any]], None], progress: bool = True, desc: str = "runs",
            total: int | None = None, done_before: int = 0, failed_before: int = 0,
            chunk_size: int | None = None) -> LoopStats:
    """Run every task on ``info.executor``; call ``on_row`` for each finished run, in any order."""
    from tqdm.auto import tqdm

    stats = LoopStats(workers=info.workers)
    pending = deque(tasks)
    in_flight: dict[Any, list[Task]] = {}
    start = time.perf_counter()
    bar = tqdm(total=total if total is not None else len(tasks) + done_before, initial=done_before,
               desc=desc, unit="run", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    failed = failed_before
    bar.set_postfix(failed=failed)

    def next_size() -> int:
        if chunk_size:
            return chunk_size
        if stats.runs == 0:
            return 1
        per_run = max(stats.busy_s / stats.runs, 1e-6)
        balance = max(1, len(pending) // (2 * info.workers))
        return max(1, min(int(TARGET_CHUNK_S / per_run), balance))

    try:
        while pending or in_flight:
            while pending and len(in_flight) < 2 * info.workers:
                size = min(next_size(), len(pending))
                chunk = [pending.popleft() for _ in range(size)]
                payload = [(t.run_id, t.base, t.overrides, t.seed) for t in chunk]
                in_flight[info.executor.submit(run_chunk, payload, bases)] = chunk
                stats.chunks += 1
                stats.chunk_sizes.append(size)
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for fut in done:
                chunk = in_flight.pop(fut)
                exc = fut.exception()
                if isinstance(exc, BrokenProcessPool):
                    raise SweepAborted(f"a worker process died ({exc}); finished runs are saved")
                if exc is not None:
                    results = [{"run_id": t.run_id, "status": "error", "summary": {}, "wall_time_s": 0.0,
                                "error": f"task failed: {describe_error(exc)}"} for t in chunk]
                else:
                    results = fut.result()
                by_id = {t.run_id: t for t in chunk}
                for result in results:
                    row = make_row(by_id[result["run_id"]], result)
                    on_row(row)
                    stats.runs += 1
                    stats.busy_s += row["wall_time_s"]
                    if row["status"] != "ok":
                        stats.failed += 1
                        failed += 1
                bar.update(len(results))
                bar.set_postfix(failed=failed)
    except KeyboardInterrupt:
        stats.interrupted = True
        _stop(in_flight, info)
    except SweepAborted as exc:
        stats.aborted = str(exc)
        _stop(in_flight, info)
    finally:
        bar.close()
        stats.wall_s = time.perf_counter() - start
    return stats


def _stop(in_flight: dict[Any, list[Task]], info: ExecutorInfo) -> None:
    for fut in in_flight:
        fut.cancel()
    if info.stop is not None:
        info.stop()
