"""Typeform's rate limit: 2 requests per second per account, as a token bucket.

Typeform publishes the rate and no burst. Clients page back to back (Airbyte's source
sends its next page as soon as the last one arrives; the JS SDK waits 500 ms between pages),
so the bucket holds `DEFAULT_BURST` requests: a whole sync of one form passes, a sustained
flow above 2 per second gets 429s once the burst is spent. No rate-limit headers: Typeform
documents none; a 429 carries `Retry-After` (a guess, see docs/typeform-emulator.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from ..toolkit import Answer, Call, TokenBucket
from ..toolkit.answers import Headers
from .errors import typeform_error

DEFAULT_RATE = 2.0
DEFAULT_BURST = 20.0


class TypeformLimiter:
    """`rate` requests a second with bursts of `burst`; `rate` None: no limit."""

    policies: tuple[str, ...] = ("PER_ACCOUNT",)

    def __init__(
        self,
        rate: float | None = DEFAULT_RATE,
        burst: float = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.configure(rate, burst)

    def configure(self, rate: float | None, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.bucket = TokenBucket(rate or 1.0, burst)

    def acquire(self, call: Call) -> Answer | None:
        if self.rate is None:
            return None
        wait = self.bucket.take(self.clock())
        return self._too_many(wait) if wait else None

    def headers(self, call: Call) -> Headers:
        return []

    def refusal(self, call: Call, policy: str) -> Answer:
        return self._too_many(1.0 / (self.rate or 1.0))

    def reset(self) -> None:
        self.bucket.clear()

    def _too_many(self, wait: float) -> Answer:
        return typeform_error(
            429,
            f"Rate limit exceeded: at most {self.rate or 0:g} requests per second per account. "
            "Wait before sending the next request (see Retry-After).",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
