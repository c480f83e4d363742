"""Designs (which points to run) and seeds (one SeedSequence tree per sweep).

Number of points, with D parameters:

===========  =========================================================================
grid         the product of the number of values of each parameter
random       ``samples`` (independent uniform draws; log-uniform with scale = "log")
lhs          ``samples`` (Latin hypercube, SALib.sample.latin)
sobol        ``samples * (D + 2)``, or ``samples * (2D + 2)`` with ``second_order = true``
             (Saltelli's scheme, SALib.sample.sobol; samples must be a power of 2)
morris       ``samples * (D + 1)`` (r = samples trajectories, SALib.sample.morris)
===========  =========================================================================

A parameter given as a list of values is discrete in every design: sampled designs draw its
index uniformly (problem-space bounds [0, k), then floor).

Seeds: the sweep seed is the entropy of a SeedSequence. The design's randomness comes from
spawn key (0,); replicate k of *every* point runs with the seed drawn from spawn key (1, k),
so points are compared under common random numbers, and adding replicates later keeps the
seeds of the earlier ones.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from simulation.experiments.spec import Design, Parameter, SweepSpec

DESIGN_KEY = 0
REPLICATE_KEY = 1


def replicate_seed(root: int, k: int) -> int:
    """The run seed of replicate ``k`` under root seed ``root`` (fits a signed 64-bit integer)."""
    ss = np.random.SeedSequence(int(root), spawn_key=(REPLICATE_KEY, int(k)))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def replicate_seeds(root: int, n: int) -> list[int]:
    """Seeds of replicates 0..n-1."""
    return [replicate_seed(root, k) for k in range(n)]


def design_seed(root: int) -> int:
    """The seed handed to the design sampler (SALib or numpy)."""
    ss = np.random.SeedSequence(int(root), spawn_key=(DESIGN_KEY,))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def expected_points(spec: SweepSpec) -> int:
    """How many points a design produces (the formulas in this module's docstring)."""
    return count_points(spec.design, spec.parameters)


def count_points(d: Design, parameters: Sequence[Parameter]) -> int:
    """Points of design ``d`` over ``parameters``, computed without building anything."""
    n_par = len(parameters)
    if d.kind == "grid":
        return math.prod(len(p.values or ()) for p in parameters)
    assert d.samples is not None
    if d.kind == "sobol":
        return d.samples * (2 * n_par + 2 if d.second_order else n_par + 2)
    if d.kind == "morris":
        return d.samples * (n_par + 1)
    return d.samples


def sample_matrix(spec: SweepSpec) -> np.ndarray | None:
    """The raw design matrix in problem space (rows = points), or None for a grid."""
    import warnings

    d = spec.design
    seed = design_seed(spec.seed)
    problem = spec.problem()
    if d.kind == "grid":
        return None
    if d.kind == "random":
        rng = np.random.default_rng(seed)
        u = rng.random((d.samples or 0, len(spec.parameters)))
        bounds = np.asarray(problem["bounds"])
        return bounds[:, 0] + u * (bounds[:, 1] - bounds[:, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if d.kind == "lhs":
            from SALib.sample import latin

            return latin.sample(problem, d.samples, seed=seed)
        if d.kind == "sobol":
            from SALib.sample import sobol

            return sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=seed)
        from SALib.sample import morris

        return morris.sample(problem, d.samples, num_levels=d.levels, seed=seed)


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """One row per point: ``point`` and the value of every parameter, in run order."""
    names = spec.names
    x = sample_matrix(spec)
    if x is None:
        rows = list(itertools.product(*[p.values or () for p in spec.parameters]))
        cols = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    else:
        cols = {p.name: p.from_problem(x[:, i]) for i, p in enumerate(spec.parameters)}
    df = pd.DataFrame(cols, columns=names)
    df.insert(0, "point", np.arange(len(df), dtype=np.int64))
    return df
