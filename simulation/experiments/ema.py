"""An EMA Workbench adapter (optional extra: ``pip install -e '.[ema]'``).

::

    from ema_workbench import perform_experiments
    from simulation.experiments.ema import ema_model

    model = ema_model("classroom", {"registry.sharing": (0.1, 0.9), "appeals.enabled": [True, False]},
                      outcomes=["wrongful_sanction_days", "compliance_rate"], days=120)
    experiments, outcomes = perform_experiments(model, scenarios=16)

EMA names must be identifiers, so dots become double underscores (``registry__sharing``).
``ema_workbench`` is imported only when :func:`ema_model` is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from simulation.errors import ScenarioError


def evaluate(scenario: str, fixed: dict[str, Any], outcomes: list[str], seed: int,
             **params: Any) -> dict[str, float]:
    """Run one experiment for EMA: ``params`` use ``__`` for dots; returns the chosen metrics."""
    from simulation.experiments.batch import kwarg_to_dotted
    from simulation.experiments.worker import run_one
    from simulation.scenario import load_scenario

    base = load_scenario(scenario).model_dump(mode="json")
    overrides = {**fixed, **{kwarg_to_dotted(k): v for k, v in params.items()}}
    summary = run_one(base, overrides, seed)
    return {k: summary[k] for k in outcomes}


def ema_model(scenario: str | Path, uncertainties: Mapping[str, Any], outcomes: Sequence[str], *,
              days: int | None = None, fixed: Mapping[str, Any] | None = None, seed: int = 0,
              name: str = "jointsanctions") -> Any:
    """An ``ema_workbench.Model`` whose uncertainties are dotted scenario parameters.

    ``uncertainties`` maps a dotted name to ``(low, high)`` (a RealParameter, or an
    IntegerParameter for whole-number fields) or to a list of values (a CategoricalParameter).
    Outcomes are summary metric names (ScalarOutcome). Every experiment runs with ``seed``.
    """
    try:
        from ema_workbench import (
            CategoricalParameter,
            IntegerParameter,
            Model,
            RealParameter,
            ScalarOutcome,
        )
    except ImportError as exc:
        raise ImportError("the EMA adapter needs ema_workbench: pip install -e '.[ema]'") from exc
    from simulation.experiments.spec import _is_integer_field
    from simulation.scenario import load_scenario
    from simulation.scenario.catalogue import resolve_scenario_path

    path = str(resolve_scenario_path(str(scenario)))
    extra = dict(fixed or {})
    if days is not None:
        extra["days"] = int(days)
    load_scenario(path, extra)
    params = []
    for dotted, spec in uncertainties.items():
        ident = dotted.replace(".", "__")
        if isinstance(spec, list):
            params.append(CategoricalParameter(ident, spec))
        elif isinstance(spec, tuple) and len(spec) == 2:
            cls = IntegerParameter if _is_integer_field(dotted) else RealParameter
            params.append(cls(ident, *spec))
        else:
            raise ScenarioError("give (low, high) or a list of values", field=dotted)
    model = Model(name, function=partial(evaluate, path, extra, list(outcomes), seed))
    model.uncertainties = params
    model.outcomes = [ScalarOutcome(o) for o in outcomes]
    return model
