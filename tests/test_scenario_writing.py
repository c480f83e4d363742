"""The resolved scenario.toml: valid TOML that loads back to the very same scenario.

A hypothesis property over random valid scenarios built from the shipped ones: any text in the
name and description (control characters, NUL, line separators), any jurisdiction and agency
names (non-ASCII, dots, quotes, spaces), and numeric values anywhere in their accepted ranges.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.scenario import (
    Behaviour,
    Courts,
    Population,
    Range,
    Registry,
    build_scenario,
    default_agencies,
    load_scenario,
    numeric_ranges,
    to_toml,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {p.stem: tomllib.loads(p.read_text(encoding="utf-8"))
           for p in sorted((ROOT / "scenarios").glob("*.toml"))}
# Any code point but surrogates (which UTF-8 cannot hold): control characters and NUL included.
TEXT = st.text(max_size=30)
NAMES = st.text(min_size=1, max_size=10)
SECTIONS = {"population": Population, "courts": Courts, "registry": Registry, "behaviour": Behaviour}


def in_range(bounds: Range) -> st.SearchStrategy[Any]:
    """Any accepted value of a numeric parameter, edges included."""
    if bounds.kind is int:
        return st.integers(int(bounds.low), int(bounds.high))
    return st.floats(bounds.low, bounds.high, exclude_min=bounds.low_excluded, allow_nan=False)


def _rename_jurisdictions(raw: dict[str, Any], renamed: dict[str, str]) -> None:
    raw["population"]["jurisdiction_names"] = list(renamed.values())
    raw["jurisdictions"] = {renamed[k]: v for k, v in raw.get("jurisdictions", {}).items()}
    for agency in raw.get("agencies", {}).values():
        if "jurisdiction" in agency:
            agency["jurisdiction"] = renamed[agency["jurisdiction"]]


@st.composite
def valid_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Raw data of a valid scenario: a shipped one with hostile names and in-range values."""
    raw = copy.deepcopy(draw(st.sampled_from(sorted(SHIPPED.items())))[1])
    raw["name"], raw["description"] = draw(TEXT), draw(TEXT)
    raw.setdefault("population", {})
    old = build_scenario(copy.deepcopy(raw)).population.names()
    new = draw(st.lists(NAMES, min_size=len(old), max_size=len(old), unique=True))
    _rename_jurisdictions(raw, dict(zip(old, new, strict=True)))
    for section, model in SECTIONS.items():
        for name, bounds in draw(st.lists(st.sampled_from(sorted(numeric_ranges(model).items())),
                                          max_size=3)):
            if name != "jurisdictions":  # the count is fixed by the names drawn above
                raw.setdefault(section, {})[name] = draw(in_range(bounds))
    place = draw(st.sampled_from(new))
    raw.setdefault("jurisdictions", {}).setdefault(place, {})["description"] = draw(TEXT)
    agency = draw(NAMES.filter(lambda n: n not in default_agencies() and n not in raw.get(
        "agencies", {})))
    raw.setdefault("agencies", {})[agency] = {
        "new": True, "jurisdiction": place, "service_rate_per_year": draw(st.floats(0, 3650)),
        "consumes": ["court_blacklist"]}
    raw.setdefault("links", []).append({"source": f"court:{place}", "to": agency,
                                        "sharing": draw(st.floats(0, 1))})
    return raw


@settings(max_examples=60, deadline=None)
@given(valid_scenarios())
def test_written_scenario_loads_back_identically(tmp_path_factory, raw):
    scenario = build_scenario(raw)
    text = to_toml(scenario)
    again = build_scenario(tomllib.loads(text))
    assert again == scenario
    assert to_toml(again) == text
    path = tmp_path_factory.mktemp("round") / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    assert load_scenario(path) == scenario


def test_hostile_names_are_quoted_and_control_characters_escaped():
    scenario = build_scenario({
        "name": "a\x00b\x1b[31m", "description": "line\nbreak\u2028\x7f",
        "population": {"jurisdictions": 2, "jurisdiction_names": ["航空", "a.b"]},
        "agencies": {"机场": {"new": True, "jurisdiction": "a.b"}},
        "jurisdictions": {"航空": {"description": "\t\r"}},
    })
    text = to_toml(scenario)
    assert '[agencies."机场"]' in text and '[jurisdictions."航空"]' in text
    assert "\x00" not in text and "\x1b" not in text and "\x7f" not in text
    assert build_scenario(tomllib.loads(text)) == scenario


def test_written_file_reads_like_a_hand_written_one():
    text = to_toml(load_scenario(ROOT / "scenarios" / "local-pilots.toml"))
    lines = text.splitlines()
    assert lines[0].startswith("# Fully resolved scenario")
    assert lines[1] == 'name = "local-pilots"'
    headers = [line for line in lines if line.startswith("[")]
    assert headers[:6] == ["[population]", "[courts]", "[registry]", "[appeals]", "[behaviour]",
                           "[firms]"]
    assert "[jurisdictions.shanghai.courts]" in headers
    assert "[jurisdictions.rongcheng.courts]" not in headers  # an override that changes nothing
