"""Output folders: a scenario's name is a label, never a path, and a target is checked early.

``folder_slug`` turns any name (``../../x``, ``/srv/x``, a NUL, 256 characters) into one safe
folder name; ``check_output_target`` refuses, before a simulation starts, a target whose parent
is a file, that cannot be written, whose name is too long, or whose disk is nearly full.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from simulation.errors import ScenarioError

MAX_SLUG_BYTES = 100  # far below the usual 255-byte limit of one folder name
MIN_FREE_BYTES = 20 * 1024 * 1024  # a run folder of the shipped scenarios is 0.1-15 MB
_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)


def folder_slug(name: str, default: str = "scenario") -> str:
    """A safe single folder name for a label: word characters, dots and dashes only."""
    slug = _UNSAFE.sub("-", name).strip("-.")
    slug = re.sub(r"-{2,}", "-", slug)
    while len(slug.encode("utf-8")) > MAX_SLUG_BYTES:
        slug = slug[:-1]
    slug = slug.strip("-.")
    return slug or default


def _nearest_existing(path: Path) -> Path:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def check_output_target(target: str | Path) -> Path:
    """Refuse an output folder that could not be written, before anything is computed."""
    out = Path(target)
    name = str(out)
    if "\x00" in name:
        raise ScenarioError("contains a NUL character", file=repr(name), field="--out")
    for part in out.parts:
        if len(part.encode("utf-8")) > 255:
            raise ScenarioError(f"a folder name is {len(part.encode('utf-8'))} bytes long; "
                                "the limit is 255", file=name[:80] + "...", field="--out")
    try:
        exists = out.exists() or out.is_symlink()
    except OSError as exc:
        raise ScenarioError(f"cannot use this path: {exc.strerror or exc}", file=name,
                            field="--out") from None
    if exists:
        raise ScenarioError("output folder exists; choose another --out or remove it", file=name)
    existing = _nearest_existing(out.absolute().parent)
    if not existing.is_dir():
        raise ScenarioError(f"{existing} is a file, not a folder", file=name, field="--out")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ScenarioError(f"cannot write in {existing} (permission denied or read-only)",
                            file=name, field="--out")
    free = shutil.disk_usage(existing).free
    if free < MIN_FREE_BYTES:
        raise ScenarioError(f"only {free / 1e6:.1f} MB free on the disk of {existing}; "
                            f"a run needs at least {MIN_FREE_BYTES / 1e6:.0f} MB", file=name)
    return out
