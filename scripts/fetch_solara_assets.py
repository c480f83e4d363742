#!/usr/bin/env python3
"""Install the classroom app's front-end assets (once, at set-up) so it runs with no internet.

Runs ``npm pack`` for the exact npm packages Solara's page loads and unpacks them where the app
serves them from (default ``build/solara-assets``; override with ``$JOINT_SANCTIONS_ASSETS_DIR``
or ``--dir``). Needs the npm client (Debian: ``apt-get install -y npm``) and the npm registry;
packages already present are skipped, so re-running is cheap.

    .venv/bin/python scripts/fetch_solara_assets.py [--dir DIR] [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulation.viz.app_assets import default_assets_dir, fetch_assets, missing_assets  # noqa: E402


def main() -> int:
    """Fetch the assets (or, with --check, only report what is missing)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="target folder")
    parser.add_argument("--check", action="store_true", help="exit 1 if anything is missing")
    args = parser.parse_args()
    target = args.dir or default_assets_dir()
    if args.check:
        missing = missing_assets(target)
        for m in missing:
            print(f"missing: {m}", file=sys.stderr)
        return 1 if missing else 0
    try:
        print(fetch_assets(target))
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
