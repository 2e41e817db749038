"""The ASGI service behind the contact card (and a workflow's "Send a webhook" action).

Every route but `/healthz` answers only requests HubSpot signed (v3 signature, five
minutes); a refused one gets 401 and launches nothing, and one received again gets the
first one's answer (`repeats.py`). A contact that is not one of our customers is a 200
`{"found": false}`, not a 404, which HubSpot's proxy may turn into a generic error. Bodies
over 1 MB — the card's own limit — are refused before they are read whole.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.sync.refresh import CustomerNotFound, RefreshTarget, resolve_customer
from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.refresh.contact_status import contact_status
from moulin_sync.refresh.launcher import RefreshLauncher
from moulin_sync.refresh.repeats import Repeats
from moulin_sync.refresh.signature import SignatureCheck, SignatureRefused
from moulin_sync.sources.app_du_moulin.reader import SourceReader

log = logging.getLogger("moulin_sync.refresh")
MAX_BODY = 1_000_000
ANSWER_WITHIN_S = 10.0


class BodyTooLarge(Exception):
    pass


@dataclass
class RefreshService:
    check: SignatureCheck
    launcher: RefreshLauncher
    state: SyncState
    reader: SourceReader
    hubspot: Callable[[], HubSpotClient]
    public_url: str | None = None  # the address HubSpot calls, when behind a proxy
    nps: bool = False  # Typeform is set up: the status reads the contact's NPS answer
    tickets: bool = False  # Freshdesk is set up: the status lists the open tickets
    answer_within_s: float = ANSWER_WITHIN_S
    repeats: Repeats = field(default_factory=Repeats)

    def uri(self, request: Request) -> str:
        """The URL HubSpot called, as it signed it."""
        path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        base = (
            self.public_url.rstrip("/")
            if self.public_url
            else f"{request.url.scheme}://{request.url.netloc}"
        )
        return base + path + (f"?{query}" if query else "")


async def _body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


def signed(
    handler: Callable[[RefreshService, Request, bytes], Any],
) -> Callable[[Request], Any]:
    """`handler`, behind HubSpot's signature check."""

    async def endpoint(request: Request) -> Response:
        service: RefreshService = request.app.state.service
        try:
            body = await _body(request)
        except BodyTooLarge:
            return _error(413, f"the request body is over {MAX_BODY:,} bytes")
        signature = request.headers.get("x-hubspot-signature-v3")
        try:
            service.check.verify(
                request.method,
                service.uri(request),
                body,
                signature,
                request.headers.get("x-hubspot-request-timestamp"),
            )
        except SignatureRefused as refused:
            log.warning("refused %s %s: %s", request.method, request.url.path, refused)
            return _error(401, f"not a request signed by HubSpot: {refused}")
        assert signature is not None  # verified
        return await service.repeats.answer(signature, lambda: handler(service, request, body))

    return endpoint


def _target(body: bytes) -> RefreshTarget:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError('the body must be a JSON object such as {"objectId": "123"}')
    values = {k: data.get(k) for k in ("objectId", "email", "customerId")}
    if any(v is not None and not isinstance(v, str | int) for v in values.values()):
        raise ValueError("objectId, email and customerId are strings")
    text = {k: str(v) if v is not None else None for k, v in values.items()}
    return RefreshTarget(text["objectId"], text["email"], text["customerId"])


async def refresh(service: RefreshService, request: Request, body: bytes) -> Response:
    try:
        target = _target(body)
    except ValueError as bad:
        return _error(400, str(bad))
    try:
        customer = await anyio.to_thread.run_sync(
            resolve_customer, target, service.state, service.reader
        )
        if target.customer_id and not await anyio.to_thread.run_sync(
            lambda: not service.reader.read_customer(customer)["customers"].is_empty()
        ):
            raise CustomerNotFound(f"customer {customer} is not in the App du Moulin")
    except CustomerNotFound as unknown:
        log.info("refresh of %s: %s", target.describe(), unknown)
        return JSONResponse({"found": False, "reason": str(unknown)})
    press = await anyio.to_thread.run_sync(
        service.launcher.press, str(customer), {"moulin_customer_id": str(customer)}
    )
    answer = await anyio.to_thread.run_sync(service.launcher.wait, press, service.answer_within_s)
    if answer["status"] == "failed":
        log.warning(
            "refresh run %s of customer %s failed: %s", press.run_id, customer, answer["error"]
        )
    joined = {
        "launched": press.launched,
        "joined": not press.launched,
        "finishedSecondsAgo": press.finished_s_ago(),
    }
    running = answer["status"] in ("queued", "running")
    return JSONResponse({"found": True, **answer, **joined}, 202 if running else 200)


async def refresh_status(service: RefreshService, request: Request, body: bytes) -> Response:
    answer = await anyio.to_thread.run_sync(service.launcher.status, request.path_params["run_id"])
    if answer["status"] == "unknown":
        return _error(404, f"no refresh run {request.path_params['run_id']}")
    return JSONResponse(answer)


async def status_of_contact(service: RefreshService, request: Request, body: bytes) -> Response:
    contact = request.query_params.get("objectId", "")
    if not contact.isdigit():
        return _error(400, "objectId must be the HubSpot contact id")

    def read() -> dict[str, Any]:
        client = service.hubspot()
        return contact_status(
            service.state, service.reader, client, contact, nps=service.nps,
            tickets=service.tickets,
        )  # fmt: skip

    return JSONResponse(await anyio.to_thread.run_sync(read))


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(service: RefreshService) -> Starlette:
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/hubspot/refresh", signed(refresh), methods=["POST"]),
            Route("/hubspot/refresh/{run_id}", signed(refresh_status), methods=["GET"]),
            Route("/hubspot/contact-status", signed(status_of_contact), methods=["GET"]),
        ]
    )
    app.state.service = service
    return app
