"""Figures of runs, sweeps, comparisons and sensitivity tables.

Every public ``*_figure`` function takes data already in memory and returns a matplotlib
:class:`~matplotlib.figure.Figure` (Agg backend), so tests can check labels; :func:`plot_dir`
finds out what kind of results folder it was given, draws everything that applies and writes PNG
and SVG files.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simulation.codes import cause_label
from simulation.errors import ScenarioError
from simulation.inputs import check_regular_file, read_input_text
from simulation.readback import (
    EVENT_COLUMNS,
    MAX_TABLE_BYTES,
    TIMESERIES_COLUMNS,
    check_run_folder,
    read_json_object,
    read_table,
    read_toml,
)
from simulation.viz import style
from simulation.viz.style import label

WRONGFUL_CAUSES = ("name_collision", "id_error", "stale_record", "stale_representative",
                   "listed_at_source", "paid_pending_deletion")
MISS_CAUSES = ("not_shared", "not_yet_arrived", "id_lost", "id_error", "stale_representative",
               "evaded", "exempted", "deleted_in_copy", "below_threshold")
WINDOW = 30  # days in the moving averages of daily counts

# metric -> axis label with unit (sweeps, comparisons, tables).
METRIC_LABELS = {
    "wrongful_sanctions": "wrongful sanctions (count)",
    "wrongful_people": "people wrongly sanctioned (count)",
    "wrongful_sanction_days": "wrongful sanction-days (person-days)",
    "sanctions": "sanctions (count)",
    "correct_sanctions": "correct sanctions (count)",
    "missed_sanctions": "missed sanctions (count)",
    "sanction_precision": "precision (share of sanctions correct, 0-1)",
    "sanction_recall": "recall (share of due sanctions made, 0-1)",
    "compliance_rate": "judgments complied with (share, 0-1)",
    "on_time_compliance_rate": "judgments paid on time (share, 0-1)",
    "listed_compliance_within_120d": "listed who paid within 120 days (share, 0-1)",
    "legitimacy_mean": "mean perceived legitimacy (0-1)",
    "legitimacy_change": "change in mean legitimacy (0-1 scale)",
    "appeals_filed": "appeals filed (count)",
    "appeals_upheld": "appeals upheld (count)",
    "mean_days_to_remedy": "mean time to remedy (days)",
    "listed_stock_end": "listed at end (subjects)",
    "copy_stale_share_end": "stale share of copies at end (0-1)",
    "ineligible_rewards": "rewards to the ineligible (count)",
    "mean_namesakes": "mean namesakes per person (people)",
}
KEY_METRICS = ("wrongful_sanctions", "wrongful_people", "sanction_recall", "sanction_precision",
               "compliance_rate", "wrongful_sanction_days")

# stem -> the question the figure answers (used by the report and docs/figures.md).
RUN_FIGURES = {
    "sanctions_over_time": "How many service denials are there each day, and how many are wrong?",
    "wrongful_by_cause": "Why were people sanctioned wrongly, and when did it build up?",
    "misses_by_cause": "Why did rightly listed debtors get through the checks?",
    "who_bears_errors": "Who bears the errors: common or rare names, with or without a digital "
                        "footprint, which jurisdiction?",
    "sanctions_by_agency": "Which agencies sanction, and how often wrongly?",
    "compliance": "How many judgments were paid, on time or only after listing?",
    "list_and_copies": "Do the agencies' copies keep up with the source blacklist, and how many "
                       "stale records do they hold?",
    "legitimacy": "Does the regime lose legitimacy, and how hard do debtors think it bites?",
    "appeals": "How many people object, how many win, and how long is the queue?",
}


def metric_label(metric: str) -> str:
    """Axis label (with unit) of a summary metric."""
    if metric in METRIC_LABELS:
        return METRIC_LABELS[metric]
    base, _, rest = metric.partition(".")
    if base in ("wrongful_sanctions", "missed_sanctions") and rest:
        kind = "wrongful" if base.startswith("wrongful") else "missed"
        return f"{kind} sanctions: {cause_label(rest)} (count)"
    if base == "wrongful_people_per_100k":
        return f"people wrongly sanctioned per 100k ({rest.replace('_', ' ')})"
    return metric.replace("_", " ")


def param_label(param: str) -> str:
    """Axis label of a scenario parameter (its dotted name, with a unit when known)."""
    unit = _param_unit(param)
    return f"{param} ({unit})" if unit else param


def _param_unit(param: str) -> str | None:
    try:
        from simulation.scenario import Scenario
    except ImportError:  # pragma: no cover
        return None
    model: Any = Scenario
    parts = param.split(".")
    for i, part in enumerate(parts):
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        if i == len(parts) - 1:
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            return extra.get("unit")
        model = info.annotation
    return None


# ---------------------------------------------------------------------------- loading


@dataclass
class RunData:
    """A run folder read back: summary, time series, (lazily) events, scenario, manifest."""

    path: Path
    summary: dict[str, float]
    timeseries: pd.DataFrame
    scenario_text: str = ""
    manifest: dict[str, Any] = field(default_factory=dict)
    _events: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The scenario's name (from the manifest or the resolved scenario)."""
        if self.manifest.get("scenario"):
            return str(self.manifest["scenario"])
        try:
            return str(tomllib.loads(self.scenario_text).get("name", self.path.name))
        except tomllib.TOMLDecodeError:
            return self.path.name

    @property
    def events(self) -> pd.DataFrame:
        """The event log (read on first use; empty frame when the file is missing)."""
        if self._events is None:
            f = self.path / "events.parquet"
            self._events = read_table(f, what="events table", columns=EVENT_COLUMNS) \
                if f.exists() else pd.DataFrame(
                columns=["day", "event", "subject_kind", "subject", "agency", "record", "match",
                         "cause", "wrongful"])
        return self._events


