"""Array-backed individuals and firms: one row per agent, vectorised rules.

A person's index is their true national ID; a firm's index is its true credit code. Jurisdictions
are contiguous blocks of rows, so that a local body's population is a slice.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from simulation.names import draw_names, name_counts
from simulation.scenario import Scenario
from simulation.streams import Streams

PROPENSITY_CLASSES = 32


@lru_cache(maxsize=16)
def propensity_levels(shape: float) -> np.ndarray:
    """Service-use propensity of each of 32 equally likely classes, mean 1.

    Each level is the mean of one 1/32 quantile band of a gamma(shape) distribution (computed
    from a fixed, large sample, so it is the same on every run). Discrete classes make drawing
    today's users O(users) instead of a search over everyone.
    """
    sample = np.sort(np.random.default_rng(20240601).gamma(shape, 1.0, 32 * 4096))
    levels = sample.reshape(PROPENSITY_CLASSES, -1).mean(axis=1)
    out = (levels / levels.mean()).astype(np.float32)
    out.flags.writeable = False  # cached and shared by every caller
    return out


class UserSampler:
    """Draws service users from a contiguous slice of a population, weighted by propensity."""

    def __init__(self, classes: np.ndarray, levels: np.ndarray, lo: int,
                 eligible: np.ndarray | None = None):
        cls = classes.astype(np.int8)  # 33 values: a stable sort of int8 is a radix sort, O(n)
        if eligible is not None:
            cls = np.where(eligible, cls, np.int8(PROPENSITY_CLASSES))
        order = np.argsort(cls, kind="stable")
        self.members = (lo + order).astype(np.int64)
        counts = np.bincount(cls, minlength=PROPENSITY_CLASSES + 1)[:PROPENSITY_CLASSES]
        self.start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.count = counts
        weight = counts * levels.astype(np.float64)
        self.total_weight = float(weight.sum())
        self.class_p = weight / self.total_weight if self.total_weight > 0 else weight
        self.population = int(counts.sum())

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` users, with replacement, each chosen with probability proportional to propensity."""
        if n == 0 or self.population == 0:
            return np.empty(0, dtype=np.int64)
        per_class = rng.multinomial(n, self.class_p)
        cls = np.repeat(np.arange(PROPENSITY_CLASSES), per_class)
        offset = (rng.random(n) * self.count[cls]).astype(np.int64)
        return np.sort(self.members[self.start[cls] + offset])


def _blocks(n: int, parts: int) -> np.ndarray:
    """Jurisdiction of each of n rows, in contiguous, near-equal blocks."""
    return (np.arange(n, dtype=np.int64) * parts // max(n, 1)).astype(np.int16)


class Individuals:
    """Individuals: true identity (row index), name, jurisdiction, means, footprint, legitimacy."""

    def __init__(self, scenario: Scenario, streams: Streams):
        pop = scenario.population
        n = pop.individuals
        self.n = n
        rng = streams.get("population.individuals")
        self.name = draw_names(rng, n, pop.distinct_names)
        self.jurisdiction = _blocks(n, pop.jurisdictions)
        # Means relative to a typical judgment debt; median 1 (assumption, lognormal).
        self.means = rng.lognormal(0.0, 1.0, n).astype(np.float32)
        self.digital = rng.random(n) < pop.digital_footprint_share
        self.legitimacy = np.clip(
            rng.normal(pop.legitimacy_mean, pop.legitimacy_sd, n), 0.0, 1.0
        ).astype(np.float32)
        self.propensity_class = rng.integers(0, PROPENSITY_CLASSES, n).astype(np.int8)
        self.propensity = propensity_levels(pop.service_propensity_shape)[self.propensity_class]
        self.case = np.full(n, -1, dtype=np.int32)
        counts, person_name = name_counts(self.name)  # unused names, if listed, count 0
        self.name_count = counts[person_name].astype(np.int32)
        # Common name: among the most frequent names holding half the population (a stable sort
        # puts unused names, count 0, last, so listing them changes nothing).
        order = np.argsort(-counts, kind="stable")
        cum = np.cumsum(counts[order])
        common_names = order[: int(np.searchsorted(cum, n / 2)) + 1]
        is_common = np.zeros(counts.size, dtype=bool)
        is_common[common_names] = True
        self.common_name = is_common[person_name]
        self.juris_start = np.searchsorted(self.jurisdiction, np.arange(pop.jurisdictions + 1))


class Firms:
    """Firms: true credit code (row index), jurisdiction, means, legal representative."""

    def __init__(self, scenario: Scenario, streams: Streams, people: Individuals):
        pop = scenario.population
        n = pop.firms
        self.n = n
        rng = streams.get("population.firms")
        self.jurisdiction = _blocks(n, pop.jurisdictions)
        self.means = rng.lognormal(0.5, 1.0, n).astype(np.float32)
        self.propensity_class = rng.integers(0, PROPENSITY_CLASSES, n).astype(np.int8)
        self.propensity = propensity_levels(pop.service_propensity_shape)[self.propensity_class]
        self.case = np.full(n, -1, dtype=np.int32)
        self.juris_start = np.searchsorted(self.jurisdiction, np.arange(pop.jurisdictions + 1))
        self.representative = np.empty(n, dtype=np.int64)
        for j in range(pop.jurisdictions):
            a, b = self.juris_start[j], self.juris_start[j + 1]
            lo, hi = people.juris_start[j], people.juris_start[j + 1]
            if hi <= lo:  # a jurisdiction with firms but no residents: anyone may represent
                lo, hi = 0, people.n
            if b > a:
                self.representative[a:b] = rng.integers(lo, hi, b - a)

    def change_representatives(self, rng: np.random.Generator, rate_per_day: float,
                               people: Individuals) -> np.ndarray:
        """Give some firms a new legal representative from their jurisdiction; returns them."""
        if self.n == 0 or rate_per_day <= 0:
            return np.empty(0, dtype=np.int64)
        count = rng.poisson(self.n * rate_per_day)
        firms = np.unique(rng.integers(0, self.n, count))
        j = self.jurisdiction[firms]
        lo, hi = people.juris_start[j], people.juris_start[j + 1]
        empty = hi <= lo
        lo, hi = np.where(empty, 0, lo), np.where(empty, people.n, hi)
        self.representative[firms] = lo + (rng.random(firms.size) * (hi - lo)).astype(np.int64)
        return firms
