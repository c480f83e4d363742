"""Sweep files: what to vary, how to sample it, how many replicates, which seed.

A sweep file is TOML validated like a scenario file (unknown keys are errors naming the closest
valid key). Parameters use the same dotted names as ``--set``; quoted (``"registry.sharing" =
[...]``) or as nested tables (``[parameters.registry] sharing = [...]``), which mean the same.

Each varied parameter is a **lever** (a policy choice: ``[levers]``) or an **uncertainty**
(something the policy maker does not control: ``[uncertainties]``, or ``[parameters]`` with
``role = "uncertainty"`` as the default). Each has a scale: ``linear`` or ``log`` for numbers,
``categorical`` for a list of labels (a list of values is categorical unless ``scale`` says
otherwise, in the table form ``{values = [...], scale = "log"}``).

The number of runs is computed before any point is built and refused over ``MAX_RUNS``
(override with ``max_runs=``/``--max-runs``), with the size the sweep would have.

Every point of the design is validated against the scenario schema before any run starts, so a
bad value fails at once with the file, the field and the reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulation.errors import ScenarioError
from simulation.scenario import Agency, JurisdictionOverride, Scenario, build_scenario

SCENARIO_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios"
DESIGNS = ("grid", "random", "lhs", "sobol", "morris")
RANGE_KEYS = frozenset({"min", "max", "start", "stop", "num", "scale", "values", "role"})
ROLES = ("lever", "uncertainty")
SCALES = ("linear", "log", "categorical")
MAX_RUNS = 200_000  # default ceiling on points x replicates (a run folder row each); --max-runs lifts it
SECTIONS = {"parameters": None, "levers": "lever", "uncertainties": "uncertainty"}
RESERVED = frozenset({"seed", "run_id", "point", "replicate", "status", "error", "wall_time_s"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Design(_Strict):
    """How points are chosen. ``samples`` means: random/lhs, points; sobol, the base sample N
    (a power of 2); morris, the number of trajectories r."""

    kind: Literal["grid", "random", "lhs", "sobol", "morris"] = Field(
        "grid", description="grid, random, lhs, sobol or morris.")
    samples: int | None = Field(None, ge=1, le=10_000_000, description="See the class docstring.")
    second_order: bool = Field(
        False, description="sobol only: also estimate second-order indices (N*(2D+2) points "
        "instead of N*(D+2)).")
    levels: int = Field(4, ge=2, le=1000, description="morris only: grid levels (SALib num_levels).")

    @model_validator(mode="after")
    def _samples_needed(self) -> Design:
        if self.kind == "grid" and self.samples is not None:
            raise ValueError("a grid takes no samples: its points are the product of the values")
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"design '{self.kind}' needs samples = <number>")
        if self.kind == "sobol" and self.samples & (self.samples - 1):
            lo = 1 << (self.samples.bit_length() - 1)
            raise ValueError(f"sobol samples must be a power of 2 (got {self.samples}; try {lo} "
                             f"or {lo * 2})")
        if self.kind != "sobol" and self.second_order:
            raise ValueError("second_order applies to sobol designs only")
        return self


class SweepFile(_Strict):
    """The raw sweep file."""

    name: str | None = Field(None, description="Short name (default: the file name).")
    description: str = Field("", description="What this sweep asks.")
    base: str = Field(description="Base scenario: a path relative to the sweep file, or a "
                      "shipped scenario name such as 'classroom'.")
    design: Design = Field(default_factory=Design)
    replicates: int = Field(1, ge=1, le=100_000, description="Runs per point (seeds shared "
                            "across points: common random numbers).")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root of every seed in the sweep.")
    fixed: dict[str, Any] = Field(default_factory=dict, description="Overrides applied to every run.")
    record: list[str] = Field(default_factory=list, description="Daily series to keep for every run "
                              "(columns of a run's timeseries.parquet, e.g. 'listed_stock.individuals').")
    parameters: dict[str, Any] = Field(default_factory=dict, description="What to vary: dotted name = "
                                       "list of values, {min, max} or {start, stop, num}; optionally "
                                       "role = 'lever' or 'uncertainty' (the default) and scale.")
    levers: dict[str, Any] = Field(default_factory=dict, description="Parameters that are policy "
                                   "choices (same forms as parameters).")
    uncertainties: dict[str, Any] = Field(default_factory=dict, description="Parameters nobody "
                                          "controls (same forms as parameters).")

    @model_validator(mode="before")
    @classmethod
    def _design_shortcut(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("design"), str):
            data = {**data, "design": {"kind": data["design"]}}
        return data


@dataclass(frozen=True)
class Parameter:
    """One varied parameter: either discrete ``values`` or a continuous range [low, high].

    ``role`` is "lever" or "uncertainty"; ``scale`` is "linear", "log" or "categorical"
    (a log scale samples log-uniformly and is drawn on log axes).
    """

    name: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    scale: str = "linear"
    integer: bool = False
    role: str = "uncertainty"

    @property
    def log(self) -> bool:
        """True on a log scale."""
        return self.scale == "log"

    @property
    def continuous(self) -> bool:
        """True for a {min, max} range, False for a list of values."""
        return self.values is None

    def bounds(self) -> list[float]:
        """Bounds in SALib's problem space: [low, high] (log10 for log scale), [0, k) for values."""
        if self.values is not None:
            return [0.0, float(len(self.values))]
        assert self.low is not None and self.high is not None
        if self.log:
            return [math.log10(self.low), math.log10(self.high)]
        return [float(self.low), float(self.high)]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map numbers in [0, 1) to parameter values."""
        lo, hi = self.bounds()
        return self.from_problem(lo + np.asarray(u, dtype=float) * (hi - lo))

    def from_problem(self, x: np.ndarray) -> list[Any]:
        """Map numbers in problem space (see :meth:`bounds`) to parameter values."""
        x = np.asarray(x, dtype=float)
        if self.values is not None:
            idx = np.clip(np.floor(x).astype(np.int64), 0, len(self.values) - 1)
            return [self.values[i] for i in idx]
        v = 10.0 ** x if self.log else x
        if self.integer:
            return [int(round(float(a))) for a in v]
        return [float(a) for a in v]


@dataclass
class SweepSpec:
    """A validated sweep: the file's settings plus the resolved base scenario."""

    path: Path | None
    name: str
    description: str
    base_path: Path
    base_data: dict[str, Any]
    design: Design
    replicates: int
    seed: int
    fixed: dict[str, Any]
    parameters: list[Parameter]
    text: str
    record: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """Parameter names in file order."""
        return [p.name for p in self.parameters]

    @property
    def levers(self) -> list[Parameter]:
        """The parameters that are policy choices."""
        return [p for p in self.parameters if p.role == "lever"]

    @property
    def uncertainties(self) -> list[Parameter]:
        """The parameters nobody controls."""
        return [p for p in self.parameters if p.role == "uncertainty"]

    def problem(self) -> dict[str, Any]:
        """The SALib problem definition (bounds in problem space)."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [p.bounds() for p in self.parameters]}

    def fingerprint(self) -> str:
        """A hash of what makes two sweep files the same sweep (used to refuse resuming another).

        Replicates, grid values and sample counts are left out, so that ``--resume`` may add
        replicates or points: finished runs are matched to the new design by their parameter
        values and seed (see :func:`simulation.experiments.sweep.match_previous`).
        """
        design = self.design.model_dump(exclude={"samples"} if self.design.kind == "random" else set())
        blob = json.dumps({
            "base": self.base_data, "design": design, "seed": self.seed, "fixed": self.fixed,
            "record": list(self.record),
            "parameters": [self._identity(p) for p in self.parameters],
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def _identity(self, p: Parameter) -> dict[str, Any]:
        """What of a parameter must not change on resume (a grid may gain values)."""
        d = {k: v for k, v in p.__dict__.items() if k != "values" or self.design.kind != "grid"}
        return d


def flatten(table: dict[str, Any], prefix: str = "", *, stop_at_ranges: bool = False) -> dict[str, Any]:
    """Turn nested tables into dotted names; with ``stop_at_ranges`` a {min, max} table is a leaf."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        is_range = stop_at_ranges and isinstance(value, dict) and bool(set(value) & RANGE_KEYS)
        if isinstance(value, dict) and value and not is_range:
            out.update(flatten(value, name, stop_at_ranges=stop_at_ranges))
        else:
            out[name] = value
    return out


