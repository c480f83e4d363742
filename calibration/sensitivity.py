"""One-at-a-time sweep of the assumed (unpublished) parameters around china-2019.

    .venv/bin/python calibration/sensitivity.py

No official error rate exists for the lists, so every error parameter is an assumption; so are the
listing of debtors who cannot pay and the share of able debtors who never pay (the latter is set to
the list stock by calibrate.py, but nothing else in the record pins it). This moves each across a
plausible range, one at a time, with the calibrated scenario's seed (common random numbers), and
records how the headline conclusions move: the share of sanctions that are wrongful
(1 - precision), the share of rightly listed users who get through (1 - recall), the compliance
rate and the list stock. Moving a calibrated parameter (never_comply_share) also moves the targets
it was set to; the row shows how much the conclusions lean on it. Writes
calibration/output/sensitivity.csv and docs/figures/validation/sensitivity.png (~6 minutes on 2
cores).
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import load_scenario, run  # noqa: E402

SCENARIO = ROOT / "scenarios" / "china-2019.toml"
OUT = ROOT / "calibration" / "output"
FIG = ROOT / "docs" / "figures" / "validation"

# Parameter, low, high (the calibrated scenario's value lies between).
SWEEP = {
    "courts.list_unable_probability": (0.05, 0.95),
    "behaviour.never_comply_share": (0.0, 0.5),
    "registry.id_error_rate": (0.0, 0.05),
    "registry.id_missing_rate": (0.0, 0.2),
    "registry.format_loss_rate": (0.0, 0.3),
    "registry.sharing": (0.5, 1.0),
    "registry.deletion_sharing": (0.3, 1.0),
    "registry.deletion_delay_days": (3, 90),
    "courts.clerical_error_rate": (0.0, 0.01),
    "behaviour.compliance_after_sanction": (0.0, 0.05),
    "registry.matching": ("id", "id_else_name"),
}
HEADLINES = {
    "wrongful_share": "share of sanctions that are wrongful",
    "miss_share": "share of rightly listed users not sanctioned",
    "compliance_rate": "judgments complied with (on time or after listing)",
    "listed_per_100k_end": "listed per 100k at the end",
}


def one(overrides: dict) -> dict[str, float]:
    """Headline numbers of one run."""
    s = run(load_scenario(SCENARIO, overrides)).summary
    return {"wrongful_share": 1 - s["sanction_precision"], "miss_share": 1 - s["sanction_recall"],
            "compliance_rate": s["compliance_rate"], "listed_per_100k_end": s["listed_per_100k_end"]}


def main() -> None:
    """Run the sweep, write the table and the figure."""
    OUT.mkdir(parents=True, exist_ok=True)
    FIG.mkdir(parents=True, exist_ok=True)
    jobs = [("baseline", "", {})]
    for key, levels in SWEEP.items():
        for level in levels:
            jobs.append((key, level, {key: level}))
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, [j[2] for j in jobs]))
    rows = [{"parameter": k, "value": v, **r} for (k, v, _), r in zip(jobs, results, strict=True)]
    df = pd.DataFrame(rows)
    df.to_csv(OUT / "sensitivity.csv", index=False)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = df.iloc[0]
    fig, axes = plt.subplots(1, len(HEADLINES), figsize=(15, 4.5), sharey=True)
    params = list(SWEEP)
    y = np.arange(len(params))
    for ax, (key, label) in zip(axes, HEADLINES.items(), strict=True):
        lo = [df[(df.parameter == p) & (df.value == SWEEP[p][0])][key].iloc[0] for p in params]
        hi = [df[(df.parameter == p) & (df.value == SWEEP[p][1])][key].iloc[0] for p in params]
        for i in range(len(params)):
            ax.plot([lo[i], hi[i]], [y[i], y[i]], color="#999999", lw=3)
        ax.plot(lo, y, "o", color="#2166ac", label="low end")
        ax.plot(hi, y, "o", color="#b2182b", label="high end")
        ax.axvline(base[key], color="k", lw=0.8, label="calibrated")
        ax.set_xlabel(label, fontsize=8)
    axes[0].set_yticks(y, [f"{p}\n{SWEEP[p][0]} → {SWEEP[p][1]}" for p in params], fontsize=7)
    axes[0].legend(fontsize=7)
    fig.suptitle("china-2019: headline conclusions across the plausible range of each assumption")
    fig.tight_layout()
    fig.savefig(FIG / "sensitivity.png", dpi=120)
    plt.close(fig)
    print(df.to_string())


if __name__ == "__main__":
    main()
