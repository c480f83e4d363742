"""Perceived legitimacy of the regime: one home for how it is read and how it changes.

Each individual holds an own legitimacy in [0, 1] (drawn at the start; lowered when wrongly
sanctioned, raised when an appeal is upheld). Everyone in a jurisdiction also loses legitimacy
when wrongful sanctions happen there (``behaviour.legitimacy_loss_observed``, in legitimacy
points per wrongful sanction per 1,000 residents). A person's *perceived* legitimacy is their own
minus their jurisdiction's observed loss, floored at 0: it is in [0, 1] per person, and so is its
mean.

The mean over individuals is kept without a pass over the population each day: a histogram of
own legitimacy per jurisdiction (``BINS`` bins, exact count and sum per bin) gives the mean of
``max(own - loss, 0)`` exactly for every bin wholly above or below the loss, and within
``1 / BINS`` per person for the one bin that straddles it.
"""

from __future__ import annotations

import numpy as np

BINS = 4096
OBSERVED_PER = 1000.0  # residents: the unit of legitimacy_loss_observed


class Legitimacy:
    """Own legitimacy of individuals and the observed loss of each jurisdiction.

    Args:
        own: each individual's own legitimacy (float32, in [0, 1]); changed in place.
        jurisdiction: each individual's jurisdiction.
        n_jurisdictions: number of jurisdictions.
    """

    def __init__(self, own: np.ndarray, jurisdiction: np.ndarray, n_jurisdictions: int):
        self.own = own
        self.jurisdiction = jurisdiction.astype(np.int64, copy=False)
        self.n_jurisdictions = n_jurisdictions
        self.residents = np.bincount(self.jurisdiction, minlength=n_jurisdictions).astype(float)
        self.observed_loss = np.zeros(n_jurisdictions)
        size = n_jurisdictions * BINS
        cell = self._cell(self.jurisdiction, own)
        self.count = np.bincount(cell, minlength=size).astype(np.float64).reshape(-1, BINS)
        self.sum = np.bincount(cell, weights=own.astype(np.float64),
                               minlength=size).reshape(-1, BINS)

    @staticmethod
    def _cell(jurisdiction: np.ndarray, values: np.ndarray) -> np.ndarray:
        b = np.minimum((values.astype(np.float64) * BINS).astype(np.int64), BINS - 1)
        return jurisdiction * BINS + b

    def of(self, persons: np.ndarray) -> np.ndarray:
        """Perceived legitimacy of these individuals, in [0, 1]."""
        return np.clip(self.own[persons] - self.observed_loss[self.jurisdiction[persons]], 0, 1)

    def change(self, persons: np.ndarray, delta: np.ndarray | float) -> None:
        """Add ``delta`` (negative: a loss) to these individuals' own legitimacy, kept in [0, 1].

        All deltas of one call have the same sign, so a person listed twice changes by the sum
        (exactly as two changes one after the other, each clipped)."""
        if persons.size == 0:
            return
        delta = np.broadcast_to(np.asarray(delta, dtype=np.float64), persons.size)
        if (delta > 0).any() and (delta < 0).any():
            raise ValueError("one change() call must not mix losses and gains")
        unique, inverse = np.unique(persons, return_inverse=True)
        self._apply(unique, np.bincount(inverse, weights=delta, minlength=unique.size))

    def _apply(self, persons: np.ndarray, delta: np.ndarray) -> None:
        j = self.jurisdiction[persons]
        before = self.own[persons]
        after = np.clip(before.astype(np.float64) + delta, 0.0, 1.0).astype(np.float32)
        size = self.n_jurisdictions * BINS
        old, new = self._cell(j, before), self._cell(j, after)
        flat_count, flat_sum = self.count.reshape(-1), self.sum.reshape(-1)
        flat_count -= np.bincount(old, minlength=size)
        flat_count += np.bincount(new, minlength=size)
        flat_sum -= np.bincount(old, weights=before.astype(np.float64), minlength=size)
        flat_sum += np.bincount(new, weights=after.astype(np.float64), minlength=size)
        self.own[persons] = after

    def observe_wrongful(self, wrongful_by_jurisdiction: np.ndarray,
                         loss_per_1000: np.ndarray) -> None:
        """Wrongful sanctions seen in each jurisdiction lower everyone's perceived legitimacy
        there by ``loss_per_1000`` points per wrongful sanction per 1,000 residents."""
        self.observed_loss += (loss_per_1000 * wrongful_by_jurisdiction * OBSERVED_PER
                               / np.maximum(self.residents, 1.0))

    def mean(self) -> float:
        """Mean perceived legitimacy over individuals (in [0, 1])."""
        n = float(self.residents.sum())
        if n == 0:
            return float("nan")
        loss = self.observed_loss[:, None]
        lower_edge = np.arange(BINS) / BINS
        above = lower_edge[None, :] >= loss  # whole bin at or above the loss
        straddle = (lower_edge[None, :] < loss) & (lower_edge[None, :] + 1.0 / BINS > loss)
        contrib = np.where(above | straddle, np.maximum(self.sum - loss * self.count, 0.0), 0.0)
        return float(contrib.sum()) / n
