"""Courts, agencies and sharing platforms: the few, rich actors, as Mesa agents.

Each acts on the array-backed populations through vectorised rules. Order within a day (set by
the model): courts (judgments, payments, listing, delisting), then agencies (own lists,
redlists, service checks), then courts hear appeals (filed today or earlier), then platforms
(audit their copies).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation import appeals, behaviour
from simulation.appeals import AppealsDesk
from simulation.codes import (
    BLACK,
    FIRM,
    NEVER,
    PERSON,
    CaseStatus,
    Cause,
)
from simulation.registry import CopyView

if TYPE_CHECKING:
    from simulation.model import JointSanctionsModel


class Court(mesa.Agent):
    """A jurisdiction's court: judgments, listing, delisting on payment or expiry, appeals."""

    def __init__(self, model: JointSanctionsModel, jurisdiction: int, node: int):
        super().__init__(model)
        self.jurisdiction = jurisdiction
        self.node = node
        self.courts = model.local("courts", jurisdiction)
        self.registry_params = model.local("registry", jurisdiction)
        self.appeals_params = model.local("appeals", jurisdiction)
        self.behaviour = model.local("behaviour", jurisdiction)
        self.desk = AppealsDesk()
        self.open_cases = np.empty(0, dtype=np.int64)
        self.pending_deletions: dict[int, list[np.ndarray]] = {}
        pop = model.config.population
        z = NormalDist().inv_cdf(min(max(pop.unable_share, 1e-9), 1 - 1e-9))
        # Able to pay iff means exceed the unable-share quantile of the means distribution.
        self.person_means_cut = float(np.exp(z * 1.0))
        self.firm_means_cut = float(np.exp(0.5 + z * 1.0))

    # -------------------------------------------------------------- the day

    def step(self) -> None:
        """One day of the court's work."""
        m = self.model
        t = m.day
        self._judgments(t)
        self._payments_and_listing(t)
        self._deletions_due(t)
        self._expiries(t)

    def _judgments(self, t: int) -> None:
        m = self.model
        c = self.courts
        for kind, pop, rate in ((PERSON, m.people, c.judgment_rate_per_year),
                                (FIRM, m.firms, c.firm_judgment_rate_per_year)):
            lo, hi = pop.juris_start[self.jurisdiction], pop.juris_start[self.jurisdiction + 1]
            if hi <= lo or rate <= 0:
                continue
            rng = m.streams.get(f"judgments.{kind}", t, self.jurisdiction)
            count = rng.poisson((hi - lo) * rate / 365.0)
            subjects = np.unique(lo + rng.integers(0, hi - lo, count))
            subjects = subjects[pop.case[subjects] < 0]
            if subjects.size == 0:
                continue
            u = rng.random(subjects.size)
            cut = self.person_means_cut if kind == PERSON else self.firm_means_cut
            able = pop.means[subjects] > cut
            legit = m.legitimacy_of(subjects if kind == PERSON else m.firms.representative[subjects])
            p = behaviour.on_time_probability(self.behaviour, legit, m.bite[self.jurisdiction],
                                              m.legitimacy_ref)
            pays = able & (u < p)
            deadline = t + c.compliance_deadline_days
            pay_day = t + (rng.random(subjects.size) * c.compliance_deadline_days).astype(np.int64)
            # Drawn last, so that the draws above stay the same whatever this share is.
            never = able & (rng.random(subjects.size) < self.behaviour.never_comply_share)
            pay_day = np.where(pays & ~never, pay_day, NEVER)
            rows = m.cases.append(
                subject_kind=kind, subject=subjects, court=self.jurisdiction, judgment_day=t,
                deadline_day=deadline, able=able, pay_day=pay_day, status=CaseStatus.pending, never=never,
            )
            pop.case[subjects] = rows
            self.open_cases = np.concatenate([self.open_cases, rows])
            m.events.add(t, "judgment", kind, subjects, Cause.individual if kind == PERSON
                         else Cause.firm)
            m.counters.add(f"judgments.{'individuals' if kind == PERSON else 'firms'}", t,
                           subjects.size)

    def _payments_and_listing(self, t: int) -> None:
        m = self.model
        cases = m.cases
        oc = self.open_cases
        if oc.size == 0:
            return
        status = cases.status[oc]
        rng = m.streams.get("court.listing", t, self.jurisdiction)
        # On-time payments.
        paid = oc[(status == CaseStatus.pending) & (cases.pay_day[oc] <= t)]
        if paid.size:
            cases.status[paid] = CaseStatus.paid_on_time
            cases.closed_day[paid] = t
            self._close(paid)
            m.events.add(t, "compliance", cases.subject_kind[paid], cases.subject[paid],
                         Cause.on_time)
            m.counters.add("compliance.on_time", t, paid.size)
            clerical = paid[rng.random(paid.size) < self.courts.clerical_error_rate]
            if clerical.size:
                self._list(clerical, t, Cause.clerical, wrongful=True)
        # Deadline (plus grace) passed: list, or not.
        due = oc[(status == CaseStatus.pending) & (cases.pay_day[oc] > t) &
                 (cases.deadline_day[oc] + self.courts.grace_period_days <= t)]
        if due.size:
            able = cases.able[due]
            u = rng.random(due.size)
            p = np.where(able, self.courts.list_unwilling_probability,
                         self.courts.list_unable_probability)
            listed = due[u < p]
            skipped = due[u >= p]
            cases.status[skipped] = CaseStatus.not_listed
            cases.closed_day[skipped] = t
            if listed.size:
                cases.status[listed] = CaseStatus.listed
                ok = cases.able[listed]
                self._list(listed[ok], t, Cause.unwilling, wrongful=False)
                self._list(listed[~ok], t, Cause.unable, wrongful=True)
            self._close(skipped)
        # Listed debtors pay: a daily hazard, plus the push of sanctions they met yesterday.
        listed = oc[(cases.status[oc] == CaseStatus.listed) & cases.able[oc] & ~cases.never[oc]]
        if listed.size:
            subj = cases.subject[listed]
            kinds = cases.subject_kind[listed]
            who = np.where(kinds == PERSON, subj, m.firms.representative[np.where(
                kinds == FIRM, subj, 0)] if m.firms.n else subj)
            h = behaviour.listed_daily_hazard(self.behaviour, m.legitimacy_of(who),
                                              m.bite[self.jurisdiction], m.legitimacy_ref)
            pays = (rng.random(listed.size) < h) | cases.pushed[listed]
            cases.pushed[listed] = False
            payers = listed[pays]
            if payers.size:
                cases.status[payers] = CaseStatus.paid_after_listing
                m.truth_changed()
                cases.closed_day[payers] = t
                self._close(payers)
                m.events.add(t, "compliance", cases.subject_kind[payers], cases.subject[payers],
                             Cause.after_listing)
                m.counters.add("compliance.after_listing", t, payers.size)
                rows = cases.record[payers]
                self.schedule_deletion(rows[rows >= 0], t + self.courts.deletion_processing_days)

    def _close(self, rows: np.ndarray) -> None:
        m = self.model
        cases = m.cases
        for kind, pop in ((PERSON, m.people), (FIRM, m.firms)):
            sel = rows[cases.subject_kind[rows] == kind]
            pop.case[cases.subject[sel]] = -1
        status = m.cases.status[self.open_cases]
        still = (status == CaseStatus.pending) | (status == CaseStatus.listed)  # no np.isin cost
        self.open_cases = self.open_cases[still]

    def _list(self, case_rows: np.ndarray, t: int, reason: int, wrongful: bool) -> None:
        """Create blacklist records for these cases (data entry may err) and send them."""
        if case_rows.size == 0:
            return
        m = self.model
        cases = m.cases
        rows = m.create_records(
            source=self.node, list_id=m.list_index["court_blacklist"], color=BLACK,
            subject_kind=cases.subject_kind[case_rows], subject=cases.subject[case_rows],
            jurisdiction=self.jurisdiction, day=t, term_days=self.courts.listing_term_days,
            reason=reason, wrongful=wrongful, registry_params=self.registry_params,
            cases=case_rows,
        )
        cases.record[case_rows] = rows
        cases.listed_day[case_rows] = t
        m.counters.add("listings.court", t, rows.size)

    def schedule_deletion(self, rows: np.ndarray, day: int) -> None:
        """Delete these records at source on ``day`` (after processing time)."""
        if rows.size:
            self.pending_deletions.setdefault(day, []).append(rows)

    def _deletions_due(self, t: int) -> None:
        batches = self.pending_deletions.pop(t, [])
        if batches:
            rows = np.concatenate(batches)
            self.model.delete_records(rows, t, Cause.paid)

    def _expiries(self, t: int) -> None:
        m = self.model
        rows = m.expiring_today(self.node, t)
        if rows.size == 0:
            return
        deleted = m.delete_records(rows, t, Cause.expired)
        case_rows = m.registry.records.case[deleted]
        case_rows = case_rows[case_rows >= 0]
        still = case_rows[m.cases.status[case_rows] == CaseStatus.listed]
        m.cases.status[still] = CaseStatus.expired
        m.cases.closed_day[still] = t
        if still.size:
            self._close(still)

    def hear_appeals(self, t: int) -> None:
        """At the end of the day, after the agencies' checks: take up appeals from the queue
        within today's capacity, then decide those due today (with ``review_days = 0``, an
        appeal filed today and taken up today is decided today)."""
        if not (self.appeals_params.enabled or self.desk.backlog):
            return
        m = self.model
        self.desk.take_up(t, self.appeals_params.capacity_per_day, self.appeals_params.review_days,
                          m.appeals)
        decided = self.desk.due(t)
        if decided.size:
            appeals.decide_appeals(m, self, decided, t)


class Platform(mesa.Agent):
    """A sharing platform: relays list updates (propagation is drawn at send time) and audits
    its own copy against the truth every day, so drift is visible."""

    def __init__(self, model: JointSanctionsModel, node: int):
        super().__init__(model)
        self.node = node
        self.copy = CopyView(model.registry, node, range(len(model.registry.list_names)))

    def step(self) -> None:
        """Record how far this platform's copy has drifted from the sources."""
        m = self.model
        name = m.registry.nodes[self.node].name
        self.copy.refresh(m.day)
        m.counters.set(f"copy_size.{name}", m.day, self.copy.rows.size)
        m.counters.set(f"copy_stale.{name}", m.day, self.copy.stale(m.day))
