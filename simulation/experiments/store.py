"""Where a sweep keeps its finished runs: a journal plus a partitioned Parquet dataset.

Layout inside a sweep folder::

    runs/part-000001.parquet     summary rows, one per run (zstd), many runs per file
    series/part-000001.parquet   chosen daily series, long format (run_key, day, series...)
    runs/journal-000002.jsonl    runs finished since the last part was written

Every finished run is appended to the open journal as one JSON line and flushed at once, so a
crash or ``kill -9`` of the sweep loses no finished run (the operating system keeps what was
written; a power cut may lose the last lines). Every ``compact_every`` runs, and when the store
closes, the journal becomes part files (written to a temporary name, then renamed) and is
deleted. A journal left by a crash is compacted when the folder is opened again; a truncated
last line (the run being written when the process died) is dropped and that run runs again.

Runs are identified by ``run_key``, a hash of their parameter values and seed, so a resumed
sweep with more replicates or points matches the runs it already has whatever their new
``run_id``. A later row with the same key replaces an earlier one (``--retry-errors``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import ScenarioError
from simulation.readback import read_table

COMPACT_EVERY = 2000  # runs per part file: about 1 MB of summary rows, few files for big sweeps
REQUIRED = ("run_id", "seed", "status")


def run_key(values: Sequence[Any], seed: int) -> str:
    """A stable identity of a run: its parameter values (in parameter order) and its seed."""
    blob = json.dumps([list(values), int(seed)], default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def atomic_write_parquet(df: pd.DataFrame, path: Path) -> None:
    """DataFrame to Parquet (zstd) via a temporary file and os.replace."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        df.to_parquet(tmp, index=False, compression="zstd")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _number(path: Path) -> int:
    return int(path.stem.rsplit("-", 1)[1])


def _read_journal(path: Path) -> list[dict[str, Any]]:
    """Entries of a journal; a torn last line (a crash mid-write) is dropped, others are errors."""
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror}", file=str(path)) from None
    entries = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or not isinstance(entry.get("row"), dict):
                raise ValueError("not a run entry")
        except (ValueError, UnicodeDecodeError):
            if i == len(lines) - 1:  # the last line, without its newline: torn by a crash
                break
            raise ScenarioError(f"damaged journal (line {i + 1} is not a run entry); delete the file "
                                "and run with --resume to redo its runs", file=str(path)) from None
        entries.append(entry)
    return entries


def _read_part(path: Path, what: str = "results file", columns: Sequence[str] = REQUIRED
               ) -> pd.DataFrame:
    """One Parquet part, checked (:func:`simulation.readback.read_table`), with what to do."""
    try:
        return read_table(path, what=what, columns=columns)
    except ScenarioError as exc:
        reason = exc.reason.replace(f"not a {what} of joint-sanctions", "not a file of sweep runs")
        raise ScenarioError(f"{reason}; delete it and run with --resume to redo its runs",
                            file=str(path)) from None


class RunStore:
    """The finished runs of one sweep folder (see the module docstring)."""

    def __init__(self, folder: Path, *, compact_every: int = COMPACT_EVERY):
        self.folder = Path(folder)
        self.runs_dir = self.folder / "runs"
        self.series_dir = self.folder / "series"
        self.compact_every = compact_every
        self._journal: Any = None
        self._journal_path: Path | None = None
        self._pending = 0

    # -- reading -----------------------------------------------------------------------------
    def parts(self) -> list[Path]:
        """Summary part files, oldest first."""
        return sorted(self.runs_dir.glob("part-*.parquet"), key=_number) if self.runs_dir.is_dir() else []

    def rows(self) -> list[dict[str, Any]]:
        """Every stored run row, oldest first (parts, then any journal), later keys replacing earlier."""
        rows: list[dict[str, Any]] = []
        for part in self.parts():
            rows.extend(_read_part(part).to_dict("records"))
        for journal in self._journals():
            rows.extend(e["row"] for e in _read_journal(journal))
        by_key: dict[Any, dict[str, Any]] = {}
        for row in rows:
            by_key[row.get("run_key", row["run_id"])] = row
        return list(by_key.values())

    def series(self) -> pd.DataFrame:
        """Every recorded daily series, long format (``run_key``, ``day``, one column per series)."""
        frames = []
        if self.series_dir.is_dir():
            for part in sorted(self.series_dir.glob("part-*.parquet"), key=_number):
                frames.append(_read_part(part, "series file", ()))
        for journal in self._journals():
            frames.extend(_series_frame(e) for e in _read_journal(journal) if e.get("series"))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _journals(self) -> list[Path]:
        if not self.runs_dir.is_dir():
            return []
        return sorted(self.runs_dir.glob("journal-*.jsonl"), key=_number)

    # -- writing -----------------------------------------------------------------------------
    def open(self) -> RunStore:
        """Compact journals left by a crash, then open a new journal for this session."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for journal in self._journals():
            self._compact(journal)
        numbers = [_number(p) for p in (*self.parts(), *self._journals())]
        self._journal_path = self.runs_dir / f"journal-{max(numbers, default=0) + 1:06d}.jsonl"
        self._journal = self._journal_path.open("ab")
        return self

    def append(self, row: dict[str, Any], series: dict[str, list[Any]] | None = None) -> None:
        """Record one finished run (flushed before returning); compact every ``compact_every``."""
        entry: dict[str, Any] = {"row": row}
        if series:
            entry["series"] = series
        self._journal.write(json.dumps(entry, default=_plain).encode() + b"\n")
        self._journal.flush()
        self._pending += 1
        if self._pending >= self.compact_every:
            self._rotate()

    def close(self) -> None:
        """Compact the open journal (nothing is lost if this never runs: see :meth:`open`)."""
        if self._journal is None:
            return
        self._journal.close()
        self._journal = None
        assert self._journal_path is not None
        self._compact(self._journal_path)

    def _rotate(self) -> None:
        assert self._journal_path is not None
        self._journal.close()
        self._compact(self._journal_path)
        n = _number(self._journal_path) + 1
        self._journal_path = self.runs_dir / f"journal-{n:06d}.jsonl"
        self._journal = self._journal_path.open("ab")
        self._pending = 0

    def _compact(self, journal: Path) -> None:
        """journal-N.jsonl -> series/part-N.parquet, then runs/part-N.parquet, then delete it."""
        part = self.runs_dir / f"part-{_number(journal):06d}.parquet"
        if not part.exists():
            entries = _read_journal(journal)
            if entries:
                with_series = [_series_frame(e) for e in entries if e.get("series")]
                if with_series:
                    self.series_dir.mkdir(exist_ok=True)
                    atomic_write_parquet(pd.concat(with_series, ignore_index=True),
                                         self.series_dir / part.name)
                atomic_write_parquet(pd.DataFrame([e["row"] for e in entries]), part)
        journal.unlink(missing_ok=True)


def _series_frame(entry: dict[str, Any]) -> pd.DataFrame:
    series = entry["series"]
    df = pd.DataFrame(series)
    df.insert(0, "run_key", entry["row"].get("run_key", str(entry["row"]["run_id"])))
    return df


def _plain(value: Any) -> Any:
    """numpy scalars to Python numbers for JSON."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__}")


def total_bytes(paths: Iterable[Path]) -> int:
    """Sum of file sizes (for the storage benchmark)."""
    return sum(p.stat().st_size for p in paths if p.is_file())
