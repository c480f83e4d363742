"""Independent random streams, one per mechanism and day (common random numbers).

Every draw comes from a generator keyed by (scenario seed, mechanism name, day). Switching one
mechanism off, or changing how many draws it makes, never shifts another mechanism's numbers,
and a change on day t never shifts the draws of day t+1. Twin-world comparisons are therefore
paired person by person.

Each stream is ``PCG64(SeedSequence(seed, spawn_key=(crc32(mechanism), day + 1, *extra)))``.
A model makes tens of thousands of streams a run, and numpy's SeedSequence costs tens of
microseconds each, so the same hash (O'Neill's seed_seq as numpy implements it) is computed
here in integer arithmetic, with the part that depends on the seed and mechanism cached; the
resulting generator state is bit-for-bit numpy's (tests/test_streams.py checks it).
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.random.bit_generator import ISeedSequence

# numpy.random.SeedSequence's constants (bit_generator.pyx), pool of 4 32-bit words.
POOL_SIZE = 4
INIT_A, MULT_A = 0x43B0D7E5, 0x931E8875
INIT_B, MULT_B = 0x8B51F9DD, 0x58F38DED
MIX_MULT_L, MIX_MULT_R = 0xCA01F9DD, 0x4973F715
XSHIFT = 16
MASK32 = 0xFFFFFFFF


def uint32_words(n: int) -> list[int]:
    """A non-negative integer as little-endian 32-bit words (numpy's coercion of an int)."""
    if n < 0:
        raise ValueError("expected a non-negative integer")
    words = [n & MASK32]
    n >>= 32
    while n:
        words.append(n & MASK32)
        n >>= 32
    return words


class _Pool:
    """SeedSequence's entropy pool part-way through mixing: four words and the hash constant."""

    __slots__ = ("words", "hash_const")

    def __init__(self, words: list[int], hash_const: int):
        self.words = words
        self.hash_const = hash_const

    def hashmix(self, value: int) -> int:
        value ^= self.hash_const
        self.hash_const = (self.hash_const * MULT_A) & MASK32
        value = (value * self.hash_const) & MASK32
        return value ^ (value >> XSHIFT)

    @staticmethod
    def mix(x: int, y: int) -> int:
        r = (MIX_MULT_L * x - MIX_MULT_R * y) & MASK32
        return r ^ (r >> XSHIFT)

    @classmethod
    def start(cls, run_entropy: list[int]) -> _Pool:
        """The pool after the run entropy (the seed, padded to the pool size) is mixed in."""
        entropy = run_entropy + [0] * max(0, POOL_SIZE - len(run_entropy))
        pool = cls([0] * POOL_SIZE, INIT_A)
        pool.words = [pool.hashmix(entropy[i]) for i in range(POOL_SIZE)]
        for src in range(POOL_SIZE):
            for dst in range(POOL_SIZE):
                if src != dst:
                    pool.words[dst] = cls.mix(pool.words[dst], pool.hashmix(pool.words[src]))
        return pool.absorb(entropy[POOL_SIZE:])

    def absorb(self, words: list[int]) -> _Pool:
        """Mix more entropy words into the pool (in place); returns it."""
        pool = self.words
        for word in words:
            for dst in range(POOL_SIZE):
                pool[dst] = self.mix(pool[dst], self.hashmix(word))
        return self

    def copy(self) -> _Pool:
        """An independent copy."""
        return _Pool(list(self.words), self.hash_const)

    def state(self, n_words64: int) -> np.ndarray:
        """``SeedSequence.generate_state(n_words64, np.uint64)`` of this pool."""
        out = []
        hash_const = INIT_B
        for i in range(2 * n_words64):
            value = self.words[i % POOL_SIZE] ^ hash_const
            hash_const = (hash_const * MULT_B) & MASK32
            value = (value * hash_const) & MASK32
            out.append(value ^ (value >> XSHIFT))
        return np.array([out[2 * k] | (out[2 * k + 1] << 32) for k in range(n_words64)],
                        dtype=np.uint64)


class _FixedSeed(ISeedSequence):
    """Hands a bit generator the state words already computed for it."""

    def __init__(self, pool: _Pool):
        self.pool = pool

    def generate_state(self, n_words: int, dtype: type = np.uint32) -> np.ndarray:
        """The pool's state as ``n_words`` words of ``dtype`` (uint64 or uint32)."""
        if np.dtype(dtype) == np.uint64:
            return self.pool.state(n_words)
        return self.pool.state((n_words + 1) // 2).view(np.uint32)[:n_words]


class Streams:
    """A factory of numpy Generators keyed by mechanism and day; no global random state."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._base = _Pool.start(uint32_words(self.seed))
        self._by_mechanism: dict[str, _Pool] = {}

    def get(self, mechanism: str, day: int = -1, *extra: int) -> np.random.Generator:
        """The generator for one mechanism on one day (``day=-1`` for set-up draws)."""
        pool = self._by_mechanism.get(mechanism)
        if pool is None:
            pool = self._by_mechanism[mechanism] = self._base.copy().absorb(
                uint32_words(zlib.crc32(mechanism.encode())))
        words = uint32_words(day + 1)
        for e in extra:
            words += uint32_words(int(e))
        return np.random.Generator(np.random.PCG64(_FixedSeed(pool.copy().absorb(words))))
