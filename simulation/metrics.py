"""Events, daily counters and the run summary.

Every sanction, miss, reward, listing, delisting, compliance and appeal is logged as an event row
with its cause, classified from ground truth at the moment it happens. Daily counters become the
time series. Every metric is defined once, here, as a function of a run's tables
(:class:`RunTables`: events, counters, the court and appeals dockets, the population's
attributes) as of a day, never of the live model: the summary, the app's headline and ``trace``
read the same definitions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import codes
from simulation.codes import (
    CAUSES,
    EVENTS,
    NEVER,
    NO_ROW,
    PERSON,
    SUBJECT_KINDS,
    VIA,
    AppealStatus,
    CaseStatus,
    Cause,
    Event,
    Via,
)

# Re-exported for the modules that read codes through metrics; their home is simulation.codes.
CAUSE: dict[str, Cause] = {c.name: c for c in Cause}
EVENT: dict[str, Event] = {e.name: e for e in Event}
WRONGFUL_CAUSES: tuple[str, ...] = tuple(c.name for c in codes.WRONGFUL_CAUSES)
MISS_CAUSES: tuple[str, ...] = tuple(c.name for c in codes.MISS_CAUSES)
REWARD_CAUSES: tuple[str, ...] = tuple(c.name for c in codes.REWARD_CAUSES)


class EventLog:
    """Append-only columns of event rows, stored in chunks and joined at the end."""

    COLUMNS = {
        "day": np.int32, "event": np.int8, "subject_kind": np.int8, "subject": np.int64,
        "agency": np.int16, "record": np.int64, "via": np.int8, "cause": np.int8,
        "causes_any": np.int64,
    }

    def __init__(self) -> None:
        self.chunks: dict[str, list[np.ndarray]] = {k: [] for k in self.COLUMNS}
        self.n = 0  # rows so far: the index the next event will have

    def add(self, day: int, event: str, subject_kind: int | np.ndarray,
            subject: np.ndarray, cause: int | np.ndarray, agency: int | np.ndarray = -1,
            record: int | np.ndarray = NO_ROW, via: int | np.ndarray = Via.none,
            causes_any: int | np.ndarray = 0) -> None:
        """Append one batch of events of one kind (``causes_any``: a sanction's cause bit set)."""
        n = np.size(subject)
        if n == 0:
            return
        values = {
            "day": day, "event": Event[event], "subject_kind": subject_kind, "subject": subject,
            "agency": agency, "record": record, "via": via, "cause": cause,
            "causes_any": causes_any,
        }
        self.n += n
        for key, dtype in self.COLUMNS.items():
            self.chunks[key].append(np.broadcast_to(np.asarray(values[key], dtype=dtype), n).copy())

    def column(self, key: str) -> np.ndarray:
        """One column, all events so far."""
        parts = self.chunks[key]
        return np.concatenate(parts) if parts else np.empty(0, dtype=self.COLUMNS[key])

    def frame(self, agency_names: list[str]) -> pd.DataFrame:
        """Events as a DataFrame with readable categorical labels."""
        return events_frame({k: self.column(k) for k in self.COLUMNS}, agency_names)


def events_frame(cols: dict[str, np.ndarray], agency_names: list[str]) -> pd.DataFrame:
    """Event columns (:attr:`EventLog.COLUMNS`, and ``until`` if given: see :class:`RunTables`)
    as the DataFrame written to ``events.parquet``, with readable categorical labels."""
    df = pd.DataFrame({
        "day": cols["day"],
        "event": pd.Categorical.from_codes(cols["event"], categories=list(EVENTS)),
        "subject_kind": pd.Categorical.from_codes(cols["subject_kind"],
                                                  categories=list(SUBJECT_KINDS)),
        "subject": cols["subject"],
        "agency": pd.Categorical.from_codes(cols["agency"].astype(np.int32),
                                            categories=list(agency_names)),
        "record": cols["record"],
        "match": pd.Categorical.from_codes(cols["via"], categories=list(VIA)),
        "cause": pd.Categorical.from_codes(cols["cause"], categories=list(CAUSES)),
        "causes_any": cols["causes_any"],
    })
    if "until" in cols:
        df["until"] = cols["until"]
    df["wrongful"] = (df["event"] == "sanction") & (df["cause"] != "correct")
    return df


class Counters:
    """Named daily counters; each becomes a column of the time series."""

    def __init__(self, days: int):
        self.days = days
        self.values: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(days, dtype=np.float64))

    def add(self, name: str, day: int, amount: float = 1.0) -> None:
        """Add to counter ``name`` on ``day``."""
        self.values[name][day] += amount

    def set(self, name: str, day: int, value: float) -> None:
        """Set a level (a stock) for ``day``."""
        self.values[name][day] = value

    def frame(self) -> pd.DataFrame:
        """The time series: one row per day, columns sorted by name."""
        df = pd.DataFrame({k: self.values[k] for k in sorted(self.values)})
        df.insert(0, "day", np.arange(self.days, dtype=np.int32))
        return df


