"""A growable column table: numpy arrays that double when full (records, cases, appeals)."""

from __future__ import annotations

from typing import Any

import numpy as np


class Table:
    """Columns of equal length stored in numpy arrays with spare capacity.

    ``table.col[: table.n]`` is the live part of a column; :meth:`append` adds rows in bulk.
    """

    def __init__(self, columns: dict[str, tuple[Any, Any]], capacity: int = 1024):
        self._spec = columns
        self.n = 0
        self.capacity = max(16, capacity)
        self.cols: dict[str, np.ndarray] = {
            name: np.full(self.capacity, fill, dtype=dtype) for name, (dtype, fill) in columns.items()
        }

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols")
        if cols is not None and name in cols:
            return cols[name]
        raise AttributeError(name)

    def columns(self) -> dict[str, np.ndarray]:
        """The live part of every column (views, not copies)."""
        return {name: col[: self.n] for name, col in self.cols.items()}

    def _grow(self, needed: int) -> None:
        new_cap = self.capacity
        while new_cap < needed:
            new_cap *= 2
        for name, (dtype, fill) in self._spec.items():
            col = np.full(new_cap, fill, dtype=dtype)
            col[: self.n] = self.cols[name][: self.n]
            self.cols[name] = col
        self.capacity = new_cap
        for hook in getattr(self, "_grow_hooks", []):
            hook(new_cap)

    def on_grow(self, hook: Any) -> None:
        """Call ``hook(new_capacity)`` whenever the table grows (aligned side arrays)."""
        self.__dict__.setdefault("_grow_hooks", []).append(hook)

    def append(self, **values: Any) -> np.ndarray:
        """Append rows (all columns given as arrays or scalars); returns the new row indices."""
        lengths = {np.size(v) for v in values.values() if np.ndim(v) > 0}
        count = lengths.pop() if lengths else 1
        if lengths:
            raise ValueError("columns of different lengths")
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        rows = np.arange(self.n, self.n + count)
        for name, value in values.items():
            self.cols[name][self.n : self.n + count] = value
        self.n += count
        return rows
