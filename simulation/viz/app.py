"""The classroom app: a browser page to run a joint-sanctions world live and see who gets hurt.

Start it with ``joint-sanctions app`` (or :func:`serve`), then open http://127.0.0.1:8765/.
Built on Solara directly (not Mesa's SolaraViz) so the layout can be made for a projector:

- sidebar: scenario, the headline knobs, play / step / reset;
- live charts: compliance, sanctions (correct vs wrongful by cause), misses by cause,
  legitimacy, appeals (backlog and days to remedy), and every registry copy against the truth;
- registry map: courts, platforms and agencies, links coloured by how stale their copies are;
- case file: one wrongly sanctioned person's story, from the record to the remedy;
- twin worlds: the same people twice, one thing changed, side by side.

Every browser session builds its own worlds (a class of 30 never shares a model). The page
needs nothing from the internet: :func:`serve` points Solara at front-end assets installed at
set-up (see :mod:`simulation.viz.app_assets`) and switches telemetry off.
"""

from __future__ import annotations

import html
import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import solara
import solara.lab

from simulation.viz import app_charts as charts
from simulation.viz.app_assets import (
    DEFAULT_MAX_SESSIONS,
    MAX_SESSIONS_ENV,
    default_assets_dir,
    fetch_assets,
    missing_assets,
    server_env,
    solara_command,
)
from simulation.viz.app_board import BOARD, CODE_ENV, code_matches, new_code
from simulation.viz.app_live_chart import LiveChart, Series, Spec
from simulation.viz.app_state import (
    KNOBS,
    MATCHING_LABELS,
    SCENARIO_ENV,
    TOPOLOGY_LABELS,
    TWINS,
    Headline,
    Session,
    Settings,
    World,
    allowed_scenarios,
    case_story,
    divergence,
    headline,
    link_staleness,
    parse_world_link,
    person_label,
    scenario_names,
    scenario_question,
    world_link,
    wrongful_people,
)
from simulation.viz.app_token import TOKEN_ENV, is_loopback, new_token
from simulation.viz.app_worker import Runner, SessionsFull
from simulation.viz.style import OKABE_ITO

log = logging.getLogger("joint_sanctions.app")
if not logging.getLogger("joint_sanctions").handlers:  # the server's terminal shows what we log
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("joint_sanctions").addHandler(_handler)
    logging.getLogger("joint_sanctions").setLevel(logging.INFO)
STEP_SIZES = {"1 day": 1, "1 week": 7, "1 month": 30, "1 quarter": 91}

CSS = """
.js-app { font-size: 18px; }
.js-app .v-label, .js-app .v-select__selection { font-size: 17px !important; }
.js-card { padding: 8px 14px; margin: 4px; border-radius: 8px; background: #F3F6FA;
           min-width: 130px; }
.js-card-value { font-size: 30px; font-weight: 700; line-height: 1.1; }
.js-card-label { font-size: 15px; color: #333; }
.js-card.js-bad .js-card-value { color: #B34700; }
.js-caption { font-size: 17px; color: #222; margin: 2px 8px 18px 8px; }
.js-question { font-size: 16px; color: #333; font-style: italic; margin-bottom: 6px; }
.js-entry { border-left: 8px solid #999; padding: 6px 12px; margin: 6px 0; background: #FAFAFA; }
.js-entry-title { font-weight: 700; font-size: 19px; }
.js-entry-text { font-size: 18px; }
.js-entry-day { display: inline-block; min-width: 92px; font-weight: 700; color: #0072B2; }
.js-kind-record { border-color: #000000; } .js-kind-transfer { border-color: #56B4E9; }
.js-kind-sanction { border-color: #D55E00; } .js-kind-appeal { border-color: #E69F00; }
.js-kind-remedy { border-color: #009E73; } .js-kind-warning { border-color: #CC79A7; }
.js-kind-info { border-color: #0072B2; }
.js-table { border-collapse: collapse; font-size: 17px; width: 100%; }
.js-table td, .js-table th { border-bottom: 1px solid #ccc; padding: 6px 8px; text-align: left;
                              vertical-align: top; }
.js-world { padding: 8px 12px; border-radius: 8px; }
.js-world-a { background: #FBEFE6; } .js-world-b { background: #E6F0F8; }
.js-status { font-size: 20px; font-weight: 700; }
.js-knob { margin-top: 10px; }
.js-knob-label { font-size: 17px; color: #222; }
.js-busy-text { font-size: 17px; color: #0072B2; font-weight: 700; margin: 4px 8px; }
.js-stale .js-card-value, .js-stale img { opacity: 0.55; }
"""


