"""The classroom app's charts: what each live chart shows, and the registry map.

The live charts are drawn in the browser (:mod:`simulation.viz.app_live_chart`, Apache
ECharts); this module says what each one shows (a :class:`~app_live_chart.Spec`: title, axes
with units, series with their fixed colours and labels) and computes its series from a world
(day 1 to today; the widget sends the browser only the new days). Colours and cause labels come
from :mod:`simulation.viz.style`, the same as the report figures, and no two series of one chart
share a colour. The registry map is a network picture drawn once per frame with matplotlib.
"""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Patch  # noqa: E402

from simulation.codes import AppealStatus  # noqa: E402
from simulation.codes import cause_label as _long_label  # noqa: E402
from simulation.metrics import MISS_CAUSES, WRONGFUL_CAUSES  # noqa: E402
from simulation.viz.app_live_chart import Series, Spec  # noqa: E402
from simulation.viz.app_state import compliance_rates  # noqa: E402
from simulation.viz.style import CYCLE, OKABE_ITO, cause_color  # noqa: E402


def cause_label(cause: str) -> str:
    """A cause's label as the legends show it (the report's label without its gloss)."""
    return _long_label(cause).split(" (")[0]


def _cum(counters: dict[str, np.ndarray], name: str, t: int) -> np.ndarray:
    """Cumulative total of a daily counter over days 1..t (zeros if the model has none)."""
    v = counters.get(name)
    return np.cumsum(v[:t]) if v is not None else np.zeros(t)


def _daily(counters: dict[str, np.ndarray], name: str, t: int) -> np.ndarray:
    v = counters.get(name)
    return np.asarray(v[:t], dtype=float) if v is not None else np.zeros(t)


def sanctions_spec(days: int) -> Spec:
    """Service denials, correct and wrongful by cause, stacked."""
    series = [Series("correct", "rightly sanctioned", cause_color("correct"), "s", True)]
    series += [Series(c, cause_label(c), cause_color(c), "s", True) for c in WRONGFUL_CAUSES]
    return Spec("Sanctions", "service denials (cumulative)", days, tuple(series))


def sanctions_series(counters: dict[str, np.ndarray], t: int) -> tuple[dict[str, np.ndarray], str]:
    """Series of :func:`sanctions_spec` and a title with today's totals."""
    total = _cum(counters, "sanctions", t)
    wrong = {c: _cum(counters, f"wrongful_sanctions.{c}", t) for c in WRONGFUL_CAUSES}
    correct = total - sum(wrong.values())
    n_wrong = int(total[-1] - correct[-1]) if t else 0
    return {"correct": correct, **wrong}, \
        f"Sanctions: {n_wrong:,} of {int(total[-1]) if t else 0:,} wrongful"


def misses_spec(days: int) -> Spec:
    """Sanctions the lists should have imposed but did not, by cause, stacked."""
    return Spec("Missed sanctions", "debtors let through (cumulative)", days, tuple(
        Series(c, cause_label(c), cause_color(c), "m", True) for c in MISS_CAUSES))


def misses_series(counters: dict[str, np.ndarray], t: int) -> tuple[dict[str, np.ndarray], str]:
    """Series of :func:`misses_spec` and its title."""
    by = {c: _cum(counters, f"missed_sanctions.{c}", t) for c in MISS_CAUSES}
    total = int(sum(v[-1] for v in by.values())) if t else 0
    return by, f"Missed sanctions: {total:,}"


def compliance_spec(days: int) -> Spec:
    """Judgments issued and debtors who paid (the command line's compliance names)."""
    return Spec("Compliance", "judgments (cumulative)", days, (
        Series("judgments", "judgments issued", OKABE_ITO["black"]),
        Series("on_time", "paid on time", OKABE_ITO["bluish_green"], "paid", True),
        Series("after_listing", "paid after being listed", OKABE_ITO["sky_blue"], "paid", True),
    ))


def compliance_series(counters: dict[str, np.ndarray], t: int, world: Any) -> tuple[
        dict[str, np.ndarray], str]:
    """Series of :func:`compliance_spec` and a title with the compliance rates, the same
    numbers under the same names as ``joint-sanctions run`` (judgments past their deadline)."""
    judged = _cum(counters, "judgments.individuals", t) + _cum(counters, "judgments.firms", t)
    on_time = _cum(counters, "compliance.on_time", t)
    after = _cum(counters, "compliance.after_listing", t)
    rate, on_time_rate = compliance_rates(world)
    title = "Compliance" + (f": compliance rate {rate:.3f}, on-time compliance rate "
                            f"{on_time_rate:.3f}" if not math.isnan(rate) else "")
    return {"judgments": judged, "on_time": on_time, "after_listing": after}, title


