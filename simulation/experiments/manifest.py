"""The manifest of a sweep or frontier folder: provenance, and a reader that checks what it reads.

A manifest records package and dependency versions, Python, platform, the git commit, whether
the checkout had uncommitted changes (``git_dirty``) and a hash of those changes
(``git_diff_sha256``, of ``git diff HEAD`` plus the names of untracked files), so a result made
from a modified tree can be told apart and, with the same diff, rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from simulation.errors import ScenarioError
from simulation.readback import read_json_object
from simulation.runner import PACKAGES, _version, git_commit

EXTRA_PACKAGES = ("SALib", "scipy", "dask", "distributed", "tqdm", "optuna")
ROOT = Path(__file__).resolve().parent.parent.parent

# What a reader needs from a sweep manifest, with the type each must have.
SWEEP_FIELDS: dict[str, type | tuple[type, ...]] = {
    "kind": str, "fingerprint": str, "design": dict, "problem": dict, "points": int, "replicates": int,
    "seed": int,
}


def _git(*args: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, timeout=10,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None


def git_state() -> dict[str, Any]:
    """``git_commit``, ``git_dirty`` (uncommitted changes) and ``git_diff_sha256`` (None if clean)."""
    commit = git_commit()
    if commit is None:
        return {"git_commit": None, "git_dirty": None, "git_diff_sha256": None}
    diff = _git("diff", "HEAD", "--binary")
    untracked = _git("ls-files", "--others", "--exclude-standard")
    if diff is None or untracked is None or diff.returncode != 0:
        return {"git_commit": commit, "git_dirty": None, "git_diff_sha256": None}
    dirty = bool(diff.stdout.strip() or untracked.stdout.strip())
    digest = hashlib.sha256(diff.stdout + b"\0" + untracked.stdout).hexdigest() if dirty else None
    return {"git_commit": commit, "git_dirty": dirty, "git_diff_sha256": digest}


def provenance() -> dict[str, Any]:
    """Package, dependency and Python versions, git commit and dirty state, platform."""
    return {
        "package": "joint-sanctions", "version": _version("joint-sanctions"), **git_state(),
        "python": sys.version.split()[0], "platform": platform.platform(),
        "dependencies": {p: _version(p) for p in (*PACKAGES, *EXTRA_PACKAGES)},
    }


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old file or the whole new one, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """manifest.json, atomically."""
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    atomic_write_bytes(folder / "manifest.json", text.encode())


def read_manifest(folder: Path, kind: str = "sweep",
                  fields: dict[str, type | tuple[type, ...]] | None = None) -> dict[str, Any]:
    """The manifest of a ``kind`` folder, checked; a clear ScenarioError naming the file otherwise."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(f"not a {kind} folder (no such folder)", file=str(folder))
    path = folder / "manifest.json"
    if not path.exists() and not path.is_symlink():
        raise ScenarioError(f"not a {kind} folder (no manifest.json)", file=str(folder))
    manifest = read_json_object(path, what="manifest")
    if manifest.get("kind") != kind:
        raise ScenarioError(f"not a {kind} manifest (kind is {manifest.get('kind')!r})", file=str(path))
    for key, typ in (fields if fields is not None else SWEEP_FIELDS if kind == "sweep" else {}).items():
        value = manifest.get(key)
        if not isinstance(value, typ) or isinstance(value, bool) and typ is int:
            kind_name = getattr(typ, "__name__", str(typ))
            raise ScenarioError(f"damaged manifest: '{key}' is missing or not a {kind_name}",
                                file=str(path))
    if kind == "sweep":
        names = manifest["problem"].get("names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ScenarioError("damaged manifest: 'problem.names' is not a list of names", file=str(path))
    return manifest
