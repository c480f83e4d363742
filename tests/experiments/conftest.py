"""Small sweeps on the classroom world that run in a few seconds."""

from __future__ import annotations

import copy
import multiprocessing
from pathlib import Path

import pytest

from simulation.experiments.spec import SweepSpec, parse_sweep

ROOT = Path(__file__).resolve().parents[2]
IGNORE = ["wall_time_s"]  # the only column allowed to differ between executors

GRID = {
    "name": "tiny-grid", "base": "classroom", "design": "grid", "replicates": 2, "seed": 11,
    "fixed": {"days": 40, "population": {"individuals": 2000, "firms": 100}},
    "parameters": {"registry.sharing": [0.3, 0.9], "appeals": {"enabled": [True, False]}},
}


def sweep_data(**changes) -> dict:
    data = copy.deepcopy(GRID)
    data.update(changes)
    return data


def toml_text(data: dict) -> str:
    """Write the small dicts used here as TOML (dotted keys quoted)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
        return repr(v)

    lines = [f"{k} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            lines += [f'"{kk}" = {value(vv)}' for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def write_sweep(folder: Path, data: dict, name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(toml_text(data))
    return path


def spec_of(data: dict) -> SweepSpec:
    return parse_sweep(data, path=ROOT / "sweeps" / "test.toml")


def results(df):
    """The runs table without the columns that legitimately vary (wall time)."""
    return df.drop(columns=IGNORE).reset_index(drop=True)


@pytest.fixture
def restore_start_method():
    """mesa.batch_run forces the global start method to spawn; put it back."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def fake_sweep_folder(out: Path, spec: SweepSpec, fn) -> Path:
    """A sweep folder whose metric ``y`` is ``fn(overrides, replicate)``: no model runs."""
    from simulation.experiments import sweep as sweep_module
    from simulation.experiments.design import design_points, sample_matrix

    rows = [{**t.meta, "y": fn(t.overrides, t.meta["replicate"]), "status": "ok", "error": None,
             "wall_time_s": 0.0} for t in sweep_module.sweep_tasks(spec)]
    (out / "runs").mkdir(parents=True)
    sweep_module.atomic_write_parquet(sweep_module.consolidate(rows, spec.names),
                                      out / "runs" / "part-000001.parquet")
    design_df = design_points(spec)
    x = sample_matrix(spec)
    if x is not None:
        for i, name in enumerate(spec.names):
            design_df[f"problem:{name}"] = x[:, i]
    design_df.to_parquet(out / "design.parquet")
    sweep_module.write_manifest(out, sweep_module._manifest(spec, len(design_df), "now"))
    return out
