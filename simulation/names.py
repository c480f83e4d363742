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
def _name_order(distinct_names: int) -> tuple[np.ndarray, int] | None:
    """For each name id (rank in the pool), its flat (surname, given) index; None if huge."""
    # Same pool as simulation.names.name_pool, keeping which (surname, given) each rank is.
    if distinct_names > 20_000_000:
        return None
    n_surnames = max(1, min(SURNAMES, distinct_names))
    n_given = max(1, distinct_names // n_surnames)
    k = np.arange(1, n_surnames + 1, dtype=float)
    surname = (k + SURNAME_SHIFT) ** -SURNAME_EXPONENT
    g = np.arange(1, n_given + 1, dtype=float) ** -GIVEN_NAME_EXPONENT
    full = np.outer(surname / surname.sum(), g / g.sum()).ravel()
    return np.argsort(-full, kind="stable"), n_given


def display_name(name_id: int, distinct_names: int) -> str:
    """A readable, stable romanised name for a name id (the same id always reads the same)."""
    order = _name_order(distinct_names)
    if order is None or name_id < 0 or name_id >= order[0].size:
        return f"Name-{name_id}"
    flat = int(order[0][name_id])
    s, g = divmod(flat, order[1])
    return f"{_bijective(s, ROMAN_SURNAMES)} {_bijective(g, ROMAN_GIVEN)}"
