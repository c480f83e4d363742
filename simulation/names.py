"""A heavy-tailed pool of full names, so that namesakes occur as they do in China.

Surname and given name are drawn independently (MPS 2019; Bao 2021). Surnames follow a
Zipf-Mandelbrot law fitted to the Ministry of Public Security figures: the top surname (Wang)
~7.4%, the top 100 ~85.6%. Given names follow Zipf's law over a pool sized so that
``surnames x given names`` is about ``distinct_names``; the given-name exponent 0.5
reproduces a top full name of ~0.02% (Zhang Wei) in a national-size pool (~10^7 names).
A smaller pool means more namesakes.
"""

from __future__ import annotations

import numpy as np

SURNAMES = 400
SURNAME_SHIFT = 6.5  # Zipf-Mandelbrot q, fitted: p1 = 7.4%, top-100 share = 85.6%
SURNAME_EXPONENT = 1.5
GIVEN_NAME_EXPONENT = 0.5  # fitted: Zhang Wei ~0.02% at national scale


def name_pool(distinct_names: int) -> np.ndarray:
    """Probabilities of each full name in a pool of about ``distinct_names`` names, descending."""
    n_surnames = max(1, min(SURNAMES, distinct_names))
    n_given = max(1, distinct_names // n_surnames)
    k = np.arange(1, n_surnames + 1, dtype=float)
    surname = (k + SURNAME_SHIFT) ** -SURNAME_EXPONENT
    surname /= surname.sum()
    g = np.arange(1, n_given + 1, dtype=float) ** -GIVEN_NAME_EXPONENT
    g /= g.sum()
    full = np.outer(surname, g).ravel()
    return np.sort(full)[::-1]


def draw_names(rng: np.random.Generator, n: int, distinct_names: int) -> np.ndarray:
    """Draw a name id (0 = most common name) for each of ``n`` people."""
    p = name_pool(distinct_names)
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int32)


def expected_namesakes(name_ids: np.ndarray) -> float:
    """Mean number of other people sharing a random person's name (size-biased)."""
    counts = np.bincount(name_ids)
    n = counts.sum()
    return float((counts * (counts - 1)).sum() / n) if n else 0.0
