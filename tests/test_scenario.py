"""Scenario files: validation, overrides, round trips, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation import ScenarioError, build_scenario, load_scenario
from simulation.scenario import (
    Scenario,
    apply_overrides,
    json_schema,
    parse_set_options,
    parse_value,
    to_toml,
)

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.toml"))


def test_at_least_eight_shipped_scenarios_each_with_a_question():
    assert len(SCENARIOS) >= 8
    for path in SCENARIOS:
        first = path.read_text().splitlines()[0]
        assert first.startswith("# ") and len(first) > 20, path


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_validate_and_round_trip(path):
    scenario = load_scenario(path)
    again = build_scenario(__import__("tomllib").loads(to_toml(scenario)))
    assert again == scenario


def test_every_parameter_has_description_unit_and_source():
    missing = []

    def walk(schema, defs, prefix=""):
        for name, prop in schema.get("properties", {}).items():
            ref = prop.get("$ref") or next((a.get("$ref") for a in prop.get("anyOf", [])
                                            if "$ref" in a), None)
            if ref:
                walk(defs[ref.split("/")[-1]], defs, f"{prefix}{name}.")
                continue
            if "unit" in prop or prefix.startswith(("agencies", "jurisdictions", "links")):
                assert prop.get("description"), f"{prefix}{name}"
                if "unit" in prop:
                    assert prop.get("source"), f"{prefix}{name}"
            elif prop.get("type") in ("number", "integer") or "anyOf" in prop:
                missing.append(f"{prefix}{name}")
    schema = json_schema()
    walk(schema, schema["$defs"])
    assert missing == []


def test_public_dotted_names_exist():
    s = Scenario()
    for dotted in ["days", "seed", "population.individuals", "population.firms",
                   "population.jurisdictions", "population.distinct_names", "registry.sharing",
                   "registry.delay_days", "registry.deletion_sharing",
                   "registry.deletion_delay_days", "registry.id_missing_rate",
                   "registry.id_error_rate", "registry.format_loss_rate", "registry.matching",
                   "registry.topology", "appeals.enabled"]:
        obj = s
        for part in dotted.split("."):
            obj = getattr(obj, part)


def test_set_values_parse_as_toml_or_bare_words():
    assert parse_value("0.5") == 0.5
    assert parse_value("true") is True
    assert parse_value("name") == "name"
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_set_options(["registry.sharing=0.3", "appeals.enabled=false"]) == {
        "registry.sharing": 0.3, "appeals.enabled": False}


@pytest.mark.parametrize("item", ["registry.sharing", "=3", "registry..sharing=1"])
def test_bad_set_syntax(item):
    with pytest.raises(ScenarioError):
        parse_set_options([item])


def test_global_registry_override_replaces_agency_link_and_jurisdiction_values():
    data = {
        "population": {"jurisdictions": 2},
        "agencies": {"airline": {"matching": "name"}},
        "links": [{"source": "court:j1", "to": "airline", "sharing": 0.1}],
        "jurisdictions": {"j1": {"registry": {"matching": "name", "sharing": 0.2}}},
    }
    out = apply_overrides(data, {"registry.matching": "id", "registry.sharing": 0.9})
    assert "matching" not in out["agencies"]["airline"]
    assert "sharing" not in out["links"][0]
    assert out["jurisdictions"]["j1"]["registry"] == {}
    scenario = build_scenario(data, {"registry.matching": "id"})
    assert scenario.agencies["airline"].matching is None
    assert scenario.registry.matching == "id"


def test_per_agency_and_per_jurisdiction_overrides():
    s = build_scenario({"population": {"jurisdictions": 2}},
                       {"agencies.airline.matching": "name",
                        "jurisdictions.j2.appeals.enabled": False})
    assert s.agencies["airline"].matching == "name"
    assert s.jurisdictions["j2"].appeals.enabled is False


@pytest.mark.parametrize("overrides, field, words", [
    ({"registry.sharing": 1.5}, "registry.sharing", "less than or equal to 1"),
    ({"days": -3}, "days", "greater than or equal to 1"),
    ({"population.individuals": 0}, "population.individuals", "greater than or equal to 1"),
    ({"registry.matching": "fuzzy"}, "registry.matching", "'id'"),
    ({"registry.topology": "mesh"}, "registry.topology", "'hub'"),
    ({"registry.sharin": 0.5}, "registry.sharin", "did you mean 'sharing'"),
    ({"population.individuals": "many"}, "population.individuals", "whole number"),
    ({"agencies.airline.matchng": "id"}, "agencies.airline.matchng", "did you mean 'matching'"),
    ({"jurisdictions.nowhere.appeals.enabled": False}, None,
     "unknown jurisdictions 'nowhere'"),
])
def test_bad_values_name_field_and_reason(overrides, field, words):
    with pytest.raises(ScenarioError) as exc:
        build_scenario({}, overrides, file="x.toml")
    err = exc.value
    if field:
        # The bad value came from an override, so the message blames it, not the file.
        assert err.file.startswith(f"override {field}=")
        assert err.field == field
    else:
        assert err.file == "x.toml"
    assert words in str(err)


def test_shipped_scenarios_load_by_name_and_file_errors_blame_the_file(tmp_path):
    assert load_scenario("classroom").name == "classroom"
    bad = tmp_path / "bad_rate.toml"
    bad.write_text("[registry]\nsharing = 1.5\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad, {"registry.matching": "id"})
    assert exc.value.file == str(bad) and exc.value.field == "registry.sharing"


def test_missing_file_and_not_toml(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("days = = 3\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)


def test_unknown_consumed_list_is_rejected():
    with pytest.raises(ScenarioError, match="unknown list 'bus_blacklist'"):
        build_scenario({"agencies": {"airline": {"consumes": ["bus_blacklist"]}}})
