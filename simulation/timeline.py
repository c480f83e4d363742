"""Policy timelines: the dated reforms of a scenario, checked and compiled into a daily schedule.

A scenario's ``[[timeline]]`` entries (schema: :class:`~simulation.scenario.schema.TimelineEntry`) each
happen at the start of one day, given as ``day`` or as a ``date`` counted from the scenario's
``start_date``. An entry may

- ``set`` any validated dotted parameter (the names ``--set`` takes, jurisdiction overrides
  included: ``jurisdictions.j1.courts.grace_period_days``), optionally as a linear ramp over
  ``ramp_days`` from the value it had (or from ``ramp_from``) to the new value;
- ``enable`` / ``disable`` agencies of the roster (an agency disabled at the start and enabled
  later joins the network on that day and receives the list as its sources then hold it);
- add or change ``links`` (a new pair becomes a new sharing link) and ``remove_links`` (the link
  carries nothing more: sharing and deletion sharing 0).

The design follows Covasim's ``change_beta``/``dynamic_pars`` and Starsim's dated interventions:
entries are data, not code, so they are validated, swept, written back and explained like every
other parameter. This module is pure: it turns entries into :class:`Step` objects (what changes
on which day) and the scenario state they produce; :mod:`simulation.reforms` applies steps to a
running model. Common random numbers: nothing here draws, and nothing changes before an
entry's day, so a world with a reform on day D is identical to one without it until day D - 1.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from simulation.errors import ScenarioError, describe_unknown
from simulation.scenario.overrides import apply_overrides
from simulation.scenario.schema import Matching

if TYPE_CHECKING:
    from simulation.scenario.schema import Scenario, TimelineEntry

# Parts of a scenario that shape the population or the network itself: fixed for a run.
FIXED_TOP = ("name", "description", "days", "seed", "start_date", "population", "timeline")
FIXED_AGENCY = ("kind", "serves", "jurisdiction", "digital_only", "consumes")
FIXED_AGENCY_PRESENCE = ("own_blacklist", "redlist", "scoring")
FIXED_REGISTRY = ("topology", "platform")
LINK_KEY = "links"


@dataclass
class Step:
    """What one timeline entry changes at the start of one day."""

    day: int
    entry: int
    title: str
    changes: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    first: bool = True


def entry_day(entry: TimelineEntry, scenario: Scenario) -> int:
    """The day an entry happens (0 = the first simulated day)."""
    if entry.day is not None:
        return int(entry.day)
    if scenario.start_date is None:
        raise ValueError("has a date but the scenario has no start_date to count days from")
    return (entry.date - scenario.start_date).days  # type: ignore[operator]


def day_to_date(scenario: Scenario, day: int) -> date | None:
    """The calendar date of a simulated day, when the scenario has a ``start_date``."""
    return None if scenario.start_date is None else scenario.start_date + timedelta(days=day)


def entry_title(index: int, entry: TimelineEntry) -> str:
    """How errors and traces name an entry: ``timeline.2 ('airline checks begin')``."""
    label = entry.name or entry.label
    return f"timeline.{index}" + (f" ({label!r})" if label else "")


def link_changes(entry: TimelineEntry) -> list[dict[str, Any]]:
    """An entry's link upserts: ``links`` as given, ``remove_links`` as links carrying nothing."""
    out = [link.model_dump(exclude_none=True) for link in entry.links]
    out += [{"source": r.source, "to": r.to, "sharing": 0.0, "deletion_sharing": 0.0}
            for r in entry.remove_links]
    return out


def entry_changes(entry: TimelineEntry) -> dict[str, Any]:
    """An entry's parameter changes as dotted names (enable/disable become ``enabled`` flags)."""
    changes = dict(entry.set)
    for name in entry.enable:
        changes[f"agencies.{name}.enabled"] = True
    for name in entry.disable:
        changes[f"agencies.{name}.enabled"] = False
    return changes


def state_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as raw data, without its timeline: the state reforms change."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    data.pop("timeline", None)
    return data


def upsert_links(data: dict[str, Any], links: list[dict[str, Any]]) -> None:
    """Merge link entries into ``data['links']`` by (source, to); new pairs are appended."""
    table = data.setdefault(LINK_KEY, [])
    for link in links:
        match = next((lk for lk in table
                      if lk["source"] == link["source"] and lk["to"] == link["to"]), None)
        if match is None:
            table.append(dict(link))
        else:
            match.update(link)


def apply_to_data(data: dict[str, Any], steps: list[Step]) -> dict[str, Any]:
    """The raw state after these steps (a copy): dotted changes as ``--set``, then links."""
    out = data
    for step in steps:
        out = apply_overrides(out, step.changes)
        if step.links:
            out = copy.deepcopy(out) if out is data else out
            upsert_links(out, step.links)
    return out if out is not data else copy.deepcopy(data)


