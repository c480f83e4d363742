"""One look for every figure: Okabe-Ito colours, large type, thick lines, labelled units.

Figures are meant to be read from the back of a classroom: 15-point type, 3-point lines, titles
that say what the figure shows, and axis labels that name their unit. Colours come from the
Okabe-Ito palette, which stays distinguishable under the common forms of colour blindness.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
CYCLE = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple",
                                "sky_blue", "yellow", "black", "grey")]

CORRECT_COLOR = OKABE_ITO["blue"]
WRONGFUL_COLOR = OKABE_ITO["vermillion"]

# Every cause keeps its colour in every figure.
CAUSE_COLORS = {
    "correct": OKABE_ITO["blue"],
    "name_collision": OKABE_ITO["vermillion"],
    "id_error": OKABE_ITO["orange"],
    "stale_record": OKABE_ITO["reddish_purple"],
    "stale_representative": OKABE_ITO["sky_blue"],
    "listed_at_source": OKABE_ITO["bluish_green"],
    "paid_pending_deletion": OKABE_ITO["yellow"],
    # misses
    "not_shared": OKABE_ITO["vermillion"],
    "not_yet_arrived": OKABE_ITO["black"],  # orange is id_error's, also a miss cause
    "id_lost": OKABE_ITO["yellow"],
    "evaded": OKABE_ITO["bluish_green"],
    "exempted": OKABE_ITO["blue"],
    "deleted_in_copy": OKABE_ITO["reddish_purple"],
    "below_threshold": OKABE_ITO["grey"],
}


RC = {
    "figure.figsize": (11.0, 6.2),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "font.size": 15,
    "axes.titlesize": 17,
    "axes.titleweight": "bold",
    "axes.labelsize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 12,
    "legend.frameon": False,
    "lines.linewidth": 3.0,
    "lines.markersize": 8,
    "axes.linewidth": 1.2,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "svg.fonttype": "none",
    "svg.hashsalt": "joint-sanctions",
    "font.family": "DejaVu Sans",
}


@contextmanager
def styled() -> Iterator[None]:
    """Context in which matplotlib uses the house style (rcParams are restored afterwards)."""
    with matplotlib.rc_context(RC):
        yield


def styled_figure[**P, R](fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: build the whole figure inside the house style (lines, fonts, colours)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with styled():
            return fn(*args, **kwargs)

    return wrapper


def cause_color(cause: str, i: int = 0) -> str:
    """The fixed colour of a cause (or the i-th palette colour for unknown ones)."""
    return CAUSE_COLORS.get(cause, CYCLE[i % len(CYCLE)])


def new_figure(title: str, nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A styled figure and its axes, titled with what it shows (no pyplot state: Agg canvas)."""
    with styled():
        fig = Figure(figsize=kwargs.pop("figsize", RC["figure.figsize"]), layout="constrained")
        axes = fig.subplots(nrows, ncols, **kwargs)
    fig.suptitle(title, fontsize=RC["axes.titlesize"], fontweight="bold")
    return fig, axes


def label(ax: Any, xlabel: str, ylabel: str, title: str | None = None) -> None:
    """Label one axis; every axis must name its quantity and unit."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=RC["axes.labelsize"], fontweight="bold")


def empty_note(ax: Any, text: str = "nothing of this kind happened in this run") -> None:
    """Write a note in the middle of an empty axis so a blank panel is never mistaken for a bug."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=14,
            color=OKABE_ITO["grey"])


def save(fig: Figure, out_dir: str | Path, stem: str, formats: Iterable[str] = ("png", "svg"),
         dpi: int | None = None) -> list[Path]:
    """Write a figure as ``out_dir/stem.<fmt>`` for each format; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with styled():
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            kwargs: dict[str, Any] = {"format": fmt}
            if fmt == "png":
                kwargs["dpi"] = dpi or RC["savefig.dpi"]
                kwargs["metadata"] = {"Software": None}
            elif fmt == "svg":
                kwargs["metadata"] = {"Date": None}
            fig.savefig(path, **kwargs)
            paths.append(path)
    return paths


def close(fig: Figure) -> None:
    """Free a figure's memory (figures are not registered with pyplot, so this just clears it)."""
    fig.clear()
