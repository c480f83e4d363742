"""Mistyped IDs at entry: wrongful sanctions from the error rate and service-use rates."""

from __future__ import annotations

from simulation.model import JointSanctionsModel

from .checks import check_id_errors, id_error_scenario, run_model

SEEDS = (31, 32, 33)


def test_id_error_sanctions_match_error_rate():
    check = check_id_errors([run_model(id_error_scenario(seed=s)) for s in SEEDS])
    assert check.passed, check


def test_id_errors_detect_broken_mechanism():
    original = JointSanctionsModel.create_records

    def double_errors(self, **kw):
        reg = kw["registry_params"]
        kw["registry_params"] = reg.model_copy(update={"id_error_rate": 2 * reg.id_error_rate})
        return original(self, **kw)

    broken = [run_model(id_error_scenario(seed=s),
                        [("simulation.model.JointSanctionsModel.create_records", double_errors)])
              for s in SEEDS]
    assert not check_id_errors(broken).passed
