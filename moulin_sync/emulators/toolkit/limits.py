"""Rate limits: what the gate asks of a service's limiter, and the counters limiters are
made of (a rolling window, a fixed window, a daily budget, a token bucket).

A limiter decides which requests count against what, and answers in its service's words:
its 429 (body, `Retry-After`...) and the headers every answer carries. Only accepted
requests consume budget. The counters take the time as an argument (`time.monotonic()`
seconds), so a limiter reads the clock once per request.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from .answers import Answer, Headers


@dataclass(frozen=True)
class Call:
    """One API request as a limiter sees it."""

    method: str
    path: str
    template: str  # the route's path template, e.g. /crm/v3/objects/{objectType}
    query: str  # the raw query string
    write: bool  # the route changes state


class Limiter(Protocol):
    policies: tuple[str, ...]  # the limits a 429 fault may name; the first is the default

    def acquire(self, call: Call) -> Answer | None:
        """Count `call`, or return the 429 answer when it is over a limit (nothing counted)."""
        ...

    def headers(self, call: Call) -> Headers:
        """The rate-limit headers of the answer to `call` (429s included)."""
        ...

    def refusal(self, call: Call, policy: str) -> Answer:
        """The 429 answer for limit `policy`, as an injected fault answers it."""
        ...

    def reset(self) -> None:
        """Forget every count (the admin reset)."""
        ...


class NoLimit:
    """A service without rate limits."""

    policies: tuple[str, ...] = ("NONE",)

    def acquire(self, call: Call) -> Answer | None:
        return None

    def headers(self, call: Call) -> Headers:
        return []

    def refusal(self, call: Call, policy: str) -> Answer:
        return Answer(429, {"message": "Too many requests"})

    def reset(self) -> None:
        pass


class RollingWindow:
    """Requests within the last `seconds` (HubSpot's ten-secondly rolling limit)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._times: deque[float] = deque()

    def count(self, now: float) -> int:
        times = self._times
        while times and times[0] <= now - self.seconds:
            times.popleft()
        return len(times)

    def add(self, now: float) -> None:
        self._times.append(now)

    def clear(self) -> None:
        self._times.clear()


class FixedWindow:
    """Cost spent in the current window of `seconds`, windows starting at multiples of it
    from the first request (Freshdesk's per-minute limit)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: float | None = None
        self.used = 0

    def spent(self, now: float) -> int:
        if self.started is None or now - self.started >= self.seconds:
            self.started, self.used = now, 0
        return self.used

    def add(self, now: float, cost: int = 1) -> None:
        self.spent(now)
        self.used += cost

    def resets_in(self, now: float) -> float:
        """Seconds until the current window ends (a 429's `Retry-After`)."""
        if self.started is None:
            return 0.0
        return max(0.0, self.started + self.seconds - now)

    def clear(self) -> None:
        self.started, self.used = None, 0


class DailyBudget:
    """Requests counted since midnight UTC (HubSpot's daily limit)."""

    def __init__(self) -> None:
        self.day = self._today()
        self.used = 0

    @staticmethod
    def _today() -> int:
        return int(time.time() // 86_400)

    def spent(self) -> int:
        today = self._today()
        if today != self.day:
            self.day, self.used = today, 0
        return self.used

    def add(self, cost: int = 1) -> None:
        self.spent()
        self.used += cost

    def clear(self) -> None:
        self.used = 0


class TokenBucket:
    """`rate` tokens a second, up to `burst` held: short bursts pass, a steady flow is
    held to the rate (Typeform's per-account limit)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at: float | None = None

    def _refill(self, now: float) -> None:
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def take(self, now: float, cost: float = 1.0) -> float:
        """Take `cost` tokens and return 0, or take nothing and return the seconds to wait."""
        self._refill(now)
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate

    def available(self, now: float) -> float:
        self._refill(now)
        return self.tokens

    def clear(self) -> None:
        self.tokens, self.at = self.burst, None