def legitimacy_spec(days: int, start: float) -> Spec:
    """Mean perceived legitimacy against its starting value."""
    return Spec("Legitimacy", "mean perceived legitimacy (0-1 scale)", days, (
        Series("legitimacy", "mean legitimacy", OKABE_ITO["blue"], ref=round(start, 4),
               ref_label="at the start"),), integer=False, y_min=None)


def legitimacy_series(counters: dict[str, np.ndarray], t: int) -> tuple[dict[str, np.ndarray], str]:
    """Series of :func:`legitimacy_spec` and its title."""
    y = _daily(counters, "legitimacy_mean", t)
    return {"legitimacy": y}, "Legitimacy" + (f": {y[-1]:.3f}" if t else "")


def appeals_spec(days: int, enabled: bool) -> Spec:
    """The courts' appeal backlog and the appeals upheld so far."""
    return Spec("Appeals" + ("" if enabled else " (switched off)"), "appeals (cases)", days, (
        Series("backlog", "waiting for a decision", OKABE_ITO["orange"]),
        Series("upheld", "upheld (cumulative)", OKABE_ITO["bluish_green"]),
    ))


def appeals_series(counters: dict[str, np.ndarray], t: int, appeals: Any) -> tuple[
        dict[str, np.ndarray], str]:
    """Series of :func:`appeals_spec` and a title with the mean days to remedy."""
    n = appeals.n
    won = (appeals.status[:n] == AppealStatus.decided) & appeals.upheld[:n]
    decided = appeals.decision_day[:n][won]
    upheld = np.cumsum(np.bincount(decided, minlength=t)[:t]) if t else np.zeros(0)
    wait = (appeals.decision_day[:n] - appeals.filed_day[:n])[won]
    title = "Appeals" + (f": {wait.size:,} upheld, mean {wait.mean():.0f} days to remedy"
                         if wait.size else "")
    return {"backlog": _daily(counters, "appeals_backlog", t), "upheld": upheld}, title


def copies_spec(days: int, agencies: list[str]) -> Spec:
    """Wrong entries (stale + missing) in each agency's copy over time."""
    if len(agencies) > len(CYCLE):
        raise ValueError(f"{len(agencies)} agencies but {len(CYCLE)} distinct colours")
    return Spec("Copies drifting from the truth", "wrong entries per copy (records)", days, tuple(
        Series(f"a{i}", name, CYCLE[i]) for i, name in enumerate(agencies)))


def copies_series(drift: np.ndarray, agencies: list[str]) -> dict[str, np.ndarray]:
    """Series of :func:`copies_spec` from the drift array (day, agency, 4)."""
    wrong = drift[:, :, 2] + drift[:, :, 3] if drift.size else np.zeros((0, len(agencies)))
    return {f"a{i}": wrong[:, i] for i in range(len(agencies))}


def copies_today_spec(agencies: list[str]) -> Spec:
    """Each copy today: held rightly, held but stale, listed but missing (records)."""
    return Spec("Each copy today", "", 0, (
        Series("ok", "held, still listed", OKABE_ITO["blue"]),
        Series("stale", "held, but stale", OKABE_ITO["vermillion"]),
        Series("missing", "listed, but missing", OKABE_ITO["black"], hatch=True),
    ), x_name="records in the copy (the court's lists say: blue + missing)", kind="bars",
        categories=tuple(agencies))


def copies_today(drift: np.ndarray, n_agencies: int) -> dict[str, np.ndarray]:
    """Bars of :func:`copies_today_spec` for the last day of ``drift``."""
    today = drift[-1] if drift.size else np.zeros((n_agencies, 4), dtype=np.int64)
    return {"ok": today[:, 1], "stale": today[:, 2], "missing": today[:, 3]}


def twin_spec(days: int, label_b: str, y_name: str, title: str) -> Spec:
    """One cumulative measure in world A and world B on the same axes."""
    return Spec(title, y_name, days, (
        Series("a", "world A (as set)", OKABE_ITO["vermillion"]),
        Series("b", f"world B: {label_b}", OKABE_ITO["blue"], dash=True),
    ))


# Staleness bins of registry links (share of the records a link delivered that are stale).
STALE_BINS = ((0.0, "under 5% stale", OKABE_ITO["blue"]),
              (0.05, "5-20% stale", OKABE_ITO["orange"]),
              (0.20, "over 20% stale", OKABE_ITO["vermillion"]))
NO_DATA = "#BBBBBB"

RC = {
    "font.size": 16, "axes.titlesize": 19, "axes.titleweight": "bold", "axes.labelsize": 17,
    "xtick.labelsize": 15, "ytick.labelsize": 15, "legend.fontsize": 14, "lines.linewidth": 3,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE), "font.family": "DejaVu Sans",
}
DPI = 100

MARGINS = {"left": 0.17, "right": 0.97, "top": 0.9, "bottom": 0.15}


