"""The joint-sanctions model: a Mesa model over array-backed populations and Mesa institutions.

A day: firms may change legal representative; courts issue judgments, take payments, list and
delist; agencies originate their own lists, admit to redlists and check every subject who uses
their service against their own registry copy; courts hear appeals; platforms audit their copies;
then legitimacy and the perceived bite of the lists are updated. Every sanction, miss and reward
is classified by cause from ground truth at the moment it happens.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from simulation import behaviour, classify
from simulation.agencies import Agency
from simulation.appeals import Exemptions, new_appeals_table
from simulation.codes import (
    BLACK,
    FIRM,
    ID_INVALID,
    ID_MISSING,
    NEVER,
    NO_ROW,
    PERSON,
    RED,
    CaseStatus,
)
from simulation.institutions import Court, Platform
from simulation.legitimacy import Legitimacy
from simulation.metrics import Counters, EventLog
from simulation.network import (
    build_network,
    jurisdiction_section,
    list_names,
    local_expiry_by_origin,
)
from simulation.population import Firms, Individuals
from simulation.registry import Registry
from simulation.scenario import Scenario
from simulation.streams import Streams
from simulation.tables import Table
from simulation.truth import TruthLog

INITIAL_BITE = 0.5  # assumption: debtors start out believing half of checks catch them


class JointSanctionsModel(mesa.Model):
    """One world: a population, its courts, agencies, platforms and the registry between them.

    Args:
        scenario: a validated :class:`~simulation.scenario.Scenario`.
        seed: overrides ``scenario.seed``.
        record_truth: keep the log the ground-truth tables need (:mod:`simulation.truth`).
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, record_truth: bool = False):
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.config = scenario
        self.seed = seed
        self.streams = Streams(seed)
        self.days = scenario.days
        self.day = -1
        pop = scenario.population
        self.n_jurisdictions = pop.jurisdictions
        self._sections: dict[tuple[str, int], Any] = {}
        self.people = Individuals(scenario, self.streams)
        self.firms = Firms(scenario, self.streams, self.people)
        self.initial_representatives = self.firms.representative.copy()
        self.truth_log = TruthLog() if record_truth else None
        self.legitimacy_ref = pop.legitimacy_mean
        self.legitimacy = Legitimacy(self.people.legitimacy, self.people.jurisdiction,
                                     pop.jurisdictions)
        self.bite = np.full(pop.jurisdictions, INITIAL_BITE)
        self.bite_num = np.zeros(pop.jurisdictions)
        self.bite_den = np.zeros(pop.jurisdictions)

        names = list_names(scenario)
        self.list_index = {n: i for i, n in enumerate(names)}
        self.list_colors = np.array([RED if n.endswith("_redlist") else BLACK for n in names])
        nodes, links = build_network(scenario)
        self.registry = Registry(nodes, links, names, local_expiry_by_origin(scenario))
        self.node_names = [n.name for n in nodes]
        self.cases = Table({
            "subject_kind": (np.int8, PERSON), "subject": (np.int64, -1),
            "court": (np.int16, -1), "judgment_day": (np.int32, -1),
            "deadline_day": (np.int32, -1), "able": (np.bool_, False),
            "pay_day": (np.int32, NEVER), "status": (np.int8, CaseStatus.pending),
            "record": (np.int64, NO_ROW),
            "listed_day": (np.int32, NEVER), "closed_day": (np.int32, NEVER),
            "pushed": (np.bool_, False), "never": (np.bool_, False),
        })
        self.appeals = new_appeals_table()
        self.open_appeals: set[tuple[int, int, int]] = set()
        self.expiry_buckets: dict[tuple[int, int], list[np.ndarray]] = {}
        self.events = EventLog()
        self.counters = Counters(self.days)

        self.exemptions = Exemptions(len(self.node_names), max(self.people.n, self.firms.n))
        self.courts = [Court(self, j, j) for j in range(pop.jurisdictions)]
        agencies = scenario.active_agencies()
        self.agency_agents = [
            Agency(self, name, cfg, next(n.index for n in nodes if n.name == name))
            for name, cfg in agencies.items()
        ]
        self.platforms = [Platform(self, n.index) for n in nodes if n.kind == "platform"]
        # Jurisdictions whose subjects some agency checks against a blacklist.
        self.enforced = np.zeros(pop.jurisdictions, dtype=bool)
        for agency in self.agency_agents:
            if agency.black_list_ids.size:
                self.enforced[agency.jurisdiction if agency.jurisdiction >= 0 else slice(None)] = True
        self._truth: dict[str, Any] = {}
        self._truth_key: tuple[int, int] = (-1, -1)
        self.truth_version = 0  # bumped whenever ground truth may change (see truth_changed)

    # -------------------------------------------------------------- helpers

    def local(self, section: str, jurisdiction: int) -> Any:
        """A parameter section as it applies in one jurisdiction (-1: the global values)."""
        key = (section, jurisdiction)
        found = self._sections.get(key)
        if found is None:
            found = self._sections[key] = jurisdiction_section(self.config, section, jurisdiction)
        return found

    def behaviour_by_jurisdiction(self, field: str) -> np.ndarray:
        """One behaviour parameter for every jurisdiction, as an array indexed by jurisdiction."""
        return np.array([getattr(self.local("behaviour", j), field)
                         for j in range(self.n_jurisdictions)])

    def legitimacy_of(self, persons: np.ndarray) -> np.ndarray:
        """Perceived legitimacy of these individuals (own experience and what they have seen)."""
        return self.legitimacy.of(persons)

    def legitimacy_mean(self) -> float:
        """Mean perceived legitimacy over individuals, in [0, 1]."""
        return self.legitimacy.mean()

    def expiring_today(self, node: int, day: int) -> np.ndarray:
        """Records of ``node`` whose term ends today and are still active at source."""
        batches = self.expiry_buckets.pop((node, day), [])
        if not batches:
            return np.empty(0, dtype=np.int64)
        rows = np.concatenate(batches)
        return rows[self.registry.records.deleted_day[rows] == NEVER]

    def create_records(self, *, source: int, list_id: int, color: int, subject_kind: Any,
                       subject: np.ndarray, jurisdiction: Any, day: int, term_days: int,
                       reason: int, wrongful: bool, registry_params: Any,
                       cases: np.ndarray | None = None) -> np.ndarray:
        """Enter records (with data-entry errors), keep the source's copy, send them out."""
        n = subject.size
        kinds = np.broadcast_to(np.asarray(subject_kind, dtype=np.int8), n)
        rng = self.streams.get("entry", day, source, list_id)
        # One uniform per purpose (never a rescaled reuse): for the subject's ID, the firm's
        # code and the representative's ID, whether it is missing, mistyped, whether a mistyped
        # one hits a real person/firm, and whom. Rows 0-4 are the draws of earlier versions.
        u = rng.random((11, n))
        reg = registry_params
        people, firms = self.people, self.firms

        def entered(true_ids: np.ndarray, error_rate: float, missing_rate: float,
                    u_miss: np.ndarray, u_err: np.ndarray, u_hit: np.ndarray,
                    u_whom: np.ndarray, pool: int) -> np.ndarray:
            out = true_ids.astype(np.int64).copy()
            wrong = u_err < error_rate
            others = max(pool - 1, 1)
            other = (true_ids + 1 + np.minimum((u_whom * others).astype(np.int64), others - 1)) \
                % max(pool, 1)
            hits = u_hit < reg.id_error_hits_person
            out[wrong] = np.where(hits[wrong], other[wrong], ID_INVALID)
            out[u_miss < missing_rate] = ID_MISSING
            return out

        is_person = kinds == PERSON
        person_ids = np.where(is_person, subject, 0)
        entered_person = entered(person_ids, reg.id_error_rate, reg.id_missing_rate,
                                 u[0], u[1], u[2], u[8], people.n)
        firm_ids = np.where(is_person, 0, subject)
        entered_firm = entered(firm_ids, reg.firm_code_error_rate, 0.0, u[0], u[3], u[5], u[9],
                               max(firms.n, 1))
        rep_true = np.where(is_person, -1, firms.representative[firm_ids] if firms.n else -1)
        rep_entered = entered(np.maximum(rep_true, 0), reg.id_error_rate, reg.id_missing_rate,
                              u[6], u[4], u[7], u[10], people.n)
        rows = self.registry.records.append(
            list_id=list_id, color=color, source=source, subject_kind=kinds, subject=subject,
            entered_id=np.where(is_person, entered_person, entered_firm),
            name=np.where(is_person, people.name[person_ids], -1),
            rep_true=rep_true,
            rep_entered_id=np.where(is_person, ID_MISSING, rep_entered),
            rep_name=np.where(is_person, -1, people.name[np.maximum(rep_true, 0)]),
            jurisdiction=jurisdiction, listed_day=day, expiry_day=day + term_days,
            reason=reason, wrongful_source=wrongful,
            case=-1 if cases is None else cases,
        )
        self.truth_changed()
        registry = self.registry
        if registry.nodes[source].kind == "agency":
            registry.arrive[source, rows] = day
        self.expiry_buckets.setdefault((source, day + term_days), []).append(rows)
        registry.send(source, rows, np.full(n, day, dtype=np.int64), np.zeros(n, dtype=bool),
                      self.streams.get("sharing", day, source, list_id))
        self.events.add(day, "listing", kinds, subject, reason, source, rows)
        return rows

    def delete_records(self, rows: np.ndarray, day: int, reason: int) -> np.ndarray:
        """Delete records at their source today; deletions then travel the links."""
        deleted = self.registry.delete_at_source(rows, day, reason,
                                                 self.streams.get("deletion", day, reason))
        if deleted.size:
            self.truth_changed()
            rec = self.registry.records
            self.events.add(day, "delisting", rec.subject_kind[deleted], rec.subject[deleted],
                            reason, rec.source[deleted], deleted)
            self.counters.add("delistings", day, deleted.size)
        return deleted

    # -------------------------------------------------------------- the day

    def step(self) -> None:
        """Advance the world by one day."""
        self.day += 1
        t = self.day
        fp = self.config.firms
        moved = self.firms.change_representatives(
            self.streams.get("representatives", t), fp.representative_change_per_year / 365.0,
            self.people)
        self.counters.add("representative_changes", t, moved.size)
        if self.truth_log is not None:
            self.truth_log.representative_changes(t, moved, self.firms.representative[moved])
        self.truth_changed()
        for court in self.courts:
            court.step()
        for agency in self.agency_agents:
            agency.step()
        for court in self.courts:
            court.hear_appeals(t)
        for platform in self.platforms:
            platform.step()
        self._end_of_day(t)

    def truth_changed(self) -> None:
        """Note that who is rightly listed may have changed (records, deletions, payments)."""
        self.truth_version += 1

    def record_paid(self, rows: np.ndarray) -> np.ndarray:
        """Whether the debt behind each record has been paid (the case closed by payment)."""
        case = self.registry.records.case[rows]
        paid = np.zeros(rows.size, dtype=bool)
        has = case >= 0
        paid[has] = self.cases.status[case[has]] == CaseStatus.paid_after_listing
        return paid

    def truth(self, t: int) -> dict[str, Any]:
        """Ground truth right now: who is rightly listed, and who is on any blacklist record.

        Evaluated at the moment of use, after everything earlier today (an agency's own
        listings and expiries included); recomputed only when something changed.
        """
        key = (t, self.truth_version)
        if key != self._truth_key:
            rec = self.registry.records
            n = rec.n
            all_rows = np.arange(n)
            active = self.registry.active_at_source(t)
            listed = active & (rec.color[:n] == BLACK)
            rightful = listed & ~rec.wrongful_source[:n] & ~self.record_paid(all_rows)
            kinds, subject = rec.subject_kind[:n], rec.subject[:n]
            rep_now = (self.firms.representative[np.where(kinds == FIRM, subject, 0)]
                       if self.firms.n else np.full(n, -1))
            reps = self.config.firms.representatives_sanctioned and self.firms.n > 0
            self._truth = {
                "active": active,
                "rightful": classify.truth_index(rightful, kinds, subject, rep_now, reps),
                "listed": classify.truth_index(listed, kinds, subject, rep_now, reps),
            }
            self._truth_key = key
        return self._truth

    def _update_bite(self) -> None:
        """Smooth each jurisdiction's perceived bite towards today's observed rate: the share of
        rightly listed subjects' checks that ended in a sanction. Where no agency enforces any
        blacklist on a jurisdiction's subjects, nothing can bite: the observed rate is 0 every
        day. Elsewhere a day without checks of the rightly listed tells nothing (no update)."""
        for j in range(self.n_jurisdictions):
            if self.bite_den[j] > 0:
                observed = self.bite_num[j] / self.bite_den[j]
            elif not self.enforced[j]:
                observed = 0.0
            else:
                continue
            mem = self.local("behaviour", j).bite_memory_days
            self.bite[j] = behaviour.smooth(self.bite[j], observed, mem)

    def _end_of_day(self, t: int) -> None:
        c = self.counters
        self._update_bite()
        self.bite_num[:] = 0
        self.bite_den[:] = 0
        rec = self.registry.records
        active = self.registry.active_at_source(t)
        court_list = rec.list_id[: rec.n] == self.list_index["court_blacklist"]
        kinds = rec.subject_kind[: rec.n]
        c.set("listed_stock.individuals", t, int((active & court_list & (kinds == PERSON)).sum()))
        c.set("listed_stock.firms", t, int((active & court_list & (kinds == FIRM)).sum()))
        c.set("listed_stock.all_lists", t,
              int((active & (rec.color[: rec.n] == BLACK)).sum()))
        c.set("appeals_backlog", t, sum(court.desk.backlog for court in self.courts))
        c.set("legitimacy_mean", t, self.legitimacy_mean())
        c.set("perceived_bite", t, float(self.bite.mean()))

    def run(self) -> None:
        """Run all the scenario's days (Mesa's ``run_for``)."""
        self.run_for(self.days - (self.day + 1))


__all__ = ["JointSanctionsModel"]
