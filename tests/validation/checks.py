"""Verification checks: each isolates one mechanism and holds the model against a closed form.

Every check returns a :class:`Check` (observed, expected, standard deviation of the observed value
under the closed form). A statistical check passes when ``|observed - expected| <= Z * sd`` with
``Z = 4``: for an approximately normal statistic the false-failure probability is about 6e-5 per
check. Exact checks (``sd == 0``) are identities that must hold to the last unit. Seeds are fixed,
so the suite is deterministic anyway; the bound says how surprising a failure would be.

The same functions drive the tests (``tests/validation/test_*.py``), the tests that show each check
fails when its mechanism is deliberately broken, and the report that writes the tables and figures
of ``docs/validation.md`` (``python -m tests.validation.report``).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import numpy as np

from simulation import build_scenario, run
from simulation.codes import AppealStatus
from simulation.metrics import CAUSE
from simulation.registry import NEVER, PERSON
from simulation.scenario import default_agencies

Z = 4.0  # two-sided normal tail beyond 4 sd: 6.3e-5

QUIET_BEHAVIOUR = {
    # No feedback from sanctions to listings: the registry history is then independent of the
    # service draws, and counts of sanctions given that history are Poisson.
    "deterrence_effect": 0.0, "legitimacy_effect": 0.0, "compliance_after_sanction": 0.0,
    "legitimacy_loss_wrongful": 0.0, "legitimacy_loss_observed": 0.0,
    "legitimacy_gain_remedy": 0.0,
}
PERFECT_REGISTRY = {
    "topology": "bilateral", "sharing": 1.0, "delay_days": 0, "deletion_sharing": 1.0,
    "deletion_delay_days": 0, "cross_jurisdiction_sharing": 1.0, "id_missing_rate": 0.0,
    "id_error_rate": 0.0, "id_error_hits_person": 1.0, "firm_code_error_rate": 0.0,
    "format_loss_rate": 0.0, "matching": "id",
}


@dataclass
class Check:
    """One comparison of the model with its closed form."""

    name: str
    observed: float
    expected: float
    sd: float  # 0 = exact identity
    unit: str = ""
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    mode: str = "equal"  # "equal": |z| <= Z; "at_least": observed >= expected

    @property
    def z(self) -> float:
        """Standardised deviation (0 for exact agreement, inf for an exact mismatch)."""
        if self.sd == 0:
            same = np.isclose(self.observed, self.expected, rtol=1e-9, atol=1e-9)
            return 0.0 if same else float("inf")
        return (self.observed - self.expected) / self.sd

    @property
    def passed(self) -> bool:
        """Within Z standard deviations (or exactly equal for identities)."""
        if self.mode == "at_least":
            return bool(self.observed >= self.expected)
        return bool(abs(self.z) <= Z)

    def __str__(self) -> str:
        return (f"{self.name}: observed {self.observed:.6g} expected {self.expected:.6g} "
                f"sd {self.sd:.3g} z {self.z:+.2f} {'ok' if self.passed else 'FAIL'}")


# --------------------------------------------------------------------------- scenarios


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep merge of nested dicts (extra wins)."""
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def isolated(*, days: int, individuals: int, agencies: dict[str, dict] | None = None,
             seed: int = 0, **sections: Any):
    """A purpose-built scenario: one jurisdiction, no firms, perfect data, no appeals, no
    behavioural feedback, and only the named agencies enabled (with the given settings)."""
    roster = {name: {"enabled": False} for name in default_agencies()}
    for name, cfg in (agencies or {}).items():
        roster[name] = {"enabled": True, "evasion_probability": 0.0, "retry_probability": 0.0,
                        **cfg}
    data = {
        "days": days, "seed": seed,
        "population": {"individuals": individuals, "firms": 0, "jurisdictions": 1,
                       "distinct_names": individuals * 20},
        "courts": {"clerical_error_rate": 0.0},
        "registry": PERFECT_REGISTRY, "appeals": {"enabled": False},
        "behaviour": QUIET_BEHAVIOUR, "agencies": roster,
    }
    return build_scenario(merge(data, sections))


@contextmanager
def patched(patches: list[tuple[str, Any]] | None) -> Iterator[None]:
    """Apply ``(dotted target, replacement)`` patches: how a test breaks a mechanism on purpose."""
    with ExitStack() as stack:
        for target, new in patches or []:
            stack.enter_context(mock.patch(target, new))
        yield


