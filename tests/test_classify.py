"""Table-driven tests of the pure classification: one row per cause and per combination."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import classify
from simulation.codes import Cause, Via

C = Cause
ID, NAME = Via.id, Via.name

# (names_user, current_link, via, active_at_source, wrongful_source, paid) -> causes, label
PAIRS = [
    ((True, True, ID, True, False, False), set(), C.correct),
    ((True, True, NAME, True, False, False), set(), C.correct),
    ((False, True, NAME, True, False, False), {C.name_collision}, C.name_collision),
    ((False, True, ID, True, False, False), {C.id_error}, C.id_error),
    ((True, False, NAME, True, False, False), {C.stale_representative}, C.stale_representative),
    ((True, True, ID, False, False, False), {C.stale_record}, C.stale_record),
    ((True, True, ID, True, True, False), {C.listed_at_source}, C.listed_at_source),
    ((True, True, ID, True, False, True), {C.paid_pending_deletion}, C.paid_pending_deletion),
    # combinations: the pair is labelled by its most wrong cause, and keeps them all
    ((True, True, ID, False, False, True), {C.stale_record}, C.stale_record),  # paid, deleted
    ((False, True, NAME, False, False, False), {C.name_collision, C.stale_record}, C.name_collision),
    ((False, True, ID, True, True, False), {C.id_error, C.listed_at_source}, C.id_error),
    ((True, False, NAME, False, False, False), {C.stale_representative, C.stale_record},
     C.stale_representative),
    ((True, True, NAME, True, True, True), {C.listed_at_source, C.paid_pending_deletion},
     C.paid_pending_deletion),
    ((False, True, NAME, False, True, False),
     {C.name_collision, C.stale_record, C.listed_at_source}, C.name_collision),
]


@pytest.mark.parametrize(("facts", "causes", "label"), PAIRS)
def test_pair_causes(facts, causes, label):
    names_user, current, via, active, wrongful, paid = (np.array([x]) for x in facts)
    bits = classify.pair_causes(names_user=names_user, current_link=current, via=via,
                                active_at_source=active, wrongful_source=wrongful, paid=paid)
    assert set(classify.causes_in(int(bits[0]))) == causes
    assert classify.most_wrong(bits)[0] == label


def _bits(*causes):
    out = 0
    for c in causes:
        out |= classify.bit(c)
    return out


OK = 0
NS = _bits(C.name_collision)
ST = _bits(C.stale_record)
SRC = _bits(C.listed_at_source)
NS_ST = _bits(C.name_collision, C.stale_record)

# one user's matched pairs (bit sets), the points rule -> sanctioned?, primary, causes_any
USERS = [
    ([OK], None, True, C.correct, set()),
    ([NS], None, True, C.name_collision, {C.name_collision}),
    ([NS, OK], None, True, C.correct, set()),  # own valid record: correct whatever else matched
    ([NS, ST], None, True, C.stale_record, {C.name_collision, C.stale_record}),  # least wrong
    ([NS_ST, SRC], None, True, C.listed_at_source,
     {C.name_collision, C.stale_record, C.listed_at_source}),
    ([], None, False, None, None),
    # points: 30 per record, allowance 40 -> two records needed
    ([OK], (30, 40), False, None, None),
    ([OK, OK], (30, 40), True, C.correct, set()),
    ([OK, NS], (30, 40), True, C.name_collision, {C.name_collision}),  # own alone too few
    ([NS, ST, OK], (30, 40), True, C.stale_record, {C.name_collision, C.stale_record}),
]


@pytest.mark.parametrize(("pairs", "points", "sanctioned", "primary", "causes_any"), USERS)
def test_sanction_of_one_user(pairs, points, sanctioned, primary, causes_any):
    # The user under test sits at position 1 between two correctly sanctioned users.
    pos = np.array([0, *([1] * len(pairs)), 2], dtype=np.int64)
    bits = np.array([OK, *pairs, OK], dtype=np.int64)
    if points is not None:
        pos, bits = np.r_[pos, 0, 2], np.r_[bits, OK, OK]
    got = classify.sanctions(pos, bits, 3, points)
    assert list(got.user) == ([0, 1, 2] if sanctioned else [0, 2])
    assert np.all(got.cause[got.user != 1] == C.correct)
    if sanctioned:
        i = int(np.flatnonzero(got.user == 1)[0])
        assert got.cause[i] == primary
        assert set(classify.causes_in(int(got.causes_any[i]))) == causes_any
        # the reported pair is the one whose label is the primary cause
        assert classify.most_wrong(bits[got.pair[i:i + 1]])[0] == primary


MISS = dict(arrived=True, not_yet=False, deleted_in_copy=False, id_lost=False,
            id_mismatch=False, stale_rep=False)


@pytest.mark.parametrize(("facts", "scoring", "cause"), [
    ({**MISS, "arrived": False}, False, C.not_shared),
    ({**MISS, "not_yet": True}, False, C.not_yet_arrived),
    ({**MISS, "deleted_in_copy": True}, False, C.deleted_in_copy),
    ({**MISS, "id_lost": True}, False, C.id_lost),
    ({**MISS, "id_mismatch": True}, False, C.id_error),
    ({**MISS, "stale_rep": True}, False, C.stale_representative),
    ({**MISS, "stale_rep": True, "id_lost": True}, False, C.stale_representative),
    ({**MISS, "id_lost": True, "deleted_in_copy": True}, False, C.deleted_in_copy),
    ({**MISS, "id_mismatch": True}, True, C.below_threshold),
    ({**MISS, "arrived": False, "not_yet": False}, True, C.not_shared),
])
def test_miss_cause(facts, scoring, cause):
    arrays = {k: np.array([v]) for k, v in facts.items()}
    assert classify.miss_cause(**arrays, scoring=scoring)[0] == cause


@pytest.mark.parametrize(("about", "via", "active", "blacklisted", "cause"), [
    (True, ID, True, False, C.eligible),
    (True, ID, True, True, C.blacklisted_elsewhere),
    (True, NAME, False, True, C.stale_record),
    (False, ID, True, False, C.id_error),
    (False, NAME, False, True, C.name_collision),
])
def test_reward_cause(about, via, active, blacklisted, cause):
    got = classify.reward_cause(np.array([about]), np.array([via]), np.array([active]),
                                np.array([blacklisted]))
    assert got[0] == cause


def test_truth_index_lists_representatives_of_listed_firms():
    valid = np.array([True, True, False, True])
    kind = np.array([0, 1, 0, 1])
    subject = np.array([5, 7, 6, 9])
    rep_now = np.array([-1, 3, -1, 5])
    with_reps = classify.truth_index(valid, kind, subject, rep_now, True)
    keys, rows = with_reps[0]
    assert sorted(zip(keys.tolist(), rows.tolist(), strict=True)) == [(3, 1), (5, 0), (5, 3)]
    keys, rows = with_reps[1]
    assert list(zip(keys.tolist(), rows.tolist(), strict=True)) == [(7, 1), (9, 3)]
    keys, _ = classify.truth_index(valid, kind, subject, rep_now, False)[0]
    assert keys.tolist() == [5]
