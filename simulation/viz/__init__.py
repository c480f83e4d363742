"""Figures, HTML reports and case traces of joint-sanctions results.

``plot_dir`` draws every figure of a run, sweep or comparison folder; ``write_report`` writes a
self-contained HTML report of a run; ``trace_person``/``trace_firm``/``worst_cases`` tell one
case's story in plain language. The browser app lives in ``simulation.viz.app``.
Names are imported on first use, so that the command line starts fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["folder_figures", "folder_kind", "load_run", "plot_dir", "run_figures"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from simulation.viz import figures

        return getattr(figures, name)
    raise AttributeError(name)
