"""Front-end assets and settings that let the classroom app run with no internet at all.

Solara's page loads its JavaScript, CSS and fonts from its own server under
``/_solara/cdn/<npm package>@<version>/...``. The server reads those files from
``SOLARA_ASSETS_PROXY_CACHE_DIR`` and only on a miss downloads them from ``SOLARA_ASSETS_CDN``
(jsDelivr by default). We fill that folder once, at set-up, with ``npm pack`` of the exact
packages Solara asks for, and point the CDN at a dead local port so that a miss fails fast
instead of leaving the machine. Telemetry (Mixpanel) and the PyPI version check are turned off.

The versions are hard-coded in ``solara/server/templates/solara.html.j2`` and
``solara/widgets/vue/*.vue`` (solara 1.64, ipyvue 1.x). Re-check them when upgrading Solara::

    grep -rhoE "(cdn\\}\\}|getCdn\\(\\)\\})/[@a-z0-9_./-]+@[0-9][0-9a-z.-]*" site-packages/solara
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# Apache ECharts draws the live charts in the browser; app_live_chart.vue loads this version.
ECHARTS_VERSION = "5.5.1"

# (npm name, version) of every package the app's pages request through /_solara/cdn.
CDN_PACKAGES: tuple[tuple[str, str], ...] = (
    ("@widgetti/solara-vuetify-app", "10.1.1"),  # page shell: Vue 2, Vuetify 2, Roboto, MDI icons
    ("requirejs", "2.3.6"),  # module loader
    ("font-awesome", "4.5.0"),  # icon font
    ("@widgetti/vue-grid-layout", "2.3.13-alpha.2"),  # solara.GridDraggable (Mesa's SolaraViz)
    ("echarts", ECHARTS_VERSION),  # the live charts (simulation/viz/app_live_chart.vue)
)

# Nothing listens on port 9 (discard) of the loopback: a missing asset is an immediate error.
DEAD_CDN = "http://127.0.0.1:9/"

_REPO = Path(__file__).resolve().parents[2]


def default_assets_dir() -> Path:
    """Where the assets live: ``$JOINT_SANCTIONS_ASSETS_DIR``, else ``build/solara-assets``.

    In a source checkout that is ``<repo>/build/solara-assets`` (git-ignored); in an installed
    package it is ``<sys.prefix>/share/joint-sanctions/solara-assets``.
    """
    env = os.environ.get("JOINT_SANCTIONS_ASSETS_DIR")
    if env:
        return Path(env)
    if (_REPO / "pyproject.toml").exists():
        return _REPO / "build" / "solara-assets"
    return Path(sys.prefix) / "share" / "joint-sanctions" / "solara-assets"


def missing_assets(target: Path | None = None) -> list[str]:
    """The ``name@version`` of every package not yet unpacked in ``target``."""
    target = target or default_assets_dir()
    return [f"{n}@{v}" for n, v in CDN_PACKAGES if not (target / f"{n}@{v}" / "package.json").exists()]


def fetch_assets(target: Path | None = None, quiet: bool = False) -> Path:
    """``npm pack`` every package of :data:`CDN_PACKAGES` into ``target/<name>@<version>/``.

    Needs the ``npm`` client (Debian: ``apt-get install -y npm``) and the npm registry, once;
    packages already present are skipped. Returns the folder.
    """
    target = target or default_assets_dir()
    target.mkdir(parents=True, exist_ok=True)
    todo = [(n, v) for n, v in CDN_PACKAGES if f"{n}@{v}" in missing_assets(target)]
    if not todo:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the app's front-end assets are missing and npm is not installed "
                           "(Debian: apt-get install -y npm), then run scripts/fetch_solara_assets.py")
    for name, version in todo:
        if not quiet:
            print(f"fetching {name}@{version} into {target}", file=sys.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([npm, "pack", "--silent", f"{name}@{version}"], cwd=tmp,
                                 check=True, capture_output=True, text=True)
            tgz = Path(tmp) / out.stdout.strip().splitlines()[-1]
            with tarfile.open(tgz) as tf:
                tf.extractall(tmp, filter="data")
            dest = target / f"{name}@{version}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                shutil.rmtree(dest)
            shutil.move(str(Path(tmp) / "package"), str(dest))
    return target


def offline_env(assets: Path | None = None) -> dict[str, str]:
    """Environment variables that keep a Solara server (and its pages) on this machine."""
    return {
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(assets or default_assets_dir()),
        "SOLARA_ASSETS_PROXY": "True",  # the browser asks our server, never a CDN
        "SOLARA_ASSETS_CDN": DEAD_CDN,  # and our server never asks a CDN either
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_TELEMETRY_SERVER_USER_ID": "offline",
        "SOLARA_MODE": "production",
    }


def solara_command(port: int, host: str = "127.0.0.1", open_browser: bool = False) -> list[str]:
    """The command line that serves :mod:`simulation.viz.app` (uvicorn, one worker).

    Serves :mod:`simulation.viz.app_server` (Solara's app behind the token gate) rather than
    ``solara run``, which has no place for that gate. Needs ``SOLARA_APP`` set, as
    :func:`server_env` does. ``open_browser`` is accepted for symmetry; :func:`serve` opens it.
    """
    del open_browser
    return [sys.executable, "-m", "uvicorn", "simulation.viz.app_server:app", "--host", host,
            "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"]


# Sessions: disconnected pages are culled after this long (a reconnect within it keeps the world).
CULL_TIMEOUT = "2m"
MAX_SESSIONS_ENV = "JOINT_SANCTIONS_APP_MAX_SESSIONS"
DEFAULT_MAX_SESSIONS = 60


def server_env(assets: Path | None = None) -> dict[str, str]:
    """Everything the app's server process needs in its environment (offline, culling, app)."""
    return {**offline_env(assets), "SOLARA_APP": "simulation.viz.app",
            "SOLARA_KERNEL_CULL_TIMEOUT": CULL_TIMEOUT,
            # plain http on a classroom network: Solara's advice about iframes does not apply
            "PYTHONWARNINGS": "ignore:Cookies with samesite:UserWarning"}
