"""Objections and appeals: filing, a finite-capacity FIFO queue per court, review and remedy.

Anchors: court review within 15 days; the listing stays in force meanwhile (SPC 2017). An upheld
appeal either clears the sanctioning copy only or the source and every copy (``remedy_scope``).
What a remedy does depends on why the sanction was wrong: a namesake or a mistyped ID is
exempted from that record; a stale record is deleted; a wrongful listing is delisted at source.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from simulation.codes import NO_ROW, PERSON, AppealStatus
from simulation.tables import Table


def new_appeals_table() -> Table:
    """Columns of the appeals docket (one row per appeal)."""
    return Table({
        "subject_kind": (np.int8, PERSON),
        "subject": (np.int64, -1),
        "record": (np.int64, NO_ROW),
        "agency": (np.int16, -1),
        "court": (np.int16, -1),
        "cause": (np.int8, -1),
        "valid": (np.bool_, False),
        "filed_day": (np.int32, -1),
        "taken_day": (np.int32, -1),
        "decision_day": (np.int32, -1),
        "upheld": (np.bool_, False),
        "status": (np.int8, AppealStatus.open),
    })


class AppealsDesk:
    """One court's queue: takes up to ``capacity`` cases a day, decides after ``review_days``."""

    def __init__(self) -> None:
        self.queue: deque[int] = deque()
        self.in_review: deque[tuple[int, int]] = deque()  # (decision day, appeal id)
        self.credit = 0.0

    def file(self, appeal_ids: np.ndarray) -> None:
        """Add new appeals to the back of the queue."""
        self.queue.extend(int(a) for a in appeal_ids)

    def take_up(self, day: int, capacity: float, review_days: int, table: Table) -> None:
        """Take cases from the queue within today's capacity (fractional capacity accumulates).

        At most ``ceil(capacity)`` cases a day: unused capacity is not banked beyond that.
        """
        self.credit = min(self.credit + capacity, float(math.ceil(capacity)))
        while self.queue and self.credit >= 1.0:
            a = self.queue.popleft()
            self.credit -= 1.0
            table.taken_day[a] = day
            table.decision_day[a] = day + review_days
            self.in_review.append((day + review_days, a))
        if not self.queue:
            self.credit = min(self.credit, capacity)

    def due(self, day: int) -> np.ndarray:
        """Appeals whose decision falls today."""
        out = []
        while self.in_review and self.in_review[0][0] <= day:
            out.append(self.in_review.popleft()[1])
        return np.asarray(out, dtype=np.int64)

    @property
    def backlog(self) -> int:
        """Cases filed and not yet decided."""
        return len(self.queue) + len(self.in_review)
