"""Layering: no library module imports a command-line module."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "simulation"
CLI_MODULES = {"simulation.cli", "simulation.experiments.cli", "simulation.viz.cli"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_library_module_imports_a_cli_module():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        if name in CLI_MODULES or name == "simulation.__main__":
            continue
        bad = _imported(ast.parse(path.read_text(encoding="utf-8"))) & CLI_MODULES
        if bad:
            offenders[name] = sorted(bad)
    assert offenders == {}


def test_the_cli_module_list_is_real():
    # The check above would pass vacuously if these modules were renamed.
    for name in CLI_MODULES:
        assert (PACKAGE.parent / (name.replace(".", "/") + ".py")).exists(), name
