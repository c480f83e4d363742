"""The scale benchmark times what it says: every function its phase table names exists.

``benchmarks/scale.py`` skips a function it cannot find (a benchmark must not die on a refactor),
so a function moved to another module would silently drop out of its phase; this test catches it.
"""

from __future__ import annotations

import importlib
import runpy
from pathlib import Path

import pytest

SCALE = Path(__file__).resolve().parents[1] / "benchmarks" / "scale.py"
PHASES = runpy.run_path(str(SCALE), run_name="scale")["PHASES"]


@pytest.mark.parametrize("target", [t for targets in PHASES.values() for t in targets])
def test_every_timed_function_of_the_scale_benchmark_exists(target):
    module, _, qualified = target.partition(":")
    obj = importlib.import_module(module)
    for part in qualified.split("."):
        obj = getattr(obj, part, None)
        assert obj is not None, f"benchmarks/scale.py times {target}, which does not exist"
    assert callable(obj)