def ratio(num: float, den: float) -> float:
    """num/den, or NaN when den is zero (JSON writes it as null)."""
    return float(num) / float(den) if den else float("nan")


@dataclass(frozen=True)
class RunTables:
    """What the metrics read: a run's tables as of a day, not the live model.

    ``horizon`` is the number of days simulated (the whole run, or the days so far in the app);
    ``events`` holds every event column plus ``until``: for a sanction, the day its (subject,
    agency, record) match ended (the record left that copy, an upheld appeal exempted the
    subject there or everywhere, or the horizon came first); -1 for other events.
    """

    horizon: int
    events: dict[str, np.ndarray]
    counters: dict[str, np.ndarray]
    cases: dict[str, np.ndarray]
    appeals: dict[str, np.ndarray]
    appeals_backlog: int
    grace_period_days: int
    legitimacy_reference: float
    people: dict[str, np.ndarray]
    jurisdiction_names: list[str]


def tables_of(model) -> RunTables:  # noqa: ANN001 - a JointSanctionsModel
    """The model's tables as of its last simulated day (the metrics' only input)."""
    horizon = model.day + 1
    events = {k: model.events.column(k) for k in EventLog.COLUMNS}
    events["until"] = sanction_until(model, events, horizon)
    people = model.people
    return RunTables(
        horizon=horizon, events=events,
        counters={k: v[:horizon] for k, v in model.counters.values.items()},
        cases=model.cases.columns(), appeals=model.appeals.columns(),
        appeals_backlog=sum(court.desk.backlog for court in model.courts),
        grace_period_days=model.config.courts.grace_period_days,
        legitimacy_reference=float(model.legitimacy_ref),
        people={"name": people.name, "common_name": people.common_name,
                "digital": people.digital, "jurisdiction": people.jurisdiction},
        jurisdiction_names=model.config.population.names())


def sanction_until(model, events: dict[str, np.ndarray], horizon: int) -> np.ndarray:  # noqa: ANN001
    """For each sanction event, the day its (subject, agency, record) match ended (see
    :class:`RunTables`); -1 for every other event."""
    until = np.full(events["day"].size, -1, dtype=np.int32)
    sanction = np.flatnonzero(events["event"] == Event.sanction)
    if sanction.size:
        agency = events["agency"][sanction].astype(np.int64)
        record, subject = events["record"][sanction], events["subject"][sanction]
        reg = model.registry
        end = np.minimum(reg.deleted[agency, record], horizon).astype(np.int64)
        for node in np.unique(agency):  # where a copy expires records locally, at term's end
            at = np.flatnonzero(agency == node)
            local = reg.expires_locally(int(node), record[at])
            end[at[local]] = np.minimum(end[at[local]], reg.records.expiry_day[record[at[local]]])
        if model.exemptions:
            end = np.minimum(end, model.exemptions.granted_day(agency, subject, record))
        until[sanction] = end
    return until


def summarise(run: RunTables) -> dict[str, float]:
    """The run summary: one flat mapping of metric name to number (docs/model.md, Outputs),
    computed from the run's tables alone, in phases."""
    s: dict[str, float] = {}
    for phase in (compliance, sanctions_and_misses, appeals, rewards, stocks, who_bears):
        s.update(phase(run))
    return {k: (round(v, 12) if isinstance(v, float) else float(v)) for k, v in sorted(s.items())}


