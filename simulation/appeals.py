"""Objections and appeals: filing, a finite-capacity FIFO queue per court, review and remedy.

Anchors: court review within 15 days; the listing stays in force meanwhile (SPC 2017). An upheld
appeal either clears the sanctioning copy only or the source and every copy (``remedy_scope``).
What a remedy does depends on why the sanction was wrong: a namesake or a mistyped ID is
exempted from that record; a stale record is deleted; a wrongful listing is delisted at source.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from simulation import behaviour
from simulation.codes import NEVER, NO_ROW, PERSON, AppealStatus, CaseStatus, Cause
from simulation.tables import Table

if TYPE_CHECKING:
    from simulation.agencies import Agency
    from simulation.institutions import Court
    from simulation.model import JointSanctionsModel


def new_appeals_table() -> Table:
    """Columns of the appeals docket (one row per appeal)."""
    return Table({
        "subject_kind": (np.int8, PERSON),
        "subject": (np.int64, -1),
        "record": (np.int64, NO_ROW),
        "agency": (np.int16, -1),
        "court": (np.int16, -1),
        "cause": (np.int8, -1),
        "valid": (np.bool_, False),
        "filed_day": (np.int32, -1),
        "taken_day": (np.int32, -1),
        "decision_day": (np.int32, -1),
        "upheld": (np.bool_, False),
        "status": (np.int8, AppealStatus.open),
    })


class AppealsDesk:
    """One court's queue: takes up to ``capacity`` cases a day, decides after ``review_days``."""

    def __init__(self) -> None:
        self.queue: deque[int] = deque()
        self.in_review: deque[tuple[int, int]] = deque()  # (decision day, appeal id)
        self.credit = 0.0

    def file(self, appeal_ids: np.ndarray) -> None:
        """Add new appeals to the back of the queue."""
        self.queue.extend(int(a) for a in appeal_ids)

    def take_up(self, day: int, capacity: float, review_days: int, table: Table) -> None:
        """Take cases from the queue within today's capacity (fractional capacity accumulates).

        At most ``ceil(capacity)`` cases a day: unused capacity is not banked beyond that.
        """
        self.credit = min(self.credit + capacity, float(math.ceil(capacity)))
        while self.queue and self.credit >= 1.0:
            a = self.queue.popleft()
            self.credit -= 1.0
            table.taken_day[a] = day
            table.decision_day[a] = day + review_days
            self.in_review.append((day + review_days, a))
        if not self.queue:
            self.credit = min(self.credit, capacity)

    def due(self, day: int) -> np.ndarray:
        """Appeals whose decision falls today."""
        out = []
        while self.in_review and self.in_review[0][0] <= day:
            out.append(self.in_review.popleft()[1])
        return np.asarray(out, dtype=np.int64)

    @property
    def backlog(self) -> int:
        """Cases filed and not yet decided."""
        return len(self.queue) + len(self.in_review)