KIND_COLORS = {"record": "#000000", "transfer": "#56B4E9", "sanction": "#D55E00",
               "appeal": "#E69F00", "remedy": "#009E73", "warning": "#CC79A7", "info": "#0072B2"}


def initial_settings() -> Settings:
    """The scenario the server was started with (``$JOINT_SANCTIONS_APP_SCENARIO``) or classroom."""
    name = os.environ.get(SCENARIO_ENV)
    return Settings(name) if name else Settings()


# ---------------------------------------------------------------------------- small widgets


@solara.component
def CommitSlider(label: str, value: float, vmin: float, vmax: float, step: float,
                 on_commit: Callable[[float], None], fmt: Callable[[float], str],
                 disabled: bool = False, name: str = "") -> None:
    """A slider that applies its value on release (or key press); the label shows the world's.

    The server never echoes the thumb's position back while it moves (that would make fast
    key presses fight with their own echoes); it sets the thumb only when the world's value
    changes (a rebuilt world, reset, another scenario).
    """
    with solara.Column(classes=["js-knob", f"js-knob-{name}"], gap="0px"):
        solara.Text(f"{label}: {fmt(value)}", classes=["js-knob-label"])
        el = solara.v.Slider(v_model=value, min=vmin, max=vmax, step=step, hide_details=True,
                             disabled=disabled, class_="js-slider")

        def commit(*args: Any) -> None:
            on_commit(args[2])

        solara.v.use_event(el, "change", commit)


@solara.component
def ChoiceSlider(label: str, value: Any, choices: tuple[Any, ...],
                 on_commit: Callable[[Any], None], fmt: Callable[[Any], str],
                 disabled: bool = False, name: str = "") -> None:
    """A slider over a list of values (e.g. population sizes)."""
    values = sorted(set(choices) | {value})

    def commit(i: Any) -> None:
        if isinstance(i, int | float) and not isinstance(i, bool) and 0 <= i < len(values):
            on_commit(values[int(i)])
        else:
            on_commit(i)  # refused (and noted) by the worker

    CommitSlider(label, values.index(value), 0, len(values) - 1, 1, commit,
                 lambda i: fmt(values[int(i)]), disabled, name)


def _thousands(x: float) -> str:
    return f"{int(x):,}"


def _percent(x: float) -> str:
    return f"{float(x):.0%}" if float(x) >= 0.1 or float(x) == 0 else f"{float(x):.1%}"


@solara.component
def Card(label: str, value: str, css: str, bad: bool = False) -> None:
    """One big number with its label."""
    with solara.Column(classes=["js-card", css] + (["js-bad"] if bad else []), gap="0px"):
        solara.Text(value, classes=["js-card-value"])
        solara.Text(label, classes=["js-card-label"])


@solara.component
def Headlines(h: Headline) -> None:
    """The numbers above every tab."""
    share = f" ({h.wrongful / h.sanctions:.0%})" if h.sanctions else ""
    with solara.Row(style={"flex-wrap": "wrap"}, gap="4px"):
        Card("day", f"{h.day} / {h.days}", "js-day")
        Card("judgments", _thousands(h.judgments), "js-judgments")
        Card("compliance rate", "-" if h.compliance_rate != h.compliance_rate
             else f"{h.compliance_rate:.3f}", "js-compliance-rate")
        Card("sanctions", _thousands(h.sanctions), "js-sanctions")
        Card("wrongful" + share, _thousands(h.wrongful), "js-wrongful", bad=h.wrongful > 0)
        Card("people wrongly hit", _thousands(h.wrongful_people), "js-wrongful-people",
             bad=h.wrongful_people > 0)
        Card("missed sanctions", _thousands(h.missed), "js-missed")
        Card("appeals (upheld)", f"{h.appeals_filed:,} ({h.appeals_upheld:,})", "js-appeals")
        Card("legitimacy", f"{h.legitimacy:.3f}", "js-legitimacy")


