"""Start-up: the quick commands load only what they need, and every lazy import resolves.

``joint-sanctions --help``, ``validate`` and ``scenarios`` must start in well under 0.5 s (issue 13),
which they can only do if they leave the simulation's heavy libraries unimported. Timing a
subprocess would be flaky on a busy machine, so these tests check *which modules* each command
loads instead, and that the imports deferred into function bodies (which ruff cannot check) name
modules and attributes that exist.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Libraries the model, outputs, figures and experiments need, and no quick command does.
HEAVY = {"numpy", "pandas", "pyarrow", "matplotlib", "mesa", "scipy", "networkx", "solara", "dask",
         "optuna", "SALib", "tqdm"}

# Runs the console script's entry point in a fresh interpreter and prints the top-level packages
# it has loaded by the time the command is done (or has exited).
PROBE = """
import json, sys
sys.argv = ["joint-sanctions", *json.loads(sys.argv[1])]
from simulation.__main__ import entry
try:
    entry()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted({m.partition(".")[0] for m in sys.modules})}),
      file=sys.stderr)
"""


def loaded_by(*args: str) -> set[str]:
    """The top-level packages a fresh ``joint-sanctions <args>`` has imported when it ends."""
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), proc.stderr
    return set(report["modules"])


@pytest.mark.parametrize("args", [("--help",), ("validate", "scenarios/baseline.toml"),
                                  ("scenarios",)])
def test_quick_commands_do_not_import_the_model_libraries(args):
    loaded = loaded_by(*args)
    assert "simulation" in loaded  # the probe really ran the command line
    assert loaded & HEAVY == set(), f"joint-sanctions {' '.join(args)} imported {loaded & HEAVY}"


def test_help_imports_neither_pydantic_nor_rich():
    loaded = loaded_by("--help")
    assert {"typer", "simulation"} <= loaded
    assert loaded & {"pydantic", "rich"} == set()


def test_the_public_api_is_there_on_first_use():
    import simulation

    for name in simulation.__all__:
        assert getattr(simulation, name) is not None
    with pytest.raises(AttributeError):
        simulation.not_a_name  # noqa: B018


def deferred_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from simulation... import name`` inside a function of ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("simulation"):
                    found += [(inner.module, alias.name) for alias in inner.names]
    return found


COMMAND_LINES = ["simulation/cli.py", "simulation/experiments/cli.py", "simulation/viz/cli.py",
                 "simulation/__main__.py"]


@pytest.mark.parametrize("file", COMMAND_LINES)
def test_every_deferred_import_of_the_command_line_resolves(file):
    imports = deferred_imports(ROOT / file)
    assert imports, f"{file} defers no import: this test would check nothing"
    for module, name in imports:
        assert hasattr(importlib.import_module(module), name), f"{file}: from {module} import {name}"
