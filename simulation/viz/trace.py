"""One case's story in plain language: judgment, listing, how the record travelled, each sanction.

Events do not store names or the state of every copy, so a trace rebuilds the run from its
resolved ``scenario.toml`` (runs are deterministic: the rerun is the same run) and reads the
registry: who each record names, when it reached each agency's copy, whether the ID was lost on
the way and when (if ever) the deletion arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.codes import FIRM, NEVER, PERSON, cause_label
from simulation.errors import ScenarioError
from simulation.metrics import victim_spans
from simulation.names import display_name
from simulation.viz.figures import RunData, load_run
from simulation.viz.narrate import copy_fate, decision_text, remedies

LISTING_REASONS = {
    "unwilling": "able to pay but did not",
    "unable": "unable to pay (listing them is wrong at source)",
    "clerical": "a clerical error: they had paid on time",
    "agency_list": "on the agency's own blacklist",
    "not_legally_defined": "on an agency list without a legal basis (wrong at source)",
    "redlist": "admitted to a redlist",
}
DELIST_REASONS = {"paid": "the debt was paid", "expired": "the listing term expired",
                  "appeal_upheld": "an appeal was upheld", "redlist": "the redlist term ended"}


# ---------------------------------------------------------------------------- the rebuilt world


@dataclass
class Case:
    """A run read back plus its rebuilt model (registry, people, firms, cases, appeals)."""

    run: RunData
    model: object
    events: pd.DataFrame
    reproduced: bool

    @property
    def names(self) -> list[str]:
        """Node names (courts, agencies, platforms) by index."""
        return list(self.model.node_names)  # type: ignore[attr-defined]


def rebuild(run_dir: str | Path, rerun: bool = False) -> Case:
    """A run folder's case: read from its ``facts/`` and events when it has them (no
    simulation), else (or with ``rerun``) by rerunning its resolved scenario with the model
    kept, flagged if the rerun does not reproduce the folder's summary."""
    from simulation import load_scenario
    from simulation.facts import read_facts
    from simulation.runner import run as run_scenario

    data = load_run(run_dir)
    scen = Path(run_dir) / "scenario.toml"
    if not scen.exists():
        raise ScenarioError("run folder has no scenario.toml; cannot rebuild the case",
                            file=str(run_dir))
    scenario = load_scenario(scen)
    facts = Path(run_dir) / "facts"
    if facts.is_dir() and not rerun and "until" in data.events.columns:
        return Case(run=data, model=read_facts(facts, scenario), events=data.events,
                    reproduced=True)
    result = run_scenario(scenario, keep_model=True)
    keys = ("sanctions", "wrongful_sanctions", "judgments", "listings")
    reproduced = all(
        data.summary.get(k) is None or np.isnan(data.summary.get(k, np.nan)) or
        abs(float(data.summary[k]) - float(result.summary.get(k, np.nan))) < 1e-9
        for k in keys if k in data.summary)
    events = result.events
    return Case(run=data, model=result.model, events=events, reproduced=reproduced)


def _person_name(case: Case, person: int) -> str:
    m = case.model
    return display_name(int(m.people.name[person]), m.config.population.distinct_names)  # type: ignore


def _who(case: Case, person: int) -> str:
    m = case.model
    jname = m.config.population.names()[int(m.people.jurisdiction[person])]  # type: ignore
    return f"{_person_name(case, person)} (person {person}, {jname})"


def _jname(case: Case, j: int) -> str:
    names = case.model.config.population.names()  # type: ignore[attr-defined]
    return names[j] if 0 <= j < len(names) else "national"


def _record_owner(case: Case, row: int) -> str:
    rec = case.model.registry.records  # type: ignore[attr-defined]
    if int(rec.subject_kind[row]) == PERSON:
        return _who(case, int(rec.subject[row]))
    return f"firm {int(rec.subject[row])}"