def field_annotation(dotted: str) -> Any:
    """The type annotation of a scenario field named by a dotted path, or None if unknown."""
    keys = dotted.split(".")
    model: type[BaseModel] = Scenario
    i = 0
    while i < len(keys):
        key = keys[i]
        if model is Scenario and key in ("agencies", "jurisdictions"):
            model = Agency if key == "agencies" else JurisdictionOverride
            i += 2
            continue
        info = model.model_fields.get(key)
        if info is None:
            return None
        ann = info.annotation
        if i == len(keys) - 1:
            return ann
        candidates = [ann, *typing.get_args(ann)]
        sub = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if sub is None:
            return None
        model = sub
        i += 1
    return None


def _is_integer_field(dotted: str) -> bool:
    ann = field_annotation(dotted)
    kinds = {ann, *typing.get_args(ann)} - {type(None)}
    return kinds == {int}


def _check_values(raw: list[Any], integer: bool, file: str, field: str) -> list[Any]:
    """A list of values: non-empty, one type, distinct; numbers as floats unless whole-number."""
    if not raw:
        raise ScenarioError("needs at least one value", file=file, field=field)
    kinds = {"number" if isinstance(v, int | float) and not isinstance(v, bool) else type(v).__name__
             for v in raw}
    if len(kinds) > 1:
        raise ScenarioError(f"values must all be of one type (got {', '.join(sorted(kinds))})",
                            file=file, field=field)
    if kinds == {"number"}:
        raw = [v if integer or all(isinstance(w, int) for w in raw) else float(v) for v in raw]
    if kinds & {"dict", "list"}:
        raise ScenarioError("values must be numbers, booleans or strings", file=file, field=field)
    if len(set(map(repr, raw))) != len(raw):
        raise ScenarioError("values must be distinct", file=file, field=field)
    return raw


