"""The ASGI application: Starlette routes behind one pure-ASGI gate doing HubSpot's edge work.

The gate (`HubSpotGate`) handles, in order: the unauthenticated health check, bearer-token
auth (401), admin passthrough, injected faults (hang, canned status), rate limits (429 with
HubSpot's body and headers on every answer), the dropped or held answer after a committed
write, and per-route statistics. The bearer token is never logged nor stored in stats.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import admin, bulk, handlers
from .core import Emulator, Handler, Req
from .dated import dated_routes
from .errors import ApiError, correlation_id
from .faults import AFTER_COMMIT, BEFORE, Fault, fault_body
from .ratelimit import rate_limit_body

log = logging.getLogger("moulin_sync.emulators.hubspot")
JSON_HEADERS = [(b"content-type", b"application/json;charset=utf-8")]


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class JSON(Response):
    media_type = "application/json;charset=utf-8"

    def render(self, content: Any) -> bytes:
        return b"" if content is None else encode(content)


def _endpoint(
    em: Emulator, handler: Handler, mutates: bool
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return JSON(
                ApiError(400, "VALIDATION_ERROR", "Invalid input JSON on line 1").body(), 400
            )
        req = Req(request.path_params, request.query_params, body)
        try:
            status, out = handler(em, req)
        except ApiError as e:
            em.store.dirty.clear()  # nothing was applied: validation happens before writes
            return JSON(e.body(), e.status)
        if mutates:
            em.store.commit()
        return JSON(out, status)

    return endpoint


def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    msg = "Method not allowed" if status == 405 else f"Route not found: {request.url.path}"
    return JSON({"status": "error", "message": msg, "correlationId": correlation_id(),
                 "category": "OBJECT_NOT_FOUND" if status == 404 else "VALIDATION_ERROR"}, status)  # fmt: skip


class HubSpotGate:
    def __init__(self, app: Starlette, em: Emulator) -> None:
        self.app = app
        self.em = em
        self.routes = [r for r in app.routes if isinstance(r, Route)]
        self.bearer = b"Bearer " + em.token.encode()
        self._templates: dict[tuple[str, str], str] = {}
        # The routes that write, for faults armed with `writes: true`.
        self.writing = {(m, p) for m, p, _, mutates in handlers.ROUTES if mutates}

    def template(self, scope: Scope) -> str:
        key = (scope["method"], scope["path"])
        cached = self._templates.get(key)
        if cached is not None:
            return cached
        found = "<unmatched>"
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                found = route.path
                break
            if match == Match.PARTIAL and found == "<unmatched>":
                found = route.path
        if len(self._templates) < 10_000:
            self._templates[key] = found
        return found

    def authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                return hmac.compare_digest(value, self.bearer)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path == "/_emulator/health":
            await _reply(send, 200, {"status": "ok"})
            return
        em = self.em
        admin_call = path.startswith("/_emulator/")
        if not self.authorized(scope):
            if not admin_call:
                em.stats[(method, self.template(scope), 401)] += 1
            await _reply(send, 401, _unauthorized())
            return
        if admin_call:
            await self.app(scope, receive, send)
            return
        template = self.template(scope)
        write = (method, template) in self.writing
        search = method == "POST" and path.endswith("/search")
        for fault in em.faults.take(method, path, write, BEFORE):
            if fault.kind == "hang":
                await asyncio.sleep(fault.seconds)
            elif fault.status == 429:
                # The rate limiter's own answer: body, policy and headers.
                em.stats[(method, template, 429)] += 1
                body = rate_limit_body(fault.policy)
                await _reply(send, 429, body, em.limiter.headers(search))
                return
            else:
                em.stats[(method, template, fault.status)] += 1
                await _reply(send, fault.status, fault_body(fault.status, fault.message))
                return
        if em.latency_ms is not None:  # HubSpot's own time per call, for benchmarks
            await asyncio.sleep(random.uniform(*em.latency_ms) / 1000)
        policy = em.limiter.acquire(search)
        extra = em.limiter.headers(search)
        if policy is not None:
            em.stats[(method, template, 429)] += 1
            await _reply(send, 429, rate_limit_body(policy), extra)
            return
        drop: Fault | None = None
        hold: Fault | None = None
        for fault in em.faults.take(method, path, write, AFTER_COMMIT):
            if fault.kind == "drop_after_commit":
                drop = fault
            else:
                hold = fault
        status = 500
        held: list[Message] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if drop:
                    return
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            elif drop:
                return
            if hold:
                held.append(message)
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)
        em.stats[(method, template, status)] += 1
        if drop:
            drop.committed += 1
            _drop_connection(send)
        elif hold:
            # Executed and committed; the answer waits until the client goes away (it
            # was killed, or timed out) or `seconds` pass, then goes out if anyone listens.
            hold.committed += 1
            if not await _client_gone(receive, hold.seconds or None):
                for message in held:
                    await send(message)


async def _client_gone(receive: Receive, seconds: float | None) -> bool:
    """Wait until the client disconnects (True) or `seconds` pass (False; None: forever)."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnected(), timeout=seconds)
    except TimeoutError:
        return False
    return True


def _drop_connection(send: Send) -> None:
    """Close the TCP connection without a byte of answer (uvicorn's protocol internals)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("drop_after_commit needs uvicorn's HTTP protocol")
    cycle.disconnected = True  # type: ignore[union-attr]  # uvicorn then sends no 500
    transport.abort()


def _unauthorized() -> dict[str, Any]:
    return {
        "status": "error",
        "message": "Authentication credentials not found. This API supports OAuth 2.0 "
        "authentication and you can find more details at "
        "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        "correlationId": correlation_id(),
        "category": "INVALID_AUTHENTICATION",
    }


async def _reply(
    send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    data = encode(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *JSON_HEADERS,
                (b"content-length", str(len(data)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def create_app(em: Emulator) -> ASGIApp:
    served = handlers.ROUTES + dated_routes(handlers.ROUTES) + admin.ROUTES + bulk.ROUTES
    routes = [
        Route(path, _endpoint(em, handler, mutates), methods=[method])
        for method, path, handler, mutates in served
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    return HubSpotGate(app, em)