@solara.component
def Chart(png: bytes, name: str, caption: str) -> None:
    """A rendered chart and the sentence that says what it shows."""
    with solara.Column(classes=[f"js-chart js-chart-{name}"], gap="0px"):
        solara.Image(png, width="100%")
        solara.Text(caption, classes=["js-caption", f"js-caption-{name}"])


# ---------------------------------------------------------------------------- tabs


def _epoch(world: World) -> str:
    """Names one world's data for the live charts (a rebuilt world starts them over)."""
    return f"{world.label}{world.serial}"


@solara.component
def ChartsTab(session: Session, version: int) -> None:
    """The live charts of world A, drawn in the browser; each frame sends only the new days."""
    with session.lock:
        w = session.a
        m = w.model
        t = w.day
        counters = {k: np.asarray(v) for k, v in m.counters.values.items()}
        drift = np.stack(w.drift) if w.drift else np.zeros((0, len(w.agencies), 4), np.int64)
        appeals = charts.appeals_series(counters, t, m.appeals)
        start, enabled = m.legitimacy_ref, m.config.appeals.enabled
    days, epoch = m.days, _epoch(w)
    specs = solara.use_memo(lambda: {
        "sanctions": charts.sanctions_spec(days), "misses": charts.misses_spec(days),
        "compliance": charts.compliance_spec(days),
        "legitimacy": charts.legitimacy_spec(days, start),
        "appeals": charts.appeals_spec(days, enabled),
        "copies": charts.copies_spec(days, w.agencies),
        "today": charts.copies_today_spec(w.agencies)}, [epoch])
    shown = {
        "sanctions": (charts.sanctions_series(counters, t), CAPTIONS["sanctions"]),
        "misses": (charts.misses_series(counters, t), CAPTIONS["misses"]),
        "compliance": (charts.compliance_series(counters, t, w), CAPTIONS["compliance"]),
        "legitimacy": (charts.legitimacy_series(counters, t), CAPTIONS["legitimacy"]),
        "appeals": (appeals, CAPTIONS["appeals"]),
    }
    with solara.ColumnsResponsive(12, large=6):
        for name, ((series, title), caption) in shown.items():
            with solara.Column(gap="0px"):
                LiveChart(specs[name], series, epoch, title, name=name)
                solara.Text(caption, classes=["js-caption", f"js-caption-{name}"])
    with solara.ColumnsResponsive(12, large=6):
        LiveChart(specs["copies"], charts.copies_series(drift, w.agencies), epoch, name="copies")
        LiveChart(specs["today"], {}, epoch, bars=charts.copies_today(drift, len(w.agencies)),
                  name="today")
    solara.Text(CAPTIONS["copies"], classes=["js-caption", "js-caption-copies"])


CAPTIONS = {
    "sanctions": "Every time an agency refuses someone service because of a list. Blue: the "
                 "person really is listed. Other colours: wrongful, by cause (the legend counts "
                 "each; hover for any day).",
    "misses": "Listed debtors who got through: the record never reached that agency, arrived "
              "late, lost its ID on the way, or the debtor evaded the check.",
    "compliance": "Court judgments, and debtors who paid: on time, or only after being put on "
                  "the blacklist. Compliance rate: of the judgments whose deadline has passed, "
                  "the share paid (on-time: paid by the deadline), as `joint-sanctions run` "
                  "reports them.",
    "legitimacy": "How fair people find the regime (0 to 1). Wrongful sanctions lower it for "
                  "the victims and, a little, for everyone who hears of them.",
    "appeals": "Appeals waiting at the courts, and appeals upheld so far (each one a remedy).",
    "copies": "Each agency keeps its own copy of the lists. Stale: deleted at the source but "
              "still in the copy (punishes people who paid). Missing: listed but never arrived.",
}


@solara.component
def MapTab(session: Session, version: int) -> None:
    """The registry network, links coloured by staleness."""
    def render() -> tuple[bytes, list[dict[str, Any]]]:
        with session.lock:
            w = session.a
            links = link_staleness(w.model)
            return charts.registry_map(w.model, links, w.drift[-1] if w.drift else None), links

    img, links = solara.use_memo(render, [version, id(session.a)])
    held = sum(link["held"] for link in links)
    stale = sum(link["stale"] for link in links)
    caption = (f"{len(links)} links; of the {held:,} records they delivered that are still held, "
               f"{stale:,} are stale." if links else "No links between registries.")
    Chart(img, "map", caption + " Move 'Deletions that reach each agency' down and watch the "
          "arrows turn orange and red.")


