from __future__ import annotations

import importlib.util
import json
import re

import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.viz.figures import load_run
from simulation.viz.report import write_report
from simulation.viz.trace import display_name, rebuild, story, trace_text, wrongful_spans

runner = CliRunner()


@pytest.fixture(scope="module")
def case(run_dir):
    return rebuild(run_dir)


def test_report_is_self_contained_and_has_the_headline(run_dir, tmp_path):
    path = write_report(run_dir, tmp_path / "r.html", cases=2, dpi=50)
    text = path.read_text()
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in ("sanctions", "wrongful_sanctions", "wrongful_people", "missed_sanctions"):
        assert f">{summary[key]:,.0f}<" in text
    assert f"{summary['sanction_precision']:.3f}" in text
    assert not re.search(r"https?://", text)
    assert "<script" not in text and "<link" not in text
    assert text.count("data:image/png;base64,") == 9
    assert "<details>" in text and "git_commit" in text
    assert "longest wrongful sanctions" in text
    # printed, every line of a case story wraps inside the page instead of being cut off
    css = text[text.index("<style>"):text.index("</style>")]
    assert ".case pre" in css and "pre-wrap" in css.split("@media print")[1]


def test_list_and_copies_gives_every_copy_its_own_colour_and_a_legend_below(run_dir):
    from simulation.viz.figures import list_and_copies_figure

    run = load_run(run_dir)
    fig = list_and_copies_figure(run.timeseries)
    left, right = fig.axes[:2]
    styles = [(line.get_color(), line.get_linestyle()) for line in right.get_lines()]
    assert len(styles) >= 2 and len(set(styles)) == len(styles)  # no two copies alike
    assert left.get_legend() is None and len(fig.legends) == 1  # one legend, outside the panels
    assert len(fig.legends[0].get_texts()) == len(left.get_lines())


def test_report_cli_default_path(run_dir):
    r = runner.invoke(app, ["report", str(run_dir), "--cases", "0"])
    assert r.exit_code == 0, r.output
    assert (run_dir / "report.html").exists()


def test_rebuild_reproduces_the_run(case):
    assert case.reproduced


def test_trace_of_a_wrongly_sanctioned_person_names_the_cause(case):
    spans = wrongful_spans(case)
    top = spans.iloc[0]
    text = "\n".join(story(case, 0 if top["subject_kind"] == "individual" else 1, int(top["subject"])))
    assert "WRONGFUL" in text
    cause = top["causes"].split(", ")[0].replace("_", " ")
    assert cause in text
    assert "In all: wrongly sanctioned" in text


def test_name_collision_story_names_the_other_person(case):
    ev = case.events
    hit = ev[(ev["event"] == "sanction") & (ev["cause"] == "name_collision")]
    if hit.empty:
        pytest.skip("no name collision in this run")
    person = int(hit.iloc[0]["subject"])
    text = trace_text(None, person=person, case=case)
    assert "matched by name to record #" in text and "another person" in text


def test_trace_cli(run_dir):
    r = runner.invoke(app, ["trace", str(run_dir), "--worst", "2"])
    assert r.exit_code == 0, r.output
    assert r.output.count("days wrongly exposed") == 2
    r = runner.invoke(app, ["trace", str(run_dir), "--person", "0"])
    assert r.exit_code == 0 and r.output.startswith("Person 0:")


@pytest.mark.parametrize("args", [["--person", "999999"], ["--person", "-1"], ["--firm", "999999"], []])
def test_trace_unknown_subject_exits_2(run_dir, args):
    r = runner.invoke(app, ["trace", str(run_dir), *args])
    assert r.exit_code == 2


@pytest.mark.parametrize("command", ["plot", "report", "trace"])
def test_bad_folder_exits_2(tmp_path, command):
    extra = ["--person", "1"] if command == "trace" else []
    r = runner.invoke(app, [command, str(tmp_path), *extra])
    assert r.exit_code == 2
    r = runner.invoke(app, [command, str(tmp_path / "nope"), *extra])
    assert r.exit_code == 2


def test_plot_cli(run_dir, tmp_path):
    r = runner.invoke(app, ["plot", str(run_dir), "--out", str(tmp_path / "f"), "--format", "png",
                            "--dpi", "40"])
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "f").glob("*.png"))) == 9
    r = runner.invoke(app, ["plot", str(run_dir), "--format", "gif"])
    assert r.exit_code == 2


def test_app_command_without_the_app_exits_2(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "simulation.viz.app" else real(name, *a))
    r = runner.invoke(app, ["app", "--port", "9999"])
    assert r.exit_code == 2


def test_app_command_passes_options(monkeypatch):
    import sys
    import types

    calls = {}
    fake = types.ModuleType("simulation.viz.app")
    fake.serve = lambda **kw: calls.update(kw)
    monkeypatch.setitem(sys.modules, "simulation.viz.app", fake)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "simulation.viz.app" else real(name, *a))
    r = runner.invoke(app, ["app", "--port", "9000", "--scenario", "classroom"])
    assert r.exit_code == 0, r.output
    assert calls == {"port": 9000, "host": "127.0.0.1", "scenario": "classroom", "max_sessions": 60}


def test_display_names_are_stable_and_distinct():
    names = [display_name(i, 40_000) for i in range(40_000)]
    assert names[0] == "Wang Wei"
    assert len(set(names)) == len(names)
