"""The ASGI application: Starlette routes behind one pure-ASGI gate doing a service's edge work.

The gate handles, in order: the unauthenticated health check (`/_emulator/health`), the
credential check (the service's own 401), admin passthrough (`/_emulator/*`: same
credential, never limited, never counted), injected faults (hang, canned status), rate
limits (the limiter's 429 and its headers on every answer), the dropped or held answer
after a committed write, and per-route statistics. Credentials are never logged nor
stored in stats.

Each endpoint runs its handler between `state.begin()` and `state.commit()`; a handler
that raises — a `ServiceError` or anything unexpected — gets `state.rollback()`, so a failed
request changes nothing, and an unexpected exception is answered in the service's shape,
never as a 500.
"""

from __future__ import annotations

import asyncio
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

from .admin import ADMIN_ROUTES
from .answers import JSON_TYPE, ServiceError, encode, reply, reply_error
from .faults import AFTER_COMMIT, BEFORE, Fault
from .limits import Call
from .routes import Handler, RouteSpec
from .service import Emulator

log = logging.getLogger("moulin_sync.emulators")
UNMATCHED = "<unmatched>"


class JSONResponse(Response):
    """A compact JSON answer; `None` is an empty body (204s)."""

    media_type = JSON_TYPE

    def render(self, content: Any) -> bytes:
        return b"" if content is None else encode(content)


def _error_response(error: ServiceError) -> Response:
    return JSONResponse(error.body(), error.status, headers=error.headers())


def _endpoint(
    em: Emulator, method: str, template: str, handler: Handler, mutates: bool
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return _error_response(em.invalid_json())
        req = em.request_type(
            dict(request.path_params), request.query_params, body, method, template,
            request.headers,
        )  # fmt: skip
        state = em.state
        try:
            state.begin(req)
            result = handler(em, req)
            if mutates:
                state.commit()
        except ServiceError as e:
            state.rollback()
            return _error_response(e)
        except Exception as e:
            log.exception("%s emulator: %s %s failed", em.name, method, request.url.path)
            state.rollback()
            return _error_response(em.unexpected(e))
        status, out, *headers = result
        return JSONResponse(out, status, headers=dict(headers[0]) if headers else None)

    return endpoint


class Gate:
    def __init__(self, app: Starlette, em: Emulator, writing: set[tuple[str, str]]) -> None:
        self.app = app
        self.em = em
        self.routes = [r for r in app.routes if isinstance(r, Route)]
        self.writing = writing  # (method, template) of the routes that write
        self._templates: dict[tuple[str, str], str] = {}

    def template(self, scope: Scope) -> str:
        key = (scope["method"], scope["path"])
        cached = self._templates.get(key)
        if cached is not None:
            return cached
        found = UNMATCHED
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                found = route.path
                break
            if match == Match.PARTIAL and found == UNMATCHED:
                found = route.path
        if len(self._templates) < 10_000:
            self._templates[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path == "/_emulator/health":
            await reply(send, 200, {"status": "ok"})
            return
        em = self.em
        admin_call = path.startswith("/_emulator/")
        if not em.auth.accepts(scope["headers"]):
            if not admin_call:
                em.stats[(method, self.template(scope), 401)] += 1
            await reply_error(send, em.unauthorized())
            return
        if admin_call:
            await self.app(scope, receive, send)
            return
        template = self.template(scope)
        call = Call(
            method, path, template, scope.get("query_string", b"").decode("latin-1"),
            (method, template) in self.writing,
        )  # fmt: skip
        if await self._fault_before(call, send):
            return
        if em.latency_ms is not None:  # the service's own time per call, for benchmarks
            await asyncio.sleep(random.uniform(*em.latency_ms) / 1000)
        refused = em.limiter.acquire(call)
        extra = em.limiter.headers(call)
        if refused is not None:
            em.stats[(method, template, 429)] += 1
            await reply_error(send, refused, extra)
            return
        await self._answer(call, scope, receive, send, extra)

    async def _fault_before(self, call: Call, send: Send) -> bool:
        """Apply the `hang` and `status` faults that match; True when one answered."""
        em = self.em
        for fault in em.faults.take(call.method, call.path, call.write, BEFORE):
            if fault.kind == "hang":
                await asyncio.sleep(fault.seconds)
                continue
            em.stats[(call.method, call.template, fault.status)] += 1
            if fault.status == 429:  # the rate limiter's own answer: body, policy, headers
                await reply_error(send, em.limiter.refusal(call, fault.policy),
                                  em.limiter.headers(call))  # fmt: skip
            else:
                await reply_error(send, em.fault_answer(fault.status, fault.message))
            return True
        return False

    async def _answer(
        self, call: Call, scope: Scope, receive: Receive, send: Send, extra: list
    ) -> None:
        """Run the request; its answer carries `extra` headers, or is dropped or held."""
        em = self.em
        drop: Fault | None = None
        hold: Fault | None = None
        for fault in em.faults.take(call.method, call.path, call.write, AFTER_COMMIT):
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
        em.stats[(call.method, call.template, status)] += 1
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


def create_app(em: Emulator) -> ASGIApp:
    """The ASGI app serving `em.routes()` and the admin API behind the gate."""
    served: list[RouteSpec] = [*em.routes(), *ADMIN_ROUTES]
    routes = [
        Route(path, _endpoint(em, method, path, handler, mutates), methods=[method])
        for method, path, handler, mutates in served
    ]

    def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        return _error_response(em.route_not_found(request.url.path, status))

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    writing = {(m, p) for m, p, _, mutates in em.routes() if mutates and not p.startswith("/_")}
    return Gate(app, em, writing)
