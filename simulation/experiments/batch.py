"""A model class for ``mesa.batch_run``, as Mesa 3 users expect.

``batch_run`` passes parameters as keyword arguments; dotted scenario names are written with
double underscores (``registry__sharing=0.5`` means ``registry.sharing``)::

    import mesa
    from simulation.experiments import BatchModel

    rows = mesa.batch_run(BatchModel, parameters={
        "scenario": "classroom", "days": 60, "registry__sharing": [0.2, 0.8]},
        rng=[1, 2, 3], max_steps=1000, number_processes=1)

The model stops itself after the scenario's days (``max_steps`` must be at least that). The
``datacollector`` records a few daily levels every step and the headline summary metrics
(NaN until the last day) so that ``batch_run``'s default ``data_collection_period=-1`` gives
one row per run with the final metrics.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from mesa import DataCollector

from simulation.errors import ScenarioError
from simulation.metrics import summarise, tables_of
from simulation.model import JointSanctionsModel
from simulation.scenario import Scenario, build_scenario, load_scenario

DAILY = ("legitimacy_mean", "listed_stock.individuals", "listed_stock.firms", "appeals_backlog",
         "perceived_bite")


def kwarg_to_dotted(name: str) -> str:
    """``registry__sharing`` -> ``registry.sharing`` (dots are not valid in keyword names)."""
    return name.replace("__", ".")


def _summary_metrics() -> list[str]:
    from simulation.headline import HEADLINE

    return ["judgments", *[k for k, _, _ in HEADLINE]]


class BatchModel(JointSanctionsModel):
    """:class:`~simulation.model.JointSanctionsModel` built from a scenario name or path plus
    keyword overrides, with a Mesa ``datacollector``.

    Args:
        scenario: a scenario file, a shipped scenario name, or a Scenario.
        seed: the run's seed; None draws fresh entropy (recorded as ``model.seed``).
        rng: accepted as an alias of ``seed`` (Mesa's name).
        **overrides: dotted scenario fields with ``__`` for dots, e.g. ``appeals__enabled=False``;
            ``days=...`` sets the run length.
    """

    def __init__(self, scenario: str | Path | Scenario = "classroom", seed: int | None = None,
                 rng: int | None = None, **overrides: Any):
        dotted = {kwarg_to_dotted(k): v for k, v in overrides.items()}
        if isinstance(scenario, Scenario):
            spec = build_scenario(scenario.model_dump(mode="json"), dotted) if dotted else scenario
        else:
            from simulation.scenario.catalogue import resolve_scenario_path

            spec = load_scenario(resolve_scenario_path(str(scenario)), dotted)
        if seed is None:
            seed = rng
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        elif isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ScenarioError(f"must be a whole number or None (got {seed!r})", field="seed")
        super().__init__(spec, seed=int(seed))
        self._summary: dict[str, float] | None = None
        # The seed actually used, so that rows of batch_run(rng=[None, ...]) or iterations=N,
        # where Mesa records only rng=None, can be reproduced (model data overrides the kwargs).
        reporters: dict[str, Any] = {"day": lambda m: m.day, "seed": lambda m: m.seed}
        for key in DAILY:
            reporters[key] = lambda m, k=key: m._daily(k)
        for key in _summary_metrics():
            if key in reporters:  # a daily level whose last value is the summary value
                continue
            reporters[key] = lambda m, k=key: m.summary().get(k, math.nan) if m.finished else math.nan
        self.datacollector = DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    @property
    def finished(self) -> bool:
        """True once every day of the scenario has run."""
        return self.day + 1 >= self.days

    def _daily(self, key: str) -> float:
        if self.day < 0:
            return math.nan
        return float(self.counters.values[key][self.day]) if key in self.counters.values else math.nan

    def step(self) -> None:
        """One day; stops the model (``running = False``) after the last day and collects data."""
        if self.finished:
            self.running = False
            return
        super().step()
        if self.finished:
            self.running = False
        self.datacollector.collect(self)

    def summary(self) -> dict[str, float]:
        """The run summary (every metric), once the run is finished."""
        if not self.finished:
            raise RuntimeError(f"the run has done {self.day + 1} of {self.days} days")
        if self._summary is None:
            self._summary = summarise(tables_of(self))
        return self._summary
