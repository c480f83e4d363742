"""The ASGI app ``joint-sanctions app`` serves: Solara's page behind the token gate.

Run as ``SOLARA_APP=simulation.viz.app uvicorn simulation.viz.app_server:app`` (exactly as
:func:`simulation.viz.app_assets.solara_command` and :func:`~app_assets.server_env` say). With
``$JOINT_SANCTIONS_APP_TOKEN`` empty (the loopback default) every request passes.
"""

from __future__ import annotations

import os

from solara.server.starlette import app as solara_app

from simulation.viz.app_token import TOKEN_ENV, TokenGate

app = TokenGate(solara_app, os.environ.get(TOKEN_ENV, ""))

__all__ = ["app"]
