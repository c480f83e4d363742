"""Golden outputs: content hashes of every shipped scenario's outputs at a small fixed size.

Shared by ``tests/test_golden.py`` (which checks them) and ``scripts/golden_hashes.py`` (which
regenerates ``tests/golden_hashes.json``). What is hashed is the data, never file bytes: the
summary as sorted JSON (the same values ``summary.json`` holds), and every column of the events
and time series tables (name, type, categories and values), so no timestamp, path or library
version can enter a hash.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
HASH_FILE = Path(__file__).resolve().parent / "golden_hashes.json"

INDIVIDUALS = 20_000  # people in every golden run (firms and the name pool scaled to match)
MAX_DAYS = 200  # days in every golden run (or the scenario's own days, if fewer)


def shipped_scenarios() -> list[str]:
    """Names of the shipped scenarios (scenarios/*.toml), sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def golden_overrides(name: str) -> dict[str, Any]:
    """The size overrides of one scenario's golden run: 20,000 people, at most 200 days.

    Firms and the name pool are scaled by the same factor as individuals, so firms per person
    and namesakes per person stay as the scenario sets them.
    """
    from simulation.scenario import load_scenario

    scenario = load_scenario(SCENARIO_DIR / f"{name}.toml")
    pop = scenario.population
    factor = INDIVIDUALS / pop.individuals
    return {
        "population.individuals": INDIVIDUALS,
        "population.firms": max(1, round(pop.firms * factor)) if pop.firms else 0,
        "population.distinct_names": max(1, round(pop.distinct_names * factor)),
        "days": min(MAX_DAYS, scenario.days),
    }


def _digest(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def summary_hash(summary: dict[str, Any]) -> str:
    """Hash of the summary as sorted JSON (NaN written as null, as in summary.json)."""
    safe = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()}
    return _digest([json.dumps(safe, sort_keys=True).encode()])


def frame_hash(frame: pd.DataFrame) -> str:
    """Hash of a table's contents: each column's name, type, categories and values in order."""
    parts: list[bytes] = [str(frame.shape).encode()]
    for col in frame.columns:
        series = frame[col]
        parts.append(str(col).encode())
        parts.append(str(series.dtype).encode())
        if isinstance(series.dtype, pd.CategoricalDtype):
            parts.append(json.dumps([str(c) for c in series.cat.categories]).encode())
            values = np.ascontiguousarray(series.cat.codes.to_numpy())
        else:
            values = np.ascontiguousarray(series.to_numpy())
        parts.append(values.tobytes())
    return _digest(parts)


def golden_hashes(name: str) -> dict[str, str]:
    """Run one shipped scenario at its golden size and hash its summary, events and time series."""
    from simulation.runner import run

    result = run(SCENARIO_DIR / f"{name}.toml", overrides=golden_overrides(name))
    return {
        "summary": summary_hash(result.summary),
        "events": frame_hash(result.events),
        "timeseries": frame_hash(result.timeseries),
    }


def load_hashes() -> dict[str, dict[str, str]]:
    """The committed hashes, by scenario name."""
    return json.loads(HASH_FILE.read_text())["scenarios"]


def write_hashes(hashes: dict[str, dict[str, str]]) -> None:
    """Write the hash file (sorted, with the run size it was made at)."""
    data = {"individuals": INDIVIDUALS, "max_days": MAX_DAYS,
            "scenarios": {k: hashes[k] for k in sorted(hashes)}}
    HASH_FILE.write_text(json.dumps(data, indent=2) + "\n")
