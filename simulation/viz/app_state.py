"""The classroom app's state, kept apart from the web page so that it can be tested directly.

A :class:`Session` is one browser tab's world (never shared): the chosen scenario, the knobs the
class has moved, the model (world A) and, for the twin-worlds view, a second model (world B)
with the same seed and the same people but one thing changed. Both advance together, so any
difference between them comes from that one change (common random numbers: the model draws
every mechanism's randomness from its own per-day stream).

Moving a knob rebuilds the worlds with the new setting and replays them to the day they had
reached, so the class sees the same people's year again under the new rule.
"""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulation import JointSanctionsModel, load_scenario, metrics
from simulation.codes import AppealStatus, Via
from simulation.metrics import CAUSE, CAUSES, EVENT, MISS_CAUSES, WRONGFUL_CAUSES
from simulation.names import display_name, expected_namesakes
from simulation.registry import ID_INVALID, ID_MISSING, NEVER, PERSON
from simulation.viz.narrate import copy_fate, decision_text, fate_text, remedies

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
# The scenario the server was started with (a shipped name or a .toml path), set by serve().
SCENARIO_ENV = "JOINT_SANCTIONS_APP_SCENARIO"
DEFAULT_SCENARIO = "classroom"

POPULATION_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)
NAME_POOL_CHOICES = (2_000, 5_000, 10_000, 20_000, 40_000, 100_000, 1_000_000, 10_000_000)

MATCHING_LABELS = {
    "id": "ID only",
    "id_else_name": "ID, else name",
    "name": "name only",
    "name_jurisdiction": "name + jurisdiction",
}
TOPOLOGY_LABELS = {
    "bilateral": "bilateral links",
    "hub": "hub platform",
    "none": "no sharing",
}

@dataclass(frozen=True)
class Knob:
    """A sidebar knob: its label, unit and the only values the app accepts for it.

    Numeric knobs take a value in ``[low, high]`` (moved in steps of ``step``; anything outside
    is clamped); choice knobs only one of ``choices``. Whatever the browser sends goes through
    :func:`accept_knob` first: the page is never trusted.
    """

    label: str
    unit: str
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05
    choices: tuple[Any, ...] = ()
    integer: bool = False  # a whole number (clamped like any other)


# The knobs on the sidebar: dotted scenario field -> what it is and what it accepts.
KNOBS: dict[str, Knob] = {
    "population.individuals": Knob("People", "persons", choices=POPULATION_CHOICES),
    "registry.sharing": Knob("List updates that reach each agency", "share"),
    "registry.deletion_sharing": Knob("Deletions that reach each agency", "share"),
    "registry.id_error_rate": Knob("Records with a mistyped ID", "share", 0.0, 0.2, 0.01),
    "population.distinct_names": Knob("Distinct names (fewer = more namesakes)", "names",
                                      choices=NAME_POOL_CHOICES),
    "registry.matching": Knob("Matching rule", "", choices=tuple(MATCHING_LABELS)),
    "appeals.enabled": Knob("Appeals", "", choices=(False, True)),
    "registry.topology": Knob("How lists travel", "", choices=tuple(TOPOLOGY_LABELS)),
    "seed": Knob("Random seed", "integer", 0, 2**31 - 1, 1, integer=True),
}


class RefusedValue(ValueError):
    """A value the app does not offer (a forged or stale message from the browser)."""


