"""The token gate in front of the app when it is served beyond this machine (no browser)."""

from __future__ import annotations

import asyncio

from simulation.viz.app_token import COOKIE, TokenGate, is_loopback, new_token


async def _inner(scope, receive, send):
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"the page"})


def _call(gate, kind="http", query=b"", cookie=None):
    sent = []
    headers = [(b"cookie", cookie.encode())] if cookie else []
    scope = {"type": kind, "query_string": query, "headers": headers, "path": "/"}

    async def receive():
        return {"type": "websocket.connect"} if kind == "websocket" else {"type": "http.request"}

    async def send(message):
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    return sent


def test_without_the_token_nothing_gets_through():
    token = new_token()
    gate = TokenGate(_inner, token)
    for query, cookie in ((b"", None), (b"token=wrong", None), (b"", f"{COOKIE}=wrong"),
                          (b"", "garbage;;=\x00")):
        http = _call(gate, query=query, cookie=cookie)
        assert http[0]["status"] == 403 and b"token" in http[1]["body"]
        assert b"the page" not in http[1]["body"]
        ws = _call(gate, "websocket", query=query, cookie=cookie)
        assert ws == [{"type": "websocket.close", "code": 4403}]


def test_the_token_link_sets_a_cookie_that_then_suffices():
    token = new_token()
    gate = TokenGate(_inner, token)
    first = _call(gate, query=f"token={token}".encode())
    assert first[0]["status"] == 200 and first[1]["body"] == b"the page"
    cookie = dict(first[0]["headers"])[b"set-cookie"].decode()
    assert cookie.startswith(f"{COOKIE}={token};") and "HttpOnly" in cookie
    assert _call(gate, cookie=f"{COOKIE}={token}")[1]["body"] == b"the page"
    assert _call(gate, "websocket", cookie=f"other=1; {COOKIE}={token}")[0]["type"] == \
        "websocket.accept"


def test_no_token_on_the_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")
    gate = TokenGate(_inner, "")
    assert _call(gate)[1]["body"] == b"the page"
    assert len({new_token() for _ in range(20)}) == 20 and len(new_token()) == 48
