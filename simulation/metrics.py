"""Events, daily counters and the run summary.

Every sanction, miss, reward, listing, delisting, compliance and appeal is logged as an event row
with its cause, classified from ground truth at the moment it happens. Daily counters become the
time series; the summary is computed from both.
"""

from __future__ import annotations

from collections import defaultdict

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
        cols = {k: self.column(k) for k in self.COLUMNS}
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


def summarise(model) -> dict[str, float]:  # noqa: ANN001 - a JointSanctionsModel
    """The run summary: one flat mapping of metric name to number (see docs/metrics.md)."""
    from simulation.names import expected_namesakes

    days = model.days
    c = model.counters.values
    s: dict[str, float] = {}
    total = {k: float(v.sum()) for k, v in c.items()}
    cases = model.cases
    n = cases.n
    status = cases.status[:n]
    had_chance = (cases.deadline_day[:n] + model.config.courts.grace_period_days) < days
    judged = int(had_chance.sum())
    paid_on_time = int((had_chance & (status == CaseStatus.paid_on_time)).sum())
    paid_after = int((had_chance & (status == CaseStatus.paid_after_listing)).sum())
    s["judgments"] = float(n)
    s["compliance_rate"] = ratio(paid_on_time + paid_after, judged)
    s["on_time_compliance_rate"] = ratio(paid_on_time, judged)
    listed_day = cases.listed_day[:n]
    window = (listed_day <= days - 120) & (listed_day != NEVER)
    paid_120 = window & (status == CaseStatus.paid_after_listing) & (cases.closed_day[:n] - listed_day <= 120)
    s["listed_compliance_within_120d"] = ratio(int(paid_120.sum()), int(window.sum()))
    s["still_listed_cases_end"] = float((status == CaseStatus.listed).sum())

    ev = model.events
    kind = ev.column("event")
    cause = ev.column("cause")
    subj = ev.column("subject")
    skind = ev.column("subject_kind")
    day = ev.column("day")
    agency = ev.column("agency")
    record = ev.column("record")
    sanction = kind == Event.sanction
    wrong = sanction & (cause != Cause.correct)
    correct = int((sanction & ~wrong).sum())
    s["sanctions"] = float(sanction.sum())
    s["correct_sanctions"] = float(correct)
    s["wrongful_sanctions"] = float(wrong.sum())
    any_bits = ev.column("causes_any")
    for code in codes.WRONGFUL_CAUSES:
        s[f"wrongful_sanctions.{code.name}"] = float((sanction & (cause == code)).sum())
        s[f"wrongful_sanctions_any.{code.name}"] = float(
            (wrong & ((any_bits & (1 << int(code))) != 0)).sum())
    miss = kind == Event.miss
    s["missed_sanctions"] = float(miss.sum())
    for code in codes.MISS_CAUSES:
        s[f"missed_sanctions.{code.name}"] = float((miss & (cause == code)).sum())
    s["sanction_precision"] = ratio(correct, s["sanctions"])
    s["sanction_recall"] = ratio(correct, correct + s["missed_sanctions"])
    wkeys = skind[wrong].astype(np.int64) * (1 << 40) + subj[wrong]
    s["wrongful_people"] = float(np.unique(wkeys).size)
    s["wrongful_sanction_days"] = float(victim_spans(
        model, skind[wrong], subj[wrong], agency[wrong], record[wrong], day[wrong])[
        "span_days"].sum())
    ok_keys = skind[sanction & ~wrong].astype(np.int64) * (1 << 40) + subj[sanction & ~wrong]
    s["blocked_attempts_per_person"] = ratio(correct, np.unique(ok_keys).size)
    evaded = miss & (cause == Cause.evaded)
    listed_users = (sanction & ~wrong) | miss
    s["evasion_share"] = ratio(np.unique(subj[evaded & (skind == PERSON)]).size,
                               np.unique(subj[listed_users & (skind == PERSON)]).size)

    a = model.appeals
    na = a.n
    decided = a.status[:na] == AppealStatus.decided
    upheld = decided & a.upheld[:na]
    s["appeals_filed"] = float(na)
    s["appeals_decided"] = float(decided.sum())
    s["appeals_upheld"] = float(upheld.sum())
    s["appeals_backlog_end"] = float(sum(court.desk.backlog for court in model.courts))
    wait = (a.decision_day[:na] - a.filed_day[:na])[upheld]
    s["mean_days_to_remedy"] = float(wait.mean()) if wait.size else float("nan")

    reward = kind == Event.reward
    s["rewards"] = float(reward.sum())
    s["ineligible_rewards"] = float((reward & (cause != Cause.eligible)).sum())
    for code in codes.INELIGIBLE_CAUSES:
        s[f"ineligible_rewards.{code.name}"] = float((reward & (cause == code)).sum())

    s["legitimacy_mean"] = float(c["legitimacy_mean"][-1])
    s["legitimacy_change"] = s["legitimacy_mean"] - float(model.legitimacy_ref)
    s["listed_stock_end"] = float(c["listed_stock.individuals"][-1] + c["listed_stock.firms"][-1])
    s["listed_stock_end.individuals"] = float(c["listed_stock.individuals"][-1])
    s["listed_stock_end.firms"] = float(c["listed_stock.firms"][-1])
    s["listed_per_100k_end"] = 1e5 * s["listed_stock_end.individuals"] / model.people.n
    s["listings"] = float(total.get("listings.court", 0.0))
    s["delistings"] = float(total.get("delistings", 0.0))
    s["deletions_per_addition"] = ratio(s["delistings"], s["listings"] + total.get(
        "listings.agency", 0.0) + total.get("listings.redlist", 0.0))

    people = model.people
    victims = np.unique(subj[wrong & (skind == PERSON)])
    for label, mask in (("common_name", people.common_name), ("rare_name", ~people.common_name),
                        ("digital", people.digital), ("no_digital", ~people.digital)):
        s[f"wrongful_people_per_100k.{label}"] = 1e5 * ratio(mask[victims].sum(), mask.sum())
    for j, jname in enumerate(model.config.population.names()):
        in_j = people.jurisdiction == j
        s[f"wrongful_people_per_100k.{jname}"] = 1e5 * ratio(in_j[victims].sum(), in_j.sum())
    s["mean_namesakes"] = expected_namesakes(people.name)
    stale = [c[k][-1] for k in c if k.startswith("copy_stale.")]
    size = [c[k][-1] for k in c if k.startswith("copy_size.")]
    s["copy_stale_share_end"] = ratio(sum(stale), sum(size))
    return {k: (round(v, 12) if isinstance(v, float) else float(v)) for k, v in sorted(s.items())}


