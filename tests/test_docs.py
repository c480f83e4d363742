"""Docs that cannot rot: every ```sh command and ```python block in README.md and docs/*.md runs.

Blocks fenced as ``sh`` run as one bash script each (``set -e``; shell variables carry from line
to line within a block; a trailing backslash continues a line) in a fresh workspace per file
that links the repository's scenarios, sweeps and virtual environment, so commands run exactly
as a reader types them from the repository root. ``python`` blocks run in the same workspace
after the file's shell blocks before them. Blocks fenced as ``console``, ``text``, ``bash`` or
``py`` are illustrations and are not run (``py`` for Python that needs an optional extra, such
as the EMA Workbench). Lines starting with ``make`` are run by CI itself (``make test``), and
the app server (``joint-sanctions app``) by its own tests, so they are skipped here; a block
that starts a Dask cluster in the background stops it itself. A block right after a line
``<!-- docs-test: slow -->`` (a worked example of a minute or more) runs in its own test marked
``slow`` (``make test-slow``), so every block runs, but ``make test`` stays within its time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.reference import reference_markdown

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP = ("make ", "joint-sanctions app", ".venv/bin/joint-sanctions app", "mkdocs serve")
BLOCK = re.compile(r"^(<!-- docs-test: slow -->\n)?```(sh|python)\n(.*?)^```", re.S | re.M)


def commands(text: str) -> list[str]:
    out, current = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            out.append(current.strip())
            current = ""
    return out


def test_scenario_reference_is_generated_from_the_schema():
    assert (ROOT / "docs" / "scenarios.md").read_text() == reference_markdown(), \
        "run: python -m simulation.reference > docs/scenarios.md"


def _cases() -> list:
    cases = []
    for doc in DOCS:
        marks = {bool(slow) for slow, _, _ in BLOCK.findall(doc.read_text())}
        cases += [pytest.param(doc, False, id=doc.name)] if False in marks else []
        if True in marks:
            cases.append(pytest.param(doc, True, id=f"{doc.name}-slow", marks=pytest.mark.slow))
    return cases


@pytest.mark.parametrize(("doc", "slow"), _cases())
def test_every_documented_command_runs(doc, slow, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    for name in ("scenarios", "sweeps", ".venv", "simulation", "pyproject.toml", "calibration",
                 "benchmarks"):
        if (ROOT / name).exists():
            (work / name).symlink_to(ROOT / name)
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}:{Path(sys.executable).parent}:"
                                 f"{os.environ['PATH']}", "MPLBACKEND": "Agg"}
    for marked, lang, body in BLOCK.findall(doc.read_text()):
        if bool(marked) != slow:
            continue
        if lang == "python":
            p = subprocess.run([sys.executable, "-c", body], cwd=work, env=env,
                               capture_output=True, text=True, timeout=300)
            assert p.returncode == 0, f"{doc.name}: python block failed:\n{body}\n{p.stderr}"
            continue
        script = [c for c in commands(body)
                  if not (c.startswith(SKIP) or any(s in c for s in SKIP[1:3]))]
        if not script:
            continue
        p = subprocess.run(["bash", "-e", "-x", "-c", "\n".join(script)], cwd=work, env=env,
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, f"{doc.name}: block failed:\n{p.stdout}\n{p.stderr[-4000:]}"