def _figure(size: tuple[float, float], margins: dict[str, float] | None = None,
            **kw: Any) -> tuple[Figure, Any]:
    # Fixed margins instead of constrained layout: a third faster, and the sizes never change.
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=size, dpi=DPI)
        fig.subplots_adjust(**{**MARGINS, **(margins or {})})
        axes = fig.subplots(**kw)
    return fig, axes


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    with matplotlib.rc_context(RC):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _stale_color(share: float) -> str:
    if math.isnan(share):
        return NO_DATA
    color = STALE_BINS[0][2]
    for lo, _label, c in STALE_BINS:
        if share >= lo:
            color = c
    return color


def registry_map(model: Any, links: list[dict[str, Any]], drift_today: np.ndarray | None) -> bytes:
    """Courts, platforms and agencies as a network; links coloured by how stale their copies are."""
    reg = model.registry
    nodes = reg.nodes
    with matplotlib.rc_context(RC):
        fig, ax = _figure((14.0, 8.0), {"left": 0.01, "right": 0.99, "top": 0.93, "bottom": 0.1})
        courts = [n for n in nodes if n.kind == "court"]
        platforms = [n for n in nodes if n.kind == "platform"]
        agencies = [n for n in nodes if n.kind == "agency"]
        xa = 2.0 if platforms else 1.6
        pos: dict[int, tuple[float, float]] = {}

        def column(group: list[Any], x: float) -> None:
            k = len(group)
            for i, n in enumerate(group):
                pos[n.index] = (x, 1.0 - (i + 0.5) / max(k, 1))

        column(courts, 0.0)
        column(platforms, 1.0)
        column(agencies, xa)
        sources_of_agency_lists = {link["source"] for link in links
                                   if nodes[link["source"]].kind == "agency"}
        for link in links:
            s, d = link["source"], link["to"]
            (x0, y0), (x1, y1) = pos[s], pos[d]
            same_col = abs(x0 - x1) < 1e-9
            arrow = FancyArrowPatch(
                (x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=18,
                color=_stale_color(link["share"]), linewidth=1.5 + 3.0 * link["sharing"],
                connectionstyle="arc3,rad=0.6" if same_col else "arc3,rad=0.0",
                shrinkA=18, shrinkB=18, alpha=0.9, zorder=1)
            ax.add_patch(arrow)
        size_of = {}
        if drift_today is not None:
            for i, a in enumerate(model.agency_agents):
                size_of[a.node] = drift_today[i]
        for n in nodes:
            x, y = pos[n.index]
            marker = {"court": "s", "platform": "D", "agency": "o"}[n.kind]
            color = {"court": OKABE_ITO["black"], "platform": OKABE_ITO["sky_blue"],
                     "agency": OKABE_ITO["bluish_green"]}[n.kind]
            ax.scatter([x], [y], s=700, marker=marker, color=color, edgecolor="white",
                       linewidth=2, zorder=3)
            label = n.name
            if n.kind == "agency" and n.index in size_of:
                truth, ok, stale, missing = size_of[n.index]
                label += f"\n{ok + stale} held: {stale} stale, {missing} missing"
            if n.kind == "agency" and n.index in sources_of_agency_lists:
                label += " (keeps own list)"
            ha = "right" if n.kind == "court" else "left"
            dx = -0.09 if n.kind == "court" else 0.09
            ax.text(x + dx, y, label, ha=ha, va="center", fontsize=14, zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
        if not links:
            ax.text(1.0, 0.5, "No links: every agency\nenforces only its own lists",
                    ha="center", va="center", fontsize=18, color="#555555")
        ax.set_xlim(-0.9, xa + 1.1)
        ax.set_ylim(-0.04, 1.04)
        ax.axis("off")
        handles = [Line2D([0], [0], color=c, linewidth=5, label=lab) for _lo, lab, c in STALE_BINS]
        handles.append(Line2D([0], [0], color=NO_DATA, linewidth=5, label="nothing delivered yet"))
        handles += [
            Line2D([0], [0], marker="s", color="white", markerfacecolor=OKABE_ITO["black"],
                   markersize=16, label="court (source)"),
            Line2D([0], [0], marker="D", color="white", markerfacecolor=OKABE_ITO["sky_blue"],
                   markersize=16, label="sharing platform"),
            Line2D([0], [0], marker="o", color="white", markerfacecolor=OKABE_ITO["bluish_green"],
                   markersize=16, label="agency (keeps a copy)"),
            Patch(facecolor="white", edgecolor="white", label="thicker arrow = more updates shared"),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=4,
                  fontsize=13, frameon=False)
        ax.set_title("Registry map: arrows carry list updates; colour = share of the records "
                     "delivered that are stale today", fontsize=17)
        return png(fig)


