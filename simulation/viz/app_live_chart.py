"""Live charts drawn in the browser (Apache ECharts) from data sent a day at a time.

Each chart is a :class:`LiveChartWidget` (``app_live_chart.vue``): the server sends its *spec*
once (title, axes with units, series with their fixed colours) and then, every frame, a *chunk*
holding only the days the browser does not have yet. ECharts' JavaScript is installed at set-up
with the other front-end assets (``app_assets.CDN_PACKAGES``) and served from this machine, so
the page still makes no request beyond 127.0.0.1. Matplotlib stays for PNG/SVG figures and
reports (``figures.py``, ``report.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import ipyvuetify
import numpy as np
import solara
import traitlets


class LiveChartWidget(ipyvuetify.VuetifyTemplate):
    """The browser side of a live chart (see ``app_live_chart.vue``)."""

    template_file = (__file__, "app_live_chart.vue")
    spec = traitlets.Dict().tag(sync=True)
    chunk = traitlets.Dict().tag(sync=True)
    height = traitlets.Int(340).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    on_resync = traitlets.Callable(None, allow_none=True)

    def vue_resync(self, have: Any) -> None:
        """The browser lost the thread (a gap): send everything again."""
        if self.on_resync is not None:
            self.on_resync(have)


@dataclass(frozen=True)
class Series:
    """One line (or band, or bar) of a chart: its key in the data, legend name and colour."""

    key: str
    name: str
    color: str
    stack: str = ""  # series with the same stack are drawn on top of each other
    area: bool = False
    dash: bool = False
    hatch: bool = False
    ref: float | None = None  # a dashed reference line at this value
    ref_label: str = ""


@dataclass(frozen=True)
class Spec:
    """What a chart shows: the axes (with units) and its series, in legend order."""

    title: str
    y_name: str
    days: int
    series: tuple[Series, ...]
    x_name: str = "day of the simulated year (days)"
    kind: str = "days"  # "days": series over days; "bars": a bar per category; "scatter"
    x_max: float | None = None
    categories: tuple[str, ...] = ()
    integer: bool = True
    y_min: float | None = 0.0
    y_max: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The spec as the browser reads it (series without unset reference lines)."""
        out = asdict(self)
        out["series"] = [{k: v for k, v in asdict(s).items() if not (k == "ref" and v is None)}
                         for s in self.series]
        out["categories"] = list(self.categories)
        return out

    def check_colours(self) -> None:
        """No two series of one chart share a colour (raises ValueError if they do)."""
        colours = [s.color.upper() for s in self.series]
        if len(set(colours)) != len(colours):
            raise ValueError(f"chart {self.title!r}: two series share a colour")


def chunk(epoch: str, start: int, series: Mapping[str, np.ndarray], title: str = "",
          bars: Mapping[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The days ``start..`` of every series (and the totals for the legend), JSON-ready."""
    n = min((len(v) for v in series.values()), default=0)
    start = min(start, n)
    rows = {k: np.round(np.asarray(v[start:n], dtype=float), 4).tolist() for k, v in series.items()}
    totals = {k: float(v[n - 1]) for k, v in series.items() if n}
    out: dict[str, Any] = {"epoch": epoch, "start": start, "n": n - start, "rows": rows,
                           "totals": totals, "title": title}
    if bars is not None:  # bars: numbers per category; scatter: a list of points
        out["bars"] = {k: v if isinstance(v, list) else np.asarray(v).tolist()
                       for k, v in bars.items()}
        out["totals"] = {k: float(len(v)) if isinstance(v, list) else float(np.sum(v))
                         for k, v in bars.items()}
    return out


@solara.component
def LiveChart(spec: Spec, series: Mapping[str, np.ndarray], epoch: str, title: str = "",
              bars: Mapping[str, np.ndarray] | None = None, height: int = 0,
              name: str = "") -> Any:
    """A chart in the browser that receives only the days it has not seen.

    Args:
        spec: what the chart shows (sent when it changes).
        series: every series from day 1 to today (cumulative where the chart is).
        epoch: names the world the data comes from; a new epoch (a rebuilt world) starts over.
        title: the title today (e.g. with the latest totals).
        bars: for a bar chart, today's value of each series per category.
        height: pixels (default: room for the plot and a legend of two series a row).
        name: CSS suffix (``js-chart-<name>``) for tests.
    """
    sent = solara.use_ref({"epoch": None, "n": 0})
    _again, set_again = solara.use_state(0)

    def resync(_have: Any) -> None:
        sent.current = {"epoch": None, "n": 0}
        set_again(lambda k: k + 1)

    n = min((len(v) for v in series.values()), default=0)
    start = sent.current["n"] if sent.current["epoch"] == epoch and sent.current["n"] <= n else 0
    data = chunk(epoch, start, series, title, bars)
    sent.current = {"epoch": epoch, "n": n}
    spec_dict = solara.use_memo(spec.as_dict, [spec])
    height = height or 300 + 26 * ((len(spec.series) + 1) // 2)
    with solara.Column(classes=["js-chart", f"js-chart-{name}"], gap="0px"):
        LiveChartWidget.element(spec=spec_dict, chunk=data, height=height, on_resync=resync)


__all__ = ["LiveChart", "LiveChartWidget", "Series", "Spec", "chunk"]
