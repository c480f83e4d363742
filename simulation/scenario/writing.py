"""Writing a resolved scenario back as TOML (the ``scenario.toml`` of every run folder)."""

from __future__ import annotations

from typing import Any

from simulation.scenario.schema import Scenario


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_value(key)


def _write_table(lines: list[str], prefix: str, table: dict[str, Any]) -> None:
    scalars = {k: v for k, v in table.items() if v is not None and not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if prefix and (scalars or not tables):
        lines.append(f"\n[{prefix}]")
    for k, v in scalars.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            continue
        lines.append(f"{_key(k)} = {_toml_value(v)}")
    for k, v in tables.items():
        _write_table(lines, f"{prefix}.{_key(k)}" if prefix else _key(k), v)


def to_toml(scenario: Scenario) -> str:
    """Write a fully resolved scenario (defaults included) as TOML that loads back identically."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    links = data.pop("links", [])
    lines = ["# Fully resolved scenario, written by joint-sanctions; rerunnable as is."]
    _write_table(lines, "", data)
    for link in links:
        lines.append("\n[[links]]")
        for k, v in link.items():
            lines.append(f"{_key(k)} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"
