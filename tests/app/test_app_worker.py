"""The per-session worker: requests return at once, superseded replays are dropped, values from
the browser are checked, and a closed session lets go of its worlds."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest

from simulation.viz.app_state import RefusedValue, Settings, accept_knob, accept_scenario
from simulation.viz.app_worker import Runner

SMALL = Settings().with_knob("population.individuals", 2000)


class Counter:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.n += 1


@pytest.fixture
def runner():
    r = Runner(SMALL, Counter(), debounce=0.2)
    assert r.idle(60)
    yield r
    r.close()


def test_requests_return_at_once_and_the_worker_catches_up(runner):
    t0 = time.monotonic()
    runner.step(60)
    assert time.monotonic() - t0 < 0.05  # the page never waits for the model
    assert runner.idle(60)
    assert runner.day == 60 and runner.session.a.day == 60


def test_sixteen_knob_presses_cost_one_replay(runner, monkeypatch):
    import simulation.viz.app_worker as worker

    runner.step(40)
    assert runner.idle(60)
    builds = []
    real = worker.build_world
    monkeypatch.setattr(worker, "build_world", lambda *a, **k: builds.append(a[2]) or real(*a, **k))
    for i in range(16):  # like holding an arrow key on the slider
        runner.set_knob("registry.deletion_sharing", 0.6 - 0.05 * (i + 1) if i < 12 else 0.0)
        time.sleep(0.02)
    assert runner.idle(60)
    assert builds == [40]  # one world A replayed once, to the day it had reached
    assert runner.session.a.scenario.registry.deletion_sharing == 0.0
    assert runner.day == 40


def test_a_newer_knob_cancels_a_running_replay(runner):
    runner.step(300)
    assert runner.idle(120)
    runner.set_knob("registry.sharing", 0.3)
    time.sleep(runner.debounce + 0.15)  # the replay of 300 days has started
    assert runner.busy
    runner.set_knob("registry.sharing", 0.9)
    assert runner.idle(120)
    assert runner.session.a.scenario.registry.sharing == 0.9 and runner.day == 300


def test_refused_values_change_nothing(runner):
    before = runner.session.a
    runner.set_scenario("../../etc/passwd")
    runner.set_scenario("/etc/passwd.toml")
    runner.set_knob("registry.matching", "drop table")
    runner.set_knob("registry.sharing", "0.5")
    runner.set_twin("not-a-twin")
    assert runner.idle(30)
    assert runner.session.a is before and "Ignored" in runner.note
    with pytest.raises(RefusedValue):
        accept_scenario("../scenarios/classroom")
    assert accept_knob("registry.sharing", 7.0) == 1.0  # clamped to the slider's range
    assert accept_knob("registry.id_error_rate", -3) == 0.0
    assert accept_knob("population.individuals", 5000.0) == 5000
    with pytest.raises(RefusedValue):
        accept_knob("population.individuals", 5001)
    with pytest.raises(RefusedValue):
        accept_knob("appeals.enabled", 1)


def test_twin_world_is_built_off_the_page(runner):
    runner.step(50)
    runner.set_twin("appeals")
    assert runner.idle(60)
    s = runner.session
    assert s.b is not None and s.b.day == s.a.day == 50
    assert s.b.scenario.appeals.enabled is not s.a.scenario.appeals.enabled
    runner.set_twin(None)
    assert runner.idle(30) and runner.session.b is None


def test_play_runs_to_the_end_and_stops():
    r = Runner(Settings().with_knob("population.individuals", 1000), debounce=0.0)
    try:
        r.play(True)
        assert r.idle(120)
        assert r.session.a.done and not r.playing
    finally:
        r.close()


def test_closing_frees_the_worlds():
    r = Runner(SMALL, debounce=0.0)
    assert r.idle(60)
    model = weakref.ref(r.session.a.model)
    r.close()
    gc.collect()
    assert not r.alive and r.session is None
    assert model() is None