def run_model(scenario, patches=None):
    """Run with the model kept, under optional patches."""
    with patched(patches):
        return run(scenario, keep_model=True)


def agency_of(model, name: str):
    """The Mesa agency agent with this name."""
    return next(a for a in model.agency_agents if a.name == name)


def use_rate(model, name: str) -> np.ndarray:
    """Expected uses per day of agency ``name`` by each individual (0 if not served).

    Daily users ~ Poisson(served x rate/365), each the person i with probability proportional to
    their propensity class weight, so i's uses are Poisson(served x rate/365 x p_i).
    """
    ag = agency_of(model, name)
    s = ag.sampler
    per_member = np.zeros(s.count.size)
    nz = s.count > 0
    per_member[nz] = s.class_p[nz] / s.count[nz]
    mu = np.zeros(model.people.n)
    cls = model.people.propensity_class[ag.lo:ag.hi].astype(np.int64)
    mu[ag.lo:ag.hi] = s.population * ag.config.service_rate_per_year / 365.0 * per_member[cls]
    return mu


def court_person_rows(model) -> np.ndarray:
    """Rows of court blacklist records about individuals."""
    rec = model.registry.records
    n = rec.n
    mask = (rec.list_id[:n] == model.list_index["court_blacklist"]) & (rec.subject_kind[:n] == PERSON)
    return np.flatnonzero(mask)


def source_listed_sets(model) -> list[np.ndarray]:
    """For each day, the persons with an active (at source) court record: the rightly listed."""
    rec = model.registry.records
    rows = court_person_rows(model)
    lo = rec.listed_day[rows].astype(np.int64)
    hi = np.minimum(rec.deleted_day[rows].astype(np.int64), model.days)
    subj = rec.subject[rows]
    return [np.unique(subj[(lo <= t) & (hi > t)]) for t in range(model.days)]


def sanction_count(result, agency: str, cause: str) -> int:
    """Sanction events of one cause at one agency."""
    ev = result.events
    return int(((ev.event == "sanction") & (ev.agency == agency) & (ev.cause == cause)).sum())


# --------------------------------------------------------------------------- 1. stock


def stock_scenario(*, seed: int, term: int = 180, hazard: float = 0.0, days: int | None = None,
                   individuals: int = 200_000, processing: int = 3):
    """Courts only: judgments, listing, payment (daily hazard) and expiry; nobody is sanctioned."""
    return isolated(
        days=days or 3 * term, individuals=individuals, seed=seed,
        courts={"judgment_rate_per_year": 0.05, "listing_term_days": term,
                "deletion_processing_days": processing, "list_unable_probability": 0.3,
                "list_unwilling_probability": 0.9, "clerical_error_rate": 0.0},
        population={"unable_share": 0.35},
        behaviour={"on_time_compliance": 0.3, "listed_compliance_per_day": hazard},
    )


def check_stock_identity(result) -> Check:
    """Fixed terms, exact: stock at the end of day t = listings on days t-T+1..t, every day."""
    model = result.model
    term = model.config.courts.listing_term_days
    rec = model.registry.records
    rows = court_person_rows(model)
    per_day = np.bincount(rec.listed_day[rows], minlength=model.days)[: model.days]
    window = np.convolve(per_day, np.ones(term, dtype=np.int64))[: model.days]
    stock = result.timeseries["listed_stock.individuals"].to_numpy().astype(np.int64)
    mismatched = int((window != stock).sum())
    return Check("stock = listings in the last T days (fixed term, every day)",
                 float(stock.sum()), float(window.sum()), 0.0, "record-days",
                 f"{mismatched} of {model.days} days differ", {"days_differing": mismatched})


def listing_probability(model) -> float:
    """Closed form: chance that a judgment ends in a listing (no clerical errors)."""
    pop, courts, beh = model.config.population, model.config.courts, model.config.behaviour
    u, p_on = pop.unable_share, beh.on_time_compliance
    return (1 - u) * (1 - p_on) * courts.list_unwilling_probability + u * courts.list_unable_probability


