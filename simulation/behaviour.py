"""Debtor behaviour: compliance under deterrence and legitimacy, and legitimacy feedback.

Forms borrowed, each with its own parameter in ``Behaviour``:
- Becker / Allingham-Sandmo deterrence: compliance rises with the perceived chance that the lists
  bite (the share of a listed person's service uses that end in a sanction, smoothed).
- Epstein (2002): grievance = hardship x (1 - legitimacy); here legitimacy enters compliance on
  the logit scale, relative to its starting mean.
- Zaklan et al. (2009): fixed-term punishment of caught evaders (the fixed listing term).
"""

from __future__ import annotations

import numpy as np

from simulation.scenario import Behaviour


def logit(p: float) -> float:
    """Log-odds of p (clipped away from 0 and 1)."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


def on_time_probability(b: Behaviour, legitimacy: np.ndarray, bite: float,
                        legitimacy_ref: float) -> np.ndarray:
    """Chance an able debtor pays by the deadline, given legitimacy and the perceived bite."""
    z = logit(b.on_time_compliance) + b.legitimacy_effect * (legitimacy - legitimacy_ref) \
        + b.deterrence_effect * bite
    return 1.0 / (1.0 + np.exp(-z))


def listed_daily_hazard(b: Behaviour, legitimacy: np.ndarray, bite: float,
                        legitimacy_ref: float) -> np.ndarray:
    """Daily chance a listed able debtor pays, before the push of a sanction they meet."""
    factor = np.exp(b.legitimacy_effect * (legitimacy - legitimacy_ref) + b.deterrence_effect * bite)
    return np.clip(b.listed_compliance_per_day * factor, 0.0, 1.0)


def appeal_probability(p_base: float, means: np.ndarray, means_effect: float) -> np.ndarray:
    """Chance a sanctioned person files: rises with means (means are relative, median 1)."""
    return np.clip(p_base * np.power(np.maximum(means, 1e-6), means_effect), 0.0, 1.0)


def smooth(old: float, new: float, memory_days: float) -> float:
    """One day of exponential smoothing with the given memory."""
    w = 1.0 / max(memory_days, 1.0)
    return (1 - w) * old + w * new
