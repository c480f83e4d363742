"""Each browser session's worlds run on a worker thread of their own, never on the page's loop.

The page only *asks* (:class:`Runner`'s methods return at once): a knob moved, step a week,
play, choose a twin. The worker does the work and tells the page when there is something new to
show (``on_frame``). What it guarantees:

- **the page never waits**: stepping and replaying happen on the worker; the page keeps
  showing the old world (with a busy sign) until the new one is ready, then swaps;
- **superseded work is dropped**: a knob change while a replay is running cancels that replay
  (it checks before every simulated day), and knob changes are debounced, so sixteen arrow-key
  presses cost one replay, not sixteen;
- **nothing the browser sends is trusted**: values go through
  :func:`~simulation.viz.app_state.accept_knob` and friends; a refused value is dropped with a
  short note, and any failure is logged on the server and shown as one sentence;
- **closing frees the worlds**: :meth:`Runner.close` stops the thread and drops every model.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from simulation.viz.app_board import BOARD, code_matches
from simulation.viz.app_state import (
    RefusedValue,
    Session,
    Settings,
    World,
    accept_knob,
    accept_scenario,
    accept_twin,
    board_entry,
    build_world,
    twin_overrides,
)

log = logging.getLogger("joint_sanctions.app")


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc's malloc_trim)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused, just not returned
        pass

DEBOUNCE_SECONDS = 0.3  # knob changes closer together than this cost one replay
FRAME_SECONDS = 0.15  # while stepping or playing, a new picture at most this often


@dataclass(frozen=True)
class Wanted:
    """What the user asked for; the worker brings the worlds there."""

    settings: Settings
    twin: str | None = None
    day: int = 0  # the day world A should have reached
    playing: bool = False
    generation: int = 0  # bumped by every request that needs new worlds (knob, scenario, reset)


class SessionsFull(RuntimeError):
    """The server already runs as many sessions as it was started to allow."""


def max_sessions() -> int:
    """The most sessions at once (``$JOINT_SANCTIONS_APP_MAX_SESSIONS``, default 60)."""
    try:
        return max(1, int(os.environ.get("JOINT_SANCTIONS_APP_MAX_SESSIONS", "60")))
    except ValueError:
        return 60


class Runner:
    """One session's worlds on their own worker thread (see the module docstring).

    Args:
        settings: the scenario and knobs to start with.
        on_frame: called (on the worker thread) whenever there is something new to show.
        debounce: seconds of quiet after a knob change before the worlds are rebuilt.
    """

    live: ClassVar[set[Runner]] = set()  # every open session's runner (the cap counts these)
    _live_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, settings: Settings, on_frame: Callable[[], None] | None = None,
                 debounce: float = DEBOUNCE_SECONDS, limit: int | None = None):
        with Runner._live_lock:
            if len(Runner.live) >= (limit or max_sessions()):
                raise SessionsFull(f"this app already serves {len(Runner.live)} sessions")
            Runner.live.add(self)
        self.on_frame = on_frame or (lambda: None)
        self.debounce = debounce
        self.session: Session | None = None  # the worlds on screen (None until the first build)
        self.busy = "Building the world"  # a sentence while the worker is rebuilding, else ""
        self.note = ""  # one sentence for the user (a refused value, a failure), else ""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._wanted = Wanted(settings)
        self._last_request = 0.0
        self._built_generation = -1
        self._closed = False
        self.refusals = 0  # values refused so far
        self._note_after_build = ""
        self.student = ""  # the name this session shows on the class board ("" = not joined)
        self._thread = threading.Thread(target=self._loop, name="world-runner", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ the page's requests

    @property
    def wanted(self) -> Wanted:
        """The latest request (what the sidebar should show)."""
        return self._wanted

    def _ask(self, rebuild: bool = False, **changes: Any) -> None:
        with self._lock:
            w = replace(self._wanted, **changes)
            if rebuild:
                w = replace(w, generation=w.generation + 1, playing=False)
                self._last_request = time.monotonic()
            self._wanted = w
        self._wake.set()

    def _refuse(self, exc: RefusedValue) -> None:
        log.warning("refused a value from the browser: %s", exc)
        self.refusals += 1  # the page redraws its controls from the world's own values
        self.note = f"Ignored a value the app does not offer ({exc})."
        self.on_frame()

    def set_knob(self, key: str, value: Any) -> None:
        """Move a knob; the worlds are replayed to today once the knobs are still."""
        try:
            value = accept_knob(key, value)
        except RefusedValue as exc:
            self._refuse(exc)
            return
        self._ask(rebuild=True, settings=self._wanted.settings.with_knob(key, value))

    def set_scenario(self, name: Any) -> None:
        """Switch scenario (back to day 0, the scenario's own values)."""
        try:
            name = accept_scenario(name)
        except RefusedValue as exc:
            self._refuse(exc)
            return
        self._ask(rebuild=True, settings=Settings(name), day=0)

    def set_twin(self, twin: Any) -> None:
        """Choose world B's one change (None: no world B)."""
        try:
            twin = accept_twin(twin)
        except RefusedValue as exc:
            self._refuse(exc)
            return
        self._ask(twin=twin)

    def step(self, days: int) -> None:
        """Advance by ``days`` days (from wherever the last request left off)."""
        days = max(0, min(int(days), 10**6))
        self._ask(day=self._wanted.day + days, playing=False)

    def play(self, on: bool) -> None:
        """Start or stop playing (as fast as the machine allows, a picture per frame)."""
        if on:
            self._ask(playing=True)
        else:
            self._ask(playing=False, day=self.day)

    def reset(self) -> None:
        """Back to day 0 with the current knobs."""
        self._ask(rebuild=True, day=0)

    def open_world(self, settings: Settings, twin: str | None, day: int, note: str = "") -> None:
        """Open a world exactly (from a shared link): scenario, knobs, twin choice and day;
        ``note`` is shown once that world is on screen."""
        self._note_after_build = note
        self._ask(rebuild=True, settings=settings, twin=twin, day=max(0, int(day)))

    def join_class(self, code: Any, student: Any) -> bool:
        """Join the class board with its code; from now on this session publishes its point."""
        if not code_matches(code):
            self.note = "That is not this class's code."
            self.on_frame()
            return False
        name = student.strip()[:40] if isinstance(student, str) and student.strip() else ""
        self.student = name or f"student {len(BOARD.entries()) + 1}"
        self.note = ""
        self._publish()
        self.on_frame()
        return True

    def _publish(self) -> None:
        """Put this session's point on the class board (only plain numbers leave the session)."""
        s = self.session
        if not self.student or s is None:
            return
        with s.lock:
            entry = board_entry(self.student, s)
        BOARD.publish(str(id(self)), entry)

    def close(self) -> None:
        """Stop the worker and drop the worlds (the session's memory is freed)."""
        BOARD.leave(str(id(self)))
        self._closed = True
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=30)
        self.session = None
        with Runner._live_lock:
            Runner.live.discard(self)
        release_memory()

    # ------------------------------------------------------------------ what the page reads

    @property
    def day(self) -> int:
        """The day world A has reached (0 before the first build)."""
        s = self.session
        return s.a.day if s is not None else 0

    @property
    def playing(self) -> bool:
        """Whether Play is on."""
        return self._wanted.playing

    @property
    def alive(self) -> bool:
        """Whether the worker thread is running."""
        return self._thread.is_alive()

    def idle(self, timeout: float = 60.0) -> bool:
        """Wait until the worlds are what was asked for (for tests and the benchmark)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self._satisfied(self._wanted):
                return True
            time.sleep(0.01)
        return False

    # ------------------------------------------------------------------ the worker

    def _satisfied(self, w: Wanted) -> bool:
        s = self.session
        if s is None or self.busy or self._built_generation != w.generation:
            return False
        with s.lock:  # not halfway through a day of world A and B
            return s.twin == w.twin and not w.playing and (s.a.done or s.a.day >= w.day)

    def _superseded(self, generation: int) -> Callable[[], bool]:
        return lambda: self._closed or self._wanted.generation != generation

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            try:
                while not self._closed and not self._satisfied(self._wanted):
                    self._work_once()
            except Exception:  # logged here, one sentence on the page, the session lives on
                log.exception("a world failed on the server")
                self.busy = ""
                self.note = "Something went wrong with this world; it was logged on the server."
                with self._lock:
                    self._wanted = replace(self._wanted, playing=False, day=self.day)
                    if self.session is not None:
                        self._built_generation = self._wanted.generation
                self.on_frame()
        self.session = None

    def _work_once(self) -> None:
        w = self._wanted
        if self.session is None or self._built_generation != w.generation:
            self._rebuild(w)
        elif self.session.twin != w.twin:
            self._rebuild_twin(w)
        else:
            self._advance(w)

    def _wait_for_quiet(self, generation: int) -> bool:
        """Debounce: wait until no new knob request came for ``debounce`` seconds."""
        while not self._closed and self._wanted.generation == generation:
            quiet = time.monotonic() - self._last_request
            if quiet >= self.debounce:
                return True
            time.sleep(self.debounce - quiet)
        return False

    def _rebuild(self, w: Wanted) -> None:
        if self.session is not None and not self._wait_for_quiet(w.generation):
            return
        self.busy = "Rebuilding the world" if self.session is not None else "Building the world"
        self.on_frame()
        cancelled = self._superseded(w.generation)
        day = w.day
        a = build_world(w.settings, {}, day, "A", cancelled)
        b = None
        if a is not None and w.twin is not None:
            b = build_world(w.settings, twin_overrides(w.twin, a.scenario), day, "B", cancelled)
            if b is None:
                return
        if a is None:
            return  # superseded: the loop starts the newer request
        self._install(w, a, b)

    def _rebuild_twin(self, w: Wanted) -> None:
        s = self.session
        assert s is not None
        b = None
        if w.twin is not None:
            self.busy = "Building world B"
            self.on_frame()
            b = build_world(w.settings, twin_overrides(w.twin, s.a.scenario), s.a.day, "B",
                            lambda: self._closed or self._wanted.twin != w.twin
                            or self._wanted.generation != w.generation)
            if b is None:
                return
        with s.lock:
            if b is not None:
                b.step(s.a.day - b.day)  # world B is always on world A's day
            s.twin, s.b = w.twin, b
            s.version += 1
        self.busy = ""
        self.on_frame()

    def _install(self, w: Wanted, a: World, b: World | None) -> None:
        if self.session is None:
            self.session = Session(w.settings, a)
        self.session.install(w.settings, w.twin, a, b)
        self._built_generation = w.generation
        self.busy = ""
        self.note, self._note_after_build = self._note_after_build, ""
        self._publish()
        self.on_frame()

    def _advance(self, w: Wanted) -> None:
        """Step towards the wanted day (or play), one picture per frame."""
        s = self.session
        assert s is not None
        target = s.a.model.days if w.playing else w.day
        t0 = time.monotonic()
        with s.lock:
            while s.a.day < target and time.monotonic() - t0 < FRAME_SECONDS:
                if self._wanted is not w:  # a new request: show what we have, then obey it
                    break
                s.a.step(1)
                if s.b is not None:
                    s.b.step(s.a.day - s.b.day)
            s.version += 1
        if s.a.done and w.playing:
            self._ask(playing=False, day=s.a.day)
        elif s.a.done and w.day > s.a.day:
            with self._lock:  # a step past the end: the wanted day is the last one
                if self._wanted.day > s.a.day:
                    self._wanted = replace(self._wanted, day=s.a.day)
        self._publish()
        self.on_frame()


__all__ = ["DEBOUNCE_SECONDS", "FRAME_SECONDS", "Runner", "SessionsFull", "Wanted", "max_sessions"]
