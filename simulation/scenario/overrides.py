"""Dotted overrides (``--set registry.sharing=0.5``, sweep points) applied to raw scenario data."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

from simulation.errors import ScenarioError, describe_unknown

GLOBAL_SECTIONS_SPREAD = ("registry", "appeals")


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value as TOML (numbers, booleans, lists, quoted strings) or a bare word."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def flatten_dotted(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables as dotted names: ``{"a": {"b": 1}}`` becomes ``{"a.b": 1}``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten_dotted(value, name))
        else:
            out[name] = value
    return out


def _timeline_entry(data: dict[str, Any], key: str, dotted: str) -> dict[str, Any]:
    """The raw timeline entry an override names, by position or by its name."""
    entries = data.get("timeline")
    if not isinstance(entries, list) or not entries:
        raise ScenarioError("the scenario has no timeline", field=dotted)
    names = [e.get("name") for e in entries if isinstance(e, dict) and e.get("name")]
    if key.isdigit() and int(key) < len(entries):
        found = entries[int(key)]
    else:
        found = next((e for e in entries if isinstance(e, dict) and e.get("name") == key), None)
    if not isinstance(found, dict):
        valid = [*map(str, range(len(entries))), *names]
        raise ScenarioError(describe_unknown("timeline entry", key, valid), field=dotted)
    return found


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    if keys[0] == "timeline" and len(keys) > 2:
        # timeline.<index or name>.day; timeline.<name>.set.<dotted parameter> is one key.
        entry = _timeline_entry(data, keys[1], dotted)
        if keys[2] in ("set", "ramp_from") and len(keys) > 3:
            table = entry.get(keys[2])
            entry[keys[2]] = {**flatten_dotted(table if isinstance(table, dict) else {}),
                              ".".join(keys[3:]): value}
            return
        data, keys = entry, keys[2:]
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
