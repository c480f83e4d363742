"""The run loop shared by sweeps, ``run_many`` and ``compare``.

Tasks go out in chunks (adaptive: single runs first, then chunks of about one second of work,
never so large that the last workers sit idle), at most two chunks per worker in flight. Each
finished run is handed to ``on_row`` at once (a sweep appends it to its journal), so a crash or
Ctrl-C loses at most the runs in flight.

SIGTERM (what a batch scheduler sends at its walltime limit) and SIGHUP (a closed terminal)
end the loop exactly like Ctrl-C: workers are stopped, what finished is kept, and the caller
sees ``stats.interrupted`` with ``stats.signal`` set, so the command exits with 128 + signal.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
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
    """Ctrl-C, SIGTERM or SIGHUP: the runs finished so far are saved; the rest can be resumed.

    ``signal`` is the signal number (SIGINT for Ctrl-C); the CLI exits with 128 + signal.
    """

    def __init__(self, message: str, signal: int | None = None):
        super().__init__(message)
        self.signal = signal if signal is not None else 2


class Stopped(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM or SIGHUP (a KeyboardInterrupt, so it stops alike)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s)


@contextlib.contextmanager
def stop_on_signals() -> Any:
    """While inside, SIGTERM and SIGHUP raise :class:`Stopped` (main thread only; else no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        raise Stopped(signum)

    before = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in before.items():
            signal.signal(s, h)


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
    signal: int | None = None
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
            on_row: Callable[[dict[str, Any], dict[str, list[Any]] | None], None],
            progress: bool = True, desc: str = "runs", total: int | None = None, done_before: int = 0,
            failed_before: int = 0, chunk_size: int | None = None,
            record: Sequence[str] = ()) -> LoopStats:
    """Run every task on ``info.executor``; call ``on_row(row, series)`` for each finished run.

    Rows arrive in any order; ``series`` holds the daily series named in ``record`` (or None).
    """
    from tqdm.auto import tqdm

    loop = _Loop(tasks, bases, info, on_row, chunk_size, tuple(record), failed_before)
    start = time.perf_counter()
    bar = tqdm(total=total if total is not None else len(tasks) + done_before, initial=done_before,
               desc=desc, unit="run", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    bar.set_postfix(failed=loop.failed)
    try:
        with stop_on_signals():
            while loop.pending or loop.in_flight:
                loop.submit_more()
                n = loop.collect()
                bar.update(n)
                bar.set_postfix(failed=loop.failed)
    except KeyboardInterrupt as exc:
        loop.stats.interrupted = True
        loop.stats.signal = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        _stop(loop.in_flight, info)
    except SweepAborted as exc:
        loop.stats.aborted = str(exc)
        _stop(loop.in_flight, info)
    finally:
        bar.close()
        loop.stats.wall_s = time.perf_counter() - start
    return loop.stats


class _Loop:
    """The state of one :func:`execute`: tasks waiting, chunks in flight, counts."""

    def __init__(self, tasks: Sequence[Task], bases: dict[str, dict[str, Any]], info: ExecutorInfo,
                 on_row: Callable[[dict[str, Any], dict[str, list[Any]] | None], None],
                 chunk_size: int | None, record: tuple[str, ...], failed_before: int):
        self.pending = deque(tasks)
        self.in_flight: dict[Any, list[Task]] = {}
        self.bases, self.info, self.on_row = bases, info, on_row
        self.chunk_size, self.record = chunk_size, record
        self.stats = LoopStats(workers=info.workers)
        self.failed = failed_before

    def next_size(self) -> int:
        """Runs in the next chunk: 1 at first, then about TARGET_CHUNK_S of work, balanced."""
        if self.chunk_size:
            return self.chunk_size
        if self.stats.runs == 0:
            return 1
        per_run = max(self.stats.busy_s / self.stats.runs, 1e-6)
        balance = max(1, len(self.pending) // (2 * self.info.workers))
        return max(1, min(int(TARGET_CHUNK_S / per_run), balance))

    def submit_more(self) -> None:
        """Keep two chunks per worker in flight."""
        while self.pending and len(self.in_flight) < 2 * self.info.workers:
            size = min(self.next_size(), len(self.pending))
            chunk = [self.pending.popleft() for _ in range(size)]
            payload = [(t.run_id, t.base, t.overrides, t.seed) for t in chunk]
            fut = self.info.executor.submit(run_chunk, payload, self.bases, self.record)
            self.in_flight[fut] = chunk
            self.stats.chunks += 1
            self.stats.chunk_sizes.append(size)

    def collect(self) -> int:
        """Wait for at least one chunk; hand its rows to ``on_row``; return how many runs ended."""
        done, _ = wait(list(self.in_flight), return_when=FIRST_COMPLETED)
        n = 0
        for fut in done:
            chunk = self.in_flight.pop(fut)
            by_id = {t.run_id: t for t in chunk}
            for result in self._results(fut, chunk):
                row = make_row(by_id[result["run_id"]], result)
                self.on_row(row, result.get("series"))
                self.stats.runs += 1
                self.stats.busy_s += row["wall_time_s"]
                if row["status"] != "ok":
                    self.stats.failed += 1
                    self.failed += 1
                n += 1
        return n

    @staticmethod
    def _results(fut: Any, chunk: list[Task]) -> list[dict[str, Any]]:
        exc = fut.exception()
        if isinstance(exc, BrokenProcessPool):
            raise SweepAborted(f"a worker process died ({exc}); finished runs are saved")
        if exc is not None:
            return [{"run_id": t.run_id, "status": "error", "summary": {}, "wall_time_s": 0.0,
                     "error": f"task failed: {describe_error(exc)}"} for t in chunk]
        return fut.result()


def _stop(in_flight: dict[Any, list[Task]], info: ExecutorInfo) -> None:
    for fut in in_flight:
        fut.cancel()
    if info.stop is not None:
        info.stop()
