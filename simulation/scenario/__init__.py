"""Scenarios: the schema, loading with overrides, writing back, and the shipped catalogue.

One module per concept: :mod:`~simulation.scenario.schema` (every parameter, its unit, range and
source), :mod:`~simulation.scenario.overrides` (dotted ``--set`` values),
:mod:`~simulation.scenario.loading` (files and raw data to a validated Scenario),
:mod:`~simulation.scenario.writing` (the resolved ``scenario.toml``) and
:mod:`~simulation.scenario.catalogue` (the shipped scenarios). The names below are re-exported on
first use, so ``from simulation.scenario import Scenario`` keeps working without importing
pydantic for commands that do not need it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_MODULE_OF = {
    "schema": (
        "ASSUMPTION", "AGENCY_REGISTRY_FIELDS", "LINK_FIELDS", "Agency", "Appeals", "Behaviour",
        "Courts", "Firms", "JurisdictionOverride", "Link", "Matching", "OwnList", "Population",
        "Range", "Redlist", "Registry", "RemedyScope", "Scenario", "Scoring", "Strict", "Topology",
        "default_agencies", "describe_unknown", "field_range", "json_schema", "numeric_ranges",
        "param",
    ),
    "overrides": ("GLOBAL_SECTIONS_SPREAD", "apply_overrides", "parse_set_options", "parse_value"),
    "loading": ("build_scenario", "load_scenario"),
    "writing": ("to_toml",),
    "catalogue": ("SCENARIO_DIR", "resolve_scenario_path", "scenario_purpose"),
}
_EXPORTS = {name: module for module, names in _MODULE_OF.items() for name in names}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulation.scenario' has no attribute {name!r}")
    return getattr(import_module(f"simulation.scenario.{module}"), name)
