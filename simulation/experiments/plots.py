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
        ax.set_xlabel("Sobol index (share of output variance, 0-1)" if method == "sobol"
                      else f"elementary effect ({metric} per unit of parameter)")
        ax.grid(axis="x", color="0.9")
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(bars), fontsize=8, frameon=False)
    fig.suptitle(f"{method.capitalize()} sensitivity, replicates averaged per point "
                 "(error bars: 95% bootstrap intervals, not clipped)")
    return _save(fig, stem)


def discovery_figure(result: dict, stem: Path) -> list[Path]:
    """PRIM's peeling trajectory (coverage against density), the chosen box marked and listed."""
    from matplotlib.figure import Figure

    traj = result["trajectory"]
    chosen = result["chosen"]
    fig = Figure(figsize=(9.5, 4.2), layout="constrained")
    ax, text_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    dims = traj["res_dim"].astype(int)
    for j, d in enumerate(sorted(dims.unique())):
        sel = dims == d
        ax.scatter(traj.loc[sel, "coverage"], traj.loc[sel, "density"], s=18,
                   color=OKABE_ITO[j % len(OKABE_ITO)],
                   label=f"{d} parameter{'' if d == 1 else 's'} restricted")
    ax.scatter([traj.loc[chosen, "coverage"]], [traj.loc[chosen, "density"]], s=120, facecolors="none",
               edgecolors="black", linewidths=1.5, label="chosen box")
    ax.set_xlabel("coverage (share of all cases of interest inside the box)")
    ax.set_ylabel("density (share of points in the box that are cases)")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.grid(color="0.9")
    ax.legend(loc="lower left", fontsize=8, frameon=True)
    lines = [f"cases of interest: {result['rule']}", f"({result['cases']} of {result['points']} points)", "",
             "chosen box:"]
    lines += [f"  {r}" for r in result["limits"]["restriction"]] or ["  (no restriction)"]
    stats = result["stats"]
    lines += ["", f"coverage {stats['coverage']:.2f}, density {stats['density']:.2f}, "
                  f"mass {stats['mass']:.2f}"]
    text_ax.axis("off")
    text_ax.text(0, 1, "\n".join(lines), va="top", ha="left", fontsize=9, family="monospace",
                 wrap=True)
    fig.suptitle(f"Scenario discovery (PRIM): where is {result['rule']}?")
    return _save(fig, stem)


def _unit(metric: str) -> str:
    from simulation.headline import HEADLINE

    return next((u for k, _, u in HEADLINE if k == metric), "")


def _axis_label(metric: str, direction: str) -> str:
    better = "higher" if direction == "max" else "lower"
    return f"{metric}\n({_unit(metric) or 'metric units'}; {better} is better)"


def frontier_figure(table: pd.DataFrame, objectives: Sequence[tuple[str, str]], levers: Sequence[str],
                    optimise: str, stem: Path) -> list[Path]:
    """The first objective against each other one: every design searched (grey) and the Pareto
    designs (coloured, with 95% bootstrap intervals of the mean on both axes), legend below."""
    from matplotlib.figure import Figure

    (xm, xd), others = objectives[0], list(objectives[1:4])
    fig = Figure(figsize=(4.6 * len(others), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(others), squeeze=False)).ravel()
    front = table[table["pareto"]].sort_values(f"{xm}:mean")
    rest = table[~table["pareto"]]
    for ax, (ym, yd) in zip(axes, others, strict=True):
        ax.scatter(rest[f"{xm}:mean"], rest[f"{ym}:mean"], s=14, color="0.7", label="other designs searched")
        xerr = _errors(front[f"{xm}:mean"].to_numpy(float), front[f"{xm}:ci_low"].to_numpy(float),
                       front[f"{xm}:ci_high"].to_numpy(float))
        yerr = _errors(front[f"{ym}:mean"].to_numpy(float), front[f"{ym}:ci_low"].to_numpy(float),
                       front[f"{ym}:ci_high"].to_numpy(float))
        ax.errorbar(front[f"{xm}:mean"], front[f"{ym}:mean"], xerr=xerr, yerr=yerr, fmt="o", ms=6,
                    color=OKABE_ITO[5], ecolor=OKABE_ITO[5], elinewidth=1, capsize=2,
                    label="Pareto designs (mean, 95% bootstrap CI)")
        for _, r in front.iterrows():
            ax.annotate(str(int(r["design"])), (r[f"{xm}:mean"], r[f"{ym}:mean"]), fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel(_axis_label(xm, xd))
        ax.set_ylabel(_axis_label(ym, yd))
        ax.grid(color="0.9")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    fig.suptitle(f"Policy frontier over {', '.join(levers)}:\n{len(front)} of {len(table)} designs "
                 f"non-dominated (ranked by {optimise} over uncertainties and seeds)", fontsize=10)
    return _save(fig, stem)