@solara.component
def CaseTab(session: Session, version: int) -> None:
    """Pick a wrongly sanctioned person and read their story."""
    chosen = solara.use_reactive(None)
    with session.lock:
        model = session.a.model
        victims = wrongful_people(model)
        labels = {f"{person_label(model, v['person'])}: day {v['first_day']}, "
                  f"{v['times']}x, {v['cause'].replace('_', ' ')}": v["person"] for v in victims}
    if not labels:
        solara.Text("Nobody has been wrongly sanctioned yet. Press Step or Play (sanctions start "
                    "after the first debtors miss their deadline, about a month in).",
                    classes=["js-caption", "js-case-empty"])
        return
    names = list(labels)
    current = chosen.value if chosen.value in labels else names[0]
    solara.Select(label=f"Wrongly sanctioned person ({len(names)} so far)", values=names,
                  value=current, on_value=chosen.set, classes=["js-case-select"])
    with session.lock:
        story = case_story(session.a.model, labels[current])
    with solara.Column(classes=["js-case"], gap="0px"):
        for e in story:
            day = f"day {e.day}" if e.day is not None else ""
            with solara.Column(classes=["js-entry", f"js-kind-{e.kind}"], gap="0px", style={
                    "border-left": f"8px solid {KIND_COLORS.get(e.kind, '#999999')}",
                    "padding": "6px 12px", "margin": "6px 0", "background": "#FAFAFA"}):
                solara.HTML(tag="div", classes=["js-entry-title"], unsafe_innerHTML=(
                    f"<span class='js-entry-day'>{html.escape(day)}</span>{html.escape(e.title)}"))
                solara.Text(e.text, classes=["js-entry-text"])


TWIN_NONE = "(choose what world B changes)"


@solara.component
def TwinTab(runner: Runner, session: Session, version: int) -> None:
    """World A as set on the left; world B, one thing changed, on the right."""
    options = {TWIN_NONE: None, **{label: key for key, (label, _o) in TWINS.items()}}
    current = next((k for k, v in options.items() if v == runner.wanted.twin), TWIN_NONE)

    def choose(label: str) -> None:
        runner.set_twin(options.get(label, label))

    solara.Select(label="World B changes one thing", values=list(options), value=current,
                  on_value=choose, classes=["js-twin-select"])
    if session.b is None or session.twin != runner.wanted.twin:
        if runner.wanted.twin is not None:
            return  # world B is being built: the busy sign above says so
        solara.Text("Both worlds hold the same people, drawn with the same random numbers. "
                    "Choose a change: world B is rebuilt with it and replayed to today, so every "
                    "difference you see is caused by that one change.", classes=["js-caption"])
        return
    TwinView(session, version)


