"""Executors behind one ``concurrent.futures.Executor`` interface.

- ``workers=0``: in this process (debugging, notebooks, monkeypatching in tests);
- ``workers=N`` (default: every core): a process pool with an explicit start method
  (``forkserver`` where available, else ``spawn``; never the global default, which
  ``mesa.batch_run`` changes);
- ``cluster="local"``: a Dask ``LocalCluster`` of N single-threaded worker processes, bound to
  127.0.0.1, no dashboard;
- ``scheduler="tcp://host:port"``: an existing Dask cluster.

Results do not depend on the executor: every run is seeded on its own.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from simulation.errors import ScenarioError


class InlineExecutor(Executor):
    """Runs each task at submit time in the calling process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn`` now and return a finished future."""
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut


@dataclass
class ExecutorInfo:
    """An open executor with what the sweep needs to know about it."""

    executor: Executor
    workers: int
    kind: str
    detail: str = ""
    stop: Callable[[], None] | None = None


def default_workers() -> int:
    """Cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def mp_context() -> multiprocessing.context.BaseContext:
    """forkserver (with the worker module preloaded) where available, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["simulation.experiments.worker"])
        return ctx
    return multiprocessing.get_context("spawn")


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Kill the workers (SIGKILL: they ignore SIGTERM, which is meant for the sweep itself)."""
    kill = getattr(pool, "kill_workers", None)
    if kill is not None:  # Python >= 3.14
        kill()
        return
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def capped_workers(requested: int | None, force: bool = False) -> tuple[int, str]:
    """Workers to start: the request (default: every core), at most the cores available unless
    ``force``; and a note saying so when the request was capped."""
    cores = default_workers()
    n = cores if requested is None else requested
    if n > cores and not force:
        return cores, f" (capped from {n} to the {cores} cores available; --force-workers to override)"
    return n, ""


@contextlib.contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None,
                  cluster: str | None = None, *, force: bool = False) -> Iterator[ExecutorInfo]:
    """Open the executor the options ask for; close it (and any cluster it started) on exit.

    Local workers are capped at the cores available unless ``force`` (the cap is noted in
    ``detail``); every pool worker exits by itself if this process dies.
    """
    if scheduler and cluster:
        raise ScenarioError("give --scheduler or --cluster, not both", field="--scheduler")
    if cluster not in (None, "local"):
        raise ScenarioError(f"unknown cluster '{cluster}' (valid: local)", field="--cluster")
    if workers is not None and workers < 0:
        raise ScenarioError(f"must be >= 0 (got {workers})", field="--workers")
    if scheduler:
        with _dask_executor(workers, scheduler) as info:
            yield info
        return
    n, note = capped_workers(workers, force)
    if cluster:
        with _dask_executor(n, None, note) as info:
            yield info
        return
    if n == 0:
        yield ExecutorInfo(InlineExecutor(), 1, "inline", "in this process")
        return
    pool = ProcessPoolExecutor(max_workers=n, mp_context=mp_context(), initializer=_init_worker,
                               initargs=(os.getpid(),))
    info = ExecutorInfo(pool, n, "processes",
                        f"{n} local processes ({pool._mp_context.get_start_method()}){note}",
                        stop=lambda: _terminate_pool(pool))
    try:
        yield info
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _init_worker(parent_pid: int) -> None:
    from simulation.experiments.worker import worker_init

    worker_init(parent_pid)


@contextlib.contextmanager
def _dask_executor(workers: int | None, scheduler: str | None, note: str = "") -> Iterator[ExecutorInfo]:
    import logging

    from distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScenarioError(f"cannot reach the Dask scheduler: {exc}", field="--scheduler") from None
        n = max(1, len(client.scheduler_info().get("workers", {})))
        detail = f"Dask scheduler {scheduler} ({n} workers)"
    else:
        n = workers or default_workers()
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               scheduler_port=0, dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
        detail = f"Dask LocalCluster ({n} workers, {cluster.scheduler_address}){note}"
    executor = client.get_executor(pure=False)
    try:
        yield ExecutorInfo(executor, n, "dask", detail)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def use_executor(executor: ExecutorInfo | None, workers: int | None = None, scheduler: str | None = None,
                 cluster: str | None = None, *, force: bool = False) -> contextlib.AbstractContextManager:
    """The executor a caller passed in (left open on exit), or else the one the options ask for
    (opened and closed by ``open_executor``)."""
    if executor is not None:
        return contextlib.nullcontext(executor)
    return open_executor(workers, scheduler, cluster, force=force)
