"""The classroom app's token: the page is reachable only with it when served beyond this machine.

On the loopback interface (the default, 127.0.0.1) only this machine can reach the page, so no
token is needed. On any other interface (``--host 0.0.0.0`` for a classroom network) every
request must carry the token printed at start-up, like Jupyter: the link
``http://HOST:PORT/?token=...`` sets a cookie, after which the page, its assets and its
websocket are let through; anything else gets ``403`` (or a closed websocket) and builds no
world. The gate wraps Solara's ASGI app in :mod:`simulation.viz.app_server`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

TOKEN_ENV = "JOINT_SANCTIONS_APP_TOKEN"
COOKIE = "joint_sanctions_token"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                   Awaitable[None]]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def new_token() -> str:
    """A fresh random token (48 hex digits)."""
    return secrets.token_hex(24)


def _presented(scope: Scope) -> tuple[str, bool]:
    """The token a request carries and whether it came in the query string."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0], True
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is simply no token
                continue
            if COOKIE in jar:
                return jar[COOKIE].value, False
    return "", False


class TokenGate:
    """ASGI middleware: only requests with the right token (query or cookie) reach ``app``."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        """Pass, or refuse without telling anything about the server."""
        if scope["type"] not in ("http", "websocket") or not self.token:
            await self.app(scope, receive, send)
            return
        given, in_query = _presented(scope)
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            await self._refuse(scope, receive, send)
            return
        if in_query and scope["type"] == "http":
            cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode()

            async def send_with_cookie(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
                await send(message)

            await self.app(scope, receive, send_with_cookie)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Callable[[], Awaitable[Message]],
                      send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 4403})
            return
        body = (b"This classroom app needs its token: open the link printed in the terminal "
                b"where it was started (http://HOST:PORT/?token=...).\n")
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


__all__ = ["COOKIE", "TOKEN_ENV", "TokenGate", "is_loopback", "new_token"]