def folder_kind(path: str | Path) -> str | None:
    """What a results folder holds: "run", "sweep", "compare", "sensitivity", or None."""
    p = Path(path)
    if not p.is_dir():
        return None
    if (p / "summary.json").exists():
        return "run"
    # A compare folder also holds runs.parquet (its runs), so look for compare first.
    if (p / "compare.parquet").exists() or (p / "compare.csv").exists():
        return "compare"
    if (p / "runs.parquet").exists():
        return "sweep"
    if (p / "sensitivity.parquet").exists() or (p / "sensitivity.csv").exists():
        return "sensitivity"
    return None


def _read_table(path: Path, stem: str) -> pd.DataFrame | None:
    parquet, csv = path / f"{stem}.parquet", path / f"{stem}.csv"
    if parquet.exists() or parquet.is_symlink():
        return read_table(parquet, what=f"{stem} table")
    if csv.exists() or csv.is_symlink():
        check_regular_file(csv, what=f"{stem} table", limit=MAX_TABLE_BYTES)
        try:
            return pd.read_csv(csv)
        except Exception:  # noqa: BLE001 - any unreadable file is a user error
            raise ScenarioError(f"damaged {stem} table (not a readable CSV file)",
                                file=str(csv)) from None
    return None


def load_run(path: str | Path) -> RunData:
    """Read a run folder (as written by ``joint-sanctions run``); ScenarioError if it is not one,
    or if any of its files is damaged (:func:`simulation.readback.check_run_folder`)."""
    p = check_run_folder(path)
    raw = read_json_object(p / "summary.json", what="run summary")
    summary = {k: (float("nan") if v is None else float(v)) for k, v in raw.items()
               if v is None or isinstance(v, (int, float))}
    ts_file = p / "timeseries.parquet"
    ts = read_table(ts_file, what="timeseries table", columns=TIMESERIES_COLUMNS) \
        if ts_file.exists() else pd.DataFrame({"day": []})
    scen = p / "scenario.toml"
    text = read_input_text(scen, what="resolved scenario") if scen.exists() else ""
    manifest = p / "manifest.json"
    return RunData(path=p, summary=summary, timeseries=ts, scenario_text=text,
                   manifest=read_json_object(manifest, what="run manifest")
                   if manifest.exists() else {})


# ---------------------------------------------------------------------------- run figures


def _col(ts: pd.DataFrame, name: str) -> np.ndarray:
    """A time-series column, zeros when the counter never fired."""
    if name in ts.columns:
        return ts[name].to_numpy(dtype=float)
    return np.zeros(len(ts))


def _smooth(values: np.ndarray, window: int = WINDOW) -> np.ndarray:
    return pd.Series(values).rolling(window, min_periods=1).mean().to_numpy()


def _days(ts: pd.DataFrame) -> np.ndarray:
    return ts["day"].to_numpy() if "day" in ts.columns else np.arange(len(ts))


@style.styled_figure
def sanctions_over_time_figure(ts: pd.DataFrame) -> Figure:
    """Correct and wrongful service denials per day (30-day moving average)."""
    fig, ax = style.new_figure("Service denials per day: correct and wrongful")
    days = _days(ts)
    wrong = _col(ts, "wrongful_sanctions")
    correct = _col(ts, "sanctions") - wrong
    ax.plot(days, _smooth(correct), color=style.CORRECT_COLOR, label="correct")
    ax.plot(days, _smooth(wrong), color=style.WRONGFUL_COLOR, label="wrongful")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    label(ax, "days since start", f"sanctions per day ({WINDOW}-day mean)")
    return fig