@solara.component
def TwinView(session: Session, version: int) -> None:
    """The two worlds side by side (only once world B exists)."""
    def render() -> tuple[Headline, Headline, dict[str, Any], dict[str, Any], dict[str, Any], str]:
        with session.lock:
            a, b = session.a, session.b
            t = a.day
            label = session.twin_label()

            def cum(world: World, name: str) -> np.ndarray:
                v = world.model.counters.values.get(name)
                return np.cumsum(v[:t]) if v is not None else np.zeros(t)

            wrongful = {"a": cum(a, "wrongful_sanctions"), "b": cum(b, "wrongful_sanctions")}
            missed = {"a": cum(a, "missed_sanctions"), "b": cum(b, "missed_sanctions")}
            return headline(a), headline(b), wrongful, missed, divergence(a, b), label

    ha, hb, wrongful, missed, div, label = solara.use_memo(render, [version, id(session.b)])
    days = session.a.model.days
    epoch = _epoch(session.a) + _epoch(session.b)
    specs = solara.use_memo(lambda: (
        charts.twin_spec(days, label, "wrongful sanctions (cumulative)", "Wrongful sanctions"),
        charts.twin_spec(days, label, "missed sanctions (cumulative)", "Missed sanctions")),
        [epoch])
    with solara.Columns([1, 1]):
        for h, css, title in ((ha, "js-world-a", "World A: as set in the sidebar"),
                              (hb, "js-world-b", f"World B: {label}")):
            with solara.Column(classes=["js-world", css]):
                solara.Text(title, classes=["js-status"])
                with solara.Row(style={"flex-wrap": "wrap"}, gap="4px"):
                    Card("sanctions", _thousands(h.sanctions), f"{css}-sanctions")
                    Card("wrongful", _thousands(h.wrongful), f"{css}-wrongful", bad=h.wrongful > 0)
                    Card("people wrongly hit", _thousands(h.wrongful_people), f"{css}-people")
                    Card("missed", _thousands(h.missed), f"{css}-missed")
                    Card("appeals (upheld)", f"{h.appeals_filed:,} ({h.appeals_upheld:,})",
                         f"{css}-appeals")
                    Card("legitimacy", f"{h.legitimacy:.3f}", f"{css}-legitimacy")
    with solara.Columns([1, 1]):
        with solara.Column(gap="0px"):
            LiveChart(specs[0], wrongful, epoch, name="twin-wrongful")
            solara.Text("Same people, same days, same random draws: the gap between the lines "
                        "is caused by the one change alone.", classes=["js-caption"])
        with solara.Column(gap="0px"):
            LiveChart(specs[1], missed, epoch, name="twin-missed")
            solara.Text("Sanctions the lists should have imposed but did not.",
                        classes=["js-caption"])
    solara.Text(f"Wrongly sanctioned only in world A: {div['only_a']:,} people; only in world B: "
                f"{div['only_b']:,}; in both: {div['both']:,}. The fates that differ most:",
                classes=["js-caption", "js-twin-summary"])
    rows = "".join(
        f"<tr><td>{html.escape(r['person'])}</td><td>{html.escape(r['a'])}</td>"
        f"<td>{html.escape(r['b'])}</td></tr>" for r in div["rows"])
    if rows:
        solara.HTML(tag="table", classes=["js-table", "js-twin-table"], unsafe_innerHTML=(
            "<tr><th>person</th><th>world A</th><th>world B</th></tr>" + rows))


# ---------------------------------------------------------------------------- sidebar


@solara.component
def Controls(runner: Runner, session: Session, tick: int, step_size: solara.Reactive[str]) -> None:
    """Play / step / reset, the scenario, and the headline knobs (requests to the worker).

    ``tick`` (the worker's frame counter) makes it redraw whenever the worker has news."""
    knobs = session.knobs
    playing = runner.playing
    done = session.a.done and runner.wanted.day >= session.a.day

    def set_knob(key: str) -> Callable[[Any], None]:
        return lambda value: runner.set_knob(key, value)

    with solara.Row(gap="6px"):
        solara.Button("Pause" if playing else "Play", icon_name="mdi-pause" if playing
                      else "mdi-play", color="primary", disabled=done and not playing,
                      on_click=lambda: runner.play(not playing), classes=["js-play"])
        solara.Button("Step", icon_name="mdi-step-forward", color="primary", outlined=True,
                      disabled=playing or done,
                      on_click=lambda: runner.step(STEP_SIZES.get(step_size.value, 7)),
                      classes=["js-step"])
        solara.Button("Reset", icon_name="mdi-restore", outlined=True, disabled=playing,
                      on_click=runner.reset, classes=["js-reset"])
    solara.ToggleButtonsSingle(step_size, values=list(STEP_SIZES), classes=["js-step-size"])
    solara.Button("Run to the end of the year", icon_name="mdi-fast-forward", text=True,
                  disabled=playing or done, on_click=lambda: runner.step(10**6),
                  classes=["js-run-end"])

    scenario = runner.wanted.settings.scenario
    # keyed by the refusals: after a refused (forged) value the control is drawn afresh
    solara.Select(label="Scenario", values=allowed_scenarios(), value=scenario,
                  on_value=runner.set_scenario, disabled=playing,
                  classes=["js-scenario"]).key(f"scenario-{runner.refusals}")
    solara.Text(scenario_question(scenario), classes=["js-question"])

    off = playing

    def slider(key: str, name: str, fmt: Callable[[float], str]) -> None:
        knob = KNOBS[key]
        if knob.choices:
            ChoiceSlider(knob.label, knobs[key], knob.choices, set_knob(key), fmt, off, name)
        else:
            CommitSlider(knob.label, knobs[key], knob.low, knob.high, knob.step, set_knob(key),
                         fmt, off, name)

    slider("population.individuals", "people", _thousands)
    slider("registry.sharing", "sharing", _percent)
    slider("registry.deletion_sharing", "deletion-sharing", _percent)
    slider("registry.id_error_rate", "id-errors", _percent)
    slider("population.distinct_names", "names", _thousands)
    with session.lock:
        h = headline(session.a)
    solara.Text(f"A person shares their name with {h.namesakes:.1f} others on average.",
                classes=["js-question", "js-namesakes"])
    match_labels = {v: k for k, v in MATCHING_LABELS.items()}
    solara.Select(label=KNOBS["registry.matching"].label, values=list(match_labels),
                  value=MATCHING_LABELS[knobs["registry.matching"]], disabled=off,
                  on_value=lambda lab: set_knob("registry.matching")(match_labels.get(lab, lab)),
                  classes=["js-matching"]).key(f"matching-{runner.refusals}")
    topo_labels = {v: k for k, v in TOPOLOGY_LABELS.items()}
    solara.Select(label=KNOBS["registry.topology"].label, values=list(topo_labels),
                  value=TOPOLOGY_LABELS[knobs["registry.topology"]], disabled=off,
                  on_value=lambda lab: set_knob("registry.topology")(topo_labels.get(lab, lab)),
                  classes=["js-topology"]).key(f"topology-{runner.refusals}")
    solara.Switch(label="Appeals allowed", value=bool(knobs["appeals.enabled"]), disabled=off,
                  on_value=set_knob("appeals.enabled"), classes=["js-appeals-switch"])
    solara.Text("Moving a knob replays the same people's year up to today under the new rule.",
                classes=["js-question"])
    solara.InputInt("Random seed (same seed, same people)", value=int(knobs["seed"]),
                    on_value=set_knob("seed"), disabled=off, classes=["js-seed"])
    link = world_link(session.settings, session.twin, session.a.day)
    solara.HTML(tag="div", classes=["js-question"], unsafe_innerHTML=(
        f"<a class='js-share-link' href='{html.escape(link)}'>Link to exactly this world</a> "
        "(scenario, knobs, seed, day, twin): copy it to share."))
    JoinClass(runner, runner.student)


