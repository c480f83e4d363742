"""Scenario discovery on sweep results: PRIM boxes that say where a bad outcome happens.

``discover(sweep_dir, metric, above=...)`` marks each point of a sweep as a case of interest
when the metric's mean over its replicates is above (or below) a threshold, then runs PRIM
(the EMA Workbench's ``prim.Prim``, optional extra ``[ema]``) on the parameter values of the
points. The result is the box on the peeling trajectory chosen by ``min_density`` (the one with
the highest coverage among those at least that dense), with its limits in scenario units,
coverage (share of all cases of interest inside it), density (share of points inside it that
are cases of interest) and mass (share of all points inside it).

Why the inputs are recoded (EMA Workbench 3.0 with pandas 3): PRIM writes set-valued limits
into a float column for categorical inputs and midpoints into integer columns, which pandas 3
refuses (``TypeError: Invalid value ... for dtype``). So every input reaches PRIM as float64:
numbers as they are, a boolean as 0/1, and each category of a categorical parameter as its own
0/1 column (``name == value``), which PRIM can peel one at a time as it would a set. Limits
are translated back: a 0/1 column restricted to [0, 0] reads ``name != value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.errors import ScenarioError

MIN_DENSITY = 0.8  # default: the widest box at least this pure


def encode(x: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, Any]]]:
    """Every column as float64 (see the module docstring); and which 0/1 column means what."""
    out: dict[str, np.ndarray] = {}
    indicators: dict[str, tuple[str, Any]] = {}
    for col in x.columns:
        s = x[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(float).to_numpy()
            indicators[col] = (col, True)
        elif pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype(float).to_numpy()
        else:
            for value in pd.unique(s):
                name = f"{col} == {value}"
                out[name] = (s == value).astype(float).to_numpy()
                indicators[name] = (col, value)
    return pd.DataFrame(out, index=x.index), indicators


def describe_limits(limits: pd.DataFrame, x: pd.DataFrame,
                    indicators: dict[str, tuple[str, Any]]) -> pd.DataFrame:
    """One row per restricted parameter: ``parameter``, ``restriction`` text, ``low``, ``high``."""
    rows = []
    for col in limits.columns:
        lo, hi = float(limits[col].iloc[0]), float(limits[col].iloc[1])
        if col in indicators:
            name, value = indicators[col]
            # A 0/1 column is restricted when PRIM moved either limit inside [0, 1].
            if hi < 1.0 or lo > 0.0:
                keep = lo > 0.0
                if x[name].dtype == bool:
                    text = f"{name} is {value if keep else not value}"
                else:
                    text = f"{name} {'==' if keep else '!='} {value}"
                rows.append({"parameter": name, "restriction": text, "low": np.nan, "high": np.nan})
            continue
        full_lo, full_hi = float(x[col].min()), float(x[col].max())
        if lo <= full_lo and hi >= full_hi:
            continue
        rows.append({"parameter": col, "restriction": f"{lo:.4g} <= {col} <= {hi:.4g}", "low": lo,
                     "high": hi})
    return pd.DataFrame(rows, columns=["parameter", "restriction", "low", "high"])


def prim_box(x: pd.DataFrame, y: np.ndarray, *, min_density: float = MIN_DENSITY,
             peel_alpha: float = 0.05, mass_min: float = 0.05) -> dict[str, Any]:
    """PRIM on ``x`` (parameters) and boolean ``y``; the chosen box and the peeling trajectory."""
    import warnings

    try:
        from ema_workbench.analysis import prim
    except ImportError as exc:
        raise ImportError("scenario discovery needs ema_workbench: pip install -e '.[ema]'") from exc
    y = np.asarray(y, dtype=bool)
    if y.sum() == 0 or y.all():
        raise ScenarioError(f"{int(y.sum())} of {len(y)} points are cases of interest; choose a "
                            "threshold that splits them", field="--above/--below")
    encoded, indicators = encode(x.reset_index(drop=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(encoded, y, peel_alpha=peel_alpha, mass_min=mass_min)
        box = finder.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].reset_index(drop=True)
    dense = trajectory.index[trajectory["density"] >= min_density]
    chosen = int(dense[trajectory.loc[dense, "coverage"].argmax()]) if len(dense) else \
        int(trajectory["density"].argmax())
    limits = box.box_lims[chosen]
    return {"limits": describe_limits(limits, x.reset_index(drop=True), indicators),
            "trajectory": trajectory, "chosen": chosen, "stats": trajectory.loc[chosen].to_dict(),
            "cases": int(y.sum()), "points": int(len(y))}


def point_means(runs: pd.DataFrame, names: Sequence[str], metric: str) -> pd.DataFrame:
    """One row per point: its parameter values and the metric's mean over successful replicates."""
    ok = runs[runs["status"] == "ok"]
    if metric not in ok.columns:
        import difflib

        close = difflib.get_close_matches(metric, [str(c) for c in ok.columns], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ScenarioError(f"unknown metric '{metric}'{hint}", field="--metric")
    grouped = ok.groupby("point")
    return grouped[list(names)].first().join(grouped[metric].mean()).dropna(subset=[metric])


def discover(sweep_dir: str | Path, metric: str, *, above: float | None = None,
             below: float | None = None, min_density: float = MIN_DENSITY,
             out: str | Path | None = None, figure: bool = True) -> dict[str, Any]:
    """PRIM on a sweep folder: where is ``metric`` above (or below) a threshold?

    The threshold defaults to the metric's upper quartile over the points (``above``). Writes
    discovery.csv (the box), discovery-trajectory.csv and, with ``figure``, discovery.png/svg
    into ``out`` (default: the sweep folder).
    """
    from simulation.experiments.manifest import read_manifest
    from simulation.experiments.store import RunStore
    from simulation.experiments.sweep import consolidate

    sweep_dir = Path(sweep_dir)
    if above is not None and below is not None:
        raise ScenarioError("give --above or --below, not both", field="--above")
    manifest = read_manifest(sweep_dir)
    names = manifest["problem"]["names"]
    runs = consolidate(RunStore(sweep_dir).rows(), names)
    points = point_means(runs, names, metric)
    values = points[metric].to_numpy(dtype=float)
    if above is None and below is None:
        above = float(np.quantile(values, 0.75))
    y = values > above if above is not None else values < float(below)  # type: ignore[arg-type]
    result = prim_box(points[list(names)], y, min_density=min_density)
    result.update(metric=metric, rule=f"{metric} > {above:.4g}" if above is not None
                  else f"{metric} < {below:.4g}")
    target = Path(out) if out is not None else sweep_dir
    target.mkdir(parents=True, exist_ok=True)
    _write(result, target, figure)
    return result


def _write(result: dict[str, Any], target: Path, figure: bool) -> None:
    from simulation.experiments.manifest import atomic_write_bytes

    box = result["limits"].assign(**{k: result["stats"][k] for k in ("coverage", "density", "mass")},
                                  rule=result["rule"])
    atomic_write_bytes(target / "discovery.csv", box.to_csv(index=False).encode())
    traj = result["trajectory"].assign(chosen=lambda d: d.index == result["chosen"])
    atomic_write_bytes(target / "discovery-trajectory.csv", traj.to_csv(index_label="box").encode())
    if figure:
        from simulation.experiments.plots import discovery_figure

        discovery_figure(result, target / "discovery")