def _entered_id_text(case: Case, row: int) -> str:
    rec = case.model.registry.records  # type: ignore[attr-defined]
    kind = int(rec.subject_kind[row])
    true = int(rec.subject[row])
    entered = int(rec.entered_id[row])
    what = "ID" if kind == PERSON else "credit code"
    if entered == true:
        text = f"its {what} was entered correctly"
    elif entered == -1:
        text = f"its {what} was left blank"
    elif entered == -2:
        text = f"its {what} was mistyped into an invalid number"
    else:
        other = _who(case, entered) if kind == PERSON else f"firm {entered}"
        text = f"its {what} was mistyped into {other}'s"
    if kind == FIRM:
        rep = int(rec.rep_true[row])
        if rep >= 0:
            text += f"; it names {_who(case, rep)} as legal representative"
    return text


def _travel(case: Case, row: int, brief: bool = False) -> list[str]:
    """How one record reached (or never reached) each copy."""
    m = case.model
    reg = m.registry  # type: ignore[attr-defined]
    days = int(m.days)  # type: ignore[attr-defined]
    source = int(reg.records.source[row])
    arrived, lost, never = [], [], []
    for node in reg.nodes:
        if node.index == source or node.kind == "court":
            continue
        a = int(reg.arrive[node.index, row])
        if a == NEVER or a >= days:
            never.append(node.name)
            continue
        item = f"{node.name} (day {a})"
        (lost if reg.id_lost[node.index, row] else arrived).append(item)
    lines = []
    if arrived:
        lines.append("The record reached " + ", ".join(arrived) + ".")
    if lost:
        lines.append("It reached these copies with the ID lost in transfer: " + ", ".join(lost) + ".")
    if never and not brief:
        lines.append("It never reached " + ", ".join(never) + ".")
    elif never:
        lines.append(f"It never reached {len(never)} other copies.")
    return lines


def _deletion_travel(case: Case, row: int, subject: int, kind: int) -> list[str]:
    """Which copies the deletion of a record reached, late or never, or a remedy emptied."""
    m = case.model
    reg = m.registry  # type: ignore[attr-defined]
    days = int(m.days)  # type: ignore[attr-defined]
    if int(reg.records.deleted_day[row]) >= days:
        return []
    mine = remedies(m, subject, kind, row)
    late, never, remedied = [], [], []
    for node in reg.nodes:
        a = int(reg.arrive[node.index, row])
        if node.kind == "court" or a == NEVER or a >= days:
            continue
        fate = copy_fate(m, row, node.index, mine)
        if fate.kind == "never":
            never.append(node.name)
        elif fate.kind == "remedy":
            remedied.append(f"{node.name} (day {fate.day})")
        elif fate.kind == "arrived" and fate.late:
            late.append(f"{node.name} ({fate.late} days late)")
    lines = []
    if late:
        lines.append("The deletion reached " + ", ".join(late) + ".")
    if never:
        lines.append("The deletion never reached " + ", ".join(never) +
                     " (a stale record stays there).")
    if remedied:
        lines.append("The deletion had not reached " + ", ".join(remedied) +
                     " when the court's remedy removed the record there.")
    if not late and not never and not remedied:
        lines.append("The deletion reached every copy the same day.")
    return lines


def _who_other(case: Case, person: int) -> str:
    m = case.model
    jname = m.config.population.names()[int(m.people.jurisdiction[person])]  # type: ignore
    return f"{_person_name(case, person)} (person {person}, {jname}, another person)"


def _sanction_text(case: Case, subject: int, kind: int, row: int, match: str) -> str:
    rec = case.model.registry.records  # type: ignore[attr-defined]
    how = {"id": "by ID", "name": "by name"}.get(match, "")
    owner_kind, owner = int(rec.subject_kind[row]), int(rec.subject[row])
    if kind == FIRM:
        whose = "its own record" if owner == subject else f"record #{row} of firm {owner} (another firm)"
        return f"matched {how} to {whose} #{row}" if owner == subject else f"matched {how} to {whose}"
    if owner_kind == PERSON:
        if owner == subject:
            return f"matched {how} to their own record #{row}"
        return f"matched {how} to record #{row} of {_who_other(case, owner)}"
    rep = int(rec.rep_true[row])
    now = int(case.model.firms.representative[owner]) if case.model.firms.n else -1  # type: ignore
    if rep == subject:
        tail = "they were its legal representative" + (" but no longer are" if now != subject else "")
        return f"matched {how} to record #{row} of firm {owner} ({tail})"
    return (f"matched {how} to record #{row} of firm {owner}, whose representative is "
            f"{_who_other(case, rep) if rep >= 0 else 'unknown'}")