def _check_numbers(raw: dict[str, Any], file: str, field: str) -> None:
    for k, v in raw.items():
        if k in ("scale", "role", "values"):
            continue
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ScenarioError(f"must be a number (got {v!r})", file=file, field=f"{field}.{k}")


def _choice(value: Any, valid: tuple[str, ...], file: str, field: str) -> str:
    """``value`` if it is one of ``valid``, else an error with a did-you-mean."""
    if value in valid:
        return value
    import difflib

    close = difflib.get_close_matches(str(value), valid, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ScenarioError(f"must be one of {', '.join(valid)} (got {value!r}){hint}", file=file, field=field)


def _parse_role(raw: Any, section_role: str | None, file: str, field: str) -> str:
    given = raw.get("role") if isinstance(raw, dict) else None
    if given is not None:
        given = _choice(given, ROLES, file, f"{field}.role")
        if section_role is not None and given != section_role:
            raise ScenarioError(f"role '{given}' contradicts its section (every entry there is a "
                                f"{section_role})", file=file, field=f"{field}.role")
    return given or section_role or "uncertainty"


def _parse_values(name: str, raw: list[Any], scale: str | None, integer: bool, role: str, file: str,
                  field: str) -> Parameter:
    values = _check_values(raw, integer, file, field)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    scale = scale or ("linear" if numeric else "categorical")
    if scale != "categorical" and not numeric:
        raise ScenarioError(f"a {scale} scale needs numbers; use scale = 'categorical'", file=file,
                            field=f"{field}.scale")
    if scale == "log" and min(values) <= 0:
        raise ScenarioError("a log scale needs values > 0", file=file, field=field)
    return Parameter(name, values=tuple(values), scale=scale, integer=integer, role=role)


def _parse_range(name: str, raw: dict[str, Any], scale: str, integer: bool, role: str, file: str,
                 field: str) -> Parameter:
    keys = set(raw) - {"scale", "role"}
    if scale == "categorical":
        raise ScenarioError("a categorical parameter is a list of values, not a range", file=file,
                            field=f"{field}.scale")
    log = scale == "log"
    _check_numbers(raw, file, field)
    if keys == {"min", "max"}:
        lo, hi = float(raw["min"]), float(raw["max"])
        if not lo < hi:
            raise ScenarioError(f"min must be below max (got {lo} and {hi})", file=file, field=field)
        if log and lo <= 0:
            raise ScenarioError("a log scale needs min > 0", file=file, field=field)
        return Parameter(name, low=lo, high=hi, scale=scale, integer=integer, role=role)
    if keys == {"start", "stop", "num"}:
        num = raw["num"]
        if not isinstance(num, int) or num < 1:
            raise ScenarioError(f"must be a whole number >= 1 (got {num!r})", file=file,
                                field=f"{field}.num")
        if num > MAX_RUNS:
            raise ScenarioError(f"{num:,} values is over the limit of {MAX_RUNS:,}", file=file,
                                field=f"{field}.num")
        if log and min(raw["start"], raw["stop"]) <= 0:
            raise ScenarioError("a log scale needs start and stop > 0", file=file, field=field)
        grid = (np.geomspace if log else np.linspace)(raw["start"], raw["stop"], num)
        values = [int(round(float(v))) for v in grid] if integer else [float(v) for v in grid]
        if len(set(values)) != len(values):
            raise ScenarioError("start/stop/num gives repeated values for a whole-number field",
                                file=file, field=field)
        return Parameter(name, values=tuple(values), scale=scale, integer=integer, role=role)
    raise ScenarioError("a range is {min, max} or {start, stop, num} (optionally scale = 'log'), or "
                        f"{{values = [...]}}; got keys {', '.join(sorted(set(raw)))}", file=file,
                        field=field)


def _parse_parameter(name: str, raw: Any, file: str, section: str = "parameters") -> Parameter:
    field = f"{section}.{name}"
    if name in RESERVED:
        why = ("replicate seeds come from the sweep seed; use replicates = N" if name == "seed"
               else "this name is a column of the results")
        raise ScenarioError(f"'{name}' cannot be varied: {why}", file=file, field=field)
    integer = _is_integer_field(name)
    role = _parse_role(raw, SECTIONS[section], file, field)
    if isinstance(raw, list):
        return _parse_values(name, raw, None, integer, role, file, field)
    if isinstance(raw, dict):
        scale = raw.get("scale")
        if scale is not None:
            scale = _choice(scale, SCALES, file, f"{field}.scale")
        if "values" in raw:
            extra = sorted(set(raw) - {"values", "scale", "role"})
            if extra or not isinstance(raw["values"], list):
                raise ScenarioError("a {values = [...]} table takes only scale and role besides values"
                                    + (f" (got {', '.join(extra)})" if extra else ""), file=file,
                                    field=field)
            return _parse_values(name, raw["values"], scale, integer, role, file, field)
        return _parse_range(name, raw, scale or "linear", integer, role, file, field)
    raise ScenarioError(f"needs a list of values or a range, got {raw!r}; put single values in [fixed]",
                        file=file, field=field)


def _parse_parameters(raw: SweepFile, file: str) -> list[Parameter]:
    """Every varied parameter from [parameters], [levers] and [uncertainties], in file order."""
    params: list[Parameter] = []
    seen: dict[str, str] = {}
    for section in SECTIONS:
        table = getattr(raw, section)
        for name, value in flatten(table, stop_at_ranges=True).items():
            if name in seen:
                raise ScenarioError(f"'{name}' is varied twice (in [{seen[name]}] and [{section}])",
                                    file=file, field=f"{section}.{name}")
            seen[name] = section
            params.append(_parse_parameter(name, value, file, section))
    if not params:
        raise ScenarioError("name at least one parameter to vary ([parameters], [levers] or "
                            "[uncertainties])", file=file, field="parameters")
    return params


def check_size(n_points: int, replicates: int, max_runs: int | None, file: str,
               what: str = "sweep") -> None:
    """Refuse a design over ``max_runs`` runs (None: the default MAX_RUNS), saying its size."""
    limit = MAX_RUNS if max_runs is None else max_runs
    runs = n_points * replicates
    if runs > limit:
        raise ScenarioError(f"this {what} would have {runs:,} runs ({n_points:,} points x {replicates:,} "
                            f"replicates), over the limit of {limit:,}; pass --max-runs {runs} to run "
                            "it anyway", file=file, field="design")


def resolve_base(base: str, sweep_dir: Path) -> Path:
    """A base scenario path relative to the sweep file, else a shipped scenario name."""
    candidates = [sweep_dir / base, Path(base)]
    shipped = base if base.endswith(".toml") else f"{base}.toml"
    candidates.append(SCENARIO_DIR / shipped)
    for c in candidates:
        if c.is_file():
            return c
    return sweep_dir / base


def _read_toml(path: Path, what: str) -> tuple[dict[str, Any], str]:
    if not path.exists():
        raise ScenarioError("no such file", file=str(path))
    if path.is_dir():
        raise ScenarioError(f"is a folder, not a {what} file", file=str(path))
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioError("not a text file", file=str(path)) from None


def _pydantic_error(exc: ValidationError, file: str) -> ScenarioError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        import difflib

        valid = sorted(SweepFile.model_fields) if len(err["loc"]) == 1 else sorted(Design.model_fields)
        close = difflib.get_close_matches(str(err["loc"][-1]), valid, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        msg = f"unknown key '{err['loc'][-1]}'{hint} (valid: {', '.join(valid)})"
    elif "input" in err and err["type"] != "missing":
        msg += f" (got {err['input']!r})"
    return ScenarioError(msg, file=file, field=loc or None)


def load_sweep(path: str | Path, *, max_runs: int | None = None) -> SweepSpec:
    """Read and validate a sweep file, its base scenario and every point of its design."""
    path = Path(path)
    data, text = _read_toml(path, "sweep")
    return parse_sweep(data, path=path, text=text, max_runs=max_runs)


def parse_sweep(data: dict[str, Any], *, path: Path | None = None, text: str = "",
                max_runs: int | None = None) -> SweepSpec:
    """Validate raw sweep data (as read from TOML); relative base paths resolve from ``path``.

    A design of more than ``max_runs`` runs (default MAX_RUNS) is refused before it is built.
    """
    file = str(path) if path else "<sweep>"
    try:
        raw = SweepFile.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_error(exc, file) from None
    base_path = resolve_base(raw.base, path.parent if path else Path("."))
    if not base_path.is_file():
        raise ScenarioError(f"no scenario '{raw.base}' next to the sweep file or among the shipped "
                            f"scenarios ({', '.join(sorted(p.stem for p in SCENARIO_DIR.glob('*.toml')))})",
                            file=file, field="base")
    base_data, _ = _read_toml(base_path, "scenario")
    base_data.setdefault("name", base_path.stem)
    fixed = flatten(raw.fixed)
    if "seed" in fixed:
        raise ScenarioError("'seed' cannot be fixed: run seeds come from the sweep seed", file=file,
                            field="fixed.seed")
    try:
        build_scenario(base_data, fixed, file=str(base_path))
    except ScenarioError as exc:
        raise ScenarioError(exc.reason, file=file,
                            field=f"fixed.{exc.field}" if exc.field else "fixed") from None
    params = _parse_parameters(raw, file)
    overlap = sorted(set(fixed) & {p.name for p in params})
    if overlap:
        raise ScenarioError(f"'{overlap[0]}' is both fixed and varied", file=file, field="fixed")
    if raw.design.kind == "grid":
        for p in params:
            if p.continuous:
                raise ScenarioError("a grid needs a list of values or {start, stop, num}, not {min, max}",
                                    file=file, field=f"parameters.{p.name}")
    from simulation.experiments.design import count_points, design_points

    check_size(count_points(raw.design, params), raw.replicates, max_runs, file)
    spec = SweepSpec(path=path, name=raw.name or (path.stem if path else "sweep"),
                     description=raw.description, base_path=base_path, base_data=base_data,
                     design=raw.design, replicates=raw.replicates, seed=raw.seed, fixed=fixed,
                     parameters=params, text=text, record=tuple(raw.record))
    if spec.record:
        check_record(spec, file)
    points = design_points(spec)
    validate_points(spec, points.drop(columns=["point"]).to_dict("records"))
    return spec


def check_record(spec: SweepSpec, file: str) -> None:
    """Every recorded series must be a daily series of the base scenario (one 1-day probe run)."""
    from simulation.runner import run

    probe = build_scenario(spec.base_data, {**spec.fixed, "days": 1}, file=str(spec.base_path))
    available = [c for c in run(probe).timeseries.columns if c != "day"]
    for name in spec.record:
        if name not in available:
            import difflib

            close = difflib.get_close_matches(name, available, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ScenarioError(f"no daily series '{name}'{hint} (valid: {', '.join(available)})",
                                file=file, field="record")


def validate_points(spec: SweepSpec, points: list[dict[str, Any]]) -> None:
    """Build every point's scenario once, so that a bad value fails before any run starts."""
    file = str(spec.path) if spec.path else "<sweep>"
    seen: set[str] = set()
    for i, point in enumerate(points):
        key = repr(sorted(point.items()))
        if key in seen:
            continue
        seen.add(key)
        try:
            build_scenario(spec.base_data, {**spec.fixed, **point}, file=str(spec.base_path))
        except ScenarioError as exc:
            name = next((n for n in point if exc.field and (exc.field == n or exc.field.startswith(n))),
                        None)
            where = f"parameters.{name}" if name else (f"parameters ({exc.field})" if exc.field
                                                         else "parameters")
            shown = {k: point[k] for k in ([name] if name else point)}
            raise ScenarioError(f"point {i} {shown}: {exc.reason}", file=file, field=where) from None
