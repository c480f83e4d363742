"""Every value the schema accepts runs: edges of every numeric parameter's range, for a few days.

The ranges are read from the pydantic schema (:func:`simulation.scenario.numeric_ranges`), not
from a hand list, so a new parameter is covered as soon as it is declared. Each example puts one
to three parameters (anywhere: global, per agency, per link, per jurisdiction) at an edge of its
range, or just inside it, under a drawn topology, and runs a small world for a few days.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from simulation.runner import run
from simulation.scenario import (
    Agency,
    Appeals,
    Behaviour,
    Courts,
    Firms,
    Link,
    OwnList,
    Population,
    Range,
    Redlist,
    Registry,
    Scenario,
    Scoring,
    build_scenario,
    numeric_ranges,
)

DAYS = 4
# A small world in which every mechanism acts within a few days: judgments, listings after a
# one-day deadline, appeals, own blacklists, redlists, a points score, a per-link override.
BASE: dict[str, Any] = {
    "name": "edges", "days": DAYS, "seed": 3,
    "population": {"individuals": 300, "firms": 30, "jurisdictions": 2, "distinct_names": 1000},
    "courts": {"judgment_rate_per_year": 1.0, "firm_judgment_rate_per_year": 1.0,
               "compliance_deadline_days": 1, "deletion_processing_days": 0},
    "appeals": {"review_days": 1, "file_probability_wrongful": 1.0},
    "agencies": {
        "rail": {"own_blacklist": {"rate_per_year": 0.5, "term_days": 2}},
        "tax": {"redlist": {"admission_rate_per_year": 0.5, "term_days": 2}},
        "score": {"new": True, "kind": "scoring", "jurisdiction": "j1",
                  "service_rate_per_year": 100.0, "consumes": ["court_blacklist"],
                  "scoring": {"points_start": 1000, "points_per_record": 100, "threshold": 950}},
    },
    "links": [{"source": "court:j1", "to": "airline"}],
    "jurisdictions": {"j1": {}},
}

# Where each section's parameters are set: the global table and one place that overrides it.
PLACES: list[tuple[tuple[Any, ...], type[BaseModel]]] = [
    ((), Scenario), (("population",), Population),
    (("courts",), Courts), (("jurisdictions", "j1", "courts"), Courts),
    (("registry",), Registry), (("jurisdictions", "j1", "registry"), Registry),
    (("appeals",), Appeals), (("jurisdictions", "j1", "appeals"), Appeals),
    (("behaviour",), Behaviour), (("jurisdictions", "j1", "behaviour"), Behaviour),
    (("firms",), Firms),
    (("agencies", "airline"), Agency), (("agencies", "score"), Agency),
    (("agencies", "rail", "own_blacklist"), OwnList), (("agencies", "tax", "redlist"), Redlist),
    (("agencies", "score", "scoring"), Scoring), (("links", 0), Link),
]
# Edges a few-day run at 300 people cannot try: the run length is what the test fixes, and
# 50 million individuals or 5 million firms are a memory budget (docs/performance.md), not a
# value that could crash. The low edges of all of these are tried. (1,000 jurisdictions and
# 10^8 names are tried: the network and the name pool cost what the run needs, test_costs.py.)
UPPER_EDGE_IS_A_SIZE = {"days", "individuals", "firms"}
PARAMETERS = [(path + (name,), bounds) for path, model in PLACES
              for name, bounds in sorted(numeric_ranges(model).items())]


def edges(name: str, bounds: Range) -> st.SearchStrategy[Any]:
    """The edges of a range, the values just inside them, and any value in between."""
    low, high = bounds.low, bounds.high
    if name in UPPER_EDGE_IS_A_SIZE:
        high = low + 3
    if bounds.kind is int:
        return st.sampled_from(sorted({low, low + 1, high - 1, high})) | st.integers(low, high)
    first = math.nextafter(low, math.inf) if bounds.low_excluded else low
    picks = {first, math.nextafter(first, high), math.nextafter(high, low), high}
    if first == 0.0:
        picks.add(-0.0)
    return (st.sampled_from(sorted(picks)) |
            st.floats(low, high, exclude_min=bounds.low_excluded, allow_nan=False))


def set_in(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set ``data[path[0]][path[1]]... = value``."""
    *parents, last = path
    for key in parents:
        data = data[key] if isinstance(key, int) else data.setdefault(key, {})
    data[last] = value


@st.composite
def edge_scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """Raw data of the small world with one to three parameters at (or next to) an edge."""
    data = copy.deepcopy(BASE)
    data["registry"] = {"topology": draw(st.sampled_from(["none", "bilateral", "hub"])),
                        "platform": draw(st.sampled_from(["national", "per_jurisdiction"]))}
    chosen = draw(st.lists(st.sampled_from(PARAMETERS), min_size=1, max_size=3,
                           unique_by=lambda p: p[0]))
    shown = []
    for path, bounds in chosen:
        value = draw(edges(path[-1], bounds))
        if path == ("days",):
            value = min(value, DAYS)
        set_in(data, path, value)
        shown.append(f"{'.'.join(map(str, path))}={value!r}")
    return data, shown


def run_edges(case: tuple[dict[str, Any], list[str]]) -> None:
    data, shown = case
    result = run(build_scenario(data))  # any exception here is a validated value that crashed
    assert result.timeseries.shape[0] == data["days"], shown


def test_every_numeric_parameter_is_tried():
    tried = {path for path, _ in PARAMETERS}
    assert ("population", "service_propensity_shape") in tried
    assert ("agencies", "score", "scoring", "threshold") in tried
    assert ("links", 0, "delay_days") in tried
    assert ("jurisdictions", "j1", "behaviour", "bite_memory_days") in tried
    assert len(tried) > 80


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edge_scenarios())
def test_values_at_the_edges_of_their_ranges_run(case):
    run_edges(case)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edge_scenarios())
def test_values_at_the_edges_of_their_ranges_run_many(case):
    run_edges(case)