def able_survival(age: np.ndarray, hazard: float, processing: int, term: int) -> np.ndarray:
    """P(an able debtor's record is still active ``age`` days after listing).

    Time listed W = min(K + d, T), K ~ geometric on 0,1,... with daily payment hazard h (the
    debtor can pay on the listing day), d = deletion processing days, T = listing term.
    """
    age = np.asarray(age, dtype=np.float64)
    surv = np.where(age < processing, 1.0, (1.0 - hazard) ** (age - processing + 1))
    return np.where(age < term, surv, 0.0)


def mean_time_listed_able(hazard: float, processing: int, term: int) -> float:
    """E[min(K + d, T)] for the able (closed form)."""
    if hazard <= 0:
        return float(term)
    q = 1.0 - hazard
    return processing + q * (1 - q ** (term - processing)) / hazard


def check_stock_inflow_times_term(results) -> Check:
    """Little's law with fixed terms, in expectation: stock = judgments x P(listed) x T."""
    obs = exp = var = 0.0
    for result in results:
        model = result.model
        c = model.config.courts
        p = listing_probability(model)
        t_end = model.days - 1
        lag = c.compliance_deadline_days + c.grace_period_days
        jd = model.cases.judgment_day[: model.cases.n]
        # Judgments whose listing day (deadline + grace) falls in the last T days.
        n = int(((jd + lag > t_end - c.listing_term_days) & (jd + lag <= t_end)).sum())
        obs += float(result.timeseries["listed_stock.individuals"].iloc[-1])
        exp += n * p
        var += n * p * (1 - p)
    return Check("stock = inflow x term (fixed term, in expectation)", obs, exp, np.sqrt(var),
                 "records", f"{len(results)} replicates, end of run")


def check_stock_survival(results) -> Check:
    """Compliance-driven exits: stock at the end = sum over records of P(still listed | age)."""
    obs = exp = var = 0.0
    for result in results:
        model = result.model
        c, h = model.config.courts, model.config.behaviour.listed_compliance_per_day
        rec = model.registry.records
        rows = court_person_rows(model)
        t_end = model.days - 1
        age = t_end - rec.listed_day[rows].astype(np.int64)
        able = model.cases.able[rec.case[rows]] & (rec.reason[rows] == CAUSE["unwilling"])
        s = np.where(able, able_survival(age, h, c.deletion_processing_days, c.listing_term_days),
                     (age < c.listing_term_days).astype(float))
        obs += float(result.timeseries["listed_stock.individuals"].iloc[-1])
        exp += float(s.sum())
        var += float((s * (1 - s)).sum())
    return Check("stock = sum of survival over listings (payment exits)", obs, exp, np.sqrt(var),
                 "records", f"{len(results)} replicates, end of run")


def check_littles_law(results) -> Check:
    """Little's law L = lambda W with analytic W, at steady state (M/G/inf: stock ~ Poisson)."""
    obs = exp = 0.0
    for result in results:
        model = result.model
        c, h = model.config.courts, model.config.behaviour.listed_compliance_per_day
        pop, beh = model.config.population, model.config.behaviour
        t_end = model.days - 1
        lag = c.compliance_deadline_days + c.grace_period_days
        jd = model.cases.judgment_day[: model.cases.n]
        span = c.listing_term_days
        lam_j = ((jd + lag > t_end - span) & (jd + lag <= t_end)).sum() / span  # judgments/day
        w_able = mean_time_listed_able(h, c.deletion_processing_days, c.listing_term_days)
        lam_able = lam_j * (1 - pop.unable_share) * (1 - beh.on_time_compliance) \
            * c.list_unwilling_probability
        lam_unable = lam_j * pop.unable_share * c.list_unable_probability
        exp += lam_able * w_able + lam_unable * c.listing_term_days
        obs += float(result.timeseries["listed_stock.individuals"].iloc[-1])
    return Check("Little's law: stock = inflow x mean time listed", obs, exp, np.sqrt(exp),
                 "records", f"{len(results)} replicates; W_able = E[min(K+d, T)]")


