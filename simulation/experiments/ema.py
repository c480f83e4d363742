"""An EMA Workbench adapter (optional extra: ``pip install -e '.[ema]'``).

::

    from ema_workbench import perform_experiments
    from simulation.experiments.ema import ema_model

    model = ema_model("classroom",
                      uncertainties={"registry.id_missing_rate": (0.0, 0.2),
                                     "population.distinct_names": (2000, 50000, "log")},
                      levers={"registry.deletion_sharing": (0.0, 1.0)},
                      outcomes=["wrongful_people", "compliance_rate"], days=120, replications=3)
    experiments, outcomes = perform_experiments(model, scenarios=16, policies=2)

EMA names must be identifiers, so dots become double underscores (``registry__sharing``); a
log-scaled parameter is sampled as its base-10 logarithm under the name ``<name>__log10`` (EMA
samples uniformly; 10**x then gives a log-uniform value, rounded for whole-number fields).

Replications are seeds: replication k runs with the sweep's replicate seed k of ``seed``
(common random numbers across experiments, as in sweeps), and every outcome is the mean over
the replications. ``ema_workbench`` is imported only when :func:`ema_model` is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from simulation.errors import ScenarioError

LOG_SUFFIX = "__log10"


def ema_name(dotted: str, log: bool = False) -> str:
    """The EMA identifier of a dotted scenario parameter."""
    return dotted.replace(".", "__") + (LOG_SUFFIX if log else "")


def from_ema(name: str, value: Any) -> tuple[str, Any]:
    """(dotted name, scenario value) of an EMA parameter value (undoing the log10 of log scales)."""
    from simulation.experiments.batch import kwarg_to_dotted
    from simulation.experiments.spec import _is_integer_field

    if name.endswith(LOG_SUFFIX):
        dotted = kwarg_to_dotted(name[: -len(LOG_SUFFIX)])
        real = 10.0 ** float(value)
        return dotted, int(round(real)) if _is_integer_field(dotted) else real
    if isinstance(value, np.generic):
        value = value.item()
    return kwarg_to_dotted(name), value


def evaluate(scenario: str, fixed: dict[str, Any], outcomes: list[str], seed: int = 0,
             **params: Any) -> dict[str, float]:
    """Run one experiment for EMA; ``seed`` is a keyword (a replication passes it)."""
    from simulation.experiments.worker import run_one
    from simulation.scenario import load_scenario

    base = load_scenario(scenario).model_dump(mode="json")
    overrides = {**fixed, **dict(from_ema(k, v) for k, v in params.items())}
    summary = run_one(base, overrides, int(seed))
    return {k: summary[k] for k in outcomes}


def _parameter(dotted: str, spec: Any) -> Any:
    """An EMA parameter from ``(low, high)``, ``(low, high, "log")`` or a list of values."""
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    from simulation.experiments.spec import _is_integer_field

    if isinstance(spec, list):
        return CategoricalParameter(ema_name(dotted), spec)
    if isinstance(spec, tuple) and len(spec) in (2, 3):
        low, high = spec[0], spec[1]
        scale = spec[2] if len(spec) == 3 else "linear"
        if scale == "log":
            if not 0 < low < high:
                raise ScenarioError("a log scale needs 0 < low < high", field=dotted)
            return RealParameter(ema_name(dotted, log=True), float(np.log10(low)), float(np.log10(high)))
        if scale != "linear":
            raise ScenarioError(f"scale must be 'linear' or 'log' (got {scale!r})", field=dotted)
        cls = IntegerParameter if _is_integer_field(dotted) else RealParameter
        return cls(ema_name(dotted), low, high)
    raise ScenarioError("give (low, high), (low, high, 'log') or a list of values", field=dotted)


def ema_model(scenario: str | Path, uncertainties: Mapping[str, Any], outcomes: Sequence[str], *,
              levers: Mapping[str, Any] | None = None, days: int | None = None,
              fixed: Mapping[str, Any] | None = None, seed: int = 0, replications: int = 1,
              name: str = "jointsanctions") -> Any:
    """An ``ema_workbench.ReplicatorModel`` over dotted scenario parameters.

    ``uncertainties`` and ``levers`` map a dotted name to ``(low, high)`` (a RealParameter, or
    an IntegerParameter for whole-number fields), ``(low, high, "log")`` (log-uniform) or a
    list of values (a CategoricalParameter). Outcomes are summary metric names, each the mean
    over ``replications`` seeds (replicate seeds of ``seed``, as in sweeps).
    """
    try:
        from ema_workbench import ReplicatorModel, ScalarOutcome
    except ImportError as exc:
        raise ImportError("the EMA adapter needs ema_workbench: pip install -e '.[ema]'") from exc
    from simulation.experiments.design import replicate_seeds
    from simulation.scenario import load_scenario
    from simulation.scenario.catalogue import resolve_scenario_path

    if replications < 1:
        raise ScenarioError(f"must be >= 1 (got {replications})", field="replications")
    path = str(resolve_scenario_path(str(scenario)))
    extra = dict(fixed or {})
    if days is not None:
        extra["days"] = int(days)
    load_scenario(path, extra)
    model = ReplicatorModel(name, function=partial(evaluate, path, extra, list(outcomes)))
    model.uncertainties = [_parameter(d, s) for d, s in uncertainties.items()]
    model.levers = [_parameter(d, s) for d, s in (levers or {}).items()]
    model.outcomes = [ScalarOutcome(o, function=np.mean) for o in outcomes]
    model.replications = [{"seed": s} for s in replicate_seeds(seed, replications)]
    return model


def experiments_in_scenario_units(experiments: Any) -> Any:
    """EMA's experiments table with dotted names and log10 columns turned back into values."""
    out = experiments.copy()
    for col in list(out.columns):
        if col in ("scenario", "policy", "model"):
            continue
        dotted, _ = from_ema(col, 1.0 if col.endswith(LOG_SUFFIX) else None)
        if col.endswith(LOG_SUFFIX):
            out[dotted] = [from_ema(col, v)[1] for v in out[col]]
            out = out.drop(columns=col)
        else:
            out = out.rename(columns={col: dotted})
    return out
