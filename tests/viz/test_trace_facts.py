"""``trace`` and the report tell a run's stories from its ``facts/``, never rerunning it, and
tell them exactly as a rerun of the live model does."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import run
from simulation.viz import trace
from tests.conftest import small


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A run written with its facts (as ``joint-sanctions run`` writes it), with firms, namesakes,
    appeals and stale copies, so every kind of story line occurs."""
    scenario = small(days=200, population={"distinct_names": 3000},
                     registry={"deletion_sharing": 0.5})
    result = run(scenario, facts=True)
    assert result.summary["wrongful_sanctions"] > 0 and result.summary["appeals_upheld"] > 0
    return result.write(tmp_path_factory.mktemp("facts") / "run")


def test_facts_stories_are_the_rerun_stories(folder, monkeypatch):
    rerun = trace.rebuild(folder, rerun=True)
    ev = rerun.events
    people = ev[ev["subject_kind"].astype(str) == "individual"]
    firms = ev[ev["subject_kind"].astype(str) == "firm"]
    rng = np.random.default_rng(0)
    chosen = {"person": set(people[people["wrongful"]]["subject"].head(15)) |
              set(rng.choice(people["subject"].unique(), 15, replace=False)),
              "firm": set(rng.choice(firms["subject"].unique(), 10, replace=False))}
    expected = {(k, int(s)): trace.trace_text(folder, case=rerun, **{k: int(s)})
                for k, subjects in chosen.items() for s in subjects}
    worst = trace.trace_text(folder, worst=5, case=rerun)

    def no_simulation(*args, **kwargs):
        raise AssertionError("the story must not rerun the simulation")

    monkeypatch.setattr("simulation.runner.run", no_simulation)
    facts = trace.rebuild(folder)
    assert type(facts.model).__name__ == "RunFacts"
    for (kind, subject), text in expected.items():
        assert trace.trace_text(folder, case=facts, **{kind: subject}) == text, (kind, subject)
    assert trace.trace_text(folder, worst=5, case=facts) == worst
    assert trace.wrongful_spans(facts).equals(trace.wrongful_spans(rerun))


def test_a_subject_the_facts_do_not_hold_is_told_by_a_rerun(folder):
    facts = trace.rebuild(folder)
    held = facts.model.people.known
    nobody = next(p for p in range(facts.model.people.n) if p not in held)
    text = trace.trace_text(folder, person=nobody)
    assert f"Person {nobody}:" in text and "Nothing happened to them" in text


def test_a_damaged_facts_table_is_refused_by_name(folder, tmp_path):
    import shutil

    from simulation.errors import ScenarioError

    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    (copy / "facts" / "copies.parquet").write_bytes(b"not parquet")
    with pytest.raises(ScenarioError, match="copies"):
        trace.rebuild(copy)
