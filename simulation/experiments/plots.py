"""Figures for comparisons and sensitivity indices (PNG and SVG, no pyplot global state).

Colours are the Okabe-Ito palette, safe for the common forms of colour blindness; every
axis says what it measures and in which unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def _save(fig: object, stem: Path) -> list[Path]:
    paths = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None})):
        path = stem.with_suffix(f".{ext}")
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata=meta)  # type: ignore[attr-defined]
        paths.append(path)
    return paths


def _errors(mid: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    err = np.vstack([mid - lo, hi - mid])
    return np.nan_to_num(err, nan=0.0)


def compare_figure(table: pd.DataFrame, metrics: Sequence[str], stem: Path) -> list[Path]:
    """One row per metric: mean with 95% CI per scenario (left), paired difference (right)."""
    from matplotlib.figure import Figure

    scenarios = list(dict.fromkeys(table["scenario"]))
    ref = scenarios[0]
    colours = {s: OKABE_ITO[i % len(OKABE_ITO)] for i, s in enumerate(scenarios)}
    fig = Figure(figsize=(10, 1.2 + 1.0 * len(metrics) * max(1.0, len(scenarios) / 3)),
                 layout="constrained")
    axes = fig.subplots(len(metrics), 2, squeeze=False)
    y = np.arange(len(scenarios))[::-1]
    for row, metric in enumerate(metrics):
        sub = table[table["metric"] == metric].set_index("scenario").loc[scenarios]
        label, unit = sub["label"].iloc[0], sub["unit"].iloc[0]
        ax, axd = axes[row]
        for yi, scen in zip(y, scenarios, strict=True):
            r = sub.loc[scen]
            ax.errorbar([r["mean"]], [yi], xerr=_errors(np.array([r["mean"]]), np.array([r["ci_low"]]),
                                                        np.array([r["ci_high"]])),
                        fmt="o", color=colours[scen], capsize=3)
            if scen != ref:
                axd.errorbar([r["diff"]], [yi], xerr=_errors(np.array([r["diff"]]),
                                                             np.array([r["diff_ci_low"]]),
                                                             np.array([r["diff_ci_high"]])),
                             fmt="s", color=colours[scen], capsize=3)
        axd.axvline(0, color="0.5", lw=0.8, ls="--")
        for a in (ax, axd):
            a.set_yticks(y, scenarios)
            a.set_ylim(-0.7, len(scenarios) - 0.3)
            a.grid(axis="x", color="0.9")
        ax.set_xlabel(f"{label} ({unit}), mean and 95% CI")
        axd.set_xlabel(f"difference to {ref} ({unit}), paired 95% CI")
    n = int(table["n"].max()) if len(table) else 0
    fig.suptitle(f"Scenario comparison, {n} replicates with paired seeds")
    return _save(fig, stem)


def sensitivity_figure(table: pd.DataFrame, method: str, stem: Path) -> list[Path]:
    """Bars per parameter for every metric: S1 and ST (Sobol) or mu* (Morris), with 95% CIs."""
    from matplotlib.figure import Figure

    metrics = list(dict.fromkeys(table["metric"]))
    params = list(dict.fromkeys(table["parameter"]))
    cols = min(3, len(metrics))
    rows = int(np.ceil(len(metrics) / cols))
    fig = Figure(figsize=(4.2 * cols, 0.8 + (0.35 * len(params) + 1.0) * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    y = np.arange(len(params))[::-1]
    bars = [("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total ST")] if method == "sobol" \
        else [("mu_star", "mu_star_conf", "mu*"), ("sigma", None, "sigma")]
    height = 0.8 / len(bars)
    for ax, metric in zip(axes, metrics, strict=False):
        sub = table[table["metric"] == metric].set_index("parameter").loc[params]
        for j, (col, conf, name) in enumerate(bars):
            err = sub[conf].to_numpy(dtype=float) if conf else None
            ax.barh(y + (len(bars) / 2 - j - 0.5) * height, sub[col].to_numpy(dtype=float), height,
                    xerr=None if err is None else np.nan_to_num(err), color=OKABE_ITO[j], label=name,
                    capsize=2)
        ax.set_yticks(y, params)
        ax.set_title(metric, fontsize=10)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_xlabel("Sobol index (share of variance)" if method == "sobol"
                      else f"elementary effect ({metric} per unit of parameter)")
        ax.grid(axis="x", color="0.9")
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"{method.capitalize()} sensitivity, replicates averaged per point (95% CIs)")
    return _save(fig, stem)
