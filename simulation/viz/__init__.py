"""Figures, HTML reports and case traces of joint-sanctions results.

``plot_dir`` draws every figure of a run, sweep or comparison folder; ``write_report`` writes a
self-contained HTML report of a run; ``trace_person``/``trace_firm``/``worst_cases`` tell one
case's story in plain language. The browser app lives in ``simulation.viz.app``.
"""

from simulation.viz.figures import folder_figures, folder_kind, load_run, plot_dir, run_figures

__all__ = ["folder_figures", "folder_kind", "load_run", "plot_dir", "run_figures"]
