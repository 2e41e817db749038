"""What an emulator answers: JSON bodies, and the exception a handler raises to answer an error.

A handler raises a `ServiceError` to answer in its service's own error shape; the request
is then rolled back (see `app`). `Answer` is the plain one: a status, a body, headers.
A service with a richer error (HubSpot's `ApiError`) subclasses `ServiceError`.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Send

Headers = list[tuple[bytes, bytes]]
JSON_TYPE = "application/json;charset=utf-8"


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class ServiceError(Exception):
    """An error answered by the service: `status`, `body()` and extra `headers()`."""

    status: int

    def body(self) -> Any:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        return {}


class Answer(ServiceError):
    """A complete answer (usually an error) with a fixed body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self._body = body
        self._headers = headers or {}

    def body(self) -> Any:
        return self._body

    def headers(self) -> dict[str, str]:
        return self._headers


def raw_headers(headers: dict[str, str]) -> Headers:
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


async def reply(send: Send, status: int, body: Any, headers: Headers | None = None) -> None:
    """Answer from the gate itself (before or instead of the application)."""
    data = encode(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", JSON_TYPE.encode()),
                (b"content-length", str(len(data)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def reply_error(send: Send, error: ServiceError, headers: Headers | None = None) -> None:
    await reply(send, error.status, error.body(), [*raw_headers(error.headers()), *(headers or [])])