def _runs(df: pd.DataFrame, keys: list[str]) -> list[tuple[tuple, pd.DataFrame]]:
    """Consecutive groups of rows with equal keys (rows already in day order)."""
    if df.empty:
        return []
    k = df[keys].astype(str).agg("|".join, axis=1)
    block = (k != k.shift()).cumsum()
    return [(tuple(g.iloc[0][keys]), g) for _, g in df.groupby(block, sort=False)]


def _days_text(g: pd.DataFrame) -> str:
    a, b = int(g["day"].min()), int(g["day"].max())
    return f"Day {a}" if a == b else f"Days {a}-{b}"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


# ---------------------------------------------------------------------------- spans


def wrongful_spans(case: Case) -> pd.DataFrame:
    """Per victim: first wrongful sanction, the day the last wrong match ended, span, count.

    A wrong (subject, agency, record) match lasts until the record leaves that copy, an upheld
    appeal exempts the subject, or the run ends (as in the summary's wrongful_sanction_days).
    """
    ev = case.events
    w = ev[ev["wrongful"]]
    cols = ["subject_kind", "subject", "first_day", "end_day", "span_days", "wrongful_sanctions",
            "agencies", "causes"]
    if w.empty:
        return pd.DataFrame(columns=cols)
    kinds = w["subject_kind"].astype(str).to_numpy()
    subj = w["subject"].to_numpy(np.int64)
    spans = victim_spans(kinds, subj, w["day"].to_numpy(), w["until"].to_numpy())
    frame = pd.DataFrame({"subject_kind": kinds, "subject": subj,
                          "agency": w["agency"].astype(str).to_numpy(),
                          "cause": w["cause"].astype(str).to_numpy()})
    g = frame.groupby(["subject_kind", "subject"], sort=True)
    counts = g.agg(wrongful_sanctions=("agency", "size"),
                   agencies=("agency", lambda s: ", ".join(sorted(set(s)))),
                   causes=("cause", lambda s: ", ".join(sorted(set(s))))).reset_index()
    out = spans.merge(counts, on=["subject_kind", "subject"], validate="one_to_one")
    out = out.sort_values(["span_days", "wrongful_sanctions", "subject"],
                          ascending=[False, False, True], kind="stable")
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------------------- stories


def _check_subject(case: Case, kind: int, subject: int) -> None:
    m = case.model
    pop = m.people if kind == PERSON else m.firms  # type: ignore[attr-defined]
    what = "person" if kind == PERSON else "firm"
    if not 0 <= subject < pop.n:
        hint = f"ids 0-{pop.n - 1:,}" if pop.n else "this run has none"
        raise ScenarioError(f"no {what} {subject} in this run ({hint})",
                            field="--person" if kind == PERSON else "--firm")


def _header(case: Case, kind: int, subject: int) -> str:
    m = case.model
    if kind == PERSON:
        p = m.people  # type: ignore[attr-defined]
        n_same = int(p.name_count[subject])
        same = "a name no one else has" if n_same == 1 else \
            f"a name shared by {n_same - 1} other {'person' if n_same == 2 else 'people'}"
        return (f"Person {subject}: {_person_name(case, subject)}, {same}; lives in "
                f"{_jname(case, int(p.jurisdiction[subject]))}; "
                f"{'has' if p.digital[subject] else 'has no'} digital footprint.")
    f = m.firms  # type: ignore[attr-defined]
    rep = int(f.representative[subject])
    return (f"Firm {subject} in {_jname(case, int(f.jurisdiction[subject]))}; legal representative "
            f"at the end of the run: {_who(case, rep)}.")


Item = tuple[int, int, str]  # (day, priority, text): a story line and where it goes


