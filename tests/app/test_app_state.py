"""The classroom app's state and charts, without a browser (fast)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from simulation import JointSanctionsModel, load_scenario
from simulation.cli import SCENARIO_DIR
from simulation.viz import app_charts as charts
from simulation.viz.app_live_chart import chunk
from simulation.viz.app_state import (
    TWINS,
    Session,
    Settings,
    case_story,
    divergence,
    headline,
    link_staleness,
    pseudonym,
    scenario_names,
    wrongful_people,
)

SMALL = Settings().with_knob("population.individuals", 5000)


@pytest.fixture(scope="module")
def year() -> Session:
    # classroom (10,000 people, wrongful sanctions within the year) with no deletion ever
    # shared: every stale record that leaves a copy can only have been removed by a remedy
    s = Session(Settings().with_knob("registry.deletion_sharing", 0.0))
    s.step(365)
    return s


def test_serve_signature():
    from simulation.viz.app import serve

    sig = inspect.signature(serve)
    assert list(sig.parameters) == ["port", "host", "scenario", "open_browser", "max_sessions"]
    assert sig.parameters["port"].default == 8765
    assert sig.parameters["host"].default == "127.0.0.1"
    assert sig.parameters["scenario"].default is None
    assert sig.parameters["open_browser"].default is False
    assert serve.__doc__


def test_scenarios_listed_classroom_first():
    names = scenario_names()
    assert names[0] == "classroom" and "baseline" in names


def test_sessions_are_independent():
    a, b = Session(SMALL), Session(SMALL)
    a.step(30)
    assert (a.a.day, b.a.day) == (30, 0)
    assert a.a.model is not b.a.model


def test_knob_replays_to_same_day_with_same_people():
    s = Session(SMALL)
    s.step(60)
    names = s.a.model.people.name.copy()
    s.set_knob("registry.deletion_sharing", 0.2)
    assert s.a.day == 60
    assert s.a.scenario.registry.deletion_sharing == 0.2
    assert np.array_equal(names, s.a.model.people.name)
    s.set_knob("population.individuals", 2000)
    assert s.a.model.people.n == 2000 and s.a.day == 60
    s.reset()
    assert s.a.day == 0 and s.knobs["population.individuals"] == 2000


def test_step_stops_at_end(year):
    assert year.a.done and year.a.day == 365
    assert year.step(7) is True and year.a.day == 365


def test_headline_counts(year):
    h = headline(year.a)
    assert h.day == 365 and h.sanctions >= h.wrongful > 0
    assert h.wrongful == sum(h.by_cause.values())
    assert 0 < h.legitimacy <= 1


def test_case_file_tells_the_story(year):
    victims = wrongful_people(year.a.model)
    assert victims
    story = case_story(year.a.model, victims[0]["person"])
    kinds = {e.kind for e in story}
    assert {"record", "sanction"} <= kinds
    assert any(e.title.startswith("Sanctioned by") for e in story)
    days = [e.day for e in story[1:] if e.day is not None]
    assert days == sorted(days)


def test_twin_worlds_share_random_draws():
    s = Session(SMALL)
    s.step(200)
    s.set_twin("appeals")
    assert s.b is not None and s.b.day == 200
    assert s.b.scenario.appeals.enabled is not s.a.scenario.appeals.enabled
    # Same people, same judgments: appeals act only after sanctions.
    fa, fb = s.a.model.counters.frame(), s.b.model.counters.frame()
    assert np.array_equal(fa["judgments.individuals"], fb["judgments.individuals"])
    s.step(30)
    assert s.b.day == s.a.day == 230
    d = divergence(s.a, s.b)
    assert d["wrongful_b"] >= d["wrongful_a"]  # no appeals: nobody is remedied
    assert set(TWINS) >= {"unified_ids", "appeals", "name_matching", "full_sharing", "hub"}


def test_live_chart_series_and_specs(year):
    w = year.a
    m = w.model
    counters = m.counters.values
    t = w.day
    series, title = charts.sanctions_series(counters, t)
    h = headline(w)
    assert int(series["correct"][-1] + sum(series[c][-1] for c in series if c != "correct")) \
        == h.sanctions
    assert f"{h.wrongful:,} of {h.sanctions:,} wrongful" in title
    drift = np.stack(w.drift)
    specs = [charts.sanctions_spec(m.days), charts.misses_spec(m.days),
             charts.compliance_spec(m.days), charts.legitimacy_spec(m.days, 0.8),
             charts.appeals_spec(m.days, True), charts.copies_spec(m.days, w.agencies),
             charts.copies_today_spec(w.agencies), charts.twin_spec(m.days, "B", "y (u)", "T")]
    for spec in specs:
        spec.check_colours()  # no two series of a chart share a colour
        assert spec.y_name or spec.kind == "bars"
        assert "(" in spec.x_name  # every axis names its unit
    assert all(len(v) == t for v in charts.copies_series(drift, w.agencies).values())
    png = charts.registry_map(m, link_staleness(m), w.drift[-1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_chunk_sends_only_the_new_days():
    series = {"x": np.arange(10.0), "y": np.arange(10.0) * 2}
    c = chunk("A1", 7, series, "t")
    assert c["start"] == 7 and c["n"] == 3 and c["rows"]["y"] == [14.0, 16.0, 18.0]
    assert c["totals"] == {"x": 9.0, "y": 18.0}
    assert chunk("A1", 10, series)["rows"] == {"x": [], "y": []}


def test_pseudonyms_are_stable_and_distinct():
    model = JointSanctionsModel(load_scenario(SCENARIO_DIR / "classroom.toml"))
    assert pseudonym(model, 0) == pseudonym(model, 0)
    n = model.config.population.distinct_names
    assert len({pseudonym(model, i) for i in range(n)}) == n


def test_one_narrator_tells_remedy_exemption_and_deletion_apart(year):
    """With deletion sharing 0 no deletion ever arrives: a copy emptied by an appeal is a
    remedy, an exemption leaves the record in place, and neither is told as a deletion."""
    from simulation.registry import PERSON
    from simulation.viz.narrate import copy_fate, remedies, remedy_text

    m = year.a.model
    a = m.appeals
    kinds = set()
    for i in np.flatnonzero((a.status[: a.n] == 1) & a.upheld[: a.n]):
        subject, row = int(a.subject[i]), int(a.record[i])
        found = remedies(m, subject, int(a.subject_kind[i]), row)
        assert found
        for r in found:
            kinds.add(r.kind)
            fate = copy_fate(m, row, r.agency, found)
            text = remedy_text(r, row, "agency")
            assert fate.kind != "arrived"  # never "the deletion reached"
            if r.kind == "exempted":
                assert "exempted" in text and "removed" not in text and fate.kind != "remedy"
            else:
                assert fate.kind == "remedy" and "remedy" in text or "deleted" in text
        if int(a.subject_kind[i]) == PERSON:
            story = " ".join(e.text + " " + e.title for e in case_story(m, subject))
            assert "Deletion reached" not in story and "reached every copy" not in story
    # an exemption and a copy-emptying remedy (stale record removed, or wrong listing deleted)
    assert "exempted" in kinds and kinds & {"removed", "deleted"}, kinds


def test_app_compliance_is_the_command_lines(year):
    """Same numbers, same names: the app's compliance rates are run's summary's."""
    from simulation.metrics import summarise, tables_of
    from simulation.viz.app_state import compliance_rates

    summary = summarise(tables_of(year.a.model))
    rate, on_time = compliance_rates(year.a)
    assert rate == pytest.approx(summary["compliance_rate"], abs=1e-12)
    assert on_time == pytest.approx(summary["on_time_compliance_rate"], abs=1e-12)
    _series, title = charts.compliance_series(year.a.model.counters.values, year.a.day, year.a)
    assert f"compliance rate {summary['compliance_rate']:.3f}" in title


def test_a_link_opens_exactly_that_world_and_refuses_the_rest():
    from simulation.viz.app_state import parse_world_link, world_link

    s = SMALL.with_knob("seed", 7).with_knob("registry.matching", "name") \
        .with_knob("appeals.enabled", False).with_knob("registry.sharing", 0.35)
    link = world_link(s, "hub", 123)
    assert parse_world_link(link[1:]) == (s, "hub", 123, [])
    settings, twin, day, refused = parse_world_link(
        "scenario=../../etc/passwd&set=registry.sharing=9&set=seed=2.5&set=os.system=1"
        "&set=registry.matching=drop&day=-4&twin=evil")
    assert settings.scenario == "classroom" and settings.overrides == (("registry.sharing", 1.0),)
    assert twin is None and day == 0
    assert refused == ["scenario", "seed", "os.system", "registry.matching", "twin"]


def test_every_cause_has_the_apps_words():
    """The case file and the twin view explain every cause a sanction or miss can have."""
    from simulation.codes import MISS_CAUSES, WRONGFUL_CAUSES
    from simulation.viz.app_state import CAUSE_TEXT

    assert {c.name for c in (*WRONGFUL_CAUSES, *MISS_CAUSES)} <= set(CAUSE_TEXT)
