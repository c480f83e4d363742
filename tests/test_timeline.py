"""Policy timelines: dated reforms, their validation, common random numbers and their effects."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import JointSanctionsModel, build_scenario, run
from simulation.codes import NEVER, Cause
from simulation.errors import ScenarioError
from simulation.timeline import Timeline

from .conftest import SMALL
from .golden import frame_hash

DAY = 60
BASE = {**SMALL, "days": 100, "seed": 11,
        "courts": {"judgment_rate_per_year": 0.08, "firm_judgment_rate_per_year": 0.05}}


def scenario(timeline=None, **sections):
    """The small world, optionally with a timeline and nested section overrides."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    data.update(sections)
    if timeline is not None:
        data["timeline"] = timeline
    return build_scenario(data)


def before(frame: pd.DataFrame, day: int) -> pd.DataFrame:
    """Rows before ``day``, agency labels as text (categories differ when nodes are added)."""
    out = frame[frame["day"] < day].reset_index(drop=True)
    return out.astype({"agency": str}) if "agency" in out.columns else out


def assert_identical_before(a, b, day: int) -> None:
    """Events and time series of two runs agree row for row before ``day``."""
    pd.testing.assert_frame_equal(before(a.events, day), before(b.events, day))
    common = [c for c in a.timeseries.columns if c in b.timeseries.columns]
    pd.testing.assert_frame_equal(before(a.timeseries[common], day),
                                  before(b.timeseries[common], day))
    for frame in (a.timeseries, b.timeseries):
        extra = [c for c in frame.columns if c not in common]
        assert not frame.loc[frame["day"] < day, extra].to_numpy().any()


REFORM = [{"name": "reform", "day": DAY, "label": "sharing and ID matching",
           "set": {"registry.sharing": 1.0, "registry.matching": "id",
                   "jurisdictions.j1.courts.grace_period_days": 20}}]


def test_reform_leaves_days_before_identical_and_changes_after():
    plain = run(scenario(registry={"matching": "name"}))
    reformed = run(scenario(REFORM, registry={"matching": "name"}))
    assert_identical_before(plain, reformed, DAY)
    after = reformed.events[reformed.events["day"] >= DAY]
    plain_after = plain.events[plain.events["day"] >= DAY]
    # Name-only matching collides; after the reform every agency matches by ID: no collisions.
    collision = Cause.name_collision.name
    assert (plain_after["cause"] == collision).sum() > 0
    assert (after["cause"] == collision).sum() == 0


REFORMS = {
    "sharing": {"set": {"registry.sharing": 1.0}},
    "matching": {"set": {"registry.matching": "name"}},
    "local rule": {"set": {"jurisdictions.j2.registry.sharing": 0.1,
                           "jurisdictions.j1.courts.grace_period_days": 5}},
    "ramp": {"ramp_days": 15, "set": {"registry.sharing": 0.0, "courts.listing_term_days": 300}},
    "disable": {"disable": ["rail"]},
    "remove link": {"remove_links": [{"source": "court:j1", "to": "bank"},
                                     {"source": "court:j1", "to": "platform"}]},
    "join": {"enable": ["airline"]},
    "local expiry": {"set": {"registry.local_expiry": True, "courts.listing_term_days": 30}},
}


def window_hashes(result, day: int, columns: list[str]) -> tuple[str, str]:
    """Content hashes of the events and of these time series columns before ``day`` (agencies
    as categories of the names that occur: a joining agency adds a node name to the run)."""
    events = before(result.events, day)
    events["agency"] = pd.Categorical(events["agency"])
    return frame_hash(events), frame_hash(before(result.timeseries[columns], day))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.integers(1, 99), kind=st.sampled_from(sorted(REFORMS)),
       topology=st.sampled_from(["bilateral", "hub"]))
def test_a_reform_on_day_d_leaves_every_day_before_d_byte_identical(day, kind, topology):
    """Common random numbers: the outputs of days 0..D-1 hash the same with and without it.

    Series that only one run has (an agency that joins, or that stops before it met a case)
    must be all zero before D. (What each kind of reform changes after D is tested below, on
    worlds where the change is certain.)
    """
    sections = {"registry": {"topology": topology, "matching": "id_else_name"}}
    if kind == "join":
        sections["agencies"] = {"airline": {"enabled": False}}
    plain = run(scenario(**sections), days=100)
    reformed = run(scenario([{"day": day, **REFORMS[kind]}], **sections), days=100)
    common = sorted(set(plain.timeseries.columns) & set(reformed.timeseries.columns))
    assert window_hashes(plain, day, common) == window_hashes(reformed, day, common)
    for result in (plain, reformed):
        ts = result.timeseries
        extra = [c for c in ts.columns if c not in common]
        assert not ts.loc[ts["day"] < day, extra].to_numpy().any()


