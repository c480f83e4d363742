"""A heavy-tailed pool of full names, so that namesakes occur as they do in China.

Surname and given name are drawn independently (MPS 2019; Bao 2021). Surnames follow a
Zipf-Mandelbrot law fitted to the Ministry of Public Security figures: the top surname (Wang)
~7.4%, the top 100 ~85.6%. Given names follow Zipf's law over a pool sized so that
``surnames x given names`` is about ``distinct_names``; the given-name exponent 0.5
reproduces a top full name of ~0.02% (Zhang Wei) in a national-size pool (~10^7 names).
A smaller pool means more namesakes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SURNAMES = 400
SURNAME_SHIFT = 6.5  # Zipf-Mandelbrot q, fitted: p1 = 7.4%, top-100 share = 85.6%
SURNAME_EXPONENT = 1.5
GIVEN_NAME_EXPONENT = 0.5  # fitted: Zhang Wei ~0.02% at national scale


EXACT_POOL_LIMIT = 4_000_000  # pools up to this size are sorted whole (~100 MB at the limit)


def _pool_shape(distinct_names: int) -> tuple[int, int]:
    """(surnames, given names) of a pool of about ``distinct_names`` full names."""
    n_surnames = max(1, min(SURNAMES, distinct_names))
    return n_surnames, max(1, distinct_names // n_surnames)


def _surname_p(n_surnames: int) -> np.ndarray:
    k = np.arange(1, n_surnames + 1, dtype=float)
    surname = (k + SURNAME_SHIFT) ** -SURNAME_EXPONENT
    return surname / surname.sum()


def _given_p(n_given: int) -> np.ndarray:
    g = np.arange(1, n_given + 1, dtype=float) ** -GIVEN_NAME_EXPONENT
    return g / g.sum()


def name_pool(distinct_names: int) -> np.ndarray:
    """Probabilities of each full name in a pool of about ``distinct_names`` names, descending."""
    n_surnames, n_given = _pool_shape(distinct_names)
    full = np.outer(_surname_p(n_surnames), _given_p(n_given)).ravel()
    return np.sort(full)[::-1]


GUIDED_MIN = 1 << 14  # CDFs at least this long are searched through a guide table


def _inverse_cdf(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each uniform in ``u``, the first index whose cumulative probability exceeds it."""
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    if cdf.size < GUIDED_MIN:
        return np.searchsorted(cdf, u, side="right")
    return _guided_search(cdf, u)


