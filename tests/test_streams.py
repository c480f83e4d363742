"""The streams' fast seeding gives exactly numpy's SeedSequence generators."""

from __future__ import annotations

import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.streams import Streams, uint32_words


def numpy_stream(seed, mechanism, day, *extra):
    key = (zlib.crc32(mechanism.encode()), day + 1, *extra)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**140), mechanism=st.text(max_size=12), day=st.integers(-1, 10**6),
       extra=st.lists(st.integers(0, 2**70), max_size=3))
def test_streams_equal_numpy_seedsequence(seed, mechanism, day, extra):
    ours = Streams(seed).get(mechanism, day, *extra)
    ref = numpy_stream(seed, mechanism, day, *extra)
    assert ours.bit_generator.state == ref.bit_generator.state
    assert np.array_equal(ours.random(5), ref.random(5))


def test_cached_mechanism_streams_stay_independent():
    s = Streams(3)
    a = s.get("judgments", 4)
    b = s.get("judgments", 5)
    assert a.bit_generator.state == numpy_stream(3, "judgments", 4).bit_generator.state
    assert b.bit_generator.state == numpy_stream(3, "judgments", 5).bit_generator.state
    assert s.get("judgments", 4).bit_generator.state == a.bit_generator.state


def test_uint32_words():
    assert uint32_words(0) == [0]
    assert uint32_words(2**32) == [0, 1]
    assert uint32_words(2**32 - 1) == [2**32 - 1]
