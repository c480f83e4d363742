"""Agencies (and private platforms) and their service: the check at the counter.

An agency keeps its own copy of the lists it consumes, may originate its own blacklist, redlist
or points score, and every day checks the subjects who use its service against its copy. Each
check ends in a sanction, a reward or nothing; every sanction is classified by cause, and every
rightly listed user who gets through is a miss with its cause (:mod:`simulation.classify`), from
ground truth at the moment of the check (:meth:`JointSanctionsModel.truth`).

Service, in phases (:meth:`Agency.serve`): ground truth for today's users; their matches in the
copy (less evasions and exemptions); sanctions and their causes; misses and theirs; the bite the
rightly listed felt; then the consequences of today's sanctions (retries, the push to pay,
legitimacy, appeals) and the redlist's rewards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import mesa
import numpy as np

from simulation import appeals, classify
from simulation.codes import (
    BLACK,
    FIRM,
    ID_MISSING,
    NEVER,
    PERSON,
    RED,
    WRONGFUL_CAUSES,
    CaseStatus,
    Cause,
)
from simulation.population import UserSampler, propensity_levels
from simulation.registry import MatchIndex, expand_matches

if TYPE_CHECKING:
    from simulation.model import JointSanctionsModel
    from simulation.scenario import Agency as AgencyConfig


class TruthNow(NamedTuple):
    """Today's users against ground truth: who is rightly listed (pairs), who is listed at all."""

    rightful_user: np.ndarray  # position in ``users`` of each (user, rightful record) pair
    rightful_row: np.ndarray  # the rightful record of that pair
    sanctionable: np.ndarray  # per user: rightly listed enough to be sanctioned
    listed_any: np.ndarray  # per user: on any blacklist record this agency enforces