@solara.component
def JoinClass(runner: Runner, student: str) -> None:
    """Join the class board with the code the instructor reads out."""
    code = solara.use_reactive("")
    name = solara.use_reactive("")
    if student:
        solara.Text(f"On the class board as {student}.", classes=["js-joined"])
        return
    with solara.Column(classes=["js-join"], gap="0px"):
        solara.InputText("Class code", value=code, continuous_update=True,
                         classes=["js-class-code"])
        solara.InputText("Your name on the board", value=name, continuous_update=True,
                         classes=["js-student-name"])
        solara.Button("Join the class board", text=True, classes=["js-join-button"],
                      on_click=lambda: runner.join_class(code.value, name.value))


# ---------------------------------------------------------------------------- page


def _frame_setter(set_tick: Callable[[int], None]) -> Callable[[], None]:
    """A callback for the worker: a new ``tick`` so the page redraws (never raises)."""
    counter = itertools.count(1)

    def on_frame() -> None:
        try:
            set_tick(next(counter))
        except Exception:  # the page is gone (closed tab): nothing to draw
            log.debug("frame for a closed page dropped", exc_info=True)

    return on_frame


@solara.component
def Busy(runner: Runner, tick: int = 0) -> None:
    """A visible sign that the worker is rebuilding (the old world stays on screen meanwhile).

    ``tick`` (the worker's frame counter) makes it redraw whenever the worker has news."""
    if runner.busy:
        with solara.Column(classes=["js-busy"], gap="0px"):
            solara.ProgressLinear(True)
            solara.Text(f"{runner.busy}: replaying the same people to day {runner.wanted.day}...",
                        classes=["js-busy-text"])
    if runner.note:
        solara.Warning(runner.note, classes=["js-note"])