@style.styled_figure
def wrongful_by_cause_figure(summary: dict[str, float], ts: pd.DataFrame) -> Figure:
    """Wrongful sanctions by cause: totals (bars) and how they accumulate (stacked areas)."""
    fig, (left, right) = style.new_figure("Why people were sanctioned wrongly", 1, 2,
                                          gridspec_kw={"width_ratios": [1, 1.3]})
    causes = list(WRONGFUL_CAUSES)
    totals = [float(summary.get(f"wrongful_sanctions.{c}", 0.0) or 0.0) for c in causes]
    y = np.arange(len(causes))
    left.barh(y, totals, color=[style.cause_color(c) for c in causes])
    left.set_yticks(y, [cause_label(c).split(" (")[0] for c in causes])
    left.invert_yaxis()
    for yi, v in zip(y, totals, strict=True):
        left.text(v, yi, f" {v:,.0f}", va="center", fontsize=12)
    label(left, "wrongful sanctions over the run (count)", "cause", "Totals")
    days = _days(ts)
    stacks = [np.cumsum(_col(ts, f"wrongful_sanctions.{c}")) for c in causes]
    if any(s.size and s[-1] > 0 for s in stacks):
        right.stackplot(days, *stacks, colors=[style.cause_color(c) for c in causes],
                        labels=[cause_label(c).split(" (")[0] for c in causes], alpha=0.9)
        right.legend(loc="upper left", fontsize=11)
    else:
        style.empty_note(right, "no wrongful sanctions in this run")
    label(right, "days since start", "wrongful sanctions (cumulative count)", "Over time")
    return fig


@style.styled_figure
def misses_by_cause_figure(summary: dict[str, float]) -> Figure:
    """Missed sanctions (a rightly listed debtor got through) by cause."""
    fig, ax = style.new_figure("Why rightly listed debtors got through the checks")
    causes = [c for c in MISS_CAUSES if f"missed_sanctions.{c}" in summary] or list(MISS_CAUSES)
    totals = [float(summary.get(f"missed_sanctions.{c}", 0.0) or 0.0) for c in causes]
    y = np.arange(len(causes))
    ax.barh(y, totals, color=[style.cause_color(c, i) for i, c in enumerate(causes)])
    ax.set_yticks(y, [cause_label(c) for c in causes])
    ax.invert_yaxis()
    for yi, v in zip(y, totals, strict=True):
        ax.text(v, yi, f" {v:,.0f}", va="center", fontsize=12)
    if not any(totals):
        style.empty_note(ax, "no missed sanctions in this run")
    label(ax, "missed sanctions over the run (count)", "cause")
    return fig


@style.styled_figure
def who_bears_errors_figure(summary: dict[str, float]) -> Figure:
    """People wrongly sanctioned per 100k: by name frequency, digital footprint, jurisdiction."""
    fig, axes = style.new_figure("Who bears the errors: people wrongly sanctioned per 100k", 1, 3,
                                 sharey=True, gridspec_kw={"width_ratios": [2, 2, 3]})
    groups = [
        ("By name", [("common name", "common_name"), ("rare name", "rare_name")]),
        ("By digital footprint", [("with", "digital"), ("without", "no_digital")]),
    ]
    known = {"common_name", "rare_name", "digital", "no_digital"}
    juris = [k.split(".", 1)[1] for k in summary
             if k.startswith("wrongful_people_per_100k.") and k.split(".", 1)[1] not in known]
    groups.append(("By jurisdiction", [(j, j) for j in juris]))
    for g, (ax, (title, items)) in enumerate(zip(axes, groups, strict=True)):
        values = [summary.get(f"wrongful_people_per_100k.{key}", float("nan")) for _, key in items]
        values = [0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]
        x = np.arange(len(items))
        colors = [style.CYCLE[(2 * g + i) % len(style.CYCLE)] for i in range(len(items))]
        if items:
            ax.bar(x, values, color=colors, width=0.65)
            ax.set_xticks(x, [name for name, _ in items], rotation=30 if len(items) > 4 else 0)
            for xi, v in zip(x, values, strict=True):
                ax.text(xi, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=12)
        else:
            style.empty_note(ax, "no jurisdictions")
        label(ax, "group", "people wrongly sanctioned per 100k" if g == 0 else "per 100k people",
              title)
    return fig


