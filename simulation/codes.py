"""The shared codes of the model: events, causes, statuses, subject kinds, match routes, sentinels.

One home for every integer the model writes into its tables and events, and the one table of
their human labels. This module imports nothing of the project, so every module can import it.

Enum members are lower-case on purpose: ``Cause.name_collision.name`` is the cause's key in
``events.parquet`` and in summary keys such as ``wrongful_sanctions.name_collision``.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

import numpy as np

# ---------------------------------------------------------------------------- sentinels

NEVER = int(np.iinfo(np.int32).max)  # a day that never comes (never arrived, never deleted)
ID_MISSING = -1  # the ID field was left empty at entry
ID_INVALID = -2  # a mistyped ID that points at nobody
NO_ROW = -1  # no record / no case / no subject


class Event(IntEnum):
    """Kinds of event rows in ``events.parquet`` (column ``event``)."""

    judgment = 0
    compliance = 1
    listing = 2
    delisting = 3
    sanction = 4
    miss = 5
    reward = 6
    appeal_filed = 7
    appeal_decided = 8


class SubjectKind(IntEnum):
    """Who a record or event is about."""

    individual = 0
    firm = 1


PERSON, FIRM = SubjectKind.individual, SubjectKind.firm


class Color(IntEnum):
    """Blacklists punish, redlists reward."""

    black = 0
    red = 1


BLACK, RED = Color.black, Color.red


class Via(IntEnum):
    """The route by which a user matched a record (column ``match``)."""

    none = 0
    id = 1
    name = 2


class CaseStatus(IntEnum):
    """Where a court case stands."""

    pending = 0
    paid_on_time = 1
    listed = 2
    paid_after_listing = 3
    expired = 4
    not_listed = 5
    remedied = 6


OPEN_CASE_STATUSES = (CaseStatus.pending, CaseStatus.listed)


class AppealStatus(IntEnum):
    """Whether an appeal has been decided."""

    open = 0
    decided = 1


class Group(StrEnum):
    """What a cause explains: a sanction (correct or wrongful), a miss, a reward, or other."""

    correct = "correct"
    wrongful = "wrongful"
    miss = "miss"
    reward = "reward"
    other = "other"


class Cause(IntEnum):
    """Why an event happened (column ``cause``). The codes' order is the categories' order."""

    correct = 0
    listed_at_source = 1
    stale_record = 2
    stale_representative = 3
    id_error = 4
    name_collision = 5
    not_shared = 6
    not_yet_arrived = 7
    id_lost = 8
    evaded = 9
    exempted = 10
    deleted_in_copy = 11
    below_threshold = 12
    eligible = 13
    blacklisted_elsewhere = 14
    on_time = 15
    after_listing = 16
    unwilling = 17
    unable = 18
    clerical = 19
    agency_list = 20
    not_legally_defined = 21
    redlist = 22
    paid = 23
    expired = 24
    appeal_upheld = 25
    appeal_rejected = 26
    individual = 27
    firm = 28
    paid_pending_deletion = 29


# Causes by group, in reporting order. A code may serve several groups (id_error explains
# wrongful sanctions, misses and ineligible rewards alike).
SANCTION_CAUSES: tuple[Cause, ...] = (
    Cause.correct, Cause.listed_at_source, Cause.stale_record, Cause.stale_representative,
    Cause.id_error, Cause.name_collision, Cause.paid_pending_deletion,
)
WRONGFUL_CAUSES: tuple[Cause, ...] = SANCTION_CAUSES[1:]
MISS_CAUSES: tuple[Cause, ...] = (
    Cause.not_shared, Cause.not_yet_arrived, Cause.id_lost, Cause.id_error,
    Cause.stale_representative, Cause.evaded, Cause.exempted, Cause.deleted_in_copy,
    Cause.below_threshold,
)
REWARD_CAUSES: tuple[Cause, ...] = (
    Cause.eligible, Cause.blacklisted_elsewhere, Cause.stale_record, Cause.id_error,
    Cause.name_collision,
)
INELIGIBLE_CAUSES: tuple[Cause, ...] = REWARD_CAUSES[1:]


def groups_of(cause: Cause) -> frozenset[Group]:
    """The groups a cause code belongs to (a code can explain several kinds of event)."""
    out = set()
    if cause == Cause.correct:
        out.add(Group.correct)
    if cause in WRONGFUL_CAUSES:
        out.add(Group.wrongful)
    if cause in MISS_CAUSES:
        out.add(Group.miss)
    if cause in REWARD_CAUSES:
        out.add(Group.reward)
    return frozenset(out or {Group.other})


# Names by code, as the events' categorical columns spell them.
EVENTS: tuple[str, ...] = tuple(e.name for e in Event)
CAUSES: tuple[str, ...] = tuple(c.name for c in Cause)
VIA: tuple[str, ...] = ("", "id", "name")  # Via.none is written as an empty label
SUBJECT_KINDS: tuple[str, ...] = tuple(k.name for k in SubjectKind)

# ---------------------------------------------------------------------------- human labels

# The one table of plain-language labels of causes: (short label for legends, full label).
CAUSE_LABELS: dict[str, tuple[str, str]] = {
    "correct": ("correct", "correct"),
    "name_collision": ("namesake", "name collision (a namesake)"),
    "id_error": ("mistyped ID", "identifier error (mistyped ID)"),
    "stale_record": ("stale record", "stale record (already deleted at source)"),
    "stale_representative": ("stale representative", "stale representative link"),
    "listed_at_source": ("wrongly listed", "listed wrongly at source"),
    "paid_pending_deletion": ("paid, not yet deleted",
                              "paid, but the record is not yet deleted at source"),
    "not_shared": ("never shared", "record never shared to this agency"),
    "not_yet_arrived": ("not yet arrived", "record not yet arrived"),
    "id_lost": ("ID lost in transfer", "ID lost in transfer"),
    "evaded": ("evaded", "evaded the check"),
    "exempted": ("exempted on appeal", "exempted after appeal"),
    "deleted_in_copy": ("deleted in copy only", "deleted in the copy but not at source"),
    "below_threshold": ("under points threshold", "above the points threshold"),
    "eligible": ("eligible", "eligible"),
    "blacklisted_elsewhere": ("blacklisted elsewhere", "blacklisted elsewhere"),
}


def cause_label(cause: str, short: bool = False) -> str:
    """Plain-language label of a cause key (full by default, ``short`` for chart legends)."""
    labels = CAUSE_LABELS.get(cause)
    if labels is None:
        return cause.replace("_", " ")
    return labels[0] if short else labels[1]