class Agency(mesa.Agent):
    """An agency (or private platform): keeps a copy, checks subjects at service time,
    sanctions or rewards, may originate its own blacklist, redlist or points score."""

    def __init__(self, model: JointSanctionsModel, name: str, config: AgencyConfig, node: int):
        super().__init__(model)
        self.name = name
        self.config = config
        self.node = node
        self.jurisdiction = model.registry.nodes[node].jurisdiction
        reg = model.local("registry", self.jurisdiction)
        self.registry_params = reg
        self.rule = str(config.matching or reg.matching)
        self.serves_firms = config.serves == "firms"
        self.kind = FIRM if self.serves_firms else PERSON
        self.consumes = model.registry.nodes[node].consumes
        self.black_list_ids = np.asarray(
            sorted(i for i in self.consumes if model.list_colors[i] == BLACK), dtype=np.int16)
        self.own_list = model.list_index.get(f"{name}_blacklist")
        self.red_list = model.list_index.get(f"{name}_redlist")
        self.retries = np.empty(0, dtype=np.int64)
        pop = model.firms if self.serves_firms else model.people
        if self.jurisdiction >= 0:
            lo, hi = pop.juris_start[self.jurisdiction], pop.juris_start[self.jurisdiction + 1]
        else:
            lo, hi = 0, pop.n
        self.lo, self.hi = int(lo), int(hi)
        eligible = None
        if config.digital_only and not self.serves_firms:
            eligible = model.people.digital[lo:hi]
        levels = propensity_levels(model.config.population.service_propensity_shape)
        self.sampler = UserSampler(pop.propensity_class[lo:hi], levels, int(lo), eligible)
        self.population_served = self.sampler.population
        self.index = MatchIndex(model.registry, node, self.black_list_ids, self.rule,
                                self.serves_firms, model.config.firms.representatives_sanctioned,
                                model.n_jurisdictions)
        self.red_index = None if self.red_list is None else MatchIndex(
            model.registry, node, [self.red_list], self.rule, self.serves_firms, False,
            model.n_jurisdictions)

    def step(self) -> None:
        """Originate own listings, admit to the redlist, then serve today's users."""
        m = self.model
        t = m.day
        self._own_expiries(t)
        if self.config.own_blacklist is not None:
            self._originate(t)
        self.index.update(t)
        m.counters.set(f"copy_size.{self.name}", t, self.index.rows.size)
        m.counters.set(f"copy_stale.{self.name}", t, self.index.copy.stale(t))
        if self.config.redlist is not None:
            self._admit_redlist(t)
        users = self._draw_users(t)
        if users.size:
            self.serve(users, t)

    # -------------------------------------------------------------- service

    def serve(self, users: np.ndarray, t: int) -> None:
        """Check today's users against this agency's copy; sanction, reward, or miss; classify."""
        m = self.model
        truth = self._truth_now(users, t)
        rng = m.streams.get(f"evasion.{self.name}", t)
        evaded = truth.listed_any & (rng.random(users.size) < self.config.evasion_probability)
        if m.truth_log is not None:
            m.truth_log.check(t, self.node, m.events.n, users, evaded)
        found, rows, via = self._sanctions(users, evaded, t)
        sanctioned = np.zeros(users.size, dtype=bool)
        sanctioned[found.user] = True
        self._misses(users, truth, sanctioned, evaded, t)
        self._observe_bite(users, truth.sanctionable, sanctioned)
        m.counters.add("evasions", t, int(evaded.sum()))
        self._after_sanctions(users[found.user], rows[found.pair], found.cause, t)
        if self.red_list is not None:
            self._rewards(users, t)

    def _points(self) -> tuple[int, int] | None:
        """Points scoring as (points per record, points to lose before a sanction), or None."""
        scoring = self.config.scoring
        if scoring is None:
            return None
        return scoring.points_per_record, scoring.points_start - scoring.threshold

    def _truth_pairs(self, label: str, users: np.ndarray, t: int,
                     filter_lists: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``users``, record) pairs of the users on ground-truth records now."""
        m = self.model
        keys, rows = m.truth(t)[label][self.kind]
        pos, r = expand_matches(keys, rows, users)
        if filter_lists and r.size:
            keep = np.isin(m.registry.records.list_id[r], self.black_list_ids)
            pos, r = pos[keep], r[keep]
        return pos, r

    def _truth_now(self, users: np.ndarray, t: int) -> TruthNow:
        """Ground truth now: rightly listed users (on a list this agency enforces), anyone listed."""
        n = users.size
        tpos, trow = self._truth_pairs("rightful", users, t)
        lpos, _ = self._truth_pairs("listed", users, t)
        points = self._points()
        n_true = np.bincount(tpos, minlength=n)
        sanctionable = n_true > 0 if points is None else n_true * points[0] > points[1]
        listed_any = np.zeros(n, dtype=bool)
        listed_any[lpos] = True
        return TruthNow(tpos, trow, sanctionable, listed_any)

    def _sanctions(self, users: np.ndarray, evaded: np.ndarray,
                   t: int) -> tuple[classify.Sanctions, np.ndarray, np.ndarray]:
        """Match the users in the copy (less evasions and exemptions), sanction, record events.

        Returns the sanctions found and the record and route of every kept (user, record) pair.
        """
        m = self.model
        people = m.people
        names = None if self.serves_firms else people.name[users]
        juris = None if self.serves_firms else people.jurisdiction[users]
        pos, rows, via = self.index.pairs(users, names, juris)
        keep = ~evaded[pos]
        if m.exemptions:
            keep &= ~m.exemptions.contains(self.node, users[pos], rows)
        pos, rows, via = pos[keep], rows[keep], via[keep]
        bits = self._pair_causes(users[pos], rows, via, t)
        found = classify.sanctions(pos, bits, users.size, self._points())
        code = found.cause
        m.events.add(t, "sanction", self.kind, users[found.user], code, self.node,
                     rows[found.pair], via[found.pair], causes_any=found.causes_any)
        c = m.counters
        c.add("sanctions", t, found.user.size)
        c.add(f"sanctions_by_agency.{self.name}", t, found.user.size)
        c.add("wrongful_sanctions", t, int((code != Cause.correct).sum()))
        for cause in WRONGFUL_CAUSES:
            c.add(f"wrongful_sanctions.{cause.name}", t, int((code == cause).sum()))
        return found, rows, via

    def _pair_causes(self, users: np.ndarray, rows: np.ndarray, via: np.ndarray,
                     t: int) -> np.ndarray:
        """Cause bit sets of (user, record) matches, from the records and ground truth now."""
        m = self.model
        rec = m.registry.records
        subject = rec.subject[rows]
        if self.serves_firms:
            names_user = subject == users
            current = np.ones(users.size, dtype=bool)
        else:
            person_rec = rec.subject_kind[rows] == PERSON
            names_user = np.where(person_rec, subject == users, rec.rep_true[rows] == users)
            current = person_rec.copy()
            if m.firms.n:
                rep_now = m.firms.representative[np.where(person_rec, 0, subject)]
                current |= rep_now == users
        return classify.pair_causes(
            names_user=names_user, current_link=current, via=via,
            active_at_source=(rec.listed_day[rows] <= t) & (rec.deleted_day[rows] > t),
            wrongful_source=rec.wrongful_source[rows], paid=m.record_paid(rows))

    def _misses(self, users: np.ndarray, truth: TruthNow, sanctioned: np.ndarray,
                evaded: np.ndarray, t: int) -> None:
        """Rightly listed users who got through: one miss each, with its cause."""
        missed = truth.sanctionable & ~sanctioned
        if not missed.any():
            return
        m = self.model
        sel = missed[truth.rightful_user]
        mpos, mrow = truth.rightful_user[sel], truth.rightful_row[sel]
        first = np.ones(mpos.size, dtype=bool)
        first[1:] = mpos[1:] != mpos[:-1]
        mpos, mrow = mpos[first], mrow[first]
        cause = self._miss_causes(users[mpos], mrow, t)
        if m.exemptions:
            cause[m.exemptions.contains(self.node, users[mpos], mrow)] = Cause.exempted
        cause[evaded[mpos]] = Cause.evaded
        m.events.add(t, "miss", self.kind, users[mpos], cause, self.node, mrow)
        m.counters.add("missed_sanctions", t, mpos.size)
        for code in np.unique(cause):
            m.counters.add(f"missed_sanctions.{Cause(code).name}", t, int((cause == code).sum()))

    def _miss_causes(self, users: np.ndarray, rows: np.ndarray, t: int) -> np.ndarray:
        """Why truly listed users got through, from the state of their records in the copy."""
        reg = self.model.registry
        rec = reg.records
        node = self.node
        arrive = reg.arrive[node, rows]
        deleted = reg.deleted[node, rows]
        present = (arrive <= t) & (deleted > t)
        gone = reg.expired_in_copy(node, rows, t)
        if self.serves_firms:
            entered = rec.entered_id[rows]
            lost = np.zeros(users.size, dtype=bool)
            stale_rep = np.zeros(users.size, dtype=bool)
        else:
            person_rec = rec.subject_kind[rows] == PERSON
            entered = np.where(person_rec, rec.entered_id[rows], rec.rep_entered_id[rows])
            lost = (entered == ID_MISSING) | reg.id_lost[node, rows]
            stale_rep = ~person_rec & (rec.rep_true[rows] != users)
        uses_id = self.rule in ("id", "id_else_name") or self.serves_firms
        needs_id = self.serves_firms or self.rule == "id"
        return classify.miss_cause(
            arrived=arrive != NEVER, not_yet=(arrive > t) & (arrive != NEVER),
            deleted_in_copy=(deleted <= t) | (present & gone),
            id_lost=present & needs_id & lost,
            id_mismatch=present & uses_id & ~lost & (entered != users),
            stale_rep=present & stale_rep, scoring=self.config.scoring is not None)

    def _observe_bite(self, users: np.ndarray, sanctionable: np.ndarray,
                      sanctioned: np.ndarray) -> None:
        """Deterrence signal: how often the lists bite the rightly listed, by jurisdiction."""
        if not sanctionable.any():
            return
        m = self.model
        pop = m.firms if self.serves_firms else m.people
        jur = pop.jurisdiction[users[sanctionable]]
        np.add.at(m.bite_den, jur, 1.0)
        np.add.at(m.bite_num, jur[sanctioned[sanctionable]], 1.0)

    def _after_sanctions(self, subjects: np.ndarray, rows: np.ndarray, code: np.ndarray,
                         t: int) -> None:
        """Retries, the push to pay, legitimacy loss and appeals after today's sanctions."""
        if subjects.size == 0:
            return
        m = self.model
        rng = m.streams.get(f"after_sanction.{self.name}", t)
        u = rng.random((3, subjects.size))
        self.retries = subjects[u[0] < self.config.retry_probability]
        correct = code == Cause.correct
        if correct.any():
            self._push_to_pay(rows[correct], u[1][correct])
        wrong = ~correct
        if wrong.any() and self.kind == PERSON:
            victims = subjects[wrong]
            jur = m.people.jurisdiction[victims]
            m.legitimacy.change(
                victims, -m.behaviour_by_jurisdiction("legitimacy_loss_wrongful")[jur])
            m.legitimacy.observe_wrongful(
                np.bincount(jur, minlength=m.n_jurisdictions).astype(np.float64),
                m.behaviour_by_jurisdiction("legitimacy_loss_observed"))
        appeals.file_appeals(m, self, subjects, rows, code, u[2], t)

    def _push_to_pay(self, rows: np.ndarray, u: np.ndarray) -> None:
        """A rightly sanctioned debtor may pay (the regime's intended effect): mark the case."""
        m = self.model
        rec = m.registry.records
        cases = rec.case[rows]
        b = m.behaviour_by_jurisdiction("compliance_after_sanction")[rec.jurisdiction[rows]]
        push = (cases >= 0) & (u < b) & ~m.cases.never[np.maximum(cases, 0)]
        pushed = cases[push]
        pushed = pushed[m.cases.status[pushed] == CaseStatus.listed]
        m.cases.pushed[pushed] = True

    def _rewards(self, users: np.ndarray, t: int) -> None:
        """Redlist rewards at service time, classified: eligible, or why not."""
        m = self.model
        index = self.red_index.update(t)
        if index.rows.size == 0:
            return
        names = None if self.serves_firms else m.people.name[users]
        juris = None if self.serves_firms else m.people.jurisdiction[users]
        pos, rows, via = index.pairs(users, names, juris)
        if pos.size == 0:
            return
        first = np.ones(pos.size, dtype=bool)
        order = np.argsort(pos, kind="stable")
        pos, rows, via = pos[order], rows[order], via[order]
        first[1:] = pos[1:] != pos[:-1]
        pos, rows, via = pos[first], rows[first], via[first]
        subj = users[pos]
        rec = m.registry.records
        about = rec.subject[rows] == subj
        bpos, _ = self._truth_pairs("rightful", subj, t, filter_lists=False)
        blacklisted = np.zeros(subj.size, dtype=bool)
        blacklisted[bpos] = True
        code = classify.reward_cause(about, via, rec.deleted_day[rows] > t, blacklisted)
        m.events.add(t, "reward", self.kind, subj, code, self.node, rows, via)
        m.counters.add("rewards", t, subj.size)
        m.counters.add("ineligible_rewards", t, int((code != Cause.eligible).sum()))

    # -------------------------------------------------------------- users

    def _draw_users(self, t: int) -> np.ndarray:
        m = self.model
        rate = self.config.service_rate_per_year / 365.0
        rng = m.streams.get(f"service.{self.name}", t)
        # Expected uses = served population x rate; who uses is weighted by propensity.
        users = self.sampler.draw(rng, rng.poisson(self.population_served * rate))
        users = np.concatenate([users, self.retries])
        self.retries = np.empty(0, dtype=np.int64)
        return users

    # -------------------------------------------------------------- own lists

    def _originate(self, t: int) -> None:
        m = self.model
        own = self.config.own_blacklist
        rng = m.streams.get(f"agency_list.{self.name}", t)
        count = rng.poisson(self.population_served * own.rate_per_year / 365.0)
        if count == 0:
            return
        subjects = np.unique(self.sampler.draw(rng, count))
        wrongful = rng.random(subjects.size) < own.not_legally_defined_share
        for flag, reason in ((False, "agency_list"), (True, "not_legally_defined")):
            sel = subjects[wrongful == flag]
            if sel.size:
                m.create_records(
                    source=self.node, list_id=self.own_list, color=BLACK, subject_kind=self.kind,
                    subject=sel, jurisdiction=self._jurisdiction_of(sel),
                    day=t, term_days=own.term_days, reason=Cause[reason], wrongful=flag,
                    registry_params=self.registry_params,
                )
                m.counters.add("listings.agency", t, sel.size)

    def _jurisdiction_of(self, subjects: np.ndarray) -> np.ndarray:
        """Each subject's home jurisdiction (where its records are listed)."""
        pop = self.model.firms if self.serves_firms else self.model.people
        return pop.jurisdiction[subjects]

    def _own_expiries(self, t: int) -> None:
        m = self.model
        rows = m.expiring_today(self.node, t)
        if rows.size:
            reason = np.where(m.registry.records.color[rows] == RED, Cause.redlist,
                              Cause.expired)
            for r in np.unique(reason):
                m.delete_records(rows[reason == r], t, int(r))

    def _admit_redlist(self, t: int) -> None:
        m = self.model
        red = self.config.redlist
        rng = m.streams.get(f"redlist.{self.name}", t)
        count = rng.poisson(self.population_served * red.admission_rate_per_year / 365.0)
        if count == 0:
            return
        cands = np.unique(self.sampler.draw(rng, count))
        if red.checks_blacklists:
            names = None if self.serves_firms else m.people.name[cands]
            juris = None if self.serves_firms else m.people.jurisdiction[cands]
            pos, _, _ = self.index.pairs(cands, names, juris)
            cands = np.delete(cands, np.unique(pos))
        if cands.size:
            m.create_records(
                source=self.node, list_id=self.red_list, color=RED, subject_kind=self.kind,
                subject=cands, jurisdiction=self._jurisdiction_of(cands), day=t,
                term_days=red.term_days,
                reason=Cause.redlist, wrongful=False, registry_params=self.registry_params,
            )
            m.counters.add("listings.redlist", t, cands.size)