@style.styled_figure
def sanctions_by_agency_figure(events: pd.DataFrame) -> Figure:
    """Sanctions per agency, split into correct and each wrongful cause (stacked bars)."""
    fig, ax = style.new_figure("Which agencies sanction, and how often wrongly")
    s = events[events["event"].astype(str) == "sanction"] if len(events) else events
    if len(s) == 0:
        style.empty_note(ax, "no sanctions in this run")
        label(ax, "sanctions over the run (count)", "agency")
        return fig
    table = pd.crosstab(s["agency"].astype(str), s["cause"].astype(str))
    causes = [c for c in ("correct", *WRONGFUL_CAUSES) if c in table.columns]
    table = table.reindex(columns=causes, fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values().index]
    left = np.zeros(len(table))
    y = np.arange(len(table))
    for c in causes:
        vals = table[c].to_numpy(dtype=float)
        ax.barh(y, vals, left=left, color=style.cause_color(c),
                label=cause_label(c).split(" (")[0])
        left += vals
    ax.set_yticks(y, list(table.index))
    ax.legend(loc="lower right", fontsize=11)
    label(ax, "sanctions over the run (count)", "agency")
    return fig


@style.styled_figure
def compliance_figure(ts: pd.DataFrame) -> Figure:
    """Cumulative judgments and payments (on time, after listing)."""
    fig, ax = style.new_figure("Judgments and how they were paid")
    days = _days(ts)
    series = [
        ("judgments (individuals and firms)", _col(ts, "judgments.individuals") +
         _col(ts, "judgments.firms"), style.OKABE_ITO["black"]),
        ("paid on time", _col(ts, "compliance.on_time"), style.OKABE_ITO["bluish_green"]),
        ("paid after listing", _col(ts, "compliance.after_listing"), style.OKABE_ITO["orange"]),
        ("listed by a court", _col(ts, "listings.court"), style.OKABE_ITO["vermillion"]),
    ]
    for name, values, color in series:
        ax.plot(days, np.cumsum(values), label=name, color=color)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    label(ax, "days since start", "cases (cumulative count)")
    return fig


@style.styled_figure
def list_and_copies_figure(ts: pd.DataFrame) -> Figure:
    """The source blacklist stock against each copy's size, and stale records per copy."""
    fig, (left, right) = style.new_figure("The source lists and the agencies' copies", 1, 2)
    days = _days(ts)
    left.plot(days, _col(ts, "listed_stock.all_lists"), color=style.OKABE_ITO["black"],
              linewidth=4.5, label="active at source (all blacklists)")
    copies = sorted(c.split(".", 1)[1] for c in ts.columns if c.startswith("copy_size."))
    # black is the source's line: every copy gets its own colour (then a dash pattern too)
    colours = [c for c in style.CYCLE if c != style.OKABE_ITO["black"]]
    for i, name in enumerate(copies):
        color, dash = colours[i % len(colours)], ("-", "--", ":", "-.")[i // len(colours) % 4]
        left.plot(days, _col(ts, f"copy_size.{name}"), color=color, linestyle=dash, linewidth=2,
                  label=name)
        right.plot(days, _col(ts, f"copy_stale.{name}"), color=color, linestyle=dash,
                   linewidth=2, label=name)
    left.set_ylim(bottom=0)
    right.set_ylim(bottom=0)
    right.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole records
    # one legend for both panels, below them, so it covers no line
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", fontsize=11,
               ncol=min(5, max(1, len(labels))))
    if not copies:
        style.empty_note(right, "no copies were audited")
    label(left, "days since start", "records held (count)", "Source list vs copies")
    label(right, "days since start", "stale records held (count)", "Deleted at source, still in copy")
    return fig


@style.styled_figure
def legitimacy_figure(ts: pd.DataFrame) -> Figure:
    """Mean perceived legitimacy and the perceived bite of the lists over time."""
    fig, ax = style.new_figure("Legitimacy and perceived bite of the lists")
    days = _days(ts)
    if "legitimacy_mean" in ts.columns:
        ax.plot(days, _col(ts, "legitimacy_mean"), color=style.OKABE_ITO["blue"],
                label="mean perceived legitimacy")
    if "perceived_bite" in ts.columns:
        ax.plot(days, _col(ts, "perceived_bite"), color=style.OKABE_ITO["orange"],
                label="perceived bite (share of checks that catch a debtor)")
    ax.set_ylim(0, 1.02)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left")
    else:
        style.empty_note(ax, "no legitimacy series in this run")
    label(ax, "days since start", "score (0 to 1)")
    return fig