def accept_knob(key: str, value: Any) -> Any:
    """The value to use for knob ``key``: a numeric one clamped to its range, a choice checked.

    Raises:
        RefusedValue: unknown knob, a value of the wrong type, or not one of the choices.
    """
    knob = KNOBS.get(key) if isinstance(key, str) else None
    if knob is None:
        raise RefusedValue("unknown knob")
    if knob.choices:
        for choice in knob.choices:  # bool is an int: compare type and value
            if type(choice) is type(value) and choice == value:
                return choice
        if isinstance(value, float) and value.is_integer() and int(value) in knob.choices \
                and not isinstance(knob.choices[0], bool):
            return int(value)
        raise RefusedValue(f"not one of the offered values for {knob.label}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise RefusedValue(f"{knob.label} takes a number")
    if knob.integer:
        if not float(value).is_integer():
            raise RefusedValue(f"{knob.label} takes a whole number")
        return int(min(max(int(value), knob.low), knob.high))
    return float(min(max(float(value), knob.low), knob.high))


# Twin worlds: world B = world A plus these overrides.
TWINS: dict[str, tuple[str, dict[str, Any]]] = {
    "unified_ids": ("Unified IDs: clean national IDs, matched by ID only", {
        "registry.id_error_rate": 0.0, "registry.id_missing_rate": 0.0,
        "registry.format_loss_rate": 0.0, "registry.matching": "id"}),
    "appeals": ("Appeals switched the other way", {}),  # filled in from world A
    "name_matching": ("Agencies match by name only", {"registry.matching": "name"}),
    "full_sharing": ("Every addition and deletion reaches every copy, at once", {
        "registry.sharing": 1.0, "registry.deletion_sharing": 1.0, "registry.delay_days": 0.0,
        "registry.deletion_delay_days": 0.0, "registry.cross_jurisdiction_sharing": 1.0}),
    "hub": ("Lists travel through a hub platform", {"registry.topology": "hub"}),
}

CAUSE_TEXT = {
    "correct": "rightly sanctioned",
    "name_collision": "a namesake was on the list",
    "id_error": "someone else's record carried this person's ID (a typing error)",
    "stale_record": "the record had already been deleted at its source",
    "stale_representative": "the firm they used to represent was listed",
    "listed_at_source": "the listing itself was wrong",
    "paid_pending_deletion": "they had paid, but the court had not yet deleted the record",
    "not_shared": "record never reached this agency",
    "not_yet_arrived": "record not yet arrived",
    "id_lost": "the ID was lost on the way",
    "evaded": "evaded the check",
    "exempted": "exempted after an appeal",
    "deleted_in_copy": "deleted in the copy but not at the source",
    "below_threshold": "points above the threshold",
    "stale_rep": "stale representative",
}

def _cause_text(cause: str) -> str:
    return CAUSE_TEXT.get(cause, cause.replace("_", " "))


REASON_TEXT = {
    "unable": "they could not pay (listing people who cannot pay is a policy choice)",
    "clerical": "they had paid on time (a clerical error)",
    "unwilling": "they did not pay by the deadline",
    "paid": "the debt was paid",
    "expired": "the listing term ended",
    "appeal_upheld": "an appeal was upheld",
    "agency_list": "the agency's own rules",
    "not_legally_defined": "the agency listed them on a ground that no law defines",
}

def pseudonym(model: JointSanctionsModel, name_id: int) -> str:
    """The readable name of a name id, the same as ``joint-sanctions trace`` prints."""
    return display_name(int(name_id), model.config.population.distinct_names)


def scenario_names() -> list[str]:
    """Shipped scenarios, by file stem, the default first."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    if DEFAULT_SCENARIO in names:
        names.remove(DEFAULT_SCENARIO)
        names.insert(0, DEFAULT_SCENARIO)
    return names


def scenario_path(name: str) -> Path:
    """A scenario's file: a shipped name, or the ``.toml`` path the operator started with.

    Only the operator (``joint-sanctions app --scenario FILE``) can name a file; a browser can
    only choose among :func:`allowed_scenarios`.

    Raises:
        RefusedValue: ``name`` is neither.
    """
    if name in scenario_names():
        return SCENARIO_DIR / f"{name}.toml"
    start = os.environ.get(SCENARIO_ENV, "")
    if start and name == start and start.endswith(".toml"):
        return Path(start)
    raise RefusedValue("not a scenario this app offers")


def allowed_scenarios() -> list[str]:
    """The scenario choices the page offers: shipped names, plus the one started with."""
    names = scenario_names()
    start = os.environ.get(SCENARIO_ENV)
    if start and start not in names:
        names.append(start)
    return names


def accept_scenario(name: Any) -> str:
    """``name`` if the page offers it, else :class:`RefusedValue` (never a path from a browser)."""
    if isinstance(name, str) and name in allowed_scenarios():
        return name
    raise RefusedValue("not a scenario this app offers")


def scenario_question(name: str) -> str:
    """The question a scenario answers (its first comment line)."""
    for line in scenario_path(name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return getattr(obj, "value", obj)


@dataclass(frozen=True)
class Settings:
    """A scenario and the knobs moved away from its values (only those are overridden)."""

    scenario: str = DEFAULT_SCENARIO
    overrides: tuple[tuple[str, Any], ...] = ()

    def with_knob(self, key: str, value: Any) -> Settings:
        """These settings with one knob set."""
        rest = tuple((k, v) for k, v in self.overrides if k != key)
        return Settings(self.scenario, (*rest, (key, value)))

    def as_dict(self) -> dict[str, Any]:
        """The overrides as a dict for :func:`simulation.load_scenario`."""
        return dict(self.overrides)

    def load(self, extra: dict[str, Any] | None = None) -> Any:
        """The validated scenario with these overrides (and ``extra`` on top)."""
        return load_scenario(scenario_path(self.scenario), {**self.as_dict(), **(extra or {})})


def knob_values(scenario: Any) -> dict[str, Any]:
    """Current value of every sidebar knob in a resolved scenario."""
    out = {}
    for key in KNOBS:
        value = _get(scenario, key)
        out[key] = str(value) if key in ("registry.matching", "registry.topology") else value
    return out


class World:
    """One model plus what the app measures after every day (copy drift per agency)."""

    _serials = itertools.count()

    def __init__(self, scenario: Any, label: str = "A"):
        self.label = label
        self.serial = next(World._serials)  # tells worlds apart (the live charts start over)
        self.scenario = scenario
        self.model = JointSanctionsModel(scenario)
        self.agencies = [a.name for a in self.model.agency_agents]
        self.drift: list[np.ndarray] = []  # per day: (agencies, 4) truth, ok, stale, missing

    @property
    def day(self) -> int:
        """Days simulated so far (0 before the first step)."""
        return self.model.day + 1

    @property
    def done(self) -> bool:
        """Whether the scenario's last day has been simulated."""
        return self.day >= self.model.days

    def step(self, days: int = 1) -> None:
        """Advance up to ``days`` days (never past the scenario's end)."""
        for _ in range(max(0, min(days, self.model.days - self.day))):
            self.model.step()
            self.drift.append(copy_drift(self.model))


def copy_drift(model: JointSanctionsModel) -> np.ndarray:
    """Today, per agency: records it should hold, holds rightly, holds stale, is missing."""
    reg = model.registry
    rec = reg.records
    t = model.day
    n = rec.n
    active = reg.active_at_source(t) if n else np.zeros(0, dtype=bool)
    out = np.zeros((len(model.agency_agents), 4), dtype=np.int64)
    list_id = rec.list_id[:n]
    lut = np.zeros(len(reg.list_names) + 1, dtype=bool)
    for i, agency in enumerate(model.agency_agents):
        lut[:] = False
        lut[agency.black_list_ids] = True
        consumed = lut[list_id]
        present = reg.present(agency.node, t) & consumed
        truth = active & consumed
        out[i] = (truth.sum(), (present & active).sum(), (present & ~active).sum(),
                  (truth & ~present).sum())
    return out


@dataclass
class Headline:
    """The numbers shown above the charts."""

    day: int
    days: int
    judgments: int
    complied: int
    sanctions: int
    wrongful: int
    wrongful_people: int
    missed: int
    appeals_filed: int
    appeals_upheld: int
    backlog: int
    legitimacy: float
    namesakes: float
    by_cause: dict[str, int] = field(default_factory=dict)
    compliance_rate: float = float("nan")  # as `joint-sanctions run` (see compliance_rates)


def headline(world: World) -> Headline:
    """Totals over the days simulated so far, by the summary's own definitions
    (:mod:`simulation.metrics`)."""
    m = world.model
    tables = metrics.tables_of(m)
    s = metrics.sanctions_and_misses(tables)
    c = tables.counters

    def total(name: str) -> int:
        return int(c[name].sum()) if name in c else 0

    return Headline(
        day=world.day, days=m.days,
        judgments=total("judgments.individuals") + total("judgments.firms"),
        complied=total("compliance.on_time") + total("compliance.after_listing"),
        sanctions=int(s["sanctions"]), wrongful=int(s["wrongful_sanctions"]),
        wrongful_people=int(s["wrongful_people"]), missed=int(s["missed_sanctions"]),
        appeals_filed=int(m.appeals.n), appeals_upheld=int(m.appeals.upheld[: m.appeals.n].sum()),
        backlog=int(tables.appeals_backlog),
        legitimacy=float(c["legitimacy_mean"][-1]) if world.day else float(m.legitimacy_mean()),
        namesakes=expected_namesakes(m.people.name),
        by_cause={k: int(s[f"wrongful_sanctions.{k}"]) for k in WRONGFUL_CAUSES},
        compliance_rate=metrics.compliance(tables)["compliance_rate"],
    )


def twin_overrides(twin: str | None, scenario: Any) -> dict[str, Any]:
    """What world B changes relative to world A (whose resolved scenario is ``scenario``)."""
    if twin is None:
        return {}
    if twin == "appeals":
        return {"appeals.enabled": not scenario.appeals.enabled}
    return dict(TWINS[twin][1])


def twin_label(twin: str | None, scenario: Any) -> str:
    """A short description of world B's one change."""
    if twin == "appeals":
        return "Appeals switched " + ("off" if scenario.appeals.enabled else "on")
    return TWINS[twin][0] if twin else ""


def accept_twin(twin: Any) -> str | None:
    """``twin`` if it is one of :data:`TWINS` (or None), else :class:`RefusedValue`."""
    if twin is None or (isinstance(twin, str) and twin in TWINS):
        return twin
    raise RefusedValue("not a twin world this app offers")


def build_world(settings: Settings, extra: dict[str, Any], day: int, label: str,
                cancelled: Any = None) -> World | None:
    """A new world with ``settings`` (and ``extra``) replayed to ``day``.

    ``cancelled`` (a no-argument callable) is asked before every day; when it says True the
    replay stops and None is returned (a newer request superseded this one).
    """
    world = World(settings.load(extra), label)
    while world.day < min(day, world.model.days):
        if cancelled is not None and cancelled():
            return None
        world.step(1)
    return world


def world_link(settings: Settings, twin: str | None, day: int) -> str:
    """The query string that opens exactly this world: scenario, knobs, seed, day, twin."""
    from urllib.parse import urlencode

    pairs = [("scenario", settings.scenario)]
    pairs += [("set", f"{k}={_link_value(v)}") for k, v in settings.overrides]
    pairs += [("day", str(int(day)))] + ([("twin", twin)] if twin else [])
    return "?" + urlencode(pairs)


def _link_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _parse_link_value(key: str, text: str) -> Any:
    knob = KNOBS.get(key)
    if knob is not None and knob.choices and isinstance(knob.choices[0], str):
        return text
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return text  # refused below, by type


def parse_world_link(query: str) -> tuple[Settings, str | None, int, list[str]]:
    """The world a link asks for, every value checked like the sidebar's; plus what was refused.

    Unknown or out-of-list values are dropped (and listed), numbers clamped to their ranges.
    """
    from urllib.parse import parse_qs

    q = parse_qs(query[:4000], keep_blank_values=False)
    refused: list[str] = []
    try:
        settings = Settings(accept_scenario(q.get("scenario", [DEFAULT_SCENARIO])[0]))
    except RefusedValue:
        settings, _ = Settings(), refused.append("scenario")
    for item in q.get("set", [])[:20]:
        key, _, text = item.partition("=")
        try:
            settings = settings.with_knob(key, accept_knob(key, _parse_link_value(key, text)))
        except RefusedValue:
            refused.append(key[:40])
    try:
        twin = accept_twin(q.get("twin", [None])[0])
    except RefusedValue:
        twin, _ = None, refused.append("twin")
    try:
        day = max(0, min(int(q.get("day", ["0"])[0]), 100_000))
    except ValueError:
        day, _ = 0, refused.append("day")
    return settings, twin, day, refused


def compliance_rates(world: World) -> tuple[float, float]:
    """``compliance_rate`` and ``on_time_compliance_rate`` over the days simulated so far, by
    the summary's definition (:func:`simulation.metrics.compliance`)."""
    rates = metrics.compliance(metrics.tables_of(world.model))
    return rates["compliance_rate"], rates["on_time_compliance_rate"]


def knob_text(key: str, value: Any) -> str:
    """A knob's value as the sidebar shows it."""
    knob = KNOBS[key]
    if key == "registry.matching":
        return MATCHING_LABELS.get(value, str(value))
    if key == "registry.topology":
        return TOPOLOGY_LABELS.get(value, str(value))
    if isinstance(value, bool):
        return "on" if value else "off"
    if knob.unit == "share":
        return f"{float(value):.0%}"
    return f"{int(value):,}" if key != "seed" else str(int(value))


def board_entry(student: str, session: Session) -> Any:
    """What a session publishes to the class board: plain values, no reference to the world."""
    from simulation.viz.app_board import Entry

    world = session.a
    h = headline(world)
    rate, _ = compliance_rates(world)
    moved = tuple((KNOBS[k].label, knob_text(k, v)) for k, v in session.settings.overrides
                  if k in KNOBS)
    return Entry(student, session.settings.scenario, moved, world.day, rate, h.wrongful_people)


class Session:
    """One browser session's worlds. Every method takes the lock (play runs in a thread)."""

    def __init__(self, settings: Settings | None = None, world: World | None = None):
        self.lock = threading.RLock()
        self.settings = settings or Settings()
        self.twin: str | None = None
        self.version = 0
        self.a = world or World(self.settings.load(), "A")
        self.b: World | None = None

    @property
    def knobs(self) -> dict[str, Any]:
        """Knob values in force in world A."""
        return knob_values(self.a.scenario)

    def twin_overrides(self) -> dict[str, Any]:
        """What world B changes relative to world A."""
        return twin_overrides(self.twin, self.a.scenario)

    def twin_label(self) -> str:
        """A short description of world B's one change."""
        return twin_label(self.twin, self.a.scenario)

    def _rebuild(self, day: int) -> None:
        a = build_world(self.settings, {}, day, "A")
        b = build_world(self.settings, twin_overrides(self.twin, a.scenario), day, "B") \
            if self.twin else None
        self.install(self.settings, self.twin, a, b)

    def install(self, settings: Settings, twin: str | None, a: World, b: World | None) -> None:
        """Show these worlds from now on (built elsewhere, e.g. on a worker thread)."""
        with self.lock:
            self.settings, self.twin, self.a, self.b = settings, twin, a, b
            self.version += 1

    def set_scenario(self, name: str) -> None:
        """Switch scenario: back to day 0 with the scenario's own values."""
        with self.lock:
            self.settings = Settings(accept_scenario(name))
            self._rebuild(0)

    def set_knob(self, key: str, value: Any) -> None:
        """Change one knob and replay the worlds to the day they had reached."""
        with self.lock:
            value = accept_knob(key, value)
            if self.knobs.get(key) == value:
                return
            self.settings = self.settings.with_knob(key, value)
            self._rebuild(self.a.day)

    def set_twin(self, twin: str | None) -> None:
        """Choose world B's change (None: no twin) and bring it to world A's day."""
        with self.lock:
            twin = accept_twin(twin)
            if twin == self.twin:
                return
            self.twin = twin
            self.b = None
            if twin is not None:  # world A stays as it is
                self.b = build_world(self.settings, self.twin_overrides(), self.a.day, "B")
            self.version += 1

    def step(self, days: int = 1) -> bool:
        """Advance both worlds; returns True when the scenario's end is reached."""
        with self.lock:
            self.a.step(days)
            if self.b is not None:
                self.b.step(days)
            self.version += 1
            return self.a.done

    def reset(self) -> None:
        """Back to day 0 with the current settings."""
        with self.lock:
            self._rebuild(0)


# ---------------------------------------------------------------------------- case files


@dataclass
class CaseEntry:
    """One line of a case file: when, what, and the detail."""

    day: int | None
    title: str
    text: str
    kind: str = "info"  # info, record, transfer, sanction, appeal, remedy, warning


def person_label(model: JointSanctionsModel, person: int) -> str:
    """Pseudonym and ID of a person."""
    return f"{pseudonym(model, model.people.name[person])} (ID {int(person):06d})"


def wrongful_people(model: JointSanctionsModel, limit: int = 300) -> list[dict[str, Any]]:
    """Individuals wrongly sanctioned so far: first day, times, main cause; earliest first."""
    ev = model.events
    kind = ev.column("event")
    cause = ev.column("cause")
    sel = (kind == EVENT["sanction"]) & (cause != CAUSE["correct"]) & (
        ev.column("subject_kind") == PERSON)
    if not sel.any():
        return []
    subj = ev.column("subject")[sel]
    day = ev.column("day")[sel]
    cs = cause[sel]
    out = []
    order = np.lexsort((day, subj))
    subj, day, cs = subj[order], day[order], cs[order]
    starts = np.flatnonzero(np.r_[True, subj[1:] != subj[:-1]])
    ends = np.r_[starts[1:], subj.size]
    for s, e in zip(starts, ends, strict=True):
        vals, counts = np.unique(cs[s:e], return_counts=True)
        out.append({"person": int(subj[s]), "first_day": int(day[s]), "times": int(e - s),
                    "cause": CAUSES[int(vals[np.argmax(counts)])]})
    out.sort(key=lambda r: (r["first_day"], r["person"]))
    return out[:limit]


def _day_text(day: int) -> str:
    return "never" if day >= NEVER else f"day {day}"


def _id_text(model: JointSanctionsModel, entered: int, true: int) -> str:
    if entered == true:
        return "with the right ID"
    if entered == ID_MISSING:
        return "with no ID at all"
    if entered == ID_INVALID:
        return "with an ID that does not exist (mistyped)"
    return f"with a mistyped ID, {int(entered):06d}, which is {person_label(model, entered)}'s"


def case_story(model: JointSanctionsModel, person: int) -> list[CaseEntry]:
    """The case file of one individual: record, transfer, match rule, sanction, appeal, remedy.

    Entries are in day order (the model's 0-based days, as in events.parquet and ``trace``);
    the first entry introduces the person and undated warnings come last.
    """
    people = model.people
    jn = model.config.population.names()
    me = person_label(model, person)
    namesakes = int((people.name == people.name[person]).sum()) - 1
    head = CaseEntry(None, me, (
        f"Lives in jurisdiction {jn[int(people.jurisdiction[person])]}. "
        + (f"{namesakes} other {'person shares' if namesakes == 1 else 'people share'} the name "
           f"{pseudonym(model, people.name[person])} in this world." if namesakes else
           "Nobody else in this world has the same name.")), "info")

    ev = model.events
    sel = (ev.column("subject") == person) & (ev.column("subject_kind") == PERSON)
    idx = np.flatnonzero(sel & (ev.column("event") == EVENT["sanction"]))
    if idx.size == 0:
        return [head, CaseEntry(None, "No sanctions", "This person has not been sanctioned.")]
    days = ev.column("day")[idx]
    agencies = ev.column("agency")[idx]
    records = ev.column("record")[idx]
    causes = ev.column("cause")[idx]
    via = ev.column("via")[idx]
    wrong = causes != CAUSE["correct"]
    first_wrong = int(days[wrong].min()) if wrong.any() else None
    entries: list[CaseEntry] = []
    rows_seen: set[int] = set()
    pairs_seen: set[tuple[int, int]] = set()
    for i in np.flatnonzero(wrong):
        row, ag = int(records[i]), int(agencies[i])
        if row not in rows_seen:
            rows_seen.add(row)
            entries += _record_entries(model, person, row)
        if (row, ag) in pairs_seen:
            continue
        pairs_seen.add((row, ag))
        times = days[(records == row) & (agencies == ag) & wrong]
        entries += _copy_entries(model, person, row, ag, times, int(causes[i]), int(via[i]))
    rightly = int((~wrong).sum())
    if rightly:
        entries.append(CaseEntry(None, "Rightful sanctions too", (
            f"{rightly} of this person's {idx.size} sanctions were deserved: they were on a list "
            "themselves."), "info"))
    entries += _appeal_entries(model, person, first_wrong)
    return [head, *sorted(entries, key=lambda e: e.day if e.day is not None else 10**9)]


def _record_entries(model: JointSanctionsModel, person: int, row: int) -> list[CaseEntry]:
    """Where a record came from: who listed whom, with which ID, and its deletion."""
    reg = model.registry
    rec = reg.records
    names = model.node_names
    src = int(rec.source[row])
    list_name = reg.list_names[int(rec.list_id[row])].replace("_", " ")
    subject = int(rec.subject[row])
    if int(rec.subject_kind[row]) == PERSON:
        who = "this person" if subject == person else f"another person, {person_label(model, subject)},"
        true_id, entered = subject, int(rec.entered_id[row])
    else:
        rep = int(rec.rep_true[row])
        who = f"firm #{subject}, whose legal representative then was " + (
            "this person," if rep == person else f"{person_label(model, rep)},")
        true_id, entered = rep, int(rec.rep_entered_id[row])
    reason = CAUSES[int(rec.reason[row])] if rec.reason[row] >= 0 else ""
    why = f" It should not have: {REASON_TEXT.get(reason, reason)}." if rec.wrongful_source[row] else ""
    out = [CaseEntry(int(rec.listed_day[row]), f"Listed by {names[src]}", (
        f"{names[src]} put {who} on the {list_name} {_id_text(model, entered, true_id)}.{why}"),
        "record")]
    deleted = int(rec.deleted_day[row])
    if deleted < NEVER:
        dr = CAUSES[int(rec.delete_reason[row])] if rec.delete_reason[row] >= 0 else ""
        out.append(CaseEntry(deleted, f"Deleted at {names[src]}", (
            f"The record was deleted at its source: {REASON_TEXT.get(dr, dr)}."), "record"))
    return out


def _copy_entries(model: JointSanctionsModel, person: int, row: int, agency: int,
                  times: np.ndarray, cause: int, via: int) -> list[CaseEntry]:
    """How a record reached one agency's copy, how it matched, and the sanctions it caused."""
    reg = model.registry
    rec = reg.records
    names = model.node_names
    src = int(rec.source[row])
    deleted = int(rec.deleted_day[row])
    out = []
    arrive = int(reg.arrive[agency, row])
    direct = any(link.to == agency for link in reg.out_links[src])
    path = "directly" if direct else "through the sharing platform"
    if src != agency and arrive < NEVER:
        lag = arrive - int(rec.listed_day[row])
        out.append(CaseEntry(arrive, f"Copied to {names[agency]}", (
            f"The record reached {names[agency]}'s copy {path}, {lag} day{'s' if lag != 1 else ''} "
            "after listing" + (", but the ID field was dropped on the way: only the name arrived."
                               if reg.id_lost[agency, row] else ".")), "transfer"))
    if deleted < NEVER and src != agency:
        fate = copy_fate(model, row, agency, remedies(model, person, PERSON, row))
        title = {"arrived": f"Deletion reached {names[agency]}",
                 "never": f"Deletion never reached {names[agency]}",
                 "remedy": f"Removed from {names[agency]}'s copy by the court"}.get(fate.kind)
        if title:
            out.append(CaseEntry(fate.day, title, fate_text(fate, names[agency], row),
                                 "warning" if fate.kind == "never" else
                                 "remedy" if fate.kind == "remedy" else "transfer"))
    rule = next((a.rule for a in model.agency_agents if a.node == agency), "")
    by = "name" if via == Via.name else "ID"
    is_person = int(rec.subject_kind[row]) == PERSON
    explain = {
        "name_collision": (
            f"The record's name is {pseudonym(model, rec.name[row] if is_person else rec.rep_name[row])}, "
            "the same as this person's: a namesake."),
        "id_error": "The record carried this person's ID by mistake.",
        "stale_record": "The record was still in the copy although the source had deleted it.",
        "stale_representative": "This person no longer represents the listed firm.",
        "listed_at_source": "The record really is about this person, but the listing itself was wrong.",
        "paid_pending_deletion": "This person had paid; the court had not yet deleted the record.",
    }.get(CAUSES[cause], "")
    first = int(times.min())
    more = f", then {times.size - 1} more time{'s' if times.size > 2 else ''} up to day " \
        f"{int(times.max())}" if times.size > 1 else ""
    out.append(CaseEntry(first, f"Sanctioned by {names[agency]} (matched by {by})", (
        f"{names[agency]} matches users by '{MATCHING_LABELS.get(rule, rule)}' and matched this "
        f"person to the record by {by}. {explain} Refused service on day {first}{more}."),
        "sanction"))
    return out


def _appeal_entries(model: JointSanctionsModel, person: int, first_wrong: int | None) -> list[CaseEntry]:
    a = model.appeals
    n = a.n
    mine = np.flatnonzero((a.subject[:n] == person) & (a.subject_kind[:n] == PERSON))
    names = model.node_names
    out = []
    enabled = any(c.appeals_params.enabled for c in model.courts)
    if mine.size == 0:
        if not enabled:
            out.append(CaseEntry(None, "No appeal possible", (
                "Appeals are switched off: there is no way to object. The sanction lasts until the "
                "record leaves the agency's copy."), "warning"))
        else:
            out.append(CaseEntry(None, "No appeal (yet)", (
                "This person has not appealed: many of the wrongly sanctioned never do, and people "
                "with less money appeal less."), "warning"))
        return out
    for i in mine:
        filed = int(a.filed_day[i])
        out.append(CaseEntry(filed, "Appeal filed", (
            f"Objected to the sanction by {names[int(a.agency[i])]} at the court."), "appeal"))
        if a.status[i] == AppealStatus.decided:
            decided = int(a.decision_day[i])
            if a.upheld[i]:
                since = f" ({decided - first_wrong} days after the first wrongful sanction)" \
                    if first_wrong is not None else ""
                what = decision_text(model, person, PERSON, int(a.record[i]),
                                     names[int(a.agency[i])], decided)
                out.append(CaseEntry(decided, "Appeal upheld: remedy", (
                    f"The court agreed {decided - filed} days after filing{since}: "
                    f"{what}."), "remedy"))
            else:
                out.append(CaseEntry(decided, "Appeal rejected", (
                    f"The court rejected the appeal after {decided - filed} days."), "warning"))
        else:
            out.append(CaseEntry(None, "Appeal pending", (
                f"Still waiting for a decision ({model.day - filed + 1} days so far): the court's "
                "appeal desk has a queue."), "appeal"))
    return out


# ---------------------------------------------------------------------------- twin worlds


def _wrongful_by_person(world: World) -> dict[int, dict[str, Any]]:
    ev = world.model.events
    sel = (ev.column("event") == EVENT["sanction"]) & (ev.column("cause") != CAUSE["correct"]) \
        & (ev.column("subject_kind") == PERSON)
    names = world.model.node_names
    out: dict[int, dict[str, Any]] = {}
    for s, d, c, ag in zip(ev.column("subject")[sel], ev.column("day")[sel],
                           ev.column("cause")[sel], ev.column("agency")[sel], strict=True):
        v = out.setdefault(int(s), {"first": int(d), "last": int(d), "times": 0,
                                    "cause": CAUSES[int(c)], "agency": names[int(ag)]})
        v["times"] += 1
        v["last"] = max(v["last"], int(d))
    a = world.model.appeals
    n = a.n
    won = (a.status[:n] == AppealStatus.decided) & a.upheld[:n] & (a.subject_kind[:n] == PERSON)
    for s, d in zip(a.subject[:n][won], a.decision_day[:n][won], strict=True):
        if int(s) in out:
            out[int(s)].setdefault("remedy", int(d))
    return out


def _fate(v: dict[str, Any] | None) -> str:
    if v is None:
        return "never wrongly sanctioned"
    times = f"{v['times']} time{'s' if v['times'] > 1 else ''}"
    span = f"day {v['first']}" if v["first"] == v["last"] else \
        f"days {v['first']}-{v['last']}"
    remedy = f"; remedied on appeal, day {v['remedy']}" if "remedy" in v else ""
    return f"refused {times} ({span}), first by {v['agency']}: {_cause_text(v['cause'])}{remedy}"


def divergence(a: World, b: World, limit: int = 12) -> dict[str, Any]:
    """Same people, two worlds: who was wrongly sanctioned where, and how often.

    Returns the counts of people wrongly sanctioned only in A, only in B and in both, and rows
    for the people whose fates differ most (by the number of wrongful sanctions).
    """
    va, vb = _wrongful_by_person(a), _wrongful_by_person(b)
    everyone = set(va) | set(vb)

    def gap(p: int) -> int:
        return abs(va.get(p, {}).get("times", 0) - vb.get(p, {}).get("times", 0))

    differ = sorted((p for p in everyone if gap(p) > 0 or (p in va) != (p in vb)
                     or va[p].get("remedy") != vb[p].get("remedy")),
                    key=lambda p: (-gap(p), min(va.get(p, vb.get(p, {})).get("first", 0),
                                                vb.get(p, va.get(p, {})).get("first", 0)), p))
    rows = [{"person": person_label(a.model, p), "a": _fate(va.get(p)), "b": _fate(vb.get(p))}
            for p in differ[:limit]]
    return {
        "only_a": len(set(va) - set(vb)), "only_b": len(set(vb) - set(va)),
        "both": len(set(va) & set(vb)), "differ": len(differ), "rows": rows,
        "wrongful_a": sum(v["times"] for v in va.values()),
        "wrongful_b": sum(v["times"] for v in vb.values()),
    }


def link_staleness(model: JointSanctionsModel) -> list[dict[str, Any]]:
    """Every link today: the share of the records it delivered that are stale in the copy."""
    reg = model.registry
    rec = reg.records
    n = rec.n
    t = max(model.day, 0)
    out = []
    for src, links in reg.out_links.items():
        src_node = reg.nodes[src]
        if src_node.kind == "platform":
            from_src = (reg.arrive[src, :n] <= t)
        else:
            from_src = rec.source[:n] == src
        for link in links:
            present = reg.present(link.to, t) & from_src
            stale = present & (rec.deleted_day[:n] <= t)
            k = int(present.sum())
            out.append({"source": src, "to": link.to, "held": k, "stale": int(stale.sum()),
                        "share": (stale.sum() / k) if k else float("nan"), "sharing": link.sharing})
    return out


MISS_LABELS = {c: CAUSE_TEXT.get(c, c) for c in MISS_CAUSES}
