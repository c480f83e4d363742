"""Dotted overrides (``--set registry.sharing=0.5``, sweep points) applied to raw scenario data."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

from simulation.errors import ScenarioError

GLOBAL_SECTIONS_SPREAD = ("registry", "appeals")


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value as TOML (numbers, booleans, lists, quoted strings) or a bare word."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        nxt = node.get(key)
        if nxt is None:
            nxt = node[key] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError(f"'{key}' is not a section", field=dotted)
        node = nxt
    node[keys[-1]] = value


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of raw scenario data with dotted overrides applied.

    A global ``registry.X`` or ``appeals.X`` override also removes X from every agency, link and
    jurisdiction, so that the knob means the same thing everywhere in that run.
    """
    data = copy.deepcopy(data)
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        if not all(keys):
            raise ScenarioError("empty part in dotted name", field=dotted)
        if len(keys) == 2 and keys[0] in GLOBAL_SECTIONS_SPREAD:
            section, knob = keys
            for juris in (data.get("jurisdictions") or {}).values():
                if isinstance(juris, dict):
                    (juris.get(section) or {}).pop(knob, None)
            if section == "registry":
                for agency in (data.get("agencies") or {}).values():
                    if isinstance(agency, dict):
                        agency.pop(knob, None)
                for link in data.get("links") or []:
                    if isinstance(link, dict):
                        link.pop(knob, None)
        _set_dotted(data, dotted, value)
    return data


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """Turn ``["a.b=1", ...]`` into ``{"a.b": 1}``; bad syntax is a ScenarioError."""
    out: dict[str, Any] = {}
    for item in items or []:
        if any(c in item for c in "\n\r\x00"):
            raise ScenarioError(f"{item!r} contains a line break or NUL; give one value per --set",
                                field="--set")
        if "=" not in item:
            raise ScenarioError(f"'{item}' is not of the form dotted.name=value", field="--set")
        key, _, value = item.partition("=")
        key = key.strip()
        if not key or any(not part for part in key.split(".")):
            raise ScenarioError(f"'{item}' has an empty name", field="--set")
        out[key] = parse_value(value.strip())
    return out
