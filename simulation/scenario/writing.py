"""Writing a resolved scenario back as TOML (the ``scenario.toml`` of every run folder).

Keys and values are written by tomli-w, a maintained TOML writer, so any accepted scenario
(non-ASCII agency or jurisdiction names, control characters in a description) is written as
valid TOML that loads back identically. The layout stays as a person would write it: a header
comment, the top-level settings, one ``[section]`` per table, and the ``[[links]]`` last.
"""

from __future__ import annotations

from typing import Any

import tomli_w

from simulation.scenario.schema import Scenario

HEADER = "# Fully resolved scenario, written by joint-sanctions; rerunnable as is.\n"


def _without_empty_tables(table: dict[str, Any]) -> dict[str, Any]:
    """Drop empty sub-tables (an override section that changes nothing) from a table."""
    kept: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            value = _without_empty_tables(value)
            if not value:
                continue
        kept[key] = value
    return kept


def resolved_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain TOML-ready data: defaults included, unset overrides left out."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    for agency in data.get("agencies", {}).values():
        if not agency.get("new"):
            agency.pop("new", None)  # only a new agency carries its marker
    for name, jurisdiction in data.get("jurisdictions", {}).items():
        data["jurisdictions"][name] = _without_empty_tables(jurisdiction)
    return data


def to_toml(scenario: Scenario) -> str:
    """Write a fully resolved scenario (defaults included) as TOML that loads back identically."""
    data = resolved_data(scenario)
    links = data.pop("links", [])
    parts = [HEADER, tomli_w.dumps(data)]
    for link in links:  # each link as its own [[links]] table, ends first, as a person writes it
        ordered = {"source": link.pop("source"), "to": link.pop("to"), **link}
        parts.append(f"\n[[links]]\n{tomli_w.dumps(ordered)}")
    return "".join(parts)