class Exemptions:
    """Upheld appeals that exempt a subject from one record, at one agency or everywhere.

    A grant is keyed by (record, target, subject), where the target is the sanctioning agency's
    node or ``everywhere`` (one past the last node); it holds from the day granted onwards.
    """

    def __init__(self, n_nodes: int, n_subjects: int):
        self.everywhere = n_nodes
        self.span = n_subjects + 1
        self.granted: dict[int, int] = {}  # key -> first day the exemption holds
        self.keys = np.empty(0, dtype=np.int64)  # the granted keys, sorted

    def __bool__(self) -> bool:
        return bool(self.granted)

    def key(self, target: int | np.ndarray, subjects: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Integer key of (record, agency node or everywhere, subject)."""
        return (rows.astype(np.int64) * (self.everywhere + 1) + target) * self.span + subjects

    def grant(self, targets: list[int], subjects: list[int], rows: list[int], day: int) -> None:
        """Exempt each (subject, record) at its target from ``day`` (earlier grants stand)."""
        if not targets:
            return
        keys = self.key(np.asarray(targets, dtype=np.int64), np.asarray(subjects, dtype=np.int64),
                        np.asarray(rows, dtype=np.int64))
        for k in keys:
            self.granted.setdefault(int(k), day)
        self.keys = np.unique(np.concatenate([self.keys, keys]))

    def contains(self, agency_node: int, subjects: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Whether each (subject, record) is exempt at this agency (there or everywhere)."""
        out = np.zeros(subjects.size, dtype=bool)
        if self.keys.size == 0:
            return out
        for target in (agency_node, self.everywhere):
            k = self.key(target, subjects, rows)
            pos = np.minimum(np.searchsorted(self.keys, k), self.keys.size - 1)
            out |= self.keys[pos] == k
        return out

    def granted_day(self, agency_nodes: np.ndarray, subjects: np.ndarray,
                    rows: np.ndarray) -> np.ndarray:
        """First day each (agency, subject, record) was exempt there or everywhere (NEVER: not)."""
        out = np.full(subjects.size, NEVER, dtype=np.int64)
        if self.keys.size == 0:
            return out
        days = np.fromiter((self.granted[int(k)] for k in self.keys), dtype=np.int64,
                           count=self.keys.size)
        for target in (agency_nodes.astype(np.int64), np.full(subjects.size, self.everywhere)):
            k = self.key(target, subjects, rows)
            pos = np.minimum(np.searchsorted(self.keys, k), self.keys.size - 1)
            hit = self.keys[pos] == k
            out[hit] = np.minimum(out[hit], days[pos[hit]])
        return out


def file_appeals(model: JointSanctionsModel, agency: Agency, subjects: np.ndarray,
                 rows: np.ndarray, code: np.ndarray, u: np.ndarray, t: int) -> None:
    """Today's sanctioned subjects may object (``u``: one uniform each); the appeals go to the
    record's court, one open appeal per (subject, record) at a time."""
    m = model
    rec = m.registry.records
    jur = rec.jurisdiction[rows].astype(np.int64)
    means = (m.firms.means if agency.serves_firms else m.people.means)[subjects]
    p = np.zeros(subjects.size)
    for j in np.unique(jur):
        ap = m.courts[int(j)].appeals_params
        if not ap.enabled:
            continue
        sel = jur == j
        wrong = code[sel] != Cause.correct
        pw = behaviour.appeal_probability(ap.file_probability_wrongful, means[sel],
                                          ap.means_effect)
        pr = behaviour.appeal_probability(ap.file_probability_rightful, means[sel],
                                          ap.means_effect)
        p[sel] = np.where(wrong, pw, pr)
    new = []
    for i in np.flatnonzero(u < p):
        key = (agency.kind, int(subjects[i]), int(rows[i]))
        if key not in m.open_appeals:
            m.open_appeals.add(key)
            new.append(i)
    if not new:
        return
    idx = np.asarray(new)
    ids = m.appeals.append(
        subject_kind=agency.kind, subject=subjects[idx], record=rows[idx], agency=agency.node,
        court=jur[idx], cause=code[idx], valid=code[idx] != Cause.correct, filed_day=t,
    )
    for j in np.unique(jur[idx]):
        m.courts[int(j)].desk.file(ids[jur[idx] == j])
    m.events.add(t, "appeal_filed", agency.kind, subjects[idx], code[idx], agency.node, rows[idx])
    m.counters.add("appeals_filed", t, idx.size)


def decide_appeals(model: JointSanctionsModel, court: Court, ids: np.ndarray, t: int) -> None:
    """Decide the court's appeals due today; remedy the upheld ones within the remedy scope."""
    m = model
    ap = court.appeals_params
    a = m.appeals
    rng = m.streams.get("appeals.decision", t, court.jurisdiction)
    right = rng.random(ids.size) < ap.accuracy
    upheld = np.where(right, a.valid[ids], ~a.valid[ids])
    a.upheld[ids] = upheld
    a.status[ids] = AppealStatus.decided
    for i in ids:
        m.open_appeals.discard((int(a.subject_kind[i]), int(a.subject[i]), int(a.record[i])))
    m.events.add(t, "appeal_decided", a.subject_kind[ids], a.subject[ids],
                 np.where(upheld, Cause.appeal_upheld, Cause.appeal_rejected),
                 a.agency[ids], a.record[ids])
    m.counters.add("appeals_decided", t, ids.size)
    m.counters.add("appeals_upheld", t, int(upheld.sum()))
    win = ids[upheld]
    if win.size == 0:
        return
    _remedy(m, win, ap.remedy_scope == "all_copies", t)
    persons = a.subject[win][a.subject_kind[win] == PERSON]
    if persons.size:
        m.legitimacy.change(
            persons, m.local("behaviour", court.jurisdiction).legitimacy_gain_remedy)


def _remedy(m: JointSanctionsModel, win: np.ndarray, everywhere: bool, t: int) -> None:
    """What an upheld appeal does, by the sanction's cause: a stale record leaves the copy (or
    every copy); a wrongful listing is delisted at source (all-copies scope); anything else
    exempts the subject from that record. Decided at the end of day t, after the day's checks:
    remedies hold from day t + 1."""
    a = m.appeals
    effective = t + 1
    targets: list[int] = []
    subjects: list[int] = []
    rows: list[int] = []
    for i in win:
        cause, row = int(a.cause[i]), int(a.record[i])
        agency_node = int(a.agency[i])
        if cause == Cause.stale_record:
            if everywhere:
                m.registry.delete_everywhere(np.array([row]), effective)
            else:
                m.registry.deleted[agency_node, row] = min(
                    int(m.registry.deleted[agency_node, row]), effective)
        elif cause == Cause.listed_at_source and everywhere:
            m.delete_records(np.array([row]), t, Cause.appeal_upheld)
            m.registry.delete_everywhere(np.array([row]), effective)
            case = int(m.registry.records.case[row])
            if case >= 0 and m.cases.status[case] == CaseStatus.listed:
                m.cases.status[case] = CaseStatus.remedied
                m.cases.closed_day[case] = t
                m.courts[int(m.cases.court[case])]._close(np.array([case]))
        else:
            targets.append(m.exemptions.everywhere if everywhere else agency_node)
            subjects.append(int(a.subject[i]))
            rows.append(row)
    m.exemptions.grant(targets, subjects, rows, effective)
