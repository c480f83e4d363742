"""The classroom app's charts: matplotlib figures rendered to PNG on the server.

Rendering on the server keeps the page free of chart libraries (nothing to fetch, nothing to
go wrong offline). Every chart is made to be projected: large type, thick lines, labelled axes
with units, and colours from the Okabe-Ito palette, which stays distinguishable under the
common forms of colour blindness. Each cause keeps one colour in every chart (the same mapping
as the report figures).
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
from matplotlib.ticker import MaxNLocator  # noqa: E402

from simulation.metrics import MISS_CAUSES, WRONGFUL_CAUSES  # noqa: E402

# One palette and one colour per cause for the app and the report figures.
from simulation.viz.style import CAUSE_COLORS, CYCLE, OKABE_ITO  # noqa: E402

MISS_COLORS = {
    "not_shared": OKABE_ITO["vermillion"],
    "not_yet_arrived": OKABE_ITO["orange"],
    "id_lost": OKABE_ITO["yellow"],
    "id_error": OKABE_ITO["sky_blue"],
    "stale_representative": OKABE_ITO["black"],
    "evaded": OKABE_ITO["bluish_green"],
    "exempted": OKABE_ITO["blue"],
    "deleted_in_copy": OKABE_ITO["reddish_purple"],
    "below_threshold": OKABE_ITO["grey"],
}
CAUSE_LABELS = {
    "correct": "correct",
    "name_collision": "namesake",
    "id_error": "mistyped ID",
    "stale_record": "stale record",
    "stale_representative": "stale representative",
    "listed_at_source": "wrong at source",
    "not_shared": "never shared",
    "not_yet_arrived": "not yet arrived",
    "id_lost": "ID lost in transfer",
    "evaded": "evaded",
    "exempted": "exempted on appeal",
    "deleted_in_copy": "deleted in copy only",
    "below_threshold": "under points threshold",
}
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
SIZE = (7.0, 4.6)
DPI = 100


MARGINS = {"left": 0.17, "right": 0.97, "top": 0.9, "bottom": 0.15}


def _figure(size: tuple[float, float] = SIZE, margins: dict[str, float] | None = None,
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


def _series(df: Any, name: str, t: int) -> np.ndarray:
    return df[name].to_numpy()[:t] if name in df else np.zeros(t)


def _days_axis(ax: Any, days: int, counts: bool = True) -> None:
    ax.set_xlim(1, max(days, 2))
    ax.set_xlabel("day of the simulated year")
    if counts:  # whole numbers of people, cases, records
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.get_ylim()[1] < 1:  # nothing yet: a plain 0-1 axis, not 0.000-0.054
            ax.set_ylim(0, 1)


def _empty_note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=16,
            color="#555555", wrap=True)


def compliance_chart(df: Any, t: int, days: int) -> bytes:
    """Judgments and how many were complied with (cumulative)."""
    with matplotlib.rc_context(RC):
        fig, ax = _figure()
        x = np.arange(1, t + 1)
        judged = np.cumsum(_series(df, "judgments.individuals", t) + _series(df, "judgments.firms", t))
        on_time = np.cumsum(_series(df, "compliance.on_time", t))
        after = np.cumsum(_series(df, "compliance.after_listing", t))
        ax.plot(x, judged, color=OKABE_ITO["black"], label="judgments issued")
        ax.stackplot(x, on_time, after, colors=[OKABE_ITO["bluish_green"], OKABE_ITO["sky_blue"]],
                     labels=["paid on time", "paid after being listed"], alpha=0.9)
        share = (on_time[-1] + after[-1]) / judged[-1] if t and judged[-1] else math.nan
        ax.set_title("Compliance" + (f": {share:.0%} of judgments paid" if not math.isnan(share) else ""))
        ax.set_ylabel("debtors (cumulative)")
        _days_axis(ax, days)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left")
        return png(fig)


def sanctions_chart(df: Any, t: int, days: int) -> bytes:
    """Sanctions, correct and wrongful by cause, stacked (cumulative)."""
    with matplotlib.rc_context(RC):
        fig, ax = _figure()
        x = np.arange(1, t + 1)
        total = np.cumsum(_series(df, "sanctions", t))
        wrong = {c: np.cumsum(_series(df, f"wrongful_sanctions.{c}", t)) for c in WRONGFUL_CAUSES}
        correct = total - sum(wrong.values()) if wrong else total
        keys = ["correct"] + [c for c in WRONGFUL_CAUSES if t and wrong[c][-1] > 0]
        ys = [correct] + [wrong[c] for c in keys[1:]]
        ax.stackplot(x, *ys, colors=[CAUSE_COLORS[k] for k in keys],
                     labels=[CAUSE_LABELS[k] + (" (wrongful)" if k != "correct" else "")
                             for k in keys])
        n_wrong = int(total[-1] - correct[-1]) if t else 0
        ax.set_title(f"Sanctions: {n_wrong:,} of {int(total[-1]) if t else 0:,} wrongful")
        ax.set_ylabel("service denials (cumulative)")
        _days_axis(ax, days)
        ax.set_ylim(bottom=0)
        if t and total[-1] > 0:
            ax.legend(loc="upper left", reverse=True)
        else:
            _empty_note(ax, "No sanctions yet: debtors are listed\nonly after the deadline to pay")
        return png(fig)


def misses_chart(df: Any, t: int, days: int) -> bytes:
    """Sanctions the lists should have imposed but did not, by cause (cumulative)."""
    with matplotlib.rc_context(RC):
        fig, ax = _figure()
        x = np.arange(1, t + 1)
        by = {c: np.cumsum(_series(df, f"missed_sanctions.{c}", t)) for c in MISS_CAUSES}
        keys = [c for c in MISS_CAUSES if t and by[c][-1] > 0]
        if keys:
            ax.stackplot(x, *[by[c] for c in keys], colors=[MISS_COLORS[c] for c in keys],
                         labels=[CAUSE_LABELS[c] for c in keys])
            ax.legend(loc="upper left", reverse=True)
        else:
            _empty_note(ax, "No missed sanctions yet")
        total = int(sum(by[c][-1] for c in keys)) if keys else 0
        ax.set_title(f"Missed sanctions: {total:,}")
        ax.set_ylabel("listed debtors let through\n(cumulative)")
        _days_axis(ax, days)
        ax.set_ylim(bottom=0)
        return png(fig)


def legitimacy_chart(df: Any, t: int, days: int, start: float) -> bytes:
    """Mean perceived legitimacy of the regime."""
    with matplotlib.rc_context(RC):
        fig, ax = _figure()
        x = np.arange(1, t + 1)
        y = _series(df, "legitimacy_mean", t)
        ax.axhline(start, color=OKABE_ITO["grey"], linestyle="--", linewidth=2, label="at the start")
        ax.plot(x, y, color=OKABE_ITO["blue"], label="mean legitimacy")
        lo = min(start, float(y.min()) if t else start)
        ax.set_ylim(max(0.0, lo - 0.02), min(1.0, start + 0.02))
        ax.set_title("Legitimacy" + (f": {y[-1]:.3f}" if t else ""))
        ax.set_ylabel("mean perceived legitimacy\n(0-1 scale)")
        _days_axis(ax, days, counts=False)
        ax.legend(loc="lower left")
        return png(fig)


def appeals_chart(df: Any, t: int, days: int, appeals: Any, enabled: bool) -> bytes:
    """Appeal backlog over time, and the days each upheld appeal took to remedy."""
    with matplotlib.rc_context(RC):
        fig, (ax1, ax2) = _figure((7.0, 5.6), {"bottom": 0.12, "top": 0.92, "hspace": 0.12},
                                  nrows=2, sharex=True)
        x = np.arange(1, t + 1)
        ax1.plot(x, _series(df, "appeals_backlog", t), color=OKABE_ITO["orange"])
        ax1.set_ylabel("backlog\n(cases)")
        ax1.set_ylim(bottom=0)
        ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax1.set_title("Appeals" + ("" if enabled else " (switched off)"))
        n = appeals.n
        won = (appeals.status[:n] == 1) & appeals.upheld[:n]
        dd = appeals.decision_day[:n][won] + 1
        wait = (appeals.decision_day[:n] - appeals.filed_day[:n])[won]
        if wait.size:
            ax2.scatter(dd, wait, s=60, color=OKABE_ITO["blue"], alpha=0.8,
                        label=f"each upheld appeal (mean {wait.mean():.0f} days)")
            ax2.legend(loc="upper left")
            ax2.set_ylim(0, max(wait.max() * 1.3, 10))
        else:
            _empty_note(ax2, "No appeal upheld yet" if enabled else "No appeals: no remedy")
            ax2.set_ylim(0, 30)
        ax2.set_ylabel("days to remedy")
        _days_axis(ax2, days)
        return png(fig)


def copies_chart(drift: list[np.ndarray], agencies: list[str], days: int) -> bytes:
    """Each agency's copy against the truth: over time (left) and today (right)."""
    with matplotlib.rc_context(RC):
        fig, (ax1, ax2) = _figure((14.0, 6.0), {"left": 0.08, "right": 0.99, "bottom": 0.25,
                                                "top": 0.92, "wspace": 0.28},
                                  ncols=2, width_ratios=[1.15, 1])
        t = len(drift)
        if t:
            d = np.stack(drift)  # day, agency, (truth, ok, stale, missing)
            x = np.arange(1, t + 1)
            wrong = d[:, :, 2] + d[:, :, 3]
            styles = ["-", "--", ":", "-."]
            for i, name in enumerate(agencies):
                ax1.plot(x, wrong[:, i], color=CYCLE[i % len(CYCLE)], linestyle=styles[i // 9 % 4],
                         linewidth=2.5, label=name)
            ax1.legend(loc="upper left", ncols=2, fontsize=11)
            today = d[-1]
            y = np.arange(len(agencies))
            ok, stale, missing = today[:, 1], today[:, 2], today[:, 3]
            ax2.barh(y, ok, color=OKABE_ITO["blue"], label="held, still listed")
            ax2.barh(y, stale, left=ok, color=OKABE_ITO["vermillion"], label="held, but stale")
            ax2.barh(y, missing, left=ok + stale, color="white", edgecolor=OKABE_ITO["black"],
                     hatch="//", label="listed, but missing")
            ax2.set_yticks(y, agencies)
            ax2.invert_yaxis()
            ax2.legend(loc="upper center", bbox_to_anchor=(0.4, -0.17), ncols=3, fontsize=13,
                       frameon=False)
        else:
            _empty_note(ax1, "Press Step or Play")
            _empty_note(ax2, "")
        ax1.set_title("Copies drifting from the truth")
        ax1.set_ylabel("wrong entries per copy\n(stale + missing records)")
        _days_axis(ax1, days)
        ax1.set_ylim(bottom=0)
        ax2.set_title("Each copy today")
        ax2.set_xlabel("records (the court's lists say: blue + hatched)")
        ax2.grid(axis="y", visible=False)
        return png(fig)


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


def twin_chart(series_a: np.ndarray, series_b: np.ndarray, label_b: str, days: int,
               ylabel: str, title: str) -> bytes:
    """One cumulative measure in world A and world B on the same axes."""
    with matplotlib.rc_context(RC):
        fig, ax = _figure((7.0, 4.6), {"bottom": 0.15})
        x = np.arange(1, series_a.size + 1)
        ax.plot(x, series_a, color=OKABE_ITO["vermillion"], label="world A (as set)")
        ax.plot(x, series_b, color=OKABE_ITO["blue"], linestyle="--", label=f"world B: {label_b}")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        _days_axis(ax, days)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", fontsize=12)
        return png(fig)
