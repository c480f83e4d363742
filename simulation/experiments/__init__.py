"""Experiments: parameter sweeps, replicates, paired comparisons and sensitivity analysis.

Everything returns pandas DataFrames, for scripts and notebooks::

    from simulation.experiments import compare, run_sweep, sensitivity
    runs = run_sweep("sweeps/sharing-grid.toml", workers=2)
    table = compare(["classroom", "no-appeals"], replicates=10, days=120)
    indices = sensitivity("results/sweeps/sobol-errors/<stamp>")

Command line: ``joint-sanctions sweep | compare | sensitivity`` (see docs/experiments.md).
Names are imported lazily so that ``joint-sanctions --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "run_sweep": "simulation.experiments.sweep",
    "load_sweep": "simulation.experiments.spec",
    "SweepSpec": "simulation.experiments.spec",
    "design_points": "simulation.experiments.design",
    "expected_points": "simulation.experiments.design",
    "replicate_seed": "simulation.experiments.design",
    "run_many": "simulation.experiments.comparison",
    "compare": "simulation.experiments.comparison",
    "summarise_comparison": "simulation.experiments.comparison",
    "sensitivity": "simulation.experiments.indices",
    "BatchModel": "simulation.experiments.batch",
    "ema_model": "simulation.experiments.ema",
    "open_executor": "simulation.experiments.executors",
    "SweepInterrupted": "simulation.experiments.engine",
    "SweepAborted": "simulation.experiments.engine",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import public names on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulation.experiments' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