def story(case: Case, kind: int, subject: int, brief: bool = False) -> list[str]:
    """The lines of one subject's story (kind 0 = person, 1 = firm), in phases: the header,
    one line per event (judgments, payments, listings and their travel, delistings and where the
    deletion went, appeals), sanctions, misses and rewards in runs, then the summing-up."""
    _check_subject(case, kind, subject)
    kind_name = "individual" if kind == PERSON else "firm"
    ev = case.events
    mine = ev[(ev["subject_kind"].astype(str) == kind_name) & (ev["subject"] == subject)]
    mine = mine.sort_values("day", kind="stable")
    lines = [_header(case, kind, subject)]
    if mine.empty:
        lines.append("  Nothing happened to them in this run: no judgment, listing or sanction.")
        return lines
    items = _event_items(case, mine, kind, subject, brief) + _check_items(case, mine, kind,
                                                                          subject)
    # Sorted by day, then priority, then the order the lines were made in.
    order = sorted(range(len(items)), key=lambda i: (items[i][0], items[i][1], i))
    lines += ["  " + items[i][2] for i in order]
    return lines + _summing_up(case, mine, kind_name, subject)


def _event_items(case: Case, mine: pd.DataFrame, kind: int, subject: int,
                 brief: bool) -> list[Item]:
    """One line per judgment, payment, listing, delisting and appeal (with the record's travel)."""
    m = case.model
    rec = m.registry.records  # type: ignore[attr-defined]
    items: list[Item] = []
    for _, e in mine.iterrows():
        ev_kind, day = str(e["event"]), int(e["day"])
        cause, row, agency = str(e["cause"]), int(e["record"]), str(e["agency"])
        if ev_kind == "judgment":
            items.append((day, 0, f"Day {day}: a court judgment ordered them to pay a debt."))
        elif ev_kind == "compliance":
            items.append((day, 0, f"Day {day}: paid the debt " + (
                "on time." if cause == "on_time" else "after being listed.")))
        elif ev_kind == "listing":
            list_name = m.registry.list_names[int(rec.list_id[row])]  # type: ignore[attr-defined]
            items.append((day, 0, f"Day {day}: listed on the {list_name.replace('_', ' ')} by "
                                  f"{agency} as record #{row} (reason: "
                                  f"{LISTING_REASONS.get(cause, cause)}); "
                                  f"{_entered_id_text(case, row)}."))
            items += [(day, 0, f"    {t}") for t in _travel(case, row, brief)]
        elif ev_kind == "delisting":
            items.append((day, 1, f"Day {day}: record #{row} deleted at source "
                                  f"({DELIST_REASONS.get(cause, cause)})."))
            items += [(day, 1, f"    {t}") for t in _deletion_travel(case, row, subject, kind)]
        elif ev_kind == "appeal_filed":
            items.append((day, 3, f"Day {day}: objected to {agency}'s sanction on record #{row} "
                                  f"(it was {cause_label(cause)})."))
        elif ev_kind == "appeal_decided":
            what = (f"appeal upheld — {decision_text(m, subject, kind, row, agency, day)}."
                    if cause == "appeal_upheld" else "appeal rejected; the sanction stands.")
            items.append((day, 3, f"Day {day}: {what}"))
    return items


def _check_items(case: Case, mine: pd.DataFrame, kind: int, subject: int) -> list[Item]:
    """Sanctions and misses in runs of the same agency, record and cause; rewards in one line."""
    items: list[Item] = []
    event = mine["event"].astype(str)
    sanctions = mine[event == "sanction"]
    for (agency, row, match, cause), g in _runs(sanctions, ["agency", "record", "match", "cause"]):
        verdict = "correct" if cause == "correct" else f"WRONGFUL: {cause_label(cause)}"
        items.append((int(g["day"].min()), 2,
                      f"{_days_text(g)}: {agency} denied service {_times(len(g))} — "
                      f"{_sanction_text(case, subject, kind, int(row), str(match))} — {verdict}."))
    misses = mine[event == "miss"]
    for (agency, cause), g in _runs(misses, ["agency", "cause"]):
        items.append((int(g["day"].min()), 2,
                      f"{_days_text(g)}: got through {agency}'s check {_times(len(g))} "
                      f"although rightly listed ({cause_label(cause)})."))
    rewards = mine[event == "reward"]
    if len(rewards):
        bad = rewards[rewards["cause"].astype(str) != "eligible"]
        items.append((int(rewards["day"].min()), 2,
                      f"{_days_text(rewards)}: received {len(rewards)} redlist reward(s)" +
                      (f", {len(bad)} of them while ineligible." if len(bad) else ".")))
    return items


