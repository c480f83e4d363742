"""The shared codes: one home, no project imports, labels for every reported cause."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from simulation import codes
from simulation.codes import (
    CAUSES,
    MISS_CAUSES,
    REWARD_CAUSES,
    SANCTION_CAUSES,
    WRONGFUL_CAUSES,
    Cause,
    Group,
    cause_label,
    groups_of,
)


def test_codes_module_imports_nothing_of_the_project():
    tree = ast.parse(Path(codes.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert imported and not [m for m in imported if m.startswith("simulation")]


def test_cause_names_are_listed_in_code_order():
    assert [Cause[name] for name in CAUSES] == list(range(len(CAUSES)))


@pytest.mark.parametrize(("cause", "groups"), [
    (Cause.correct, {Group.correct}),
    (Cause.name_collision, {Group.wrongful, Group.reward}),
    (Cause.id_error, {Group.wrongful, Group.miss, Group.reward}),
    (Cause.stale_representative, {Group.wrongful, Group.miss}),
    (Cause.listed_at_source, {Group.wrongful}),
    (Cause.not_shared, {Group.miss}),
    (Cause.eligible, {Group.reward}),
    (Cause.paid, {Group.other}),
])
def test_groups_of_a_cause(cause, groups):
    assert groups_of(cause) == groups


def test_every_reported_cause_has_a_label_and_wrongful_excludes_correct():
    for cause in {*SANCTION_CAUSES, *MISS_CAUSES, *REWARD_CAUSES}:
        assert cause.name in codes.CAUSE_LABELS
        assert cause_label(cause.name) and cause_label(cause.name, short=True)
    assert Cause.correct not in WRONGFUL_CAUSES
    assert cause_label("listed_at_source") == "listed wrongly at source"
    assert cause_label("some_new_thing") == "some new thing"
