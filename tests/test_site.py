"""The documentation site builds strictly and offline, and the tutorial notebook runs.

1. ``mkdocs build --strict`` succeeds into a temporary folder; every page of the nav is built;
   the pages load nothing from the internet (no CDN scripts, styles or fonts); and every link
   mkdocs could not resolve inside ``docs/`` (links to repository files such as
   ``../results/gallery/``, reported at INFO by mkdocs.yml's ``validation``) points at a file or
   folder that exists in the repository.
2. ``docs/tutorial.ipynb`` is committed without outputs and executes top to bottom in a kernel
   that is this interpreter (a kernelspec written to a temporary ``JUPYTER_PATH``, so a user's own
   ``python3`` kernelspec cannot point the test at another Python).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOTEBOOK = DOCS / "tutorial.ipynb"
NAV_PAGES = ("index", "getting-started", "instructor-guide", "app", "figures", "researcher-guide",
             "experiments", "model", "scenarios", "performance", "tutorial")
UNRESOLVED = re.compile(r"Doc file '([^']+)' contains (?:an unrecognized relative link|a link) '([^']+)'")
EXTERNAL_RESOURCE = re.compile(
    r"<(?:script|img|iframe)[^>]*\ssrc=\"(?:https?:)?//|<link[^>]*\shref=\"(?:https?:)?//", re.I)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("site")
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-d", str(out),
                        "-f", str(ROOT / "mkdocs.yml")], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, f"mkdocs build --strict failed:\n{p.stdout}\n{p.stderr}"
    return out, p.stdout + p.stderr


def test_site_builds_strictly_with_every_page(site):
    out, _ = site
    for page in NAV_PAGES:
        assert (out / f"{page}.html").is_file(), f"{page}.html missing from the built site"
    if (DOCS / "validation.md").exists():
        assert (out / "validation.html").is_file()
    assert (out / "tutorial.ipynb").is_file(), "the notebook is downloadable from the site"
    index = (out / "index.html").read_text()
    for page in ("getting-started.html", "instructor-guide.html", "researcher-guide.html", "model.html",
                 "scenarios.html"):
        assert page in index, f"nav lacks {page}"


def test_site_reads_offline(site):
    out, _ = site
    offenders = [str(f.relative_to(out)) for f in out.rglob("*.html")
                 if EXTERNAL_RESOURCE.search(f.read_text())]
    assert not offenders, f"pages load resources from the internet: {offenders}"


def test_links_outside_docs_point_at_repository_files(site):
    _, log = site
    broken = []
    for doc, link in UNRESOLVED.findall(log):
        target = (DOCS / doc).parent / link.split("#")[0]
        inside_docs = target.resolve().is_relative_to(DOCS.resolve())
        if inside_docs or not target.exists():
            broken.append(f"{doc}: {link}")
    assert not broken, "broken links (a link inside docs/ must resolve; outside it must exist):\n" + \
        "\n".join(broken)


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"clear the outputs of cells {dirty} before committing the notebook"


def test_tutorial_notebook_executes(tmp_path, monkeypatch):
    import nbclient  # from the dev extra (nbmake, ipykernel, nbformat): a missing one fails, not skips
    import nbformat

    spec = tmp_path / "kernels" / "joint-sanctions-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "joint-sanctions test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="joint-sanctions-test",
                                     resources={"metadata": {"path": str(DOCS)}})
    client.execute()
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert images, "the notebook's figure did not render"