def check_compliance_within_120d(results) -> Check:
    """Summary key listed_compliance_within_120d against 1 - (1 - h)^121 for the able listed."""
    obs = exp = var = 0.0
    for result in results:
        model = result.model
        h = model.config.behaviour.listed_compliance_per_day
        cases = model.cases
        n = cases.n
        ld = cases.listed_day[:n]
        window = (ld <= model.days - 120) & (ld != NEVER)
        able_listed = window & cases.able[:n] & (cases.record[:n] >= 0)
        p = 1 - (1 - h) ** 121 if model.config.courts.listing_term_days > 120 else float("nan")
        obs += result.summary["listed_compliance_within_120d"] * window.sum()
        exp += able_listed.sum() * p
        var += able_listed.sum() * p * (1 - p)
    return Check("listed debtors paying within 120 days", obs, exp, np.sqrt(var), "debtors",
                 "closed form 1-(1-h)^121 for the able listed")


# --------------------------------------------------------------------------- 2. names


def names_scenario(*, seed: int, distinct_names: int, individuals: int = 50_000, days: int = 365,
                   rate: float = 12.0, matching: str = "name"):
    """One agency matching by name only, everything else perfect."""
    return isolated(
        days=days, individuals=individuals, seed=seed,
        population={"distinct_names": distinct_names},
        courts={"judgment_rate_per_year": 0.05, "listing_term_days": 120},
        behaviour={"listed_compliance_per_day": 0.01},
        registry={"matching": matching},
        agencies={"hotel": {"service_rate_per_year": rate}},
    )


