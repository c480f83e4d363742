"""Reading user input files safely: regular files only, of bounded size, UTF-8 (BOM allowed).

A FIFO would block a reader forever and ``/dev/zero`` would be read until memory runs out, so
anything that is not a regular file is refused before it is opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from simulation.errors import ScenarioError

MAX_INPUT_BYTES = 8 * 1024 * 1024  # 8 MiB: far above any real scenario or sweep (~2 KB each)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular_file(path: str | Path, *, what: str = "file",
                       limit: int = MAX_INPUT_BYTES) -> os.stat_result:
    """Refuse anything but an existing regular file of at most ``limit`` bytes (ScenarioError)."""
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError("no such file", file=name) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ScenarioError(f"cannot read: {getattr(exc, 'strerror', None) or exc}",
                            file=name) from None
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(f"is {_kind(info.st_mode)}, not a {what}", file=name)
    if info.st_size > limit:
        raise ScenarioError(f"is {info.st_size:,} bytes; a {what} may be at most {limit:,} bytes",
                            file=name)
    return info


def read_input_text(path: str | Path, *, what: str = "file", limit: int = MAX_INPUT_BYTES) -> str:
    """The text of a user's input file, or a ScenarioError naming the file and the reason."""
    name = str(path)
    check_regular_file(path, what=what, limit=limit)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", file=name) from None
    if len(raw) > limit:
        raise ScenarioError(f"is over {limit:,} bytes; a {what} may be at most that", file=name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError("not a UTF-8 text file", file=name) from None
