"""The shipped scenarios: where they live, how a name resolves to one, and what each asks."""

from __future__ import annotations

import tomllib
from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios"


def resolve_scenario_path(name: str) -> Path:
    """A path as given, or the name of a shipped scenario (with or without .toml)."""
    path = Path(name)
    if path.exists() or path.suffix == ".toml" and path.parent != Path("."):
        return path
    shipped = SCENARIO_DIR / (name if name.endswith(".toml") else f"{name}.toml")
    return shipped if shipped.exists() else path


def scenario_purpose(path: Path) -> str:
    """The first comment line of a scenario file: the question it answers."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("description", "")
    except tomllib.TOMLDecodeError:
        return ""
