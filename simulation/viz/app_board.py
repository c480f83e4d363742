"""The class board: every student who joins with the class code appears as a point.

Modelled on NetLogo's HubNet, on the web: the instructor opens ``/?board=CODE`` (the class code
is printed when the app starts) and sees, for every student session that joined, the knobs that
student moved and what their world shows (compliance rate, people wrongly sanctioned, day).
Students' worlds stay their own: a session *publishes* a small :class:`Entry` (plain numbers and
strings, copied) and the board reads only those entries, never a session or a model.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

CODE_ENV = "JOINT_SANCTIONS_CLASS_CODE"
FORGET_SECONDS = 600.0  # a student silent this long (tab closed) leaves the board


def new_code() -> str:
    """A class code that is easy to read out: six letters and digits, no look-alikes."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


def class_code() -> str:
    """This server's class code (``$JOINT_SANCTIONS_CLASS_CODE``; empty: no board)."""
    return os.environ.get(CODE_ENV, "")


def code_matches(given: Any) -> bool:
    """Whether ``given`` is this server's class code (case-insensitive, constant time)."""
    code = class_code()
    if not code or not isinstance(given, str) or len(given) > 64:
        return False
    return hmac.compare_digest(given.strip().upper().encode(), code.encode())


@dataclass(frozen=True)
class Entry:
    """What one student publishes: a name, the knobs moved, and their world's numbers."""

    student: str
    scenario: str
    knobs: tuple[tuple[str, str], ...]  # (knob label, value as shown) for each knob moved
    day: int
    compliance_rate: float  # complied / judgments, as `joint-sanctions run` reports it
    people_wrongly_sanctioned: int
    updated: float = 0.0


class Board:
    """The published entries of one server's students (thread-safe; entries are copies)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self.version = 0

    def publish(self, key: str, entry: Entry) -> None:
        """Show (or update) a student's point."""
        with self._lock:
            self._entries[key] = Entry(**{**entry.__dict__, "updated": time.monotonic()})
            self.version += 1

    def leave(self, key: str) -> None:
        """Take a student's point off the board (their tab closed)."""
        with self._lock:
            if self._entries.pop(key, None) is not None:
                self.version += 1

    def entries(self) -> list[Entry]:
        """Every student's latest entry, oldest join first (stale ones forgotten)."""
        now = time.monotonic()
        with self._lock:
            for key in [k for k, e in self._entries.items() if now - e.updated > FORGET_SECONDS]:
                del self._entries[key]
            return list(self._entries.values())


BOARD = Board()  # one per server process: the class

__all__ = ["BOARD", "CODE_ENV", "Board", "Entry", "class_code", "code_matches", "new_code"]