def present_intervals(model, node: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days [arrive, leave) each record is held in the node's copy (leave capped at run end)."""
    reg = model.registry
    a = reg.arrive[node, rows].astype(np.int64)
    d = np.minimum(reg.deleted[node, rows].astype(np.int64), model.days)
    return a, d


def expected_name_collisions(model, agency: str = "hotel") -> float:
    """Exact expectation given the run's names and record history: for every day, the uses of
    people who share a name with a record in the copy and have no record of their own there."""
    ag = agency_of(model, agency)
    mu = use_rate(model, agency)
    people = model.people
    by_name = np.bincount(people.name, weights=mu, minlength=int(people.name.max()) + 1)
    rows = court_person_rows(model)
    a, d = present_intervals(model, ag.node, rows)
    rec = model.registry.records
    names, subj = rec.name[rows], rec.subject[rows]
    total = 0.0
    for t in range(model.days):
        here = (a <= t) & (d > t)
        if not here.any():
            continue
        total += by_name[np.unique(names[here])].sum() - mu[np.unique(subj[here])].sum()
    return float(total)


def check_name_collisions(results, label: str) -> Check:
    """Name-collision sanctions against their expectation from the actual name counts."""
    obs = exp = 0.0
    for result in results:
        obs += sanction_count(result, "hotel", "name_collision")
        exp += expected_name_collisions(result.model)
    return Check(f"namesake false matches ({label} pool)", obs, exp, np.sqrt(exp), "sanctions",
                 f"{len(results)} replicates; Poisson given the record history")


def pool_collision_expectation(model, pool: np.ndarray, agency: str = "hotel") -> float:
    """Expectation from the pool probabilities alone (not the drawn names): a user of name k, not
    listed, meets >= 1 of the S_t listed records with his name with chance 1 - (1 - p_k)^S_t."""
    ag = agency_of(model, agency)
    rows = court_person_rows(model)
    a, d = present_intervals(model, ag.node, rows)
    days = np.arange(model.days)
    s_t = ((a[None, :] <= days[:, None]) & (d[None, :] > days[:, None])).sum(axis=1)
    uses = agency_of(model, agency).config.service_rate_per_year / 365.0 * model.people.n
    total = 0.0
    for s in np.unique(s_t):
        k = int((s_t == s).sum())
        per_use = float((pool * -np.expm1(s * np.log1p(-pool))).sum())
        total += k * uses * (1 - s / model.people.n) * per_use
    return total


def check_name_pool_collisions(results, pool: np.ndarray, label: str) -> Check:
    """Mean over replicates (different populations) against the pool-only expectation."""
    ratios = []
    for result in results:
        e = pool_collision_expectation(result.model, pool)
        ratios.append(sanction_count(result, "hotel", "name_collision") / e)
    r = np.asarray(ratios)
    se = r.std(ddof=1) / np.sqrt(r.size)
    return Check(f"namesake false matches vs pool probabilities ({label})", float(r.mean()), 1.0,
                 float(se), "observed / expected", f"{r.size} populations; se from replicates")


# --------------------------------------------------------------------------- 3. mistyped IDs


def id_error_scenario(*, seed: int, error_rate: float = 0.2, individuals: int = 50_000,
                      days: int = 365, rate: float = 24.0):
    """One agency matching by ID; a share of records carry another real person's ID."""
    return isolated(
        days=days, individuals=individuals, seed=seed,
        courts={"judgment_rate_per_year": 0.05, "listing_term_days": 120},
        behaviour={"listed_compliance_per_day": 0.01},
        registry={"id_error_rate": error_rate, "id_error_hits_person": 1.0, "matching": "id"},
        agencies={"hotel": {"service_rate_per_year": rate}},
    )


def check_id_errors(results) -> Check:
    """Wrongful ID-error sanctions from the error rate and service rates alone.

    Each record carries a wrong, real ID with chance e x hits; the person it points at is a
    uniformly random other person, who uses the service ~Poisson(rate/365 x w) a day (w: their
    propensity, mean 1). Over a record's D days in the copy: E = e x hits x rate/365 x D, and
    Var = e hits m (1 + m E[w^2]) - (e hits m)^2 with m = rate/365 x D.
    """
    obs = exp = var = 0.0
    for result in results:
        model = result.model
        ag = agency_of(model, "hotel")
        reg = model.config.registry
        e = reg.id_error_rate * reg.id_error_hits_person
        rows = court_person_rows(model)
        a, d = present_intervals(model, ag.node, rows)
        m = ag.config.service_rate_per_year / 365.0 * np.maximum(d - a, 0)
        w = model.people.propensity.astype(np.float64)
        ew2 = float((w ** 2).mean() / w.mean() ** 2)
        obs += sanction_count(result, "hotel", "id_error")
        exp += float((e * m).sum())
        var += float((e * m * (1 + m * ew2) - (e * m) ** 2).sum())
    return Check("wrongful sanctions from mistyped IDs", obs, exp, np.sqrt(var), "sanctions",
                 f"{len(results)} replicates; from id_error_rate and service rate")


# --------------------------------------------------------------------------- 4. stale records


def stale_scenario(*, seed: int, deletion_sharing: float = 0.9, deletion_delay: float = 30.0,
                   individuals: int = 50_000, days: int = 365, rate: float = 12.0):
    """One agency; additions arrive at once, deletions travel with a given share and delay."""
    return isolated(
        days=days, individuals=individuals, seed=seed,
        courts={"judgment_rate_per_year": 0.05, "listing_term_days": 120},
        behaviour={"listed_compliance_per_day": 0.02},
        registry={"deletion_sharing": deletion_sharing, "deletion_delay_days": deletion_delay},
        agencies={"hotel": {"service_rate_per_year": rate}},
    )


def stale_probability(age: np.ndarray, share: float, mean_delay: float) -> np.ndarray:
    """P(copy still holds a record ``age`` days after its deletion at source): the deletion never
    arrives (1 - s), or arrives after a geometric delay G > age (s q^(age+1), q = m/(1+m))."""
    q = mean_delay / (1.0 + mean_delay)
    return (1 - share) + share * q ** (np.asarray(age, dtype=np.float64) + 1)


def check_stale_copies(results) -> Check:
    """Stale records held in the copy at the end, from deletion share and delay."""
    obs = exp = var = 0.0
    for result in results:
        model = result.model
        reg = model.config.registry
        rec = model.registry.records
        rows = court_person_rows(model)
        t_end = model.days - 1
        dd = rec.deleted_day[rows].astype(np.int64)
        gone = dd <= t_end
        p = stale_probability(t_end - dd[gone], reg.deletion_sharing, reg.deletion_delay_days)
        obs += float(result.timeseries["copy_stale.hotel"].iloc[-1])
        exp += float(p.sum())
        var += float((p * (1 - p)).sum())
    return Check("stale copies held at the end of the run", obs, exp, np.sqrt(var), "records",
                 f"{len(results)} replicates")


def check_stale_sanctions(results) -> Check:
    """Stale sanctions from deletion share and delay: each record deleted at source on day d
    stays in the copy k days more with chance stale_probability(k); its subject uses the
    service ~Poisson(mu) a day and is wronged unless rightly listed again."""
    obs = exp = var = 0.0
    for result in results:
        model = result.model
        reg = model.config.registry
        s, m = reg.deletion_sharing, reg.deletion_delay_days
        mu = use_rate(model, "hotel")
        rec = model.registry.records
        rows = court_person_rows(model)
        dd = rec.deleted_day[rows].astype(np.int64)
        rows, dd = rows[dd < model.days], dd[dd < model.days]
        subj = rec.subject[rows]
        # Days stale of each record: Y = sum of indicators B_k (k = days since deletion), with
        # P(B_k) = p_k and, as a copy never re-adds a record, P(B_i B_j) = p_max(i,j); so
        # E[Y^2] = sum_j p_j (2 #{live i <= j} - 1). Days the subject is rightly listed again
        # (relisted at source) do not count: the sanction is then correct.
        horizon = model.days - dd
        all_p = stale_probability(np.arange(model.days), s, m)
        cum_p = np.concatenate([[0.0], np.cumsum(all_p)])
        cum_p2 = np.concatenate([[0.0], np.cumsum(all_p * (2 * np.arange(model.days) + 1))])
        ey, ey2 = cum_p[horizon], cum_p2[horizon]
        all_rows = court_person_rows(model)
        counts = np.bincount(rec.subject[all_rows], minlength=model.people.n)
        listed = None
        for i in np.flatnonzero(counts[subj] > 1):
            if listed is None:
                listed = source_listed_sets(model)
            ages = np.arange(horizon[i])
            live = np.array([not np.isin(subj[i], listed[dd[i] + k]) for k in ages], dtype=float)
            p = all_p[ages] * live
            ey[i] = p.sum()
            ey2[i] = float((p * (2 * np.cumsum(live) - 1)).sum())
        rate = mu[subj]
        exp += float((rate * ey).sum())
        var += float((rate * ey + rate ** 2 * (ey2 - ey ** 2)).sum())
        obs += sanction_count(result, "hotel", "stale_record")
    return Check("wrongful sanctions from stale records", obs, exp, np.sqrt(var), "sanctions",
                 f"{len(results)} replicates; from deletion_sharing and deletion_delay_days")


# --------------------------------------------------------------------------- 5. appeals


def slotted_queue_wait(lam: float, capacity: int, max_queue: int = 4000) -> float:
    """Mean days a case waits between filing and take-up in the discrete-time queue.

    Filed on day t (after the court's step), taken up from day t+1 on, FIFO, at most ``capacity``
    a day: the leftover queue X obeys X' = max(X + A - c, 0) with A ~ Poisson(lam). Solved
    numerically for the stationary distribution; mean wait = 1 + E[X] / lam (Little's law).
    """
    from scipy.stats import poisson

    a = poisson.pmf(np.arange(max_queue), lam)
    x = np.zeros(max_queue)
    x[0] = 1.0
    for _ in range(20_000):
        y = np.convolve(x, a)[: max_queue + capacity]
        new = np.zeros(max_queue)
        new[0] = y[: capacity + 1].sum()
        new[1:] = y[capacity + 1: capacity + max_queue]
        new /= new.sum()
        if np.abs(new - x).sum() < 1e-13:
            x = new
            break
        x = new
    return 1.0 + float((np.arange(max_queue) * x).sum()) / lam


def drive_desk(lam: float, capacity: float, days: int, seed: int, review_days: int = 15,
               desk_factory: Callable | None = None) -> dict[str, np.ndarray]:
    """Feed one court's AppealsDesk Poisson(lam) filings a day, in the model's day order."""
    from simulation.appeals import AppealsDesk, new_appeals_table

    rng = np.random.default_rng(seed)
    desk = (desk_factory or AppealsDesk)()
    table = new_appeals_table()
    backlog = np.zeros(days, dtype=np.int64)
    for t in range(days):
        desk.due(t)
        desk.take_up(t, capacity, review_days, table)
        k = int(rng.poisson(lam))
        if k:
            ids = table.append(filed_day=t, subject=np.arange(k))
            desk.file(ids)
        backlog[t] = desk.backlog
    n = table.n
    return {"filed": table.filed_day[:n].copy(), "taken": table.taken_day[:n].copy(),
            "decided": table.decision_day[:n].copy(), "backlog": backlog}


def check_queue_wait(lam: float, capacity: int, days: int = 60_000, seed: int = 5,
                     desk_factory: Callable | None = None) -> Check:
    """Stable queue: mean days from filing to take-up against the slotted-queue solution."""
    out = drive_desk(lam, capacity, days, seed, desk_factory=desk_factory)
    burn = days // 10
    sel = (out["filed"] >= burn) & (out["taken"] >= 0)
    wait = (out["taken"] - out["filed"])[sel].astype(float)
    theory = slotted_queue_wait(lam, capacity)
    # Waits are autocorrelated: standard error from batch means (100 batches).
    batches = np.array_split(wait, 100)
    se = np.std([b.mean() for b in batches], ddof=1) / np.sqrt(len(batches))
    return Check(f"appeal wait to take-up, lambda={lam}/day, capacity={capacity}/day",
                 float(wait.mean()), theory, float(se), "days", "batch-means standard error",
                 {"rho": lam / capacity})


def check_queue_overload(lam: float, capacity: float, days: int = 2000, seed: int = 6,
                         desk_factory: Callable | None = None) -> Check:
    """Unstable queue (lambda > c): the backlog grows by lambda - c a day."""
    out = drive_desk(lam, capacity, days, seed, desk_factory=desk_factory)
    filed = np.bincount(out["filed"], minlength=days)[:days]
    half = days // 2
    growth = (out["backlog"][-1] - out["backlog"][half - 1]) / (days - half)
    arrivals = filed[half:].sum() / (days - half)
    # Given the arrivals, a saturated desk takes exactly c a day: growth = arrivals - c.
    return Check(f"backlog growth when overloaded, lambda={lam}/day, capacity={capacity}/day",
                 float(growth), float(arrivals - capacity), 0.0 if float(capacity).is_integer()
                 else 1.0 / (days - half), "cases/day", "exact given arrivals")


def appeals_scenario(*, seed: int, capacity: float = 2.0, days: int = 365):
    """Name matching in a crowded pool makes many wrongful sanctions, most appealed."""
    return isolated(
        days=days, individuals=30_000, seed=seed,
        population={"distinct_names": 3000},
        courts={"judgment_rate_per_year": 0.05, "listing_term_days": 120},
        behaviour={"listed_compliance_per_day": 0.01},
        registry={"matching": "name"},
        appeals={"enabled": True, "capacity_per_day": capacity, "review_days": 15,
                 "file_probability_wrongful": 0.5, "file_probability_rightful": 0.05,
                 "means_effect": 0.0},
        agencies={"hotel": {"service_rate_per_year": 6.0}},
    )


def check_appeals_littles_law(result) -> Check:
    """Sample-path Little's law for the appeals queue: sum of daily backlog = sum of time in
    system (filed to decided, or to the run's end), exactly."""
    a = result.model.appeals
    n = a.n
    days = result.model.days
    decided = a.status[:n] == AppealStatus.decided
    end = np.where(decided, a.decision_day[:n], days).astype(np.int64)
    in_system = float((end - a.filed_day[:n]).sum())
    backlog = float(result.timeseries["appeals_backlog"].sum())
    return Check("appeals: sum of backlog = sum of time in system (Little)", backlog, in_system,
                 0.0, "case-days", f"{n} appeals")


def check_appeals_fifo(result) -> Check:
    """The in-model desk takes up cases FIFO, at most ``capacity`` a day (Lindley recursion on
    the realised filings); number of appeals whose take-up day differs from the recursion."""
    model = result.model
    a = model.appeals
    n = a.n
    cap = model.config.appeals.capacity_per_day
    filed = a.filed_day[:n].astype(np.int64)
    expect = np.full(n, -1, dtype=np.int64)
    order = np.argsort(filed, kind="stable")
    credit, i = 0.0, 0
    q: deque[int] = deque()
    ceiling = float(np.ceil(cap))
    for t in range(model.day + 1):  # through the last day simulated
        # Appeals are filed during the day and the court hears them at its end: today's
        # filings join the queue before today's take-up.
        while i < n and filed[order[i]] == t:
            q.append(int(order[i]))
            i += 1
        credit = min(credit + cap, ceiling)
        while q and credit >= 1.0:
            expect[q.popleft()] = t
            credit -= 1.0
        if not q:
            credit = min(credit, cap)
    taken = a.taken_day[:n].astype(np.int64)
    differ = int((taken != expect).sum())
    return Check("appeals: take-up days = FIFO recursion with capacity", float(differ), 0.0, 0.0,
                 "appeals differing", f"{n} appeals, capacity {cap}/day")


# --------------------------------------------------------------------------- 6. monotone effects


def monotone_scenario(*, seed: int, **sections: Any):
    """A small full-roster world (defaults) for paired-seed comparisons."""
    data = {"days": 300, "seed": seed,
            "population": {"individuals": 10_000, "firms": 500, "jurisdictions": 2,
                           "distinct_names": 50_000},
            "courts": {"judgment_rate_per_year": 0.03}}
    return build_scenario(merge(data, sections))


def paired_trend(values: np.ndarray, label: str, decreasing: bool = False) -> Check:
    """values[replicate, level]: the mean paired step between successive levels, its replicate
    standard error, and whether every step goes the expected way. Observed = smallest
    standardised mean step; it must exceed Z (a significant, correctly signed effect)."""
    v = np.asarray(values, dtype=float)
    steps = np.diff(v, axis=1) * (-1 if decreasing else 1)
    mean = steps.mean(axis=0)
    se = steps.std(axis=0, ddof=1) / np.sqrt(v.shape[0])
    z = np.where(se > 0, mean / np.where(se > 0, se, 1), np.where(mean > 0, np.inf, 0.0))
    zmin = float(z.min())
    return Check(label, zmin, Z, 1.0, "z of smallest paired step",
                 f"means by level {np.round(v.mean(axis=0), 4).tolist()}",
                 {"levels_mean": v.mean(axis=0).tolist(), "steps_mean": mean.tolist(),
                  "steps_se": se.tolist()}, mode="at_least")


def recall_by_sharing(seeds, levels=(0.3, 0.6, 0.9), patches=None) -> np.ndarray:
    """Sanction recall for each seed (rows) and sharing level (columns), paired seeds."""
    with patched(patches):
        return np.array([[run(monotone_scenario(seed=s, registry={"sharing": lv})).summary[
            "sanction_recall"] for lv in levels] for s in seeds])


def collisions_by_pool(seeds, levels=(200_000, 20_000, 2_000), patches=None) -> np.ndarray:
    """Name-collision sanctions for each seed and name-pool size (fewer names, more namesakes)."""
    with patched(patches):
        return np.array([[run(monotone_scenario(seed=s, population={"distinct_names": lv})).summary[
            "wrongful_sanctions.name_collision"] for lv in levels] for s in seeds])


def wrongful_days_by_appeals(seeds, patches=None) -> np.ndarray:
    """Wrongful sanction-days without and with appeals, paired seeds."""
    kw = {"population": {"distinct_names": 10_000},
          "appeals": {"file_probability_wrongful": 0.5, "capacity_per_day": 20}}
    with patched(patches):
        return np.array([[run(monotone_scenario(seed=s, **merge(kw, {"appeals": {"enabled": on}})))
                          .summary["wrongful_sanction_days"] for on in (False, True)] for s in seeds])


# --------------------------------------------------------------------------- 7. perfect data


def perfect_scenario(*, seed: int):
    """Every part of the data layer perfect, in the most complex topology: per-jurisdiction hub
    platforms, three jurisdictions, firms and representatives (who never change), local expiry,
    appeals on, payments and expiries (so deletions travel)."""
    data = {"days": 400, "seed": seed,
            "population": {"individuals": 20_000, "firms": 1000, "jurisdictions": 3},
            "courts": {"judgment_rate_per_year": 0.03, "listing_term_days": 120},
            "registry": {**PERFECT_REGISTRY, "topology": "hub", "platform": "per_jurisdiction",
                         "local_expiry": True},
            "firms": {"representative_change_per_year": 0.0}}
    return build_scenario(data)


DATA_CAUSES = ("name_collision", "id_error", "stale_record", "stale_representative")


def check_perfect_data(result) -> Check:
    """Unique IDs, no entry errors, full instant sharing and deletion: no data-caused wrong."""
    s = result.summary
    wrong = sum(s[f"wrongful_sanctions.{c}"] for c in DATA_CAUSES)
    missed = s["missed_sanctions.not_shared"] + s["missed_sanctions.not_yet_arrived"] + \
        s["missed_sanctions.id_lost"] + s["missed_sanctions.id_error"]
    return Check("perfect data: data-caused wrongful sanctions and misses", wrong + missed, 0.0,
                 0.0, "events", f"{s['sanctions']:.0f} sanctions checked")
