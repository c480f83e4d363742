"""joint-sanctions: an agent-based simulator of blacklist/redlist joint-sanctions regimes.

The public API is small::

    from simulation import load_scenario, run
    result = run("scenarios/baseline.toml", seed=1, overrides={"registry.sharing": 0.5})
    result.summary["wrongful_sanctions"]

Names are imported on first use, so that ``joint-sanctions --help`` and ``validate`` start fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "JointSanctionsModel": "simulation.model",
    "RunResult": "simulation.runner",
    "run": "simulation.runner",
    "Scenario": "simulation.scenario",
    "build_scenario": "simulation.scenario",
    "load_scenario": "simulation.scenario",
    "ScenarioError": "simulation.errors",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    return getattr(import_module(module), name)