@style.styled_figure
def appeals_figure(ts: pd.DataFrame) -> Figure:
    """Appeals filed and upheld (cumulative) and the courts' backlog."""
    fig, ax = style.new_figure("Objections and appeals")
    days = _days(ts)
    ax.plot(days, np.cumsum(_col(ts, "appeals_filed")), color=style.OKABE_ITO["blue"],
            label="filed (cumulative)")
    ax.plot(days, np.cumsum(_col(ts, "appeals_upheld")), color=style.OKABE_ITO["bluish_green"],
            label="upheld (cumulative)")
    ax.plot(days, _col(ts, "appeals_backlog"), color=style.OKABE_ITO["vermillion"],
            linestyle="--", label="waiting in the courts' queue")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    if not _col(ts, "appeals_filed").any():
        style.empty_note(ax, "no appeals were filed in this run")
    label(ax, "days since start", "appeals (count)")
    return fig


def run_figures(run: RunData) -> dict[str, Figure]:
    """Every figure of one run, keyed by file stem (see RUN_FIGURES for what each answers)."""
    ts, summary = run.timeseries, run.summary
    makers: dict[str, Callable[[], Figure]] = {
        "sanctions_over_time": lambda: sanctions_over_time_figure(ts),
        "wrongful_by_cause": lambda: wrongful_by_cause_figure(summary, ts),
        "misses_by_cause": lambda: misses_by_cause_figure(summary),
        "who_bears_errors": lambda: who_bears_errors_figure(summary),
        "sanctions_by_agency": lambda: sanctions_by_agency_figure(run.events),
        "compliance": lambda: compliance_figure(ts),
        "list_and_copies": lambda: list_and_copies_figure(ts),
        "legitimacy": lambda: legitimacy_figure(ts),
        "appeals": lambda: appeals_figure(ts),
    }
    return {stem: make() for stem, make in makers.items()}


# ---------------------------------------------------------------------------- sweeps

META_COLUMNS = {"run_id", "point", "replicate", "seed", "status", "wall_time_s", "error", "message",
                "out_dir", "path", "scenario", "created"}


@dataclass
class SweepData:
    """A sweep folder read back: one row per run, which columns are knobs and which metrics."""

    path: Path
    runs: pd.DataFrame
    params: list[str]
    metrics: list[str]
    spec: dict[str, Any] = field(default_factory=dict)


