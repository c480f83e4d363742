"""The model's classification against the independent oracle: zero disagreements.

Random valid worlds (every topology, matching rule, points scoring, firms and representatives,
platforms, agencies' own same-day lists, appeals of every kind) and every shipped scenario at
20,000 people. Each run writes its ground-truth tables (``truth=True``, as ``run --truth``), and
the oracle re-derives every sanction, miss and reward from them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from simulation import build_scenario, run

from .oracle import check_run, load

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))
EXAMPLES = int(__import__("os").environ.get("ORACLE_EXAMPLES", 200))


def _agencies(draw: st.DrawFn, jurisdictions: list[str]) -> dict[str, dict]:
    rule = st.sampled_from(["id", "name", "name_jurisdiction", "id_else_name", None])
    # The default roster is merged in: keep one firm-facing and one person-facing default.
    out: dict[str, dict] = {n: {"enabled": False} for n in (
        "airline", "exit_control", "securities", "procurement", "company_registry")}
    # Two person-facing agencies with own blacklists that enforce each other's the same day.
    for name, other in (("rail", "hotel"), ("hotel", "rail")):
        a = {"kind": "transport", "service_rate_per_year": draw(st.sampled_from([12.0, 60.0])),
             "evasion_probability": draw(st.sampled_from([0.0, 0.2])),
             "retry_probability": draw(st.sampled_from([0.0, 0.6])),
             "consumes": ["court_blacklist", f"{name}_blacklist", f"{other}_blacklist"],
             "own_blacklist": {"rate_per_year": draw(st.sampled_from([0.0, 0.01, 0.05])),
                               "term_days": draw(st.sampled_from([3, 20])),
                               "not_legally_defined_share": draw(st.sampled_from([0.0, 0.3]))}}
        if (m := draw(rule)) is not None:
            a["matching"] = m
        out[name] = a
    out["bank"] = {"kind": "finance", "service_rate_per_year": 36.0,
                   "redlist": {"admission_rate_per_year": 0.5, "term_days": 15,
                               "checks_blacklists": draw(st.booleans())}}
    if draw(st.booleans()):
        out["points"] = {"new": True, "kind": "scoring", "service_rate_per_year": 36.0,
                         "jurisdiction": draw(st.sampled_from(jurisdictions)),
                         "consumes": ["court_blacklist", "rail_blacklist"],
                         "scoring": {"points_start": 1000,
                                     "points_per_record": draw(st.sampled_from([30, 100])),
                                     "threshold": 950}}
    out["tax"] = {"kind": "tax", "serves": "firms", "service_rate_per_year": 36.0,
                  "consumes": ["court_blacklist", "tax_blacklist"],
                  "own_blacklist": {"rate_per_year": 0.02, "term_days": 10},
                  "redlist": {"admission_rate_per_year": 0.3, "term_days": 20}}
    if draw(st.booleans()):
        out["shop"] = {"new": True, "kind": "private_platform", "service_rate_per_year": 36.0,
                       "digital_only": True}
    return out


@st.composite
def worlds(draw: st.DrawFn) -> dict:
    n_j = draw(st.integers(1, 3))
    names = [f"j{i + 1}" for i in range(n_j)]
    data = {
        "days": draw(st.integers(25, 50)),
        "seed": draw(st.integers(0, 2**32)),
        "population": {"individuals": draw(st.integers(400, 900)),
                       "firms": draw(st.sampled_from([0, 60, 150])), "jurisdictions": n_j,
                       "distinct_names": draw(st.sampled_from([40, 400, 20000]))},
        "courts": {"judgment_rate_per_year": 1.0, "firm_judgment_rate_per_year": 1.0,
                   "compliance_deadline_days": draw(st.sampled_from([1, 5])),
                   "grace_period_days": 0,
                   "list_unable_probability": draw(st.sampled_from([0.0, 0.5])),
                   "clerical_error_rate": draw(st.sampled_from([0.0, 0.2])),
                   "listing_term_days": draw(st.sampled_from([5, 40])),
                   "deletion_processing_days": draw(st.sampled_from([0, 3]))},
        "registry": {"topology": draw(st.sampled_from(["none", "bilateral", "hub"])),
                     "platform": draw(st.sampled_from(["national", "per_jurisdiction"])),
                     "sharing": draw(st.sampled_from([0.5, 1.0])),
                     "delay_days": draw(st.sampled_from([0.0, 2.0])),
                     "deletion_sharing": draw(st.sampled_from([0.3, 1.0])),
                     "deletion_delay_days": draw(st.sampled_from([0.0, 5.0])),
                     "cross_jurisdiction_sharing": draw(st.sampled_from([0.2, 1.0])),
                     "id_missing_rate": draw(st.sampled_from([0.0, 0.2])),
                     "id_error_rate": draw(st.sampled_from([0.0, 0.2])),
                     "firm_code_error_rate": draw(st.sampled_from([0.0, 0.2])),
                     "format_loss_rate": draw(st.sampled_from([0.0, 0.3])),
                     "matching": draw(st.sampled_from(
                         ["id", "name", "name_jurisdiction", "id_else_name"])),
                     "local_expiry": draw(st.booleans())},
        "appeals": {"enabled": draw(st.booleans()),
                    "capacity_per_day": draw(st.sampled_from([0.5, 20.0])),
                    "review_days": draw(st.sampled_from([0, 2])),
                    "accuracy": draw(st.sampled_from([0.6, 1.0])),
                    "file_probability_wrongful": 0.8, "file_probability_rightful": 0.3,
                    "remedy_scope": draw(st.sampled_from(["sanctioning_copy", "all_copies"]))},
        "behaviour": {"on_time_compliance": draw(st.sampled_from([0.2, 0.6])),
                      "listed_compliance_per_day": draw(st.sampled_from([0.01, 0.1]))},
        "firms": {"representative_change_per_year": draw(st.sampled_from([0.0, 3.0])),
                  "representatives_sanctioned": draw(st.booleans())},
        "agencies": _agencies(draw, names),
    }
    if n_j > 1 and draw(st.booleans()):
        data["jurisdictions"] = {"j2": {"registry": {"local_expiry": True, "deletion_sharing": 0.5}}}
    return data


def _agrees(data: dict) -> None:
    result = run(build_scenario(data), truth=True)
    report = check_run(result.events, result.truth)
    assert report.disagreements == [], report.disagreements[:10]


# EXAMPLES random worlds in SHARDS tests of their own (fixed seeds), so that pytest-xdist spreads
# them over the cores; together they are the 200 examples the issue asks for.
SHARDS = 4
for _shard in range(SHARDS):
    _test = seed(_shard)(settings(
        max_examples=-(-EXAMPLES // SHARDS), deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])(
        given(worlds())(_agrees)))
    _test.__name__ = f"test_oracle_agrees_on_random_worlds_{_shard}"
    globals()[_test.__name__] = _test


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_oracle_agrees_on_shipped_scenario(path, tmp_path):
    """Through the written files, as a user would: ``run --truth`` then read the folder."""
    result = run(path, days=120, overrides={"population.individuals": 20000}, truth=True)
    events, truth = load(result.write(tmp_path / "run"))
    report = check_run(events, truth)
    assert report.sanctions > 0 and report.checks > 10000
    assert report.disagreements == [], report.disagreements[:10]


def test_oracle_sees_a_wrong_until_and_the_summary_sums_the_events_spans():
    """``until`` is checked (a one-day shift is caught), and ``wrongful_sanction_days`` is what
    a reader of events.parquet gets: per victim, last ``until`` minus first wrongful day."""
    result = run(SHIPPED[0], days=150, overrides={"population.individuals": 20000}, truth=True)
    ev = result.events
    assert check_run(ev, result.truth).disagreements == []
    wrong = ev[ev["wrongful"]]
    assert len(wrong) > 10
    spans = wrong.groupby(["subject_kind", "subject"], observed=True).agg(
        first=("day", "min"), last=("until", "max"))
    days = (spans["last"] - spans["first"]).clip(lower=1).sum()
    assert result.summary["wrongful_sanction_days"] == days
    shifted = ev.copy()
    shifted.loc[wrong.index[0], "until"] += 1
    found = check_run(shifted, result.truth).disagreements
    assert len(found) == 1 and "until" in found[0]
