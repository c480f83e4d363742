#!/usr/bin/env bash
# Set-up for the classroom app and its browser test (Debian/Ubuntu), run once as root:
#   - chromium: the real browser the test drives through Playwright (never `playwright install`)
#   - npm: fetches the app's front-end assets once, so the app then runs with no internet
# Then installs the assets into build/solara-assets (or $JOINT_SANCTIONS_ASSETS_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
PY="${PY:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
"$PY" scripts/fetch_solara_assets.py
