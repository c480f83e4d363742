"""One narrator for the app's case file and ``joint-sanctions trace``: what happened to a copy.

A record can leave an agency's copy in two different ways, and a wrongly sanctioned person can
be helped in three; the words must keep them apart:

- the **deletion arrived**: the source deleted the record and the deletion travelled to the copy
  (on time or some days late);
- the **deletion never arrived**: the source deleted it, the copy still holds it (a stale record);
- a **remedy removed it**: an upheld appeal took the stale record out of this copy (or of every
  copy); the deletion itself had not arrived by then;
- an **exemption**: an upheld appeal exempts the person from this record at one agency (or at
  every agency); the record stays in the copies, it simply no longer counts against them.

Model facts used: ``registry.deleted[node, row]`` is the day the record left ``node``'s copy,
whatever the reason; an upheld appeal on a stale record sets it to the decision day
plus one (``appeals.decide_appeals``: courts decide at the end of the day, so the
record is gone from the next day); other upheld appeals add an exemption instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.codes import CAUSES, NEVER, AppealStatus


@dataclass(frozen=True)
class Remedy:
    """An upheld appeal about one record: what the court ordered, where, and when."""

    day: int
    kind: str  # "removed": stale record taken out; "deleted": wrong listing deleted; "exempted"
    everywhere: bool  # every copy / every agency, or only the sanctioning agency's
    agency: int  # the node of the agency whose sanction was appealed
    cause: str  # the appeal's cause (why the sanction was wrong)


def remedies(model: Any, subject: int, subject_kind: int, row: int) -> list[Remedy]:
    """Every upheld appeal of ``subject`` about record ``row``, in decision order."""
    a = model.appeals
    n = a.n
    sel = np.flatnonzero((a.subject[:n] == subject) & (a.subject_kind[:n] == subject_kind)
                         & (a.record[:n] == row) & (a.status[:n] == AppealStatus.decided) & a.upheld[:n])
    out = []
    for i in sel:
        cause = CAUSES[int(a.cause[i])]
        everywhere = model.courts[int(a.court[i])].appeals_params.remedy_scope == "all_copies"
        if cause == "stale_record":
            kind = "removed"
        elif cause == "listed_at_source" and everywhere:
            kind = "deleted"
        else:
            kind = "exempted"
        out.append(Remedy(int(a.decision_day[i]), kind, everywhere, int(a.agency[i]), cause))
    return sorted(out, key=lambda r: r.day)


def remedy_text(remedy: Remedy, row: int, agency_name: str) -> str:
    """What the court's remedy did, in words that never call it a deletion that arrived."""
    if remedy.kind == "removed":
        where = "every copy" if remedy.everywhere else f"{agency_name}'s copy"
        return f"the stale record #{row} was removed from {where} by the court's remedy"
    if remedy.kind == "deleted":
        return f"the wrong listing #{row} was deleted at its source and removed from every copy"
    where = "every agency" if remedy.everywhere else agency_name
    return (f"they are exempted from record #{row} at {where}; the record itself stays in the "
            "copies")


def decision_text(model: Any, subject: int, subject_kind: int, row: int, agency_name: str,
                  decided: int) -> str:
    """What the appeal upheld on day ``decided`` about record ``row`` did."""
    found = [r for r in remedies(model, subject, subject_kind, row) if r.day == decided]
    if not found:
        return f"the sanction on record #{row} was lifted"
    return remedy_text(found[-1], row, agency_name)


@dataclass(frozen=True)
class CopyFate:
    """How record ``row`` ended in ``node``'s copy (see the module docstring)."""

    kind: str  # "held" (not deleted at source), "arrived", "never", "remedy"
    day: int | None  # the day it left the copy (None: still there)
    late: int = 0  # for "arrived": days after the source deleted it


def copy_fate(model: Any, row: int, node: int, remedy_list: list[Remedy] | None = None) -> CopyFate:
    """Whether the deletion of ``row`` reached ``node``'s copy, never did, or a remedy acted."""
    reg = model.registry
    deleted_src = int(reg.records.deleted_day[row])
    gone = int(reg.deleted[node, row])
    for r in remedy_list or []:
        # A remedy decided on day d (at the end of the day) empties the copies from day d + 1
        # (a wrong listing deleted at its source leaves the source's own copy on day d).
        if r.kind in ("removed", "deleted") and (r.everywhere or r.agency == node) \
                and r.day <= gone <= r.day + 1:
            return CopyFate("remedy", r.day)
    if deleted_src >= NEVER or deleted_src > model.day:
        return CopyFate("held", None if gone >= NEVER else gone)
    if gone >= NEVER or gone > model.day:
        return CopyFate("never", None)
    return CopyFate("arrived", gone, max(0, gone - deleted_src))


def fate_text(fate: CopyFate, agency_name: str, row: int) -> str:
    """One sentence about a copy's fate; empty when there is nothing to say."""
    if fate.kind == "arrived":
        lag = f"{fate.late} day{'s' if fate.late != 1 else ''} late" if fate.late else "the same day"
        return f"The deletion of record #{row} reached {agency_name} ({lag})."
    if fate.kind == "never":
        return (f"The deletion of record #{row} never reached {agency_name}: a stale record "
                "stays in its copy.")
    if fate.kind == "remedy":
        return (f"The deletion of record #{row} had not reached {agency_name}; the court's "
                f"remedy removed it on day {fate.day}.")
    return ""


__all__ = ["CopyFate", "Remedy", "copy_fate", "decision_text", "fate_text", "remedies", "remedy_text"]