def _flat_keys(data: Any, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    if isinstance(data, dict):
        for k, v in data.items():
            name = f"{prefix}.{k}" if prefix else str(k)
            keys.add(name)
            keys |= _flat_keys(v, name)
    elif isinstance(data, list):
        for v in data:
            if isinstance(v, str):
                keys.add(v)
            else:
                keys |= _flat_keys(v, prefix)
    return keys


def sweep_params(runs: pd.DataFrame, spec: dict[str, Any] | None = None) -> list[str]:
    """The varied parameters of a sweep: dotted scenario fields that take more than one value."""
    try:
        from simulation.scenario import Scenario
        sections = set(Scenario.model_fields)
    except ImportError:  # pragma: no cover
        sections = set()
    declared = (spec or {}).get("parameters")
    if isinstance(declared, dict):
        named = [k for k in declared if k in runs.columns and runs[k].nunique(dropna=True) > 1]
        if named:
            return named
    mentioned = _flat_keys(spec or {})
    out = []
    for col in runs.columns:
        if col in META_COLUMNS:
            continue
        head = col.split(".", 1)[0]
        named = col in mentioned or any(k.endswith("." + col) for k in mentioned)
        if (head in sections and "." in col) or (named and head in sections):
            if runs[col].nunique(dropna=True) > 1:
                out.append(col)
    return out


def load_sweep(path: str | Path) -> SweepData:
    """Read a sweep folder (runs.parquet, sweep.toml, manifest.json); drops failed runs."""
    p = Path(path)
    runs = _read_table(p, "runs")
    if runs is None:
        raise ScenarioError("not a sweep folder (no runs.parquet)", file=str(p))
    spec: dict[str, Any] = {}
    if (p / "sweep.toml").exists():
        spec = read_toml(p / "sweep.toml", what="sweep file")
    if "status" in runs.columns:
        ok = runs["status"].astype(str).str.lower().isin(["ok", "done", "success", "completed"])
        runs = runs[ok]
    params = sweep_params(runs, spec)
    metrics = [c for c in runs.columns if c not in META_COLUMNS and c not in params
               and pd.api.types.is_numeric_dtype(runs[c])
               and c.split(".", 1)[0] not in {p.split(".", 1)[0] for p in params}]
    return SweepData(path=p, runs=runs.reset_index(drop=True), params=params, metrics=metrics,
                     spec=spec)


def _t95(n: np.ndarray) -> np.ndarray:
    """Two-sided 95% t critical value for samples of size n (NaN for n < 2)."""
    n = np.asarray(n, dtype=float)
    try:
        from scipy.stats import t
        return np.where(n >= 2, t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
    except ImportError:  # pragma: no cover
        return np.where(n >= 2, 1.96, np.nan)


def summarise_replicates(runs: pd.DataFrame, metric: str, by: list[str]) -> pd.DataFrame:
    """Mean, 95% confidence interval (t) and count of a metric across replicates, per group."""
    g = runs.groupby(by, dropna=False, observed=True)[metric]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    half = _t95(out["n"].to_numpy()) * out["sd"].to_numpy() / np.sqrt(out["n"].clip(lower=1))
    out["lo"] = out["mean"] - np.nan_to_num(half)
    out["hi"] = out["mean"] + np.nan_to_num(half)
    return out


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


@style.styled_figure
def response_figure(runs: pd.DataFrame, param: str, metrics: Iterable[str],
                    by: str | None = None, title: str | None = None) -> Figure:
    """Response curves: each metric's mean against one knob, with 95% bands across replicates.

    With ``by`` (a second knob with few values), one curve per value of it.
    """
    metrics = [m for m in metrics if m in runs.columns]
    n = max(len(metrics), 1)
    ncols = 2 if n > 1 else 1
    nrows = math.ceil(n / ncols)
    fig, axes = style.new_figure(title or f"How the results respond to {param} (mean and 95% "
                                 "confidence interval across replicates)", nrows, ncols,
                                 squeeze=False, figsize=(7.0 * ncols, 4.6 * nrows))
    flat = axes.ravel()
    numeric = _is_numeric(runs[param])
    levels = [None] if by is None else list(pd.unique(runs[by].dropna()))
    for ax, metric in zip(flat, metrics, strict=False):
        cats = list(pd.unique(runs[param].dropna()))
        for i, level in enumerate(levels):
            sub = runs if level is None else runs[runs[by] == level]
            st = summarise_replicates(sub, metric, [param])
            if metric != "legitimacy_change":
                st["lo"] = st["lo"].clip(lower=0)
            if "0-1" in metric_label(metric):
                st["hi"] = st["hi"].clip(upper=1)
            if numeric:
                st = st.sort_values(param)
                x = st[param].to_numpy(dtype=float)
            else:
                pos = {c: k for k, c in enumerate(cats)}
                x = np.array([pos[v] for v in st[param]], dtype=float) + 0.08 * (i - len(levels) / 2)
            color = style.CYCLE[i % len(style.CYCLE)]
            name = None if level is None else f"{by} = {level}"
            if numeric:
                ax.plot(x, st["mean"], marker="o", color=color, label=name)
                ax.fill_between(x, st["lo"], st["hi"], color=color, alpha=0.22, linewidth=0)
            else:
                ax.errorbar(x, st["mean"], yerr=[st["mean"] - st["lo"], st["hi"] - st["mean"]],
                            fmt="o", color=color, capsize=6, elinewidth=2.5, label=name)
        if not numeric:
            ax.set_xticks(range(len(cats)), [str(c) for c in cats])
        if by is not None and ax is flat[0]:
            ax.legend(fontsize=10)
        label(ax, param_label(param), metric_label(metric))
    for ax in flat[len(metrics):]:
        ax.set_visible(False)
    if not metrics:
        style.empty_note(flat[0], "no metrics in this sweep")
        label(flat[0], param_label(param), "metric")
    return fig


@style.styled_figure
def heatmap_figure(runs: pd.DataFrame, x: str, y: str, metric: str) -> Figure:
    """Mean of a metric over a grid of two knobs (replicates averaged), values written in cells."""
    fig, ax = style.new_figure(f"{metric_label(metric).split(' (')[0].capitalize()} over {x} "
                               f"and {y}")
    grid = runs.groupby([y, x], observed=True)[metric].mean().unstack(x)
    grid = grid.sort_index().sort_index(axis=1)
    values = grid.to_numpy(dtype=float)
    im = ax.imshow(values, origin="lower", aspect="auto", cmap="cividis")
    ax.set_xticks(range(grid.shape[1]), [_fmt(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [_fmt(v) for v in grid.index])
    ax.grid(False)
    finite = values[np.isfinite(values)]
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    if values.size <= 150:
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, _fmt(v), ha="center", va="center", fontsize=11,
                        color="white" if v < mid else "black")
    bar = fig.colorbar(im, ax=ax)
    bar.set_label(metric_label(metric))
    label(ax, param_label(x), param_label(y))
    return fig


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "n/a"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.3g}"
    return str(v)


def sweep_figures(sweep: SweepData, metrics: Iterable[str] | None = None) -> dict[str, Figure]:
    """Response curves for every varied knob and heatmaps over the first two knobs."""
    chosen = [m for m in (metrics or KEY_METRICS) if m in sweep.metrics] or sweep.metrics[:4]
    runs, params = sweep.runs, sweep.params
    figs: dict[str, Figure] = {}
    if not params:
        raise ScenarioError("sweep has no varied parameter columns (dotted scenario fields)",
                            file=str(sweep.path / "runs.parquet"))
    for p in params:
        others = [q for q in params if q != p and runs[q].nunique() <= 6]
        by = others[0] if len(params) == 2 and others else None
        figs[f"response_{_slug(p)}"] = response_figure(runs, p, chosen, by=by)
    if len(params) >= 2:
        x, y = params[0], params[1]
        for m in chosen[:3]:
            figs[f"heatmap_{_slug(m)}"] = heatmap_figure(runs, x, y, m)
    return figs


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")


# ---------------------------------------------------------------------------- comparisons

LABEL_COLUMNS = ("scenario", "variant", "arm", "label", "name", "config", "policy", "group")
LOW_COLUMNS = ("ci_low", "ci95_low", "lo", "low", "lower", "ci_lo", "mean_lo")
HIGH_COLUMNS = ("ci_high", "ci95_high", "hi", "high", "upper", "ci_hi", "mean_hi")
VALUE_COLUMNS = ("mean", "value", "estimate", "median")


def _first(columns: Iterable[str], options: Iterable[str]) -> str | None:
    cols = list(columns)
    lower = {c.lower(): c for c in cols}
    for o in options:
        if o in lower:
            return lower[o]
    return None


def compare_table(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise a comparison table to long form: label, metric, mean, lo, hi.

    Accepts long tables (a ``metric`` column with mean/value and optional CI columns) and wide
    ones (one row per run or per arm with a label column and one column per metric).
    """
    metric_col = _first(df.columns, ("metric", "output", "measure"))
    label_col = _first(df.columns, LABEL_COLUMNS)
    if label_col is None:
        text = [c for c in df.columns if not _is_numeric(df[c]) and c != metric_col]
        label_col = text[0] if text else None
    if label_col is None:
        raise ScenarioError("comparison table has no label column (scenario/variant/label)")
    if metric_col is not None:
        value = _first(df.columns, VALUE_COLUMNS)
        if value is None:
            raise ScenarioError("comparison table has a metric column but no mean/value column")
        lo, hi = _first(df.columns, LOW_COLUMNS), _first(df.columns, HIGH_COLUMNS)
        out = pd.DataFrame({"label": df[label_col].astype(str), "metric": df[metric_col].astype(str),
                            "mean": pd.to_numeric(df[value], errors="coerce")})
        out["lo"] = pd.to_numeric(df[lo], errors="coerce") if lo else out["mean"]
        out["hi"] = pd.to_numeric(df[hi], errors="coerce") if hi else out["mean"]
        return out
    metrics = [c for c in df.columns if c != label_col and c not in META_COLUMNS
               and _is_numeric(df[c])]
    parts = []
    for m in metrics:
        st = summarise_replicates(df.assign(**{label_col: df[label_col].astype(str)}), m, [label_col])
        parts.append(pd.DataFrame({"label": st[label_col], "metric": m, "mean": st["mean"],
                                   "lo": st["lo"], "hi": st["hi"]}))
    if not parts:
        raise ScenarioError("comparison table has no numeric metric columns")
    return pd.concat(parts, ignore_index=True)


@style.styled_figure
def compare_figure(table: pd.DataFrame, metrics: Iterable[str] | None = None) -> Figure:
    """Key metrics side by side for each compared scenario or variant, with 95% intervals."""
    available = list(pd.unique(table["metric"]))
    chosen = [m for m in (metrics or KEY_METRICS) if m in available] or available[:6]
    n = max(len(chosen), 1)
    ncols = 2 if n > 1 else 1
    nrows = math.ceil(n / ncols)
    fig, axes = style.new_figure("Scenarios compared on the key results", nrows, ncols,
                                 squeeze=False, figsize=(7.5 * ncols, 3.2 + 1.2 * nrows))
    flat = axes.ravel()
    for ax, m in zip(flat, chosen, strict=False):
        sub = table[table["metric"] == m]
        y = np.arange(len(sub))
        colors = [style.CYCLE[i % len(style.CYCLE)] for i in range(len(sub))]
        ax.barh(y, sub["mean"], color=colors, alpha=0.85)
        err = np.vstack([(sub["mean"] - sub["lo"]).clip(lower=0), (sub["hi"] - sub["mean"]).clip(lower=0)])
        if np.nansum(err) > 0:
            ax.errorbar(sub["mean"], y, xerr=err, fmt="none", ecolor="black", capsize=5, elinewidth=2)
        ax.set_yticks(y, list(sub["label"]))
        ax.invert_yaxis()
        label(ax, metric_label(m), "scenario")
    for ax in flat[len(chosen):]:
        ax.set_visible(False)
    return fig


# ---------------------------------------------------------------------------- sensitivity

INDEX_COLUMNS = ("ST", "S1", "mu_star", "elasticity", "effect", "sigma", "delta", "S1_norm")


@style.styled_figure
def sensitivity_figures(df: pd.DataFrame) -> dict[str, Figure]:
    """Bars of each parameter's sensitivity index (total-order first), one figure per metric."""
    param_col = _first(df.columns, ("parameter", "param", "name", "factor", "knob", "input"))
    if param_col is None:
        raise ScenarioError("sensitivity table has no parameter column")
    metric_col = _first(df.columns, ("metric", "output", "measure"))
    index_col = _first(df.columns, [c.lower() for c in INDEX_COLUMNS])
    if index_col is None:
        numeric = [c for c in df.columns if _is_numeric(df[c]) and not c.lower().endswith("_conf")]
        if not numeric:
            raise ScenarioError("sensitivity table has no numeric index column")
        index_col = numeric[0]
    conf_col = _first(df.columns, (f"{index_col.lower()}_conf", f"{index_col.lower()}_ci"))
    second = _first(df.columns, ("s1",)) if index_col.lower() == "st" else None
    second_conf = _first(df.columns, ("s1_conf",)) if second else None
    figs: dict[str, Figure] = {}
    groups = df.groupby(metric_col, sort=False) if metric_col else [("result", df)]
    for metric, sub in groups:
        sub = sub.sort_values(index_col)
        fig, ax = style.new_figure(f"Which knobs matter for {metric_label(str(metric)).split(' (')[0]}")
        y = np.arange(len(sub))
        h = 0.4 if second else 0.7
        ax.barh(y + (h / 2 if second else 0), sub[index_col], height=h, color=style.OKABE_ITO["blue"],
                xerr=sub[conf_col].abs() if conf_col else None, capsize=5 if conf_col else 0,
                label=f"{index_col} (total effect)" if second else index_col)
        if second:
            ax.barh(y - h / 2, sub[second], height=h, color=style.OKABE_ITO["orange"],
                    xerr=sub[second_conf].abs() if second_conf else None, capsize=5,
                    label=f"{second} (effect alone)")
        ax.legend(loc="lower right")
        ax.set_yticks(y, [str(v) for v in sub[param_col]])
        unit = ("sensitivity index (share of output variance)" if index_col.upper().startswith("S")
                else f"sensitivity {index_col} (metric units)")
        label(ax, unit, "parameter")
        figs[f"sensitivity_{_slug(str(metric))}"] = fig
    return figs


# ---------------------------------------------------------------------------- folders


def folder_figures(path: str | Path) -> dict[str, Figure]:
    """All figures that apply to a run, sweep, compare or sensitivity folder.

    Raises ScenarioError (exit status 2 on the command line) for anything else.
    """
    p = Path(path)
    if not p.exists():
        raise ScenarioError("no such folder", file=str(p))
    kind = folder_kind(p)
    if kind is None:
        raise ScenarioError("not a results folder: expected summary.json (run), runs.parquet "
                            "(sweep), compare.parquet/compare.csv or sensitivity.parquet/.csv",
                            file=str(p))
    if kind == "run":
        return run_figures(load_run(p))
    figs: dict[str, Figure] = {}
    if kind == "sweep":
        figs.update(sweep_figures(load_sweep(p)))
    if kind == "compare":
        table = _read_table(p, "compare")
        if table is not None and len(table):
            figs["compare"] = compare_figure(compare_table(table))
    sens = _read_table(p, "sensitivity")
    if sens is not None and len(sens):
        figs.update(sensitivity_figures(sens))
    if not figs:
        raise ScenarioError("nothing to plot: the results tables are empty", file=str(p))
    return figs


def plot_dir(path: str | Path, out: str | Path | None = None,
             formats: Iterable[str] = ("png", "svg"), dpi: int | None = None) -> list[Path]:
    """Draw every figure of a results folder into ``out`` (default ``<path>/figures``)."""
    figs = folder_figures(path)
    target = Path(out) if out is not None else Path(path) / "figures"
    written: list[Path] = []
    for stem, fig in figs.items():
        written += style.save(fig, target, stem, formats, dpi)
        style.close(fig)
    return written
