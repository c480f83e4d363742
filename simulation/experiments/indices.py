"""Sensitivity indices from a finished sobol or morris sweep (SALib).

The replicates of each point are averaged first (the indices describe the expected outcome;
run-to-run noise would otherwise be read as sensitivity). Sobol: S1 and ST with the half-width
of their 95% bootstrap intervals (``S1_conf``, ``ST_conf``). Morris: mu, mu* with its 95%
interval half-width (``mu_star_conf``) and sigma, in units of the metric per unit of the
parameter in problem space (log10 units for log-scale ranges, index units for value lists).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import ScenarioError

DEFAULT_METRICS = ("wrongful_sanction_days", "wrongful_sanctions", "wrongful_people", "compliance_rate",
                   "sanction_precision", "sanction_recall", "legitimacy_mean")


def _load(sweep_dir: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    if not (sweep_dir / "manifest.json").is_file():
        raise ScenarioError("not a sweep folder (no manifest.json)", file=str(sweep_dir))
    manifest = json.loads((sweep_dir / "manifest.json").read_text())
    kind = manifest.get("design", {}).get("kind")
    if kind not in ("sobol", "morris"):
        raise ScenarioError(f"sensitivity needs a sobol or morris sweep; this one is '{kind}'",
                            file=str(sweep_dir))
    if (sweep_dir / "runs.parquet").is_file():
        runs = pd.read_parquet(sweep_dir / "runs.parquet")
    else:
        from simulation.experiments.sweep import consolidate, read_run_files

        runs = consolidate(read_run_files(sweep_dir / "runs"), manifest["problem"]["names"])
    design = pd.read_parquet(sweep_dir / "design.parquet")
    return manifest, runs, design


def sensitivity(sweep_dir: str | Path, metrics: Sequence[str] | None = None, *,
                out: str | Path | None = None, figure: bool = True, num_resamples: int = 100,
                confidence: float = 0.95) -> pd.DataFrame:
    """Sobol or Morris indices per metric and parameter; writes sensitivity.* into ``out``.

    ``out`` defaults to the sweep folder; pass ``figure=False`` to skip the PNG/SVG.
    Metrics that are constant or undefined (NaN) at some point are skipped and listed in
    ``df.attrs["skipped"]``.
    """
    sweep_dir = Path(sweep_dir)
    manifest, runs, design = _load(sweep_dir)
    kind = manifest["design"]["kind"]
    problem = manifest["problem"]
    n_points = int(manifest["points"])
    ok = runs[runs["status"] == "ok"]
    chosen = list(metrics) if metrics else [m for m in DEFAULT_METRICS if m in ok.columns]
    unknown = [m for m in chosen if m not in runs.columns]
    if unknown:
        raise ScenarioError(f"unknown metric '{unknown[0]}'", field="--metric")
    means = ok.groupby("point")[chosen].mean().reindex(range(n_points))
    reps = ok.groupby("point").size().reindex(range(n_points), fill_value=0)
    if (reps == 0).any():
        missing = int((reps == 0).sum())
        raise ScenarioError(f"{missing} of {n_points} points have no successful run; sensitivity needs "
                            "every point (resume the sweep, or look at the errors in runs.parquet)",
                            file=str(sweep_dir))
    rows: list[dict] = []
    skipped: dict[str, str] = {}
    seed = int(manifest.get("seed", 0)) % (2**32)
    for metric in chosen:
        y = means[metric].to_numpy(dtype=float)
        if np.isnan(y).any():
            skipped[metric] = f"undefined (NaN) at {int(np.isnan(y).sum())} points"
            continue
        if np.ptp(y) == 0:
            skipped[metric] = "constant over the design"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if kind == "sobol":
                from SALib.analyze import sobol

                res = sobol.analyze(problem, y, calc_second_order=manifest["design"]["second_order"],
                                    num_resamples=num_resamples, conf_level=confidence, seed=seed)
                for i, name in enumerate(problem["names"]):
                    rows.append({"metric": metric, "parameter": name, "method": "sobol",
                                 "S1": res["S1"][i], "S1_conf": res["S1_conf"][i],
                                 "ST": res["ST"][i], "ST_conf": res["ST_conf"][i]})
            else:
                from SALib.analyze import morris

                x = design[[f"problem:{n}" for n in problem["names"]]].to_numpy(dtype=float)
                res = morris.analyze(problem, x, y, num_resamples=num_resamples, conf_level=confidence,
                                     num_levels=manifest["design"]["levels"], seed=seed)
                for i, name in enumerate(problem["names"]):
                    rows.append({"metric": metric, "parameter": name, "method": "morris",
                                 "mu": res["mu"][i], "mu_star": res["mu_star"][i],
                                 "sigma": res["sigma"][i], "mu_star_conf": res["mu_star_conf"][i]})
    table = pd.DataFrame(rows)
    if len(table):
        table["points"] = n_points
        table["replicates_averaged"] = int(manifest.get("replicates", 1))
    table.attrs.update(skipped=skipped, method=kind, points=n_points,
                       replicates=int(manifest.get("replicates", 1)))
    target = Path(out) if out is not None else sweep_dir
    target.mkdir(parents=True, exist_ok=True)
    from simulation.experiments.sweep import atomic_write_bytes, atomic_write_parquet

    atomic_write_parquet(table, target / "sensitivity.parquet")
    atomic_write_bytes(target / "sensitivity.csv", table.to_csv(index=False).encode())
    if figure and len(table):
        from simulation.experiments.plots import sensitivity_figure

        sensitivity_figure(table, kind, target / "sensitivity")
    return table
