"""joint-sanctions: an agent-based simulator of blacklist/redlist joint-sanctions regimes.

The public API is small::

    from simulation import load_scenario, run
    result = run("scenarios/baseline.toml", seed=1, overrides={"registry.sharing": 0.5})
    result.summary["wrongful_sanctions"]
"""

from simulation.errors import ScenarioError
from simulation.model import JointSanctionsModel
from simulation.runner import RunResult, run
from simulation.scenario import Scenario, build_scenario, load_scenario

__version__ = "0.1.0"
__all__ = [
    "JointSanctionsModel", "RunResult", "Scenario", "ScenarioError", "build_scenario",
    "load_scenario", "run", "__version__",
]