def test_agency_joining_mid_run_leaves_days_before_identical():
    off = {"airline": {"enabled": False}}
    plain = run(scenario(agencies=off))
    joined = run(scenario([{"day": DAY, "enable": ["airline"]}], agencies=off), keep_model=True)
    assert_identical_before(plain, joined, DAY)
    airline = joined.events[joined.events["agency"] == "airline"]
    assert len(airline) > 0 and airline["day"].min() >= DAY
    # It received the list its court sources held on the day it joined (no waiting for new ones).
    model = joined.model
    node = model.node_names.index("airline")
    held = model.registry.arrive[node, : model.registry.records.n]
    listed_before = model.registry.records.listed_day[: model.registry.records.n] < DAY
    assert (held[listed_before] < NEVER).any()
    assert (held >= DAY).all()
    # Its copy view saw that backlog: it denied people listed before it joined.
    rec = model.registry.records
    sanctions = airline[airline["event"] == "sanction"]
    assert (rec.listed_day[sanctions["record"].to_numpy()] < DAY).any()


def test_disabled_agency_stops_and_removed_link_carries_nothing():
    timeline = [{"day": DAY, "disable": ["rail"]},
                {"day": DAY, "remove_links": [{"source": "court:j1", "to": "bank"}]}]
    result = run(scenario(timeline), keep_model=True)
    ev = result.events
    assert (ev[(ev["agency"] == "rail") & (ev["day"] < DAY)]["event"] == "sanction").any()
    assert not (ev[(ev["agency"] == "rail") & (ev["day"] >= DAY)]["event"] == "sanction").any()
    m = result.model
    bank, court = m.node_names.index("bank"), m.node_names.index("court:j1")
    rec = m.registry.records
    from_court = (rec.source[: rec.n] == court) & (rec.listed_day[: rec.n] >= DAY)
    assert from_court.any()
    assert (m.registry.arrive[bank, : rec.n][from_court] == NEVER).all()


def test_ramp_moves_linearly_and_is_applied_daily():
    s = scenario([{"day": 10, "ramp_days": 20, "ramp_from": {"registry.sharing": 0.2},
                   "set": {"registry.sharing": 0.6, "courts.listing_term_days": 400}}])
    model = JointSanctionsModel(s)
    seen = {}
    for _ in range(35):
        model.step()
        seen[model.day] = (model.config.registry.sharing, model.courts[0].courts.listing_term_days,
                           model.registry.out_links[0][0].sharing)
    assert seen[9] == (0.8, 730, 0.8)
    assert seen[10][0] == pytest.approx(0.2)
    assert seen[20][0] == pytest.approx(0.4)
    assert seen[20][1] == 730 + (400 - 730) // 2 + (1 if (400 - 730) % 2 else 0)
    assert seen[30][:2] == (pytest.approx(0.6), 400) and seen[34][:2] == (pytest.approx(0.6), 400)
    assert seen[20][2] == pytest.approx(0.4)  # links re-resolved from the new global value


def test_dates_count_from_start_date_and_show_in_the_story():
    s = scenario([{"date": "2014-07-01", "label": "airline checks by ID",
                   "set": {"agencies.airline.matching": "id"}}],
                 start_date="2014-05-02")
    assert Timeline(s).change_days() == [60]
    model = JointSanctionsModel(s)
    model.run_for(61)
    assert model.reform_log[0]["text"] == (
        "on day 60 (2014-07-01) airline checks by ID: the airline began matching by national ID")
    assert model.agency_agents[0].rule == "id"


@pytest.mark.parametrize(("entry", "message"), [
    ({"day": 100, "set": {"registry.sharing": 0.5}}, "day 100 is past the end"),
    ({"date": "2020-01-01", "set": {"registry.sharing": 0.5}}, "no start_date"),
    ({"day": 5, "set": {"registry.sharng": 0.5}}, "sharng"),
    ({"day": 5, "set": {"registry.sharing": 1.5}}, "less than or equal to 1"),
    ({"day": 5, "set": {"agencies.airlne.matching": "id"}}, "did you mean 'airline'"),
    ({"day": 5, "enable": ["railway"]}, "did you mean 'rail'"),
    ({"day": 5, "set": {"population.individuals": 10}}, "cannot change during a run"),
    ({"day": 5, "set": {"registry.topology": "hub"}}, "cannot change during a run"),
    ({"day": 5, "ramp_days": 10, "set": {"registry.matching": "id"}}, "only numbers can ramp"),
    ({"day": 5}, "changes nothing"),
    ({"day": 5, "enable": ["rail"], "disable": ["rail"]}, "contradictory"),
])
def test_bad_entries_are_clear_errors_naming_the_entry(entry, message):
    with pytest.raises(ScenarioError, match=message) as info:
        scenario([{"day": 1, "set": {"behaviour.on_time_compliance": 0.4}}, entry])
    assert "timeline.1" in str(info.value)


