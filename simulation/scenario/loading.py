"""Reading a scenario file and validating raw data into a Scenario, with clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from simulation.errors import ScenarioError
from simulation.inputs import read_input_text
from simulation.scenario.catalogue import SCENARIO_DIR
from simulation.scenario.overrides import apply_overrides
from simulation.scenario.schema import (
    Agency,
    CrossReferenceError,
    JurisdictionOverride,
    Link,
    Scenario,
    default_agencies,
    describe_unknown,
)


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _explain(err: dict[str, Any], data: dict[str, Any]) -> str:
    loc = err["loc"]
    if err["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        valid = sorted(parent.model_fields) if parent else []
        return describe_unknown("key", str(loc[-1]), valid)
    msg = err["msg"]
    if "input" in err and err["type"] != "missing" and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that a validation location points into, for key suggestions."""
    model: type[BaseModel] = Scenario
    i = 0
    while i < len(loc):
        key = loc[i]
        if model is Scenario and key == "agencies":
            model = Agency
            i += 2
            continue
        if model is Scenario and key == "jurisdictions":
            model = JurisdictionOverride
            i += 2
            continue
        if model is Scenario and key == "links":
            model = Link
            i += 2
            continue
        field = model.model_fields.get(str(key))
        if field is None:
            return None
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        candidates = [ann, *(inner or ())]
        sub = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if sub is None:
            return None
        model = sub
        i += 1
    return model


def _blame(field: str, overrides: dict[str, Any] | None, file: str | None, *,
           within: bool = False) -> str | None:
    """The override that set a bad value (``--set`` or a sweep), else the file.

    With ``within``, an override of a field inside ``field`` is to blame too (an agency that an
    override like ``agencies.bnak.sharing=1`` brought into being).
    """
    culprit = next((k for k in (overrides or {}) if field == k or field.startswith(k + ".")
                    or within and k.startswith(field + ".")), None)
    return file if culprit is None else f"override {culprit}={(overrides or {})[culprit]!r}"


def _merge_roster(agencies_in: Any, overrides: dict[str, Any] | None,
                  file: str | None) -> dict[str, Any]:
    """The default roster with a scenario's ``[agencies.<name>]`` tables merged in.

    A name that is not in the roster is a new agency only if it says ``new = true``; otherwise
    it is taken for a typo of a shipped agency's name, with a did-you-mean.
    """
    if agencies_in is not None and not isinstance(agencies_in, dict):
        raise ScenarioError("must be a table of agencies keyed by name", file=file,
                            field="agencies")
    roster = default_agencies()
    for name, spec in (agencies_in or {}).items():
        field = f"agencies.{name}"
        if not isinstance(spec, dict):
            raise ScenarioError("must be a table", file=_blame(field, overrides, file), field=field)
        marked = spec.get("new", False)
        if name not in roster and marked is False:
            raise ScenarioError(
                describe_unknown("agency", name, roster) + "; a new agency needs new = true",
                file=_blame(field, overrides, file, within=True), field=field)
        if name in roster and marked is True:
            raise ScenarioError(
                f"{name!r} is an agency of the default roster; leave out new = true to change it",
                file=_blame(f"{field}.new", overrides, file), field=f"{field}.new")
        roster[name] = {**roster.get(name, {}), **spec}
    return roster


def build_scenario(
    data: dict[str, Any], overrides: dict[str, Any] | None = None, *, file: str | None = None
) -> Scenario:
    """Validate raw data (plus dotted overrides) into a Scenario, merging the agency roster."""
    data = apply_overrides(data, overrides or {})
    data["agencies"] = _merge_roster(data.get("agencies"), overrides, file)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = _field_path(err["loc"])
        reason = _explain(err, data)
        if err["type"] == "value_error":
            reason = reason.removeprefix("Value error, ")
            cause = err.get("ctx", {}).get("error")
            if isinstance(cause, CrossReferenceError):
                field = cause.field
        # Blame the override, not the file, when the bad value came from --set (or a sweep).
        raise ScenarioError(reason, file=_blame(field, overrides, file),
                            field=field or None) from None


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario TOML file; errors are ScenarioError."""
    path = Path(path)
    shipped = SCENARIO_DIR / (path.name if path.suffix == ".toml" else f"{path.name}.toml")
    if not path.exists() and path.parent == Path(".") and shipped.exists():
        path = shipped  # a shipped scenario by name, e.g. "classroom"
    if not path.exists() and not path.is_symlink():
        raise ScenarioError("no such file (shipped scenarios: joint-sanctions scenarios)",
                            file=str(path))
    text = read_input_text(path, what="scenario file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=str(path)) from None
    if not data:
        raise ScenarioError("the file is empty: a scenario needs at least one setting "
                            "(e.g. name = \"my-scenario\"); nothing was run", file=str(path))
    data.setdefault("name", path.stem)
    return build_scenario(data, overrides, file=str(path))