def _guided_search(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Exactly ``np.searchsorted(cdf, u, side="right")`` for uniforms ``u`` in [0, 1), faster.

    A guide table (Chen & Asau 1974; Devroye 1986, sec. III.2.4) holds the answer at each of ``k``
    evenly spaced points (``k`` a power of two, >= 2 x entries), so a uniform starts at its
    bucket's answer (never past its own, since the bucket starts at or below it) and moves on a
    step at a time while the CDF is still at or below it: under one step on average, instead of
    a 20-level binary search with a cache miss at most levels (10^7 draws from 10^6 names).
    """
    k = 1 << int(2 * cdf.size - 1).bit_length()
    guide = np.searchsorted(cdf, np.arange(k) / k, side="right").astype(np.int32)
    index = guide[(u * k).astype(np.int64)]  # exact: u * 2^j only shifts the exponent
    behind = np.flatnonzero(cdf[index] <= u)
    while behind.size:
        index[behind] += 1
        behind = behind[cdf[index[behind]] <= u[behind]]
    return index


def draw_names(rng: np.random.Generator, n: int, distinct_names: int) -> np.ndarray:
    """Draw a name id for each of ``n`` people, from one uniform each.

    Up to ``EXACT_POOL_LIMIT`` names the id is the name's rank (0 = most common name). A larger
    pool is never built: the uniform picks a surname, and where it fell within that surname's
    share picks the given name, so the cost is the surnames plus the given names (10^8 names:
    250,000 given names, 2 MB), not the pool (2.9 GB); the id is then
    ``surname x given names + given name``. Either way ids are only compared for equality.
    """
    u = rng.random(n)
    if distinct_names <= EXACT_POOL_LIMIT:
        return _inverse_cdf(name_pool(distinct_names), u).astype(np.int32)
    n_surnames, n_given = _pool_shape(distinct_names)
    surname_p = _surname_p(n_surnames)
    surname = np.minimum(_inverse_cdf(surname_p, u), n_surnames - 1)
    below = np.concatenate([[0.0], np.cumsum(surname_p)[:-1]])
    within = np.clip((u - below[surname]) / surname_p[surname], 0.0, np.nextafter(1.0, 0.0))
    given = np.minimum(_inverse_cdf(_given_p(n_given), within), n_given - 1)
    return (surname * n_given + given).astype(np.int32)


def name_counts(name_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(count of each name id, each person's index into those counts), names in ascending id order.

    Dense ids (the ranks of an exact pool, below ``max(EXACT_POOL_LIMIT, 2 x people)``) are counted
    directly, O(people), and the counts list unused ids too (count 0). The flat ids of a huge pool
    (up to 10^8) go through ``np.unique`` (a sort), whose arrays are the size of the population
    rather than of the pool; they list only names in use.
    """
    if name_ids.size and int(name_ids.max()) < max(EXACT_POOL_LIMIT, 2 * name_ids.size):
        return np.bincount(name_ids), name_ids
    _, index, counts = np.unique(name_ids, return_inverse=True, return_counts=True)
    return counts, index


def expected_namesakes(name_ids: np.ndarray) -> float:
    """Mean number of other people sharing a random person's name (size-biased)."""
    counts = name_counts(name_ids)[0]
    n = counts.sum()
    return float((counts * (counts - 1)).sum() / n) if n else 0.0


# Romanised surnames and given names, most common first, for readable namesakes ("Wang Wei").
ROMAN_SURNAMES = (
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo Zheng Liang "
    "Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Cai Jiang Yu Du Ye Cheng Su "
    "Lü Ding Ren Shen Yao Lu Jin Fu Zhong Cui Tan Qiu Xia Lei Kong Bai Mao Shi Qian Fan Wei Dai"
).split()
ROMAN_GIVEN = (
    "Wei Fang Min Jing Na Jun Qiang Lei Yang Yong Yan Jie Tao Ming Chao Xiuying Xia Ping Gang Hui "
    "Hua Juan Ying Hong Jian Bo Bin Hao Xin Lin Yu Dan Ning Kai Feng Rui Jia Qing Lan Fei Zhen"
).split()


def _bijective(index: int, words: tuple[str, ...] | list[str]) -> str:
    """Index -> unique word sequence (bijective base-len(words) numeration), e.g. 'Xiuyingwei'."""
    parts = []
    k = index + 1
    base = len(words)
    while k > 0:
        k -= 1
        parts.append(words[k % base])
        k //= base
    return parts[0] + "".join(p.lower() for p in parts[1:])


@lru_cache(maxsize=8)
def _name_order(distinct_names: int) -> np.ndarray | None:
    """For each name id (rank in the pool), its flat (surname, given) index; None for a large pool,
    whose ids are flat indices already (see :func:`draw_names`)."""
    if distinct_names > EXACT_POOL_LIMIT:
        return None
    n_surnames, n_given = _pool_shape(distinct_names)
    full = np.outer(_surname_p(n_surnames), _given_p(n_given)).ravel()
    return np.argsort(-full, kind="stable")


def display_name(name_id: int, distinct_names: int) -> str:
    """A readable, stable romanised name for a name id (the same id always reads the same)."""
    n_surnames, n_given = _pool_shape(distinct_names)
    order = _name_order(distinct_names)
    size = n_surnames * n_given
    if name_id < 0 or name_id >= size:
        return f"Name-{name_id}"
    flat = name_id if order is None else int(order[name_id])
    s, g = divmod(flat, n_given)
    return f"{_bijective(s, ROMAN_SURNAMES)} {_bijective(g, ROMAN_GIVEN)}"
