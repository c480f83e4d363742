"""Sensitivity indices from a finished sobol or morris sweep (SALib).

The replicates of each point are averaged first (the indices describe the expected outcome;
run-to-run noise would otherwise be read as sensitivity), and how much of the variance that
noise is gets reported. Every index comes with its 95% bootstrap interval (SALib's resampling,
not clipped to [0, 1]: an index outside [0, 1] says the sample is too small, and is warned
about), and with the same index from the first half of the design (N/2 base samples) as a
convergence check. Sobol: S1 and ST with the half-width
of their 95% bootstrap intervals (``S1_conf``, ``ST_conf``). Morris: mu, mu* with its 95%
interval half-width (``mu_star_conf``) and sigma, in units of the metric per unit of the
parameter in problem space (log10 units for log-scale ranges, index units for value lists).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import ScenarioError

DEFAULT_METRICS = ("wrongful_sanction_days", "wrongful_sanctions", "wrongful_people", "compliance_rate",
                   "sanction_precision", "sanction_recall", "legitimacy_mean")


def _load(sweep_dir: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    from simulation.experiments.manifest import read_manifest
    from simulation.experiments.store import RunStore
    from simulation.experiments.sweep import consolidate

    manifest = read_manifest(sweep_dir)
    kind = manifest["design"].get("kind")
    if kind not in ("sobol", "morris"):
        raise ScenarioError(f"sensitivity needs a sobol or morris sweep; this one is '{kind}'",
                            file=str(sweep_dir))
    runs = consolidate(RunStore(sweep_dir).rows(), manifest["problem"]["names"])
    path = sweep_dir / "design.parquet"
    from simulation.readback import read_table

    design = read_table(path, what="design file")
    if len(design) != int(manifest["points"]):
        raise ScenarioError(f"has {len(design)} points, the manifest says {manifest['points']}",
                            file=str(path))
    return manifest, runs, design


WIDE_HALF_WIDTH = 0.1     # a Sobol interval wider than +-0.1 cannot rank parameters reliably
CONVERGENCE_TOLERANCE = 0.1  # largest acceptable change of an index between N/2 and N
NOISY_SHARE = 0.2         # replicate noise above this share of the variance is reported


def _analyse(kind: str, problem: dict, manifest: dict, x: np.ndarray, y: np.ndarray, num_resamples: int,
             confidence: float, seed: int) -> dict[str, np.ndarray]:
    """SALib's indices for one metric (``x`` is the design matrix, used by Morris)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if kind == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=manifest["design"]["second_order"],
                                num_resamples=num_resamples, conf_level=confidence, seed=seed)
            return {k: np.asarray(res[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        from SALib.analyze import morris

        res = morris.analyze(problem, x, y, num_resamples=num_resamples, conf_level=confidence,
                             num_levels=manifest["design"]["levels"], seed=seed)
        return {k: np.asarray(res[k]) for k in ("mu", "mu_star", "sigma", "mu_star_conf")}


def _half(kind: str, manifest: dict, n_points: int) -> int:
    """Points of the first half of the design (N/2 base samples or r/2 trajectories), 0 if too few."""
    samples = int(manifest["design"].get("samples") or 0)
    if samples < 4:
        return 0
    per = n_points // samples  # rows per base sample (Saltelli) or per trajectory (Morris)
    half = samples // 2
    if kind == "sobol" and half & (half - 1):
        return 0
    return half * per


def noise_share(ok: pd.DataFrame, metric: str) -> float:
    """Share of the metric's variance over all runs that is replicate noise (within points).

    NaN with one replicate per point: the noise cannot be told from the parameters' effect.
    """
    sizes = ok.groupby("point")[metric].count()
    if sizes.max() < 2:
        return float("nan")
    within = ok.groupby("point")[metric].var(ddof=1).mean()
    total = ok[metric].var(ddof=1)
    return float(within / total) if total > 0 else float("nan")


def _warnings(kind: str, metric: str, rows: list[dict], noise: float) -> list[str]:
    out = []
    if kind == "sobol":
        wide = [r["parameter"] for r in rows if max(r["S1_conf"], r["ST_conf"]) > WIDE_HALF_WIDTH]
        if wide:
            out.append(f"{metric}: 95% intervals wider than +-{WIDE_HALF_WIDTH} for {', '.join(wide)}; "
                       "use more samples before reading these indices")
        outside = [f"{r['parameter']} ({c} = {r[c]:.2f})" for r in rows for c in ("S1", "ST")
                   if not -1e-9 <= r[c] <= 1 + 1e-9]
        if outside:
            out.append(f"{metric}: indices outside [0, 1], which a share of variance cannot be: "
                       f"{', '.join(outside)}; the sample is too small (or the metric too noisy)")
    drift = [r for r in rows if r.get("max_change_half", 0) > CONVERGENCE_TOLERANCE]
    if drift:
        out.append(f"{metric}: not converged: indices moved by up to "
                   f"{max(r['max_change_half'] for r in drift):.2f} between N/2 and N "
                   f"({', '.join(r['parameter'] for r in drift)})")
    if noise == noise and noise > NOISY_SHARE:
        out.append(f"{metric}: {noise:.0%} of the variance is replicate noise (runs differing only "
                   "in seed); more replicates per point would sharpen the indices")
    return out


def sensitivity(sweep_dir: str | Path, metrics: Sequence[str] | None = None, *,
                out: str | Path | None = None, figure: bool = True, num_resamples: int = 100,
                confidence: float = 0.95) -> pd.DataFrame:
    """Sobol or Morris indices per metric and parameter; writes sensitivity.* into ``out``.

    Besides the indices and their bootstrap intervals (``*_low``, ``*_high``), every row has
    the index at half the sample (``*_half``) and the largest change between the two
    (``max_change_half``, the convergence check), and the metric's replicate-noise share of
    variance (``noise_share``). ``df.attrs["warnings"]`` lists what makes the indices unreliable
    (wide intervals, indices outside [0, 1], no convergence, much noise).

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
        import difflib

        close = difflib.get_close_matches(unknown[0], [str(c) for c in runs.columns], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ScenarioError(f"unknown metric '{unknown[0]}'{hint}", field="--metric")
    means = ok.groupby("point")[chosen].mean().reindex(range(n_points))
    reps = ok.groupby("point").size().reindex(range(n_points), fill_value=0)
    if (reps == 0).any():
        missing = int((reps == 0).sum())
        raise ScenarioError(f"{missing} of {n_points} points have no successful run; sensitivity needs "
                            "every point (resume the sweep, or look at the errors in runs.parquet)",
                            file=str(sweep_dir))
    rows: list[dict] = []
    skipped: dict[str, str] = {}
    notes: list[str] = []
    seed = int(manifest.get("seed", 0)) % (2**32)
    x = design[[f"problem:{n}" for n in problem["names"]]].to_numpy(dtype=float)
    half = _half(kind, manifest, n_points)
    for metric in chosen:
        y = means[metric].to_numpy(dtype=float)
        if np.isnan(y).any():
            skipped[metric] = f"undefined (NaN) at {int(np.isnan(y).sum())} points"
            continue
        if np.ptp(y) == 0:
            skipped[metric] = "constant over the design"
            continue
        res = _analyse(kind, problem, manifest, x, y, num_resamples, confidence, seed)
        res_half = (_analyse(kind, problem, manifest, x[:half], y[:half], num_resamples, confidence, seed)
                    if half and np.ptp(y[:half]) > 0 else None)
        main = ("S1", "ST") if kind == "sobol" else ("mu_star",)
        noise = noise_share(ok, metric)
        metric_rows = []
        for i, name in enumerate(problem["names"]):
            row = {"metric": metric, "parameter": name, "method": kind,
                   **{k: float(v[i]) for k, v in res.items()}}
            for k in main:
                conf = row[f"{k}_conf"]
                row[f"{k}_low"], row[f"{k}_high"] = row[k] - conf, row[k] + conf
                row[f"{k}_half"] = float(res_half[k][i]) if res_half is not None else float("nan")
            changes = [abs(row[k] - row[f"{k}_half"]) for k in main if res_half is not None]
            row["max_change_half"] = max(changes) if changes and kind == "sobol" else float("nan")
            row["noise_share"] = noise
            metric_rows.append(row)
        notes += _warnings(kind, metric, metric_rows, noise)
        rows += metric_rows
    table = pd.DataFrame(rows)
    if len(table):
        table["points"] = n_points
        table["replicates_averaged"] = int(manifest.get("replicates", 1))
    table.attrs.update(skipped=skipped, method=kind, points=n_points, warnings=notes,
                       replicates=int(manifest.get("replicates", 1)), half_points=half)
    target = Path(out) if out is not None else sweep_dir
    target.mkdir(parents=True, exist_ok=True)
    from simulation.experiments.manifest import atomic_write_bytes
    from simulation.experiments.store import atomic_write_parquet

    atomic_write_parquet(table, target / "sensitivity.parquet")
    atomic_write_bytes(target / "sensitivity.csv", table.to_csv(index=False).encode())
    if figure and len(table):
        from simulation.experiments.plots import sensitivity_figure

        sensitivity_figure(table, kind, target / "sensitivity")
    return table