def compliance(run: RunTables) -> dict[str, float]:
    """Judgments, compliance rates (of the judgments whose deadline and grace have passed by the
    horizon) and compliance within 120 days of listing."""
    cases, horizon = run.cases, run.horizon
    status = cases["status"]
    had_chance = (cases["deadline_day"] + run.grace_period_days) < horizon
    judged = int(had_chance.sum())
    paid_on_time = int((had_chance & (status == CaseStatus.paid_on_time)).sum())
    paid_after = int((had_chance & (status == CaseStatus.paid_after_listing)).sum())
    listed_day = cases["listed_day"]
    window = (listed_day <= horizon - 120) & (listed_day != NEVER)
    paid_120 = window & (status == CaseStatus.paid_after_listing) & (
        cases["closed_day"] - listed_day <= 120)
    return {
        "judgments": float(status.size),
        "compliance_rate": ratio(paid_on_time + paid_after, judged),
        "on_time_compliance_rate": ratio(paid_on_time, judged),
        "listed_compliance_within_120d": ratio(int(paid_120.sum()), int(window.sum())),
        "still_listed_cases_end": float((status == CaseStatus.listed).sum()),
    }


def _subject_keys(events: dict[str, np.ndarray], mask: np.ndarray) -> np.ndarray:
    """One integer per (subject kind, subject) of the masked events."""
    return events["subject_kind"][mask].astype(np.int64) * (1 << 40) + events["subject"][mask]


def sanctions_and_misses(run: RunTables) -> dict[str, float]:
    """Sanctions by primary and contributing cause, misses by cause, precision and recall,
    who was wronged and for how long, repeat blocks and evasion."""
    ev = run.events
    kind, cause, subj, skind = ev["event"], ev["cause"], ev["subject"], ev["subject_kind"]
    sanction = kind == Event.sanction
    wrong = sanction & (cause != Cause.correct)
    correct = int((sanction & ~wrong).sum())
    miss = kind == Event.miss
    s: dict[str, float] = {"sanctions": float(sanction.sum()),
                           "correct_sanctions": float(correct),
                           "wrongful_sanctions": float(wrong.sum()),
                           "missed_sanctions": float(miss.sum())}
    any_bits = ev["causes_any"]
    for code in codes.WRONGFUL_CAUSES:
        s[f"wrongful_sanctions.{code.name}"] = float((sanction & (cause == code)).sum())
        s[f"wrongful_sanctions_any.{code.name}"] = float(
            (wrong & ((any_bits & (1 << int(code))) != 0)).sum())
    for code in codes.MISS_CAUSES:
        s[f"missed_sanctions.{code.name}"] = float((miss & (cause == code)).sum())
    s["sanction_precision"] = ratio(correct, s["sanctions"])
    s["sanction_recall"] = ratio(correct, correct + s["missed_sanctions"])
    s["wrongful_people"] = float(np.unique(_subject_keys(ev, wrong)).size)
    s["wrongful_sanction_days"] = float(victim_spans(
        skind[wrong], subj[wrong], ev["day"][wrong], ev["until"][wrong])["span_days"].sum())
    s["blocked_attempts_per_person"] = ratio(
        correct, np.unique(_subject_keys(ev, sanction & ~wrong)).size)
    evaded = miss & (cause == Cause.evaded)
    listed_users = (sanction & ~wrong) | miss
    s["evasion_share"] = ratio(np.unique(subj[evaded & (skind == PERSON)]).size,
                               np.unique(subj[listed_users & (skind == PERSON)]).size)
    return s