def _summing_up(case: Case, mine: pd.DataFrame, kind_name: str, subject: int) -> list[str]:
    """The last line: how often and how long they were wrongly sanctioned, or that every
    sanction was right."""
    spans = wrongful_spans(case)
    me = spans[(spans["subject_kind"] == kind_name) & (spans["subject"] == subject)]
    if len(me):
        r = me.iloc[0]
        to_end = ", to the end of the run" if int(r["end_day"]) >= case.model.days else ""  # type: ignore[attr-defined]
        return [f"  In all: wrongly sanctioned {_times(int(r['wrongful_sanctions']))} by "
                f"{r['agencies']} ({r['causes'].replace('_', ' ')}); wrongly exposed from day "
                f"{int(r['first_day'])} to day {int(r['end_day'])} ({int(r['span_days'])} days"
                f"{to_end})."]
    sanctions = int((mine["event"].astype(str) == "sanction").sum())
    if sanctions:
        return [f"  In all: sanctioned {_times(sanctions)}, every time rightly."]
    return []


def trace_text(run_dir: str | Path, person: int | None = None, firm: int | None = None,
               worst: int | None = None, case: Case | None = None) -> str:
    """The story of a person, a firm, or the ``worst`` N wrongly sanctioned, as plain text."""
    if sum(x is not None for x in (person, firm, worst)) != 1:
        raise ScenarioError("give exactly one of --person, --firm or --worst")
    case = case or rebuild(run_dir)
    kind, subject = (PERSON, person) if person is not None else (FIRM, firm)
    if subject is not None and hasattr(case.model, "knows"):
        _check_subject(case, kind, int(subject))
        if not case.model.knows(kind, int(subject)):
            case = rebuild(run_dir, rerun=True)  # no event or record involves them: rerun
    out: list[str] = []
    if not case.reproduced:
        out.append("note: rerunning this folder's scenario did not reproduce its summary "
                   "(was it made by another version?); the story below is of the rerun.")
    if person is not None:
        out += story(case, PERSON, int(person))
    elif firm is not None:
        out += story(case, FIRM, int(firm))
    else:
        out += worst_text(case, int(worst or 0))
    return "\n".join(out) + "\n"


def worst_text(case: Case, n: int) -> list[str]:
    """Brief stories of the N subjects wrongly exposed longest."""
    if n < 1:
        raise ScenarioError("must be at least 1", field="--worst")
    spans = wrongful_spans(case)
    if spans.empty:
        return ["No one was wrongly sanctioned in this run."]
    top = spans.head(n)
    plural = "s" if len(top) > 1 else ""
    out = [f"The {len(top)} longest wrongful sanction{plural} (of {len(spans):,} people and firms "
           f"wrongly sanctioned):", ""]
    for i, r in enumerate(top.itertuples(), 1):
        kind = PERSON if r.subject_kind == "individual" else FIRM
        out.append(f"#{i}: {int(r.span_days)} days wrongly exposed, {r.causes.replace('_', ' ')}")
        out += ["  " + line for line in story(case, kind, int(r.subject), brief=True)]
        out.append("")
    return out


def worst_cases(case: Case, n: int) -> list[tuple[str, list[str]]]:
    """(title, story lines) of the N longest wrongful sanctions (for the HTML report)."""
    spans = wrongful_spans(case)
    out = []
    for r in spans.head(n).itertuples():
        kind = PERSON if r.subject_kind == "individual" else FIRM
        title = (f"{'Person' if kind == PERSON else 'Firm'} {int(r.subject)}: "
                 f"{int(r.span_days)} days wrongly exposed ({r.causes.replace('_', ' ')})")
        out.append((title, story(case, kind, int(r.subject), brief=True)))
    return out