@solara.component
def ClassBoard(code: str) -> None:
    """The instructor's board: one point per student who joined (only what they published)."""
    version, set_version = solara.use_state(-1)

    def poll() -> Callable[[], None]:
        stop = threading.Event()

        def loop() -> None:
            last = -2
            while not stop.wait(1.0):
                if BOARD.version != last:
                    last = BOARD.version
                    try:
                        set_version(last)
                    except Exception:  # the board tab closed
                        return

        threading.Thread(target=loop, name="class-board", daemon=True).start()
        return stop.set

    solara.use_effect(poll, [])
    solara.Title("Joint sanctions: class board")
    solara.Style(CSS)
    if not code_matches(code):
        log.warning("class board refused: wrong code")
        solara.Warning("That is not this class's code: use the link printed when the app "
                       "started.", classes=["js-board-refused"])
        return
    entries = BOARD.entries()
    points = [{"value": [round(e.compliance_rate, 4) if e.compliance_rate == e.compliance_rate
                         else 0.0, e.people_wrongly_sanctioned], "name": e.student,
               "detail": html.escape("; ".join(f"{k}: {v}" for k, v in e.knobs) or "no knob moved")
               + f"<br>day {e.day}"} for e in entries]
    with solara.Column(classes=["js-app", "js-board"]):
        solara.Text(f"Class board: {len(entries)} student{'s' if len(entries) != 1 else ''}",
                    classes=["js-status", "js-board-count"])
        LiveChart(BOARD_SPEC, {}, "board", bars={"students": points}, height=480, name="board")
        rows = "".join(
            f"<tr><td>{html.escape(e.student)}</td><td>{html.escape(e.scenario)}</td>"
            f"<td>{html.escape('; '.join(f'{k}: {v}' for k, v in e.knobs) or '-')}</td>"
            f"<td>{e.day}</td><td>{e.compliance_rate:.3f}</td>"
            f"<td>{e.people_wrongly_sanctioned:,}</td></tr>" for e in entries)
        solara.HTML(tag="table", classes=["js-table", "js-board-table"], unsafe_innerHTML=(
            "<tr><th>student</th><th>scenario</th><th>knobs moved</th><th>day</th>"
            "<th>compliance rate</th><th>people wrongly sanctioned</th></tr>" + rows))
        solara.Text("Each point is one student's own world; the board shows only what their "
                    "session publishes (knobs moved, day, compliance rate, people wrongly "
                    "sanctioned). Hover a point for its knobs.", classes=["js-caption"])


BOARD_SPEC = Spec("What the class tried", "people wrongly sanctioned (persons)", 0, (
    Series("students", "students", OKABE_ITO["vermillion"]),), kind="scatter", x_max=1.0,
    x_name="compliance rate (share of judgments paid)")


@solara.component
def Guard(children: list[Any] | None = None, what: str = "This part of the page") -> Any:
    """Shows its children; if they fail, one sentence instead (the traceback goes to the log)."""
    exception, clear = solara.use_exception()
    if exception is not None:
        log.error("%s failed", what, exc_info=exception)
        with solara.Column(classes=["js-failed"]):
            solara.Warning(f"{what} could not be shown; the error was logged on the server.")
            solara.Button("Try again", on_click=clear, text=True)
        return None
    return solara.Column(children=children or [], gap="0px")


def _open_runner(set_tick: Callable[[int], None], query: str) -> Runner | None:
    """This session's runner: the server's scenario, or exactly the world a link names."""
    try:
        runner = Runner(initial_settings(), _frame_setter(set_tick))
    except SessionsFull as exc:
        log.warning("refused a session: %s", exc)
        return None
    if "scenario=" in query:
        settings, twin, day, refused = parse_world_link(query)
        note = ""
        if refused:
            log.warning("refused a value from the browser (a link): %s", ", ".join(refused))
            note = f"The link had values the app does not offer ({', '.join(refused)})."
        runner.open_world(settings, twin, day, note)
    return runner


@solara.component
def Page() -> None:
    """The app's page. Each browser session gets its own worlds on its own worker thread."""
    query = solara.use_router().search or ""
    if "board=" in query:
        ClassBoard(parse_qs(query[:200]).get("board", [""])[0])
    else:
        StudentPage(query)


@solara.component
def StudentPage(query: str) -> None:
    """One student's (or the instructor's) own worlds."""
    _tick, set_tick = solara.use_state(0)  # bumped by the worker: something new to show
    runner = solara.use_memo(lambda: _open_runner(set_tick, query), [])

    def close_on_unmount() -> Callable[[], None] | None:
        return runner.close if runner is not None else None

    solara.use_effect(close_on_unmount, [])
    solara.Title("Joint sanctions: classroom simulator")
    solara.Style(CSS)
    with solara.AppBarTitle():
        solara.Text("Joint sanctions: who do the lists punish, and why?")
    if runner is None:
        solara.Warning("The app is full: it already serves as many sessions as it was started "
                       "to allow. Close another tab, or ask for the app to be started with a "
                       "higher --max-sessions.", classes=["js-full"])
        return
    with Guard(what="The page"):
        World_(runner, _tick)