def wrong_match_end(model, agency: np.ndarray, record: np.ndarray,  # noqa: ANN001
                    subject: np.ndarray) -> np.ndarray:
    """The day each wrong (subject, agency, record) match ended: the record left that copy, an
    upheld appeal exempted the subject there (or everywhere), or the run ended."""
    agency = agency.astype(np.int64)
    end = np.minimum(model.registry.deleted[agency, record], model.days).astype(np.int64)
    if model.exemptions:
        end = np.minimum(end, model.exemptions.granted_day(agency, subject, record))
    return end


def victim_spans(model, subject_kind: np.ndarray, subject: np.ndarray,  # noqa: ANN001
                   agency: np.ndarray, record: np.ndarray, day: np.ndarray) -> pd.DataFrame:
    """One row per victim of wrongful sanctions (given: those sanctions' columns): the first
    wrongful sanction's day, the day their last wrong match ended, and the span between (at
    least 1 day). The summary's ``wrongful_sanction_days`` is the sum of the spans."""
    frame = pd.DataFrame({
        "subject_kind": subject_kind, "subject": subject, "first_day": day.astype(np.int64),
        "end_day": wrong_match_end(model, agency, record, subject)})
    out = frame.groupby(["subject_kind", "subject"], sort=True).agg(
        first_day=("first_day", "min"), end_day=("end_day", "max")).reset_index()
    out["span_days"] = np.maximum(out["end_day"] - out["first_day"], 1)
    return out
