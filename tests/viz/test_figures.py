from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from simulation.errors import ScenarioError
from simulation.viz import style
from simulation.viz.figures import (
    RUN_FIGURES,
    compare_table,
    folder_figures,
    folder_kind,
    load_run,
    plot_dir,
    run_figures,
    sensitivity_figures,
    summarise_replicates,
)


def assert_labelled(fig):
    axes = [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]
    assert axes
    for ax in axes:
        assert ax.get_xlabel().strip(), f"{fig._suptitle.get_text()}: empty xlabel"
        assert ax.get_ylabel().strip(), f"{fig._suptitle.get_text()}: empty ylabel"
    assert fig._suptitle is not None and fig._suptitle.get_text().strip()


def assert_png(path):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 5000
    img = mpimg.imread(path)
    assert img.shape[0] > 200 and img.shape[1] > 300
    assert img.std() > 0.05  # not a blank canvas


def test_every_run_figure_is_labelled(run_dir):
    figs = run_figures(load_run(run_dir))
    assert set(figs) == set(RUN_FIGURES)
    for fig in figs.values():
        assert_labelled(fig)
        style.close(fig)


def test_plot_run_writes_png_and_svg(run_dir, tmp_path):
    written = plot_dir(run_dir, tmp_path / "figs", dpi=60)
    pngs = [p for p in written if p.suffix == ".png"]
    svgs = [p for p in written if p.suffix == ".svg"]
    assert len(pngs) == len(svgs) == len(RUN_FIGURES)
    for p in pngs:
        assert_png(p)
    for p in svgs:
        assert p.read_text().lstrip().startswith("<?xml")


def test_run_figures_tolerate_missing_counters(run_dir):
    run = load_run(run_dir)
    run.timeseries = run.timeseries[["day", "sanctions"]]
    run._events = run.events.iloc[:0]
    for fig in run_figures(run).values():
        assert_labelled(fig)
        style.close(fig)


def synthetic_sweep(tmp_path, replicates=3):
    rng = np.random.default_rng(0)
    rows = []
    rid = 0
    for point, (share, rule) in enumerate((s, r) for s in (0.2, 0.5, 0.9) for r in ("id", "name")):
        for rep in range(replicates):
            rows.append({"run_id": rid, "point": point, "replicate": rep, "seed": 100 + rep,
                         "registry.sharing": share, "registry.matching": rule,
                         "wrongful_sanctions": 50 * share + (30 if rule == "name" else 0) + rng.normal(),
                         "sanction_recall": share + rng.normal(0, 0.01),
                         "wrongful_sanctions.name_collision": 3.0, "status": "ok", "error": None,
                         "wall_time_s": 0.1})
            rid += 1
    rows.append({**rows[0], "run_id": rid, "status": "error", "wrongful_sanctions": np.nan})
    out = tmp_path / "sweep"
    out.mkdir()
    pd.DataFrame(rows).to_parquet(out / "runs.parquet", index=False)
    (out / "sweep.toml").write_text('name = "t"\n[parameters]\n"registry.sharing" = [0.2, 0.5, 0.9]\n'
                                    '"registry.matching" = ["id", "name"]\n')
    (out / "manifest.json").write_text("{}")
    return out


def test_sweep_response_curves_and_heatmaps(tmp_path):
    sweep = synthetic_sweep(tmp_path)
    assert folder_kind(sweep) == "sweep"
    figs = folder_figures(sweep)
    assert {"response_registry_sharing", "response_registry_matching"} <= set(figs)
    assert any(k.startswith("heatmap_") for k in figs)
    for fig in figs.values():
        assert_labelled(fig)
        style.close(fig)
    written = plot_dir(sweep, formats=("png",), dpi=50)
    assert all(p.parent == sweep / "figures" for p in written)
    assert_png(written[0])


def test_confidence_interval_is_a_t_interval():
    df = pd.DataFrame({"x": [1, 1, 1], "m": [1.0, 2.0, 3.0]})
    st = summarise_replicates(df, "m", ["x"]).iloc[0]
    half = 4.302652729911275 * 1.0 / np.sqrt(3)
    assert st["mean"] == pytest.approx(2.0)
    assert st["hi"] - st["mean"] == pytest.approx(half)


def test_compare_folder(tmp_path):
    rows = []
    for metric in ("wrongful_sanctions", "sanction_recall"):
        for i, scen in enumerate(("baseline", "unified-ids")):
            rows.append({"metric": metric, "label": metric, "unit": "events", "scenario": scen, "n": 5,
                         "mean": 10.0 - i, "sd": 1.0, "ci_low": 9.0 - i, "ci_high": 11.0 - i,
                         "diff": np.nan if i == 0 else -1.0})
    out = tmp_path / "cmp"
    out.mkdir()
    pd.DataFrame(rows).to_csv(out / "compare.csv", index=False)
    pd.DataFrame({"run_id": [0], "status": ["ok"]}).to_parquet(out / "runs.parquet")
    assert folder_kind(out) == "compare"
    figs = folder_figures(out)
    assert list(figs) == ["compare"]
    assert_labelled(figs["compare"])
    table = compare_table(pd.DataFrame(rows))
    assert set(table["label"]) == {"baseline", "unified-ids"}


def test_wide_compare_table_is_summarised():
    df = pd.DataFrame({"scenario": ["a", "a", "b", "b"], "wrongful_sanctions": [1.0, 3.0, 5.0, 7.0]})
    t = compare_table(df)
    assert t.set_index("label").loc["b", "mean"] == pytest.approx(6.0)


@pytest.mark.parametrize("kind", ["sobol", "morris"])
def test_sensitivity_bars(tmp_path, kind):
    if kind == "sobol":
        cols = {"S1": [0.1, 0.5], "S1_conf": [0.02, 0.05], "ST": [0.2, 0.7], "ST_conf": [0.03, 0.04]}
    else:
        cols = {"mu": [1.0, -2.0], "mu_star": [1.0, 2.0], "sigma": [0.5, 0.4], "mu_star_conf": [0.1, 0.2]}
    df = pd.DataFrame({"metric": ["wrongful_sanctions"] * 2, "parameter": ["registry.sharing",
                       "registry.id_error_rate"], "method": kind, **cols})
    figs = sensitivity_figures(df)
    assert list(figs) == ["sensitivity_wrongful_sanctions"]
    assert_labelled(figs["sensitivity_wrongful_sanctions"])
    out = synthetic_sweep(tmp_path)
    df.to_parquet(out / "sensitivity.parquet")
    assert "sensitivity_wrongful_sanctions" in folder_figures(out)


def test_not_a_results_folder(tmp_path):
    with pytest.raises(ScenarioError, match="not a results folder"):
        folder_figures(tmp_path)
    with pytest.raises(ScenarioError, match="no such folder"):
        folder_figures(tmp_path / "missing")
