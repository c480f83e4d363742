"""Why each sanction, miss and reward happened: pure functions of arrays, no model, no agency.

The inputs are facts about (user, record) pairs at the moment of the check: what the record says
and whom it names, whether it is still active at its source, whether the debt behind it is paid,
the subject's ground truth at that instant and the route by which the user matched it.

A *pair* (one user matched to one record) has a set of causes, held as a bit set over
:class:`~simulation.codes.Cause` codes (bit ``1 << code``):

- ``name_collision``: the record names someone else and matched by name;
- ``id_error``: the record names someone else and matched by ID (a mistyped ID that is this user's);
- ``stale_representative``: a firm's record names the user as its representative, who no longer is;
- ``stale_record``: the record is no longer active at its source (paid and deleted, expired,
  remedied on appeal) but this copy still holds it;
- ``paid_pending_deletion``: the debt behind the record is paid but the source has not yet
  deleted it (the court's processing window);
- ``listed_at_source``: the listing itself was wrong (unable to pay, clerical, no legal basis).

A pair with no cause is *correct*: the subject's own, valid, current record.

A *sanction* is correct when the user's correct pairs alone suffice: any one of them, or, under a
points score, enough of them to pass the threshold. Otherwise it is wrongful; its **primary**
cause is the least wrong among its wrongful pairs (each pair counted by its most wrong cause, in
the order of :data:`RANK`), and its ``causes_any`` bit set holds every cause of every wrongful
pair, each of which suffices on its own to explain a wrong sanction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.codes import Cause, SubjectKind, Via

# Sanction causes from least to most wrong. A pair is labelled by its most wrong cause; a
# sanction by its least wrong pair.
RANK: tuple[Cause, ...] = (
    Cause.correct, Cause.listed_at_source, Cause.paid_pending_deletion, Cause.stale_record,
    Cause.stale_representative, Cause.id_error, Cause.name_collision,
)
_RANK_OF = np.full(max(RANK) + 1, -1, dtype=np.int8)
_RANK_OF[list(RANK)] = np.arange(len(RANK))


def bit(cause: Cause) -> int:
    """The bit of one cause in a ``causes_any`` bit set."""
    return 1 << int(cause)


def causes_in(bits: int) -> list[Cause]:
    """The causes whose bits are set, in code order."""
    return [c for c in Cause if bits & bit(c)]


def pair_causes(names_user: np.ndarray, current_link: np.ndarray, via: np.ndarray,
                active_at_source: np.ndarray, wrongful_source: np.ndarray,
                paid: np.ndarray) -> np.ndarray:
    """Bit set of causes of each (user, record) pair; 0 means the pair is correct.

    Args:
        names_user: the record is about this user (the subject, or the firm's representative as
            entered at listing for a person matched to a firm's record).
        current_link: for a firm's record matched to a person, that person still represents the
            firm; True otherwise.
        via: the match route (:class:`~simulation.codes.Via`).
        active_at_source: the record is listed and not deleted at its source right now.
        wrongful_source: the listing itself was wrong.
        paid: the debt behind the record has been paid (on or before now).
    """
    bits = np.zeros(np.shape(via), dtype=np.int64)
    bits |= np.where(wrongful_source, bit(Cause.listed_at_source), 0)
    bits |= np.where(active_at_source & paid, bit(Cause.paid_pending_deletion), 0)
    bits |= np.where(~active_at_source, bit(Cause.stale_record), 0)
    bits |= np.where(names_user & ~current_link, bit(Cause.stale_representative), 0)
    bits |= np.where(~names_user & (via == Via.id), bit(Cause.id_error), 0)
    bits |= np.where(~names_user & (via == Via.name), bit(Cause.name_collision), 0)
    return bits


def most_wrong(bits: np.ndarray) -> np.ndarray:
    """Each pair's label: its most wrong cause (``correct`` when it has none)."""
    out = np.full(np.shape(bits), Cause.correct, dtype=np.int8)
    for cause in RANK[1:]:  # later (more wrong) causes overwrite earlier ones
        out[(bits & bit(cause)) != 0] = cause
    return out


@dataclass
class Sanctions:
    """Per-user outcome of one agency's checks (arrays over the users who were sanctioned)."""

    user: np.ndarray  # positions of sanctioned users in the query
    pair: np.ndarray  # index of the pair that labels each sanction (the record reported)
    cause: np.ndarray  # primary cause code
    causes_any: np.ndarray  # bit set: every cause of every wrongful pair (0 when correct)


def sanctions(pos: np.ndarray, bits: np.ndarray, n_users: int,
              points: tuple[float, float] | None = None) -> Sanctions:
    """Which users are sanctioned, and why, from their matched pairs.

    Args:
        pos: user position of each pair (any order).
        bits: the pair's cause bit set (:func:`pair_causes`).
        n_users: number of users checked.
        points: ``(points_per_record, allowance)`` of a points score (a user is sanctioned when
            matched records x points exceed the allowance), or None (one match suffices).
    """
    label = most_wrong(bits)
    rank = _RANK_OF[label]
    order = np.lexsort((rank, pos))  # by user, then least wrong first (stable within ties)
    pos_s, rank_s = pos[order], rank[order]
    first = _firsts(pos_s)
    n_match = np.bincount(pos, minlength=n_users)
    n_correct = np.bincount(pos[bits == 0], minlength=n_users)
    if points is None:
        hit = n_match > 0
        ok = n_correct > 0
    else:
        per_record, allowance = points
        hit = n_match * per_record > allowance
        ok = n_correct * per_record > allowance
    # The labelling pair: the user's first correct pair if their own records suffice, else
    # their least wrong wrongful pair.
    wrong_at = np.flatnonzero(rank_s > 0)
    first_wrong = np.zeros(pos_s.size, dtype=bool)
    first_wrong[wrong_at[_firsts(pos_s[wrong_at])]] = True
    pick = np.where(ok[pos_s], first, first_wrong) & hit[pos_s]
    chosen = order[pick]
    users = pos[chosen]
    any_bits = np.zeros(n_users, dtype=np.int64)
    np.bitwise_or.at(any_bits, pos, bits)
    correct = ok[users]
    return Sanctions(
        user=users, pair=chosen,
        cause=np.where(correct, Cause.correct, label[chosen]).astype(np.int8),
        causes_any=np.where(correct, 0, any_bits[users]),
    )


def _firsts(sorted_keys: np.ndarray) -> np.ndarray:
    """Mask of the first element of each run of equal keys."""
    first = np.ones(sorted_keys.size, dtype=bool)
    first[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return first


def miss_cause(*, arrived: np.ndarray, not_yet: np.ndarray, deleted_in_copy: np.ndarray,
               id_lost: np.ndarray, id_mismatch: np.ndarray, stale_rep: np.ndarray,
               scoring: bool) -> np.ndarray:
    """Why a truly listed subject got through, from the state of their record in the copy.

    Args:
        arrived: the record reached this copy (on or before now, or later).
        not_yet: it will reach the copy, but has not yet.
        deleted_in_copy: the copy deleted it (or its term ran out locally) though the source
            has not.
        id_lost: the copy holds it without a usable ID and the rule needs one.
        id_mismatch: the ID as entered is not the subject's and the rule matches by ID.
        stale_rep: a firm's record naming a former representative (the current one cannot match).
        scoring: a points score (the subject is under the threshold in the copy).
    """
    code = np.full(np.shape(arrived), Cause.below_threshold if scoring else Cause.not_shared,
                   dtype=np.int8)
    if not scoring:
        code[id_mismatch] = Cause.id_error
        code[id_lost] = Cause.id_lost
        code[stale_rep] = Cause.stale_representative
    code[deleted_in_copy] = Cause.deleted_in_copy
    code[not_yet] = Cause.not_yet_arrived
    code[~arrived] = Cause.not_shared
    return code


def reward_cause(about: np.ndarray, via: np.ndarray, active_at_source: np.ndarray,
                 rightly_blacklisted: np.ndarray) -> np.ndarray:
    """Why a redlist reward was (in)eligible: the route, the record, the subject's truth now."""
    code = np.full(np.shape(via), Cause.eligible, dtype=np.int8)
    code[rightly_blacklisted] = Cause.blacklisted_elsewhere
    code[~active_at_source] = Cause.stale_record
    code[~about & (via == Via.id)] = Cause.id_error
    code[~about & (via == Via.name)] = Cause.name_collision
    return code


def truth_index(valid: np.ndarray, kind: np.ndarray, subject: np.ndarray, rep_now: np.ndarray,
                reps_sanctioned: bool) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Who is on which valid record, as sorted (subject key, record) pairs by subject kind.

    Args:
        valid: mask over records (e.g. rightly listed right now).
        kind: each record's subject kind; subject: its subject.
        rep_now: for a firm's record, the firm's representative now (ignored for persons).
        reps_sanctioned: a firm's record also lists its current representative as a person.
    """
    rows = np.flatnonzero(valid)
    k = kind[rows]
    person_rows = rows[k == SubjectKind.individual]
    person_keys = subject[person_rows]
    firm_rows = rows[k == SubjectKind.firm]
    if reps_sanctioned:
        person_rows = np.concatenate([person_rows, firm_rows])
        person_keys = np.concatenate([person_keys, rep_now[firm_rows]])
    return {SubjectKind.individual: _sorted_pairs(person_keys, person_rows),
            SubjectKind.firm: _sorted_pairs(subject[firm_rows], firm_rows)}


def _sorted_pairs(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    return keys[order].astype(np.int64), rows[order].astype(np.int64)
