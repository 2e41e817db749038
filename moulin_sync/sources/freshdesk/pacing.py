"""Keeping to Freshdesk's per-minute API limits: paced, not refused.

Freshdesk counts credits per account and minute (a ticket list call is 1 credit, plus 2
for each `include`), and the ticket list has a limit of its own. The pacer spends each
limit evenly (a little under it: a fixed minute must never hold one call too many), and
reads every answer's `X-RateLimit-Total` / `X-RateLimit-Remaining`: an account whose
limit is below the plan's paces to it, and an account whose credits another client spent
waits for them. A 429 is still possible (another client's burst): its `Retry-After` is
kept by the client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# Credits per minute, by plan: (the account's, the ticket list's) — Freshdesk's API docs.
PLAN_LIMITS: dict[str, tuple[int, int] | None] = {
    "growth": (200, 20),
    "pro": (400, 100),
    "enterprise": (700, 200),
    "unlimited": None,  # the emulator's: no limit, no headers
}
# Spend a little under each limit, so that no fixed minute holds one call too many.
SHARE = 0.98


@dataclass
class CreditPacer:
    """Waits before each call until every limit it counts against has credits for it."""

    plan: str
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    waited_s: float = 0.0
    _next: dict[str, float] = field(default_factory=dict)
    _limits: dict[str, float] = field(default_factory=dict)
    _short_by: float = 0.0  # credits the account lacked at its last answer
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        limits = PLAN_LIMITS[self.plan]
        if limits is not None:
            self._limits = {"account": limits[0], "tickets_list": limits[1]}

    def limit(self, name: str) -> float | None:
        return self._limits.get(name)

    def wait(self, credits: int, endpoint: str | None = None) -> None:
        """Before a call of `credits` counted against the account (and `endpoint`)."""
        with self._lock:
            now = self.clock()
            counted = [n for n in ("account", endpoint) if n in self._limits]
            start = max([now, *(self._next.get(n, now) for n in counted)])
            if self._short_by > 0 and "account" in self._limits:
                start = max(start, now + self._short_by * 60.0 / self._limits["account"])
                self._short_by = 0.0
            for name in counted:
                self._next[name] = start + credits * 60.0 / (self._limits[name] * SHARE)
        if start > now:
            self.waited_s += start - now
            self.sleep(start - now)

    def heard(self, headers: Mapping[str, str], next_credits: int) -> None:
        """What an answer says of the account's minute: its limit (an account below the
        plan's is paced to it) and the credits left (none left: wait for them)."""
        total = _number(headers, "x-ratelimit-total")
        remaining = _number(headers, "x-ratelimit-remaining")
        with self._lock:
            if total is not None and total > 0 and self._limits.get("account", total + 1) > total:
                self._limits["account"] = total
            if remaining is not None and remaining < next_credits:
                self._short_by = next_credits - remaining


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None
