"""One test per model fault found by the independent review (issue 8), each failing before its fix.

- entry errors drawn from reused, rescaled uniforms (not independent);
- cross-jurisdiction weakening applied per link, so it never applied through a national hub;
- a jurisdiction's registry overrides (local expiry) ignored by national agencies' copies;
- the observed-legitimacy loss 1000 times weaker than its documented unit;
- mean legitimacy going below 0;
- the perceived bite staying at its prior where nothing checks anyone;
- ``appeals.review_days = 0`` deciding a day or two after filing.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import JointSanctionsModel, build_scenario
from simulation.codes import BLACK, FIRM, NEVER, Cause

from .conftest import PERFECT_REGISTRY, small

# Many listings quickly: frequent judgments, short deadlines, few pay on time.
LISTING = {"judgment_rate_per_year": 1.0, "compliance_deadline_days": 5, "grace_period_days": 0}
DEFAULTING = {"on_time_compliance": 0.2}
OFF = {name: {"enabled": False} for name in (
    "airline", "rail", "bank", "hotel", "exit_control", "securities", "company_registry",
    "procurement", "tax")}


def _run(scenario) -> JointSanctionsModel:
    model = JointSanctionsModel(scenario)
    model.run()
    return model


def test_entry_errors_of_a_firm_record_are_independent():
    """Whether a mistyped firm code and a mistyped representative ID each hit a real subject are
    independent draws: joint rate p^2 (the old rescaled uniforms gave about 1.5 p^2)."""
    p = 0.05
    scenario = small(registry={"firm_code_error_rate": 1.0, "id_error_rate": 1.0,
                               "id_missing_rate": 0.0, "id_error_hits_person": p})
    model = JointSanctionsModel(scenario)
    court = model.courts[0]
    n = 200_000
    firms = np.arange(n, dtype=np.int64) % model.firms.n
    rows = model.create_records(
        source=court.node, list_id=model.list_index["court_blacklist"], color=BLACK,
        subject_kind=FIRM, subject=firms, jurisdiction=0, day=1, term_days=10,
        reason=int(Cause.unwilling), wrongful=False, registry_params=court.registry_params)
    rec = model.registry.records
    firm_hit = rec.entered_id[rows] >= 0
    rep_hit = rec.rep_entered_id[rows] >= 0
    for share in (firm_hit.mean(), rep_hit.mean()):
        assert abs(share - p) < 5 * math.sqrt(p * (1 - p) / n)
    joint = int((firm_hit & rep_hit).sum())
    expected = n * p * p
    assert abs(joint - expected) < 5 * math.sqrt(expected), (joint, expected)


def _two_jurisdictions(cross: float, **extra) -> JointSanctionsModel:
    agencies = {**OFF, "rail": {"enabled": True, "jurisdiction": "j2", "service_rate_per_year": 1.0}}
    data = {
        "days": 60, "seed": 3,
        "population": {"individuals": 4000, "firms": 0, "jurisdictions": 2},
        "courts": LISTING, "behaviour": DEFAULTING,
        "registry": {**PERFECT_REGISTRY, "topology": "hub", "platform": "national",
                     "cross_jurisdiction_sharing": cross},
        "agencies": agencies, **extra,
    }
    return _run(build_scenario(data))


def test_cross_jurisdiction_sharing_applies_by_record_origin_through_a_national_hub():
    for cross, reaches in ((0.0, False), (1.0, True)):
        model = _two_jurisdictions(cross)
        reg = model.registry
        rec = reg.records
        rail = next(a.node for a in model.agency_agents if a.name == "rail")
        origin = np.array([nd.jurisdiction for nd in reg.nodes])[rec.source[: rec.n]]
        arrived = reg.arrive[rail, : rec.n] != NEVER
        court_rows = rec.list_id[: rec.n] == model.list_index["court_blacklist"]
        assert (court_rows & (origin == 1)).sum() > 20 and (court_rows & (origin == 0)).sum() > 20
        assert arrived[court_rows & (origin == 1)].all()  # its own jurisdiction's court
        assert arrived[court_rows & (origin == 0)].all() == reaches
        assert arrived[court_rows & (origin == 0)].any() == reaches


def test_a_jurisdictions_local_expiry_governs_its_records_in_national_copies():
    """j2 has a right to be forgotten; airline (national) must drop j2's records at term end,
    even though no deletion ever reaches it, and keep j1's."""
    agencies = {**OFF, "airline": {"enabled": True}}
    data = {
        "days": 80, "seed": 5,
        "population": {"individuals": 4000, "firms": 0, "jurisdictions": 2},
        "courts": {**LISTING, "listing_term_days": 20}, "behaviour": DEFAULTING,
        "registry": {**PERFECT_REGISTRY, "deletion_sharing": 0.0, "local_expiry": False},
        "jurisdictions": {"j2": {"registry": {"local_expiry": True}}},
        "agencies": agencies,
    }
    model = _run(build_scenario(data))
    reg = model.registry
    rec = reg.records
    airline = next(a.node for a in model.agency_agents if a.name == "airline")
    held = reg.present(airline, model.day)
    origin = np.array([nd.jurisdiction for nd in reg.nodes])[rec.source[: rec.n]]
    ended = rec.expiry_day[: rec.n] <= model.day
    assert (ended & (origin == 1)).sum() > 10 and (ended & (origin == 0)).sum() > 10
    assert not held[ended & (origin == 1)].any()
    assert held[ended & (origin == 0) & (rec.deleted_day[: rec.n] == NEVER)].all()