@solara.component
def World_(runner: Runner, tick: int) -> None:
    """Sidebar, numbers and tabs of one session's worlds (``tick``: the worker's last frame)."""
    step_size = solara.use_reactive("1 week")
    tab = solara.use_reactive(0)
    session = runner.session
    if session is None:
        Busy(runner, tick)
        return
    version = session.version
    with solara.Sidebar():
        with solara.Column(classes=["js-app"]):
            Controls(runner, session, tick, step_size)
    with solara.Column(classes=["js-app"] + (["js-stale"] if runner.busy else [])):
        Busy(runner, tick)
        with session.lock:
            h = headline(session.a)
        Headlines(h)
        with solara.lab.Tabs(value=tab, lazy=True):
            with solara.lab.Tab("Live charts"):
                with Guard(what='This tab'):
                    ChartsTab(session, version)
            with solara.lab.Tab("Registry map"):
                with Guard(what='This tab'):
                    # the map is a picture drawn on the server: while playing, once a month
                    MapTab(session, session.a.day // 30 if runner.playing else version)
            with solara.lab.Tab("Case file"):
                with Guard(what='This tab'):
                    CaseTab(session, version)
            with solara.lab.Tab("Twin worlds"):
                with Guard(what='This tab'):
                    TwinTab(runner, session, version)


# ---------------------------------------------------------------------------- serving


def serve(port: int = 8765, host: str = "127.0.0.1", scenario: str | None = None,
          open_browser: bool = False, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
    """Serve the classroom app and block until interrupted (Ctrl+C).

    Runs the app's server (:mod:`simulation.viz.app_server`, one uvicorn worker) in Solara's
    production mode with everything set for offline use: front-end assets from the local cache
    (fetched once with npm if missing), the CDN pointed at a dead local port, telemetry off.
    On a non-loopback ``host`` a token is made and printed; only links carrying it open the app.

    Args:
        port: TCP port to listen on.
        host: interface to bind; the default keeps the app on this machine. Any other
            (``0.0.0.0`` for a classroom network) requires the token printed at start-up.
        scenario: shipped scenario name or path to a scenario TOML to start with
            (default: ``classroom``).
        open_browser: open the page in the default web browser once the server is up.
        max_sessions: at most this many browser sessions at once (more see "the app is full").

    Raises:
        simulation.errors.ScenarioError: the scenario does not exist, or max_sessions < 1.
        RuntimeError: the front-end assets are missing and cannot be fetched (no npm).
    """
    from simulation.errors import ScenarioError

    env = dict(os.environ)
    if scenario is not None:
        if scenario in scenario_names():
            env[SCENARIO_ENV] = scenario
        elif Path(scenario).suffix == ".toml" and Path(scenario).is_file():
            env[SCENARIO_ENV] = str(Path(scenario).resolve())  # the operator's own file
        else:
            raise ScenarioError(f"no such scenario; shipped ones: {', '.join(scenario_names())}",
                                file=scenario)
    if max_sessions < 1:
        raise ScenarioError("must be at least 1", field="--max-sessions")
    assets = default_assets_dir()
    if missing_assets(assets):
        fetch_assets(assets)
    env.update(server_env(assets))
    env[MAX_SESSIONS_ENV] = str(max_sessions)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    url = f"http://{host}:{port}/"
    env.pop(TOKEN_ENV, None)
    if not is_loopback(host):
        env[TOKEN_ENV] = new_token()
        url += f"?token={env[TOKEN_ENV]}"
    env[CODE_ENV] = env.get(CODE_ENV) or new_code()
    board = f"{url}{'&' if '?' in url else '?'}board={env[CODE_ENV]}"
    print(f"joint-sanctions app: {url}  (Ctrl+C to stop)\n"
          f"class code: {env[CODE_ENV]}  (students join with it; your class board: {board})",
          file=sys.stderr)
    proc = subprocess.Popen(solara_command(port, host), env=env)
    if open_browser:
        threading.Timer(2.0, webbrowser.open, [url]).start()

    def stop(*_args: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)  # a plain `kill` also stops the server
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


__all__ = ["Page", "serve"]