def lookup(data: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted name in raw scenario data (None if not set)."""
    node: Any = data
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _ramp_value(start: float, end: float, offset: int, span: int, integer: bool) -> float:
    value = start + (end - start) * min(offset, span) / span
    return round(value) if integer else value


class Timeline:
    """A scenario's timeline, validated and compiled: which steps run at the start of which day.

    Raises :class:`~simulation.errors.ScenarioError` naming the entry for: dates without a
    ``start_date``, days outside the run, unknown parameter or agency names (with did-you-mean),
    parameters that cannot change during a run, values the schema rejects, ramps of
    non-numbers, and contradictory steps (two entries changing one thing on one day, a step
    inside another entry's ramp of the same parameter).
    """

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.entries = list(scenario.timeline)
        self.days = [self._day(i, e) for i, e in enumerate(self.entries)]
        self.steps: dict[int, list[Step]] = {}
        self.dormant: list[str] = []
        if not self.entries:
            return  # nothing to compile (and nothing to copy: the common case stays cheap)
        self._check_names()
        self.dormant = self._dormant_agencies()
        self._compile(state_data(scenario))

    # ------------------------------------------------------------------ queries

    def due(self, day: int) -> list[Step]:
        """Steps to apply at the start of ``day``, in entry order."""
        return self.steps.get(day, [])

    def change_days(self) -> list[int]:
        """Days on which an entry starts (for markers on time-axis figures)."""
        return sorted(set(self.days))

    # ------------------------------------------------------------------ checks

    def _fail(self, index: int, reason: str, field_name: str = "") -> ScenarioError:
        where = f"timeline.{index}" + (f".{field_name}" if field_name else "")
        label = self.entries[index].name or self.entries[index].label
        return ScenarioError((f"({label!r}) " if label else "") + reason, field=where)

    def _day(self, index: int, entry: TimelineEntry) -> int:
        try:
            day = entry_day(entry, self.scenario)
        except ValueError as exc:
            raise self._fail(index, str(exc), "date") from None
        what = "date" if entry.day is None else "day"
        if day < 0:
            raise self._fail(index, f"falls before the start of the run (day {day})", what)
        if day >= self.scenario.days:
            raise self._fail(index, f"day {day} is past the end of the run (days = "
                             f"{self.scenario.days}: the last day is {self.scenario.days - 1})", what)
        return day

    def _check_names(self) -> None:
        seen: dict[str, int] = {}
        roster = sorted(self.scenario.agencies)
        for i, entry in enumerate(self.entries):
            if entry.name is not None:
                if entry.name in seen:
                    raise self._fail(i, f"name {entry.name!r} is also used by timeline.{seen[entry.name]}",
                                     "name")
                seen[entry.name] = i
            for key in (*entry.set, *entry.ramp_from):
                self._check_key(i, key)
            for what in ("enable", "disable"):
                for name in getattr(entry, what):
                    if name not in self.scenario.agencies:
                        raise self._fail(i, describe_unknown("agency", name, roster), what)
            for key in entry.ramp_from:
                if key not in entry.set:
                    raise self._fail(i, f"ramp_from names {key!r}, which set does not change",
                                     "ramp_from")
            if entry.ramp_from and not entry.ramp_days:
                raise self._fail(i, "ramp_from needs ramp_days > 0", "ramp_from")

    def _check_key(self, index: int, key: str) -> None:
        parts = key.split(".")
        top = parts[0]
        if top in FIXED_TOP or top == LINK_KEY or (len(parts) > 1 and parts[-2] == "registry"
                                                    and parts[-1] in FIXED_REGISTRY):
            hint = " (use links / remove_links)" if top == LINK_KEY else ""
            raise self._fail(index, f"{key!r} cannot change during a run{hint}: it shapes the "
                             "population, the network or the run itself", f"set.{key}")
        if top == "agencies" and len(parts) > 1:
            if parts[1] not in self.scenario.agencies:
                raise self._fail(index, describe_unknown("agency", parts[1],
                                                         sorted(self.scenario.agencies)),
                                 f"set.{key}")
            if len(parts) > 2 and parts[2] in FIXED_AGENCY:
                raise self._fail(index, f"{key!r} cannot change during a run: it shapes the "
                                 "agency's population or copy", f"set.{key}")

    def _dormant_agencies(self) -> list[str]:
        """Agencies disabled at the start that some entry enables (they join mid-run)."""
        later = {k.split(".")[1] for e in self.entries for k, v in entry_changes(e).items()
                 if k.endswith(".enabled") and k.startswith("agencies.") and v is True}
        return [n for n in self.scenario.agencies
                if n in later and not self.scenario.agencies[n].enabled]

    # ------------------------------------------------------------------ compiling

    def _compile(self, base: dict[str, Any]) -> None:
        order = sorted(range(len(self.entries)), key=lambda i: (self.days[i], i))
        touched: dict[tuple[str, int], int] = {}
        data = base
        for i in order:
            entry, day = self.entries[i], self.days[i]
            changes = entry_changes(entry)
            links = link_changes(entry)
            span = entry.ramp_days
            keys = list(changes) + [f"links[{lk['source']}->{lk['to']}].{f}"
                                    for lk in links for f in lk if f not in ("source", "to")]
            for key in keys:
                for d in range(day, day + max(span, 0) + 1):
                    other = touched.get((key, d))
                    if other is not None and other != i:
                        raise self._fail(i, f"changes {key} on day {d}, as does "
                                         f"{entry_title(other, self.entries[other])}: "
                                         "contradictory steps")
                    touched[(key, d)] = i
            title = entry_title(i, entry)
            if span:
                steps = self._ramp_steps(i, entry, day, changes, links, data)
            else:
                steps = [Step(day, i, title, changes, links)]
            for step in steps:
                self.steps.setdefault(step.day, []).append(step)
            for step in (steps[0], steps[-1]):
                data = self._validated(i, apply_to_data(data, [step]))
            if len(steps) > 1:
                data = apply_to_data(data, [steps[-1]])
        for day in self.steps:
            self.steps[day].sort(key=lambda s: s.entry)

    def _ramp_steps(self, index: int, entry: TimelineEntry, day: int, changes: dict[str, Any],
                    links: list[dict[str, Any]], data: dict[str, Any]) -> list[Step]:
        if links or entry.enable or entry.disable:
            raise self._fail(index, "only numeric parameters in set can ramp; put links and "
                             "agency switches in an entry without ramp_days", "ramp_days")
        starts: dict[str, float] = {}
        integer: dict[str, bool] = {}
        validated = self._validated(index, data)
        for key, end in changes.items():
            start = entry.ramp_from.get(key, lookup(data, key))
            if start is None:
                start = _schema_value(type(self.scenario), validated, key)
            for value in (start, end):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise self._fail(index, f"only numbers can ramp; {key} is {value!r}",
                                     f"set.{key}")
            starts[key] = float(start)
            integer[key] = isinstance(end, int) and isinstance(start, int)
        title = entry_title(index, entry)
        return [Step(day + k, index, title,
                     {key: _ramp_value(starts[key], float(end), k, entry.ramp_days, integer[key])
                      for key, end in changes.items()}, [], first=k == 0)
                for k in range(entry.ramp_days + 1)]

    def _validated(self, index: int, data: dict[str, Any]) -> dict[str, Any]:
        """Check a state against the schema and the fixed parts of the run; return it."""
        from pydantic import ValidationError

        try:
            state = type(self.scenario).model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            reason = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                reason = "unknown parameter"
            elif "input" in err and loc:
                reason += f" (got {err['input']!r})"
            raise self._fail(index, f"{loc}: {reason}" if loc else reason) from None
        self._check_fixed(index, state)
        return data

    def _check_fixed(self, index: int, state: Scenario) -> None:
        base = self.scenario
        for name, agency in state.agencies.items():
            before = base.agencies[name]
            for f in FIXED_AGENCY_PRESENCE:
                if (getattr(agency, f) is None) != (getattr(before, f) is None):
                    raise self._fail(index, f"agencies.{name}.{f} cannot be added or removed "
                                     "during a run (change its parameters instead)", "set")


def _schema_value(model: Any, data: dict[str, Any], dotted: str) -> Any:
    """A parameter's value with defaults filled in, from validated raw data."""
    return lookup(model.model_validate(data).model_dump(mode="json"), dotted)


MATCHING_WORDS = {Matching.id: "by national ID", Matching.name: "by name only",
                  Matching.name_jurisdiction: "by name and jurisdiction",
                  Matching.id_else_name: "by ID, or by name where the ID is unusable"}


def _who_and_what(dotted: str) -> tuple[str, str]:
    """(whose parameter, which parameter) of a dotted name, in words."""
    parts = dotted.split(".")
    if parts[0] == "agencies" and len(parts) > 2:
        return f"the {parts[1].replace('_', ' ')}", ".".join(parts[2:])
    if parts[0] == "jurisdictions" and len(parts) > 2:
        return f"in {parts[1]}", ".".join(parts[2:])
    return "", dotted


def describe_change(dotted: str, value: Any, ramp_days: int = 0) -> str:
    """One change in plain words: 'the airline began matching by national ID'."""
    who, what = _who_and_what(dotted)
    if what == "enabled":
        return f"{who or 'the agency'} {'began' if value else 'stopped'} enforcing its lists"
    if what.endswith("matching") and value in MATCHING_WORDS:
        subject = who or "every agency"
        if subject.startswith("in "):
            subject = f"agencies {subject}"
        return f"{subject} began matching {MATCHING_WORDS[value]}"
    over = f" over {ramp_days} days" if ramp_days else ""
    where = f" {who}" if who.startswith("in ") else ""
    owner = f"{who}'s " if who and not who.startswith("in ") else ""
    verb = "moved to" if ramp_days else "became"
    return f"{owner}{what}{where} {verb} {value!r}{over}".strip()


def describe_link(link: dict[str, Any]) -> str:
    """A link change in plain words."""
    ends = f"{link['source']} to {link['to']}"
    rest = {k: v for k, v in link.items() if k not in ("source", "to")}
    if rest == {"sharing": 0.0, "deletion_sharing": 0.0}:
        return f"the link from {ends} was cut"
    if not rest:
        return f"a link from {ends} opened"
    return f"the link from {ends}: " + ", ".join(f"{k} {v!r}" for k, v in rest.items())


def describe_entry(entry: TimelineEntry) -> str:
    """Everything an entry does, in plain words (its label first, if it has one)."""
    parts = [describe_change(k, v, entry.ramp_days) for k, v in entry_changes(entry).items()]
    parts += [describe_link(lk) for lk in link_changes(entry)]
    text = "; ".join(parts)
    return f"{entry.label}: {text}" if entry.label else text


def describe_step(scenario: Scenario, step: Step, extra: list[TimelineEntry] | None = None
                  ) -> str:
    """The first day of an entry, as the trace tells it: 'on day 730 the airline began ...'.

    ``extra`` entries (reforms added while running) are numbered after the scenario's own.
    """
    entries = [*scenario.timeline, *(extra or [])]
    text = (describe_entry(entries[step.entry]) if step.entry < len(entries)
            else "; ".join([*(describe_change(k, v) for k, v in step.changes.items()),
                            *(describe_link(lk) for lk in step.links)]))
    when = day_to_date(scenario, step.day)
    return f"on day {step.day}{f' ({when.isoformat()})' if when else ''} {text}"


def dated_descriptions(scenario: Scenario) -> list[tuple[int, str]]:
    """(day, words) of every entry of a scenario's timeline, in day order."""
    days = [entry_day(e, scenario) for e in scenario.timeline]
    order = sorted(range(len(days)), key=lambda i: (days[i], i))
    return [(days[i], describe_step(scenario, Step(days[i], i,
                                                   entry_title(i, scenario.timeline[i]))))
            for i in order]


def describe_timeline(scenario: Scenario) -> list[str]:
    """Every entry of a scenario's timeline in words, in day order."""
    return [text for _, text in dated_descriptions(scenario)]


def reform_marks(scenario: Scenario) -> list[tuple[int, str]]:
    """(day, short label) of every timeline entry, for markers on time-axis figures."""
    out = []
    for entry in scenario.timeline:
        short = entry.name or entry.label or describe_entry(entry)
        out.append((entry_day(entry, scenario), short if len(short) <= 40 else short[:39] + "…"))
    return sorted(out)


def truncate_timeline(scenario: Scenario) -> Scenario:
    """The scenario without the entries that start after its last day.

    Used when ``days`` is shortened by an override (``--days``, ``--set days=``, golden runs): a
    shorter run simply ends before its later reforms. A file that itself schedules an entry past
    its own end is still an error. (A ramp may run past the end: its later days never come.)
    """
    kept = []
    for entry in scenario.timeline:
        try:
            day = entry_day(entry, scenario)
        except ValueError:
            kept.append(entry)  # the check reports it
            continue
        if day < scenario.days:
            kept.append(entry)
    if len(kept) == len(scenario.timeline):
        return scenario
    return scenario.model_copy(update={"timeline": kept})


def check_timeline(scenario: Scenario) -> None:
    """Validate a scenario's timeline (raises ScenarioError naming the entry)."""
    if scenario.timeline:
        Timeline(scenario)


__all__ = ["Step", "Timeline", "apply_to_data", "check_timeline", "dated_descriptions",
           "day_to_date", "describe_change", "describe_entry", "describe_step",
           "describe_timeline", "entry_day", "entry_title", "reform_marks", "state_data",
           "truncate_timeline"]