def victim_spans(subject_kind: np.ndarray, subject: np.ndarray, day: np.ndarray,
                 until: np.ndarray) -> pd.DataFrame:
    """One row per victim, given the columns of their wrongful sanctions: the first wrongful
    sanction's day, the day their last wrong match ended (the events' ``until``), and the span
    between (at least 1 day). The summary's ``wrongful_sanction_days`` is the sum of the spans."""
    frame = pd.DataFrame({"subject_kind": np.asarray(subject_kind), "subject": subject,
                          "first_day": np.asarray(day, dtype=np.int64),
                          "end_day": np.asarray(until, dtype=np.int64)})
    out = frame.groupby(["subject_kind", "subject"], sort=True).agg(
        first_day=("first_day", "min"), end_day=("end_day", "max")).reset_index()
    out["span_days"] = np.maximum(out["end_day"] - out["first_day"], 1)
    return out


def appeals(run: RunTables) -> dict[str, float]:
    """Appeals filed, decided and upheld, the backlog at the horizon, days to a remedy."""
    a = run.appeals
    decided = a["status"] == AppealStatus.decided
    upheld = decided & a["upheld"]
    wait = (a["decision_day"] - a["filed_day"])[upheld]
    return {"appeals_filed": float(decided.size), "appeals_decided": float(decided.sum()),
            "appeals_upheld": float(upheld.sum()),
            "appeals_backlog_end": float(run.appeals_backlog),
            "mean_days_to_remedy": float(wait.mean()) if wait.size else float("nan")}


def rewards(run: RunTables) -> dict[str, float]:
    """Redlist rewards, and the ineligible ones by cause."""
    ev = run.events
    reward = ev["event"] == Event.reward
    cause = ev["cause"]
    s = {"rewards": float(reward.sum()),
         "ineligible_rewards": float((reward & (cause != Cause.eligible)).sum())}
    for code in codes.INELIGIBLE_CAUSES:
        s[f"ineligible_rewards.{code.name}"] = float((reward & (cause == code)).sum())
    return s


def stocks(run: RunTables) -> dict[str, float]:
    """Levels on the last day (legitimacy, listed stock, copies' staleness) and flow totals."""
    c = run.counters
    total = {k: float(v.sum()) for k, v in c.items()}
    individuals = float(c["listed_stock.individuals"][-1])
    firms = float(c["listed_stock.firms"][-1])
    listings = float(total.get("listings.court", 0.0))
    delistings = float(total.get("delistings", 0.0))
    legitimacy = float(c["legitimacy_mean"][-1])
    stale = [c[k][-1] for k in c if k.startswith("copy_stale.")]
    size = [c[k][-1] for k in c if k.startswith("copy_size.")]
    return {
        "legitimacy_mean": legitimacy,
        "legitimacy_change": legitimacy - run.legitimacy_reference,
        "listed_stock_end": float(c["listed_stock.individuals"][-1] + c["listed_stock.firms"][-1]),
        "listed_stock_end.individuals": individuals, "listed_stock_end.firms": firms,
        "listed_per_100k_end": 1e5 * individuals / run.people["name"].size,
        "listings": listings, "delistings": delistings,
        "deletions_per_addition": ratio(delistings, listings + total.get("listings.agency", 0.0)
                                        + total.get("listings.redlist", 0.0)),
        "copy_stale_share_end": ratio(sum(stale), sum(size)),
    }


def who_bears(run: RunTables) -> dict[str, float]:
    """People wrongly sanctioned per 100,000 of each group (common or rare name, digital
    footprint or none, each jurisdiction) and the mean number of namesakes."""
    from simulation.names import expected_namesakes

    ev, people = run.events, run.people
    wrong = (ev["event"] == Event.sanction) & (ev["cause"] != Cause.correct)
    victims = np.unique(ev["subject"][wrong & (ev["subject_kind"] == PERSON)])
    common, digital = people["common_name"], people["digital"]
    s: dict[str, float] = {}
    for label, mask in (("common_name", common), ("rare_name", ~common),
                        ("digital", digital), ("no_digital", ~digital)):
        s[f"wrongful_people_per_100k.{label}"] = 1e5 * ratio(mask[victims].sum(), mask.sum())
    for j, jname in enumerate(run.jurisdiction_names):
        in_j = people["jurisdiction"] == j
        s[f"wrongful_people_per_100k.{jname}"] = 1e5 * ratio(in_j[victims].sum(), in_j.sum())
    s["mean_namesakes"] = expected_namesakes(people["name"])
    return s
