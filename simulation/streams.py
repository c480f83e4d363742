"""Independent random streams, one per mechanism and day (common random numbers).

Every draw comes from a generator keyed by (scenario seed, mechanism name, day). Switching one
mechanism off, or changing how many draws it makes, never shifts another mechanism's numbers,
and a change on day t never shifts the draws of day t+1. Twin-world comparisons are therefore
paired person by person.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """A factory of numpy Generators keyed by mechanism and day; no global random state."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def get(self, mechanism: str, day: int = -1, *extra: int) -> np.random.Generator:
        """The generator for one mechanism on one day (``day=-1`` for set-up draws)."""
        key = (zlib.crc32(mechanism.encode()), day + 1, *extra)
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key)))
