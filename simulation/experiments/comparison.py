"""Replicated runs of several scenarios and their paired comparison.

Replicate k of every scenario runs with the same seed (common random numbers), so the
difference of scenario B to the first scenario A is estimated from the paired differences
``B_k - A_k``: the confidence interval is a t-interval on those differences, usually much
narrower than comparing two independent means. Comparing a scenario with itself gives a
difference of exactly 0 with a zero-width interval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from simulation.errors import ScenarioError
from simulation.experiments.design import replicate_seeds
from simulation.experiments.engine import SweepInterrupted, Task, execute
from simulation.experiments.executors import open_executor
from simulation.scenario import Scenario, build_scenario, load_scenario

CONFIDENCE = 0.95
FIGURE_METRICS = ("wrongful_sanction_days", "wrongful_sanctions", "wrongful_people", "compliance_rate",
                  "sanction_precision", "legitimacy_mean")


def headline() -> list[tuple[str, str, str]]:
    """(metric, label, unit) of the headline metrics, as the ``run`` command prints them."""
    from simulation.headline import HEADLINE

    out = []
    for key, label, unit in HEADLINE:
        if label.startswith(" "):  # an indented sub-item: its label alone is ambiguous
            label = key.replace("_", " ").replace(".", ": ").capitalize()
        out.append((key, label.strip(), unit))
    return out


def _resolve(scenario: str | Path | Scenario) -> tuple[dict[str, Any], str]:
    if isinstance(scenario, Scenario):
        return scenario.model_dump(mode="json"), scenario.name
    from simulation.scenario.catalogue import resolve_scenario_path

    path = resolve_scenario_path(str(scenario))
    spec = load_scenario(path)  # validates, and names unnamed files after their stem
    import tomllib

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.setdefault("name", spec.name)
    return data, spec.name


def _labels(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        label, k = name, 1
        while label in out:
            k += 1
            label = f"{name} ({k})"
        out.append(label)
    return out


def run_many(scenarios: Sequence[str | Path | Scenario], *, replicates: int = 1, seed: int = 0,
             overrides: dict[str, Any] | None = None, days: int | None = None,
             points: Sequence[dict[str, Any]] | None = None, workers: int | None = None,
             scheduler: str | None = None, cluster: str | None = None,
             progress: bool = False) -> pd.DataFrame:
    """Run every scenario x point x replicate; return one row per run (nothing is written).

    Columns: scenario (a label, made unique), scenario_index, point, replicate, seed, the
    point's overrides, every summary metric, status, error, wall_time_s. Replicate k uses the
    same seed in every scenario and point. ``overrides`` (and ``days``) apply to every run.
    """
    if replicates < 1:
        raise ScenarioError(f"must be >= 1 (got {replicates})", field="--replicates")
    if not scenarios:
        raise ScenarioError("name at least one scenario", field="scenarios")
    common = dict(overrides or {})
    if days is not None:
        common["days"] = int(days)
    pts = [dict(p) for p in (points or [{}])]
    resolved = [_resolve(s) for s in scenarios]
    labels = _labels([name for _, name in resolved])
    seeds = replicate_seeds(seed, replicates)
    bases: dict[str, dict[str, Any]] = {}
    tasks: list[Task] = []
    for i, ((data, _), label) in enumerate(zip(resolved, labels, strict=True)):
        key = f"s{i}"
        bases[key] = data
        for p, point in enumerate(pts):
            build_scenario(data, {**common, **point}, file=label)  # fail before any run starts
            for k, s in enumerate(seeds):
                meta = {"run_id": len(tasks), "scenario": label, "scenario_index": i, "point": p,
                        "replicate": k, "seed": s, **point}
                tasks.append(Task(len(tasks), key, {**common, **point}, s, meta))
    rows: list[dict[str, Any]] = []
    with open_executor(workers, scheduler, cluster) as info:
        result = execute(tasks, bases, info, on_row=lambda row, _series: rows.append(row),
                         progress=progress, desc="runs")
    if result.interrupted:
        raise SweepInterrupted(f"interrupted after {len(rows)} of {len(tasks)} runs; nothing was written",
                               signal=result.signal)
    df = pd.DataFrame(rows).sort_values("run_id", kind="stable").reset_index(drop=True)
    tail = ["status", "error", "wall_time_s"]
    return df[[c for c in df.columns if c not in tail] + tail]


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float, float]:
    """(mean, sd, low, high) of a t-interval; NaN bounds with fewer than two values."""
    values = np.asarray(values, dtype=float)
    n = values.size
    if n == 0:
        return (math.nan,) * 4
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


BOUNDED_0_1 = {"share", "0-1"}
NON_NEGATIVE = {"events", "subjects", "cases", "days", "subject-days"}


def summarise_comparison(runs: pd.DataFrame, metrics: Sequence[str] | None = None,
                         confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean and t-interval per scenario and metric, and the paired difference to the first scenario.

    Pairs are replicates (same seed) where both runs succeeded and the metric is a number.
    """
    units = {k: (label, unit) for k, label, unit in headline()}
    metrics = list(metrics) if metrics else [k for k in units if k in runs.columns]
    missing = [m for m in metrics if m not in runs.columns]
    if missing:
        import difflib

        close = difflib.get_close_matches(missing[0], [str(c) for c in runs.columns], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ScenarioError(f"unknown metric '{missing[0]}'{hint}", field="--metric")
    ok = runs[runs["status"] == "ok"]
    labels = list(dict.fromkeys(runs.sort_values("scenario_index")["scenario"]))
    ref = ok[ok["scenario"] == labels[0]].set_index("replicate")
    rows = []
    for metric in metrics:
        label, unit = units.get(metric, (metric, ""))
        for i, scen in enumerate(labels):
            cur = ok[ok["scenario"] == scen].set_index("replicate")
            vals = cur[metric].dropna().to_numpy(dtype=float)
            mean, sd, lo, hi = t_interval(vals, confidence)
            # A t-interval can reach past what is possible: no count below 0, no share above 1.
            if unit in BOUNDED_0_1 and not math.isnan(lo):
                lo, hi = max(lo, 0.0), min(hi, 1.0)
            elif unit in NON_NEGATIVE and not math.isnan(lo):
                lo = max(lo, 0.0)
            row = {"metric": metric, "label": label, "unit": unit, "scenario": scen, "n": int(vals.size),
                   "mean": mean, "sd": sd, "ci_low": lo, "ci_high": hi}
            if i == 0:
                row.update(n_pairs=0, diff=math.nan, diff_ci_low=math.nan, diff_ci_high=math.nan,
                           diff_p=math.nan)
            else:
                pair = pd.concat([cur[metric], ref[metric]], axis=1, join="inner").dropna()
                d = (pair.iloc[:, 0] - pair.iloc[:, 1]).to_numpy(dtype=float)
                dmean, dsd, dlo, dhi = t_interval(d, confidence)
                if d.size >= 2 and dsd > 0:
                    p = float(stats.ttest_1samp(d, 0.0).pvalue)
                elif d.size >= 2:
                    p = 1.0 if dmean == 0 else 0.0
                else:
                    p = math.nan
                row.update(n_pairs=int(d.size), diff=dmean, diff_ci_low=dlo, diff_ci_high=dhi, diff_p=p)
            rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["reference"] = labels[0]
    table.attrs["confidence"] = confidence
    return table


def compare(scenarios: Sequence[str | Path | Scenario], *, replicates: int = 10, seed: int = 0,
            overrides: dict[str, Any] | None = None, days: int | None = None,
            metrics: Sequence[str] | None = None, out: str | Path | None = None,
            workers: int | None = None, scheduler: str | None = None, cluster: str | None = None,
            progress: bool = False, figure: bool = True) -> pd.DataFrame:
    """Run each scenario ``replicates`` times with paired seeds and return the comparison table.

    With ``out``, also write compare.parquet, compare.csv, runs.parquet, manifest.json and a
    figure (compare.png, compare.svg) there; ``out`` must not exist yet.
    """
    target = Path(out) if out is not None else None
    if target is not None and target.exists():
        raise ScenarioError("output folder exists; choose another --out or remove it", file=str(target))
    runs = run_many(scenarios, replicates=replicates, seed=seed, overrides=overrides, days=days,
                    workers=workers, scheduler=scheduler, cluster=cluster, progress=progress)
    table = summarise_comparison(runs, metrics)
    if target is not None:
        write_comparison(table, runs, target, figure=figure, manifest={
            "kind": "compare", "scenarios": [str(s) if not isinstance(s, Scenario) else s.name
                                             for s in scenarios],
            "replicates": replicates, "seed": seed, "replicate_seeds": replicate_seeds(seed, replicates),
            "overrides": overrides or {}, "days": days, "confidence": CONFIDENCE,
            "pairing": "replicate k of every scenario uses the same seed; differences are paired",
        })
    table.attrs["runs"] = runs
    return table


def write_comparison(table: pd.DataFrame, runs: pd.DataFrame, target: Path, *, figure: bool,
                     manifest: dict[str, Any]) -> Path:
    """Write the comparison outputs into a new folder atomically (temporary folder, then rename)."""
    import shutil
    import tempfile

    from simulation.experiments.manifest import provenance
    from simulation.experiments.plots import compare_figure

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        table = table.copy()
        table.attrs = {}
        table.to_parquet(tmp / "compare.parquet", index=False)
        table.to_csv(tmp / "compare.csv", index=False)
        runs.to_parquet(tmp / "runs.parquet", index=False)
        if figure:
            shown = [m for m in FIGURE_METRICS if m in set(table["metric"])] or list(
                dict.fromkeys(table["metric"]))[:6]
            compare_figure(table, shown, tmp / "compare")
        counts = runs["status"].value_counts().to_dict()
        (tmp / "manifest.json").write_text(json.dumps(
            {**manifest, "runs": len(runs), "counts": counts,
             "created": datetime.now(UTC).isoformat(timespec="seconds"), **provenance()},
            indent=2, default=str) + "\n")
        tmp.chmod(0o755)  # mkdtemp makes 0700; results are meant to be shared and read
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def default_compare_dir(root: str | Path = "results") -> Path:
    """results/compare/<timestamp>/, never an existing folder."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out, k = Path(root) / "compare" / stamp, 1
    while out.exists():
        k += 1
        out = Path(root) / "compare" / f"{stamp}-{k}"
    return out