def test_contradictory_steps_name_both_entries():
    with pytest.raises(ScenarioError, match=r"timeline\.1.*timeline\.0.*contradictory"):
        scenario([{"day": 10, "ramp_days": 20, "set": {"registry.sharing": 0.2}},
                  {"day": 25, "set": {"registry.sharing": 0.9}}])
    with pytest.raises(ScenarioError, match="contradictory"):
        scenario([{"day": 10, "set": {"registry.sharing": 0.2}},
                  {"day": 10, "set": {"registry": {"sharing": 0.3}}}])
    # The same parameter on different days is a sequence, not a contradiction.
    scenario([{"day": 10, "set": {"registry.sharing": 0.2}},
              {"day": 11, "set": {"registry.sharing": 0.3}}])


def test_reform_now_applies_from_the_next_day():
    model = JointSanctionsModel(scenario(registry={"matching": "name"}))
    model.run_for(30)
    model.apply_reform({"label": "ID now", "set": {"registry.matching": "id"}})
    assert model.agency_agents[0].rule == "name"
    model.step()
    assert model.agency_agents[0].rule == "id"
    assert model.reform_log[-1]["day"] == 30 and "ID now" in model.reform_log[-1]["text"]
    with pytest.raises(ScenarioError, match="sharng"):
        model.apply_reform({"set": {"registry.sharng": 1.0}})


def test_timeline_is_written_back_and_sweepable(tmp_path):
    from simulation.scenario import to_toml

    s = scenario([*REFORM, {"date": "2014-01-11", "ramp_days": 5, "set": {"registry.delay_days": 2}},
                  {"day": 3, "links": [{"source": "court:j1", "to": "bank", "sharing": 0.5}]}],
                 start_date="2014-01-01")
    path = tmp_path / "resolved.toml"
    path.write_text(to_toml(s))
    from simulation import load_scenario

    again = load_scenario(path)
    assert again.timeline == s.timeline and again.start_date == s.start_date
    swept = build_scenario(s.model_dump(mode="json"),
                           {"timeline.reform.day": 70.4, "timeline.1.set.registry.delay_days": 3})
    assert swept.timeline[0].day == 70
    assert swept.timeline[1].set == {"registry.delay_days": 3}
    with pytest.raises(ScenarioError, match="override timeline.reform.day=500"):
        build_scenario(s.model_dump(mode="json"), {"timeline.reform.day": 500})


def test_reforms_show_in_report_figures_and_trace(tmp_path):
    from simulation.viz.figures import load_run, run_figures
    from simulation.viz.report import render_report
    from simulation.viz.trace import rebuild, story

    result = run(scenario(REFORM, registry={"matching": "name"}))
    folder = result.write(tmp_path / "run")
    data = load_run(folder)
    assert data.reforms() == [(DAY,
        "on day 60 sharing and ID matching: registry.sharing became 1.0; every agency began "
        "matching by national ID; courts.grace_period_days in j1 became 20")]
    figures = run_figures(data)
    for stem in ("sanctions_over_time", "compliance", "legitimacy"):
        lines = [ln for ax in figures[stem].axes for ln in ax.get_lines()
                 if list(ln.get_xdata()) == [DAY, DAY]]
        assert lines, stem
    assert "Timeline: the reforms of this run" in render_report(data)
    case = rebuild(folder)
    ev = case.events
    people = ev[ev["subject_kind"] == "individual"].groupby("subject")["day"].agg(["min", "max"])
    person = int(people[(people["min"] < DAY) & (people["max"] >= DAY)].index[0])
    text = "\n".join(story(case, 0, person))
    assert "Policy change: On day 60 sharing and ID matching" in text


def test_a_shortened_run_drops_later_entries_but_a_file_may_not_schedule_past_its_end():
    s = scenario([*REFORM, {"day": 95, "ramp_days": 30, "set": {"registry.sharing": 0.1}}])
    short = run(s, days=50)
    assert short.scenario.timeline == []
    again = build_scenario(s.model_dump(mode="json"), {"days": 96})
    assert [e.day for e in again.timeline] == [DAY, 95]  # the ramp runs past the end: allowed


def test_cli_validate_names_the_bad_entry_and_exits_2(tmp_path):
    from .test_cli import cli

    bad = tmp_path / "bad.toml"
    bad.write_text('days = 100\n[[timeline]]\nname = "reform"\nday = 400\n'
                   'set = { "registry.sharing" = 0.9 }\n')
    p = cli("validate", str(bad))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "timeline.0" in p.stderr and "day 400 is past the end" in p.stderr
