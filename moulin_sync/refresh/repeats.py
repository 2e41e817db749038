"""The same signed request received twice gets the same answer twice.

HubSpot retries a `hubspot.fetch` once when it cannot connect or gets a 5xx, with the
same signature. The retry is HubSpot's, not a forgery: it is answered as the first
request was, and never launches a second run. A retry arriving while the first is still
being answered waits for that answer. A first request that ended in an error of ours (a
5xx, an exception) leaves nothing behind, so its retry is served afresh. Answers are
kept as long as their signature could still be accepted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
from starlette.responses import Response

from moulin_sync.refresh.signature import MAX_AGE_S

log = logging.getLogger("moulin_sync.refresh")


@dataclass
class _Answer:
    first_seen: float
    ready: anyio.Event = field(default_factory=anyio.Event)
    status: int | None = None  # None: the first request left no answer to repeat
    body: bytes = b""
    media_type: str | None = None


@dataclass
class Repeats:
    # A signature is accepted from 5 min before its timestamp to 5 min after.
    keep_s: float = 2 * MAX_AGE_S
    clock: Callable[[], float] = time.monotonic
    _answers: dict[str, _Answer] = field(default_factory=dict, repr=False)

    async def answer(self, signature: str, make: Callable[[], Awaitable[Response]]) -> Response:
        """The answer to the request signed `signature`: `make()`'s the first time."""
        self._forget_old()
        seen = self._answers.get(signature)
        if seen is not None:
            await seen.ready.wait()
            if seen.status is not None:
                log.info("a repeated signed request: answered as the first")
                return Response(seen.body, seen.status, media_type=seen.media_type)
            return await self.answer(signature, make)
        first = self._answers[signature] = _Answer(self.clock())
        try:
            response = await make()
        except BaseException:
            del self._answers[signature]
            first.ready.set()
            raise
        if response.status_code >= 500:
            del self._answers[signature]
        else:
            first.status = response.status_code
            first.body = bytes(response.body)
            first.media_type = response.media_type
        first.ready.set()
        return response

    def _forget_old(self) -> None:
        now = self.clock()
        for signature, seen in list(self._answers.items()):
            if now - seen.first_seen > self.keep_s and seen.ready.is_set():
                del self._answers[signature]