def test_observed_legitimacy_loss_has_its_documented_unit():
    """Points per wrongful sanction per 1,000 residents: one jurisdiction of 5,000, W wrongful
    sanctions of individuals, loss L -> everyone perceives L x W x 1000 / 5000 less."""
    loss = 0.0001
    scenario = small(
        population={"individuals": 5000, "firms": 0, "jurisdictions": 1, "distinct_names": 300,
                    "legitimacy_sd": 0.0, "legitimacy_mean": 0.9},
        behaviour={**DEFAULTING, "legitimacy_loss_wrongful": 0.0,
                   "legitimacy_loss_observed": loss, "legitimacy_gain_remedy": 0.0},
        courts=LISTING, registry={"matching": "name"}, appeals={"enabled": False}, days=60)
    model = _run(scenario)
    ev = model.events.frame(model.node_names)
    persons = int((ev.wrongful & (ev.subject_kind == "individual")).sum())
    assert persons > 5
    expected = 0.9 - loss * persons * 1000 / 5000
    assert expected > 0.05
    assert model.legitimacy_mean() == \
        pytest.approx(expected, abs=2e-3), (model.legitimacy_mean(), expected)


def test_legitimacy_stays_within_0_and_1_per_person_and_on_average():
    scenario = small(population={"distinct_names": 1}, courts=LISTING, registry={"matching": "name"},
                     behaviour={**DEFAULTING, "legitimacy_loss_observed": 100.0}, days=40)
    model = _run(scenario)
    series = model.counters.frame()["legitimacy_mean"].to_numpy()
    assert (series >= 0).all() and (series <= 1).all()
    assert series[-1] == 0.0
    perceived = model.legitimacy_of(np.arange(model.people.n))
    assert perceived.min() >= 0 and perceived.max() <= 1


def test_no_checks_means_no_bite():
    """With every agency off nothing can sanction anyone: the perceived bite decays from its
    prior (0.5) with the bite memory, instead of staying at 0.5."""
    memory, days = 30.0, 120
    scenario = small(agencies=OFF, behaviour={"bite_memory_days": memory}, days=days)
    model = _run(scenario)
    assert model.bite.max() == pytest.approx(0.5 * (1 - 1 / memory) ** days)


def test_review_days_zero_decides_on_the_filing_day():
    scenario = small(appeals={"enabled": True, "review_days": 0, "capacity_per_day": 1000.0,
                              "file_probability_wrongful": 1.0, "file_probability_rightful": 1.0},
                     population={"distinct_names": 500}, courts=LISTING, behaviour=DEFAULTING,
                     registry={"matching": "name"}, days=60)
    model = _run(scenario)
    a = model.appeals
    decided = a.status[: a.n] == 1
    assert decided.sum() > 5
    assert (a.decision_day[: a.n][decided] == a.filed_day[: a.n][decided]).all()
    ev = model.events.frame(model.node_names)
    filed = ev[ev.event == "appeal_filed"].groupby(["subject", "record"])["day"].min()
    done = ev[ev.event == "appeal_decided"].groupby(["subject", "record"])["day"].min()
    both = filed.index.intersection(done.index)
    assert len(both) > 5 and (filed[both] == done[both]).all()


def test_a_wrong_match_ends_when_the_copy_lets_the_record_expire():
    """With local expiry, a stale record leaves an agency's copy at the end of its term even if
    the source's deletion never arrives: the wrong match (and the victim's wrongful days) ends
    there. Before the fix, ``until`` and ``wrongful_sanction_days`` waited for the deletion."""
    from pathlib import Path

    from simulation.runner import run

    baseline = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
    result = run(baseline, days=200, keep_model=True, overrides={
        "population.individuals": 20000, "courts.listing_term_days": 40,
        "registry.local_expiry": True, "registry.deletion_sharing": 0.1})
    model, ev = result.model, result.events
    rec = model.registry.records
    sanctions = ev[ev["event"] == "sanction"]
    stale = sanctions[sanctions["cause"] == "stale_record"]
    assert len(stale) > 5
    expiry = rec.expiry_day[stale["record"].to_numpy()]
    assert (stale["until"].to_numpy() <= expiry).all()
    # and some of those matches would have lasted longer had the deletion been awaited
    node = {n: i for i, n in enumerate(model.node_names)}
    deleted = model.registry.deleted[stale["agency"].astype(str).map(node).to_numpy(),
                                     stale["record"].to_numpy()]
    assert (np.minimum(deleted, model.days) > expiry).any()
