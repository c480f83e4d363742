"""Reading results folders back: every file is checked before it is used, and named if damaged.

A run folder (``summary.json``, ``timeseries.parquet``, ``events.parquet``, ``scenario.toml``,
``manifest.json``) or a sweep folder (``manifest.json``, ``runs/``, ``design.parquet`` ...) may
be truncated by a full disk, emptied, replaced by a foreign file or a folder, or edited by hand.
Every reader (``report``, ``plot``, ``trace``, ``sensitivity``, ``sweep --resume`` ...) reads
through the functions here, so a damaged file is a ``ScenarioError`` that names it and says
what is wrong with it (exit status 2), never a traceback from pyarrow, json or tomllib.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import ScenarioError
from simulation.inputs import check_regular_file, read_input_text

MAX_JSON_BYTES = 16 * 1024 * 1024  # a summary or manifest is a few KB
MAX_JSON_DEPTH = 16  # a summary is flat and a manifest three levels deep
MAX_TABLE_BYTES = 8 * 1024**3  # events of a 50-million-person run stay far below this
# What each table of a run folder must hold (the columns every reader relies on).
EVENT_COLUMNS = ("day", "event", "subject_kind", "subject", "agency")
TIMESERIES_COLUMNS = ("day",)


def _depth(value: Any) -> int:
    """How deeply JSON containers nest in ``value`` (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                return level
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def read_json_object(path: str | Path, *, what: str) -> dict[str, Any]:
    """A JSON object from a results file, checked: a regular file, small, UTF-8, not too deep."""
    check_regular_file(path, what=what, limit=MAX_JSON_BYTES)
    try:
        data = json.loads(Path(path).read_bytes())  # bytes: a decoding error is a ValueError too
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    except (ValueError, RecursionError):
        raise ScenarioError(f"damaged {what} (not valid JSON)", file=str(path)) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"damaged {what} (not a JSON object)", file=str(path))
    if _depth(data) > MAX_JSON_DEPTH:
        raise ScenarioError(f"damaged {what} (nested more than {MAX_JSON_DEPTH} levels deep)",
                            file=str(path))
    return data


def read_toml(path: str | Path, *, what: str) -> dict[str, Any]:
    """A TOML table from a results file, checked: a regular file, small, UTF-8, valid TOML."""
    text = read_input_text(path, what=what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"damaged {what} (not valid TOML: {exc})", file=str(path)) from None


def check_table(path: str | Path, *, what: str, columns: Iterable[str] = ()) -> None:
    """Check a Parquet table without reading its rows: whole (footer intact) with ``columns``."""
    import pyarrow.parquet as pq

    check_regular_file(path, what=what, limit=MAX_TABLE_BYTES)
    try:
        names = pq.read_schema(path).names
    except Exception:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise ScenarioError(f"damaged {what} (not a readable Parquet file: truncated, empty "
                            "or not written by joint-sanctions)", file=str(path)) from None
    missing = [c for c in columns if c not in names]
    if missing:
        raise ScenarioError(f"not a {what} of joint-sanctions (no column {missing[0]!r})",
                            file=str(path))


def read_table(path: str | Path, *, what: str, columns: Iterable[str] = ()) -> pd.DataFrame:
    """A Parquet table from a results file, checked as :func:`check_table` does, then read."""
    columns = tuple(columns)
    check_table(path, what=what, columns=columns)
    try:
        return pd.read_parquet(path)
    except Exception:  # noqa: BLE001 - a file whose footer is fine but whose pages are not
        raise ScenarioError(f"damaged {what} (its data cannot be read)", file=str(path)) from None


def check_run_folder(path: str | Path) -> Path:
    """Refuse a folder that is not a whole run folder, naming the first damaged file.

    ``summary.json`` is required; the tables, ``scenario.toml`` and ``manifest.json`` are checked
    when present (a run written by an older version may lack some). Tables are checked by their
    Parquet footer and columns, without reading their rows.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ScenarioError("no such run folder" if not folder.exists() else
                            "is a file, not a run folder", file=str(folder))
    summary = folder / "summary.json"
    if not summary.exists() and not summary.is_symlink():
        raise ScenarioError("not a run folder (no summary.json)", file=str(folder))
    read_json_object(summary, what="run summary")
    for name, columns in (("timeseries.parquet", TIMESERIES_COLUMNS),
                          ("events.parquet", EVENT_COLUMNS)):
        table = folder / name
        if table.exists() or table.is_symlink():
            check_table(table, what=f"{name.split('.')[0]} table", columns=columns)
    if (folder / "scenario.toml").exists():
        read_toml(folder / "scenario.toml", what="resolved scenario")
    if (folder / "manifest.json").exists():
        read_json_object(folder / "manifest.json", what="run manifest")
    return folder
