"""Writing a resolved scenario back as TOML (the ``scenario.toml`` of every run folder).

Keys and values are written by tomli-w, a maintained TOML writer, so any accepted scenario
(non-ASCII agency or jurisdiction names, control characters in a description) is written as
valid TOML that loads back identically. The layout stays as a person would write it: a header
comment, the top-level settings, one ``[section]`` per table, then the ``[[links]]`` and the
``[[timeline]]`` entries (dates as TOML dates; a scenario without a timeline writes none).
"""

from __future__ import annotations

import datetime as dt
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


def _timeline_rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Timeline entries as a person writes them: the time first, defaults left out, dates as dates."""
    rows = []
    for entry in entries:
        when = {"day": entry["day"]} if "day" in entry else {
            "date": dt.date.fromisoformat(entry["date"])}
        rest = {k: v for k, v in entry.items()
                if k not in ("day", "date") and v not in ({}, [], "") and not (
                    k == "ramp_days" and v == 0)}
        rows.append({**when, **rest})
    return rows


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
    timeline = _timeline_rows(data.pop("timeline", []))
    if "start_date" in data:
        data["start_date"] = dt.date.fromisoformat(data["start_date"])
    parts = [HEADER, tomli_w.dumps(data)]
    for link in links:  # each link as its own [[links]] table, ends first, as a person writes it
        ordered = {"source": link.pop("source"), "to": link.pop("to"), **link}
        parts.append(f"\n[[links]]\n{tomli_w.dumps(ordered)}")
    parts += [_timeline_table(entry) for entry in timeline]
    return "".join(parts)


def _timeline_table(entry: dict[str, Any]) -> str:
    """One ``[[timeline]]`` table: its plain values, then its sub-tables under their own headers
    (tomli-w alone would write a short array inline, inside the last table before it)."""
    tables = ("set", "ramp_from")
    arrays = ("links", "remove_links")
    plain = {k: v for k, v in entry.items() if k not in tables + arrays}
    out = [f"\n[[timeline]]\n{tomli_w.dumps(plain)}"]
    out += [f"[timeline.{k}]\n{tomli_w.dumps(entry[k])}" for k in tables if k in entry]
    for key in arrays:
        for link in entry.get(key, []):
            ordered = {"source": link.pop("source"), "to": link.pop("to"), **link}
            out.append(f"[[timeline.{key}]]\n{tomli_w.dumps(ordered)}")
    return "".join(out)
