"""HubSpot's rate limits: a rolling 10-second window, a daily budget, and search's own limit.

Only accepted requests consume budget (a 429 does not). Search requests count against the
search limit (per rolling second) and the daily budget, not against the 10-second window.
The daily budget resets at midnight UTC (HubSpot: midnight in the account's time zone).
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

TIERS: dict[str, tuple[int | None, int | None]] = {
    "free": (100, 250_000),
    "starter": (100, 250_000),
    "professional": (190, 625_000),
    "enterprise": (190, 1_000_000),
    "unlimited": (None, None),
}
WINDOW_S = 10.0
DEFAULT_SEARCH_PER_S = 5


@dataclass
class Limits:
    per_10s: int | None
    daily: int | None
    search_per_s: int | None = DEFAULT_SEARCH_PER_S

    def to_json(self) -> dict[str, Any]:
        return {"per_10s": self.per_10s, "daily": self.daily, "search_per_s": self.search_per_s}


def limits_for(tier: str, per_10s: int | None = None, daily: int | None = None) -> Limits:
    base_10s, base_daily = TIERS[tier]
    return Limits(
        per_10s if per_10s is not None else base_10s,
        daily if daily is not None else base_daily,
        None if tier == "unlimited" else DEFAULT_SEARCH_PER_S,
    )


def rate_limit_body(policy: str) -> dict[str, Any]:
    name = {"TEN_SECONDLY_ROLLING": "ten_secondly_rolling", "DAILY": "daily"}.get(
        policy, "secondly"
    )
    return {
        "status": "error",
        "message": f"You have reached your {name} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "groupName": "api-calls-" + name.replace("_", "-"),
    }


class RateLimiter:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.window: deque[float] = deque()
        self.search_window: deque[float] = deque()
        self.day = self._today()
        self.daily_used = 0

    @staticmethod
    def _today() -> int:
        return int(time.time() // 86_400)

    def reset(self) -> None:
        self.window.clear()
        self.search_window.clear()
        self.daily_used = 0

    def _prune(self, now: float) -> None:
        w = self.window
        while w and w[0] <= now - WINDOW_S:
            w.popleft()
        s = self.search_window
        while s and s[0] <= now - 1.0:
            s.popleft()
        today = self._today()
        if today != self.day:
            self.day, self.daily_used = today, 0

    def acquire(self, search: bool) -> str | None:
        """Consume one request; return the exceeded policy name instead when over a limit."""
        now = time.monotonic()
        lim = self.limits
        self._prune(now)
        if lim.daily is not None and self.daily_used >= lim.daily:
            return "DAILY"
        if search:
            if lim.search_per_s is not None:
                if len(self.search_window) >= lim.search_per_s:
                    return "SECONDLY"
                self.search_window.append(now)
        else:
            if lim.per_10s is not None:
                if len(self.window) >= lim.per_10s:
                    return "TEN_SECONDLY_ROLLING"
                self.window.append(now)
        self.daily_used += 1
        return None

    def headers(self, search: bool) -> list[tuple[bytes, bytes]]:
        lim = self.limits
        out: list[tuple[bytes, bytes]] = []
        if lim.per_10s is not None:
            out += [
                (b"x-hubspot-ratelimit-max", str(lim.per_10s).encode()),
                (
                    b"x-hubspot-ratelimit-remaining",
                    str(max(0, lim.per_10s - len(self.window))).encode(),
                ),
                (b"x-hubspot-ratelimit-interval-milliseconds", b"10000"),
            ]
        if lim.daily is not None:
            out += [
                (b"x-hubspot-ratelimit-daily", str(lim.daily).encode()),
                (
                    b"x-hubspot-ratelimit-daily-remaining",
                    str(max(0, lim.daily - self.daily_used)).encode(),
                ),
            ]
        if search and lim.search_per_s is not None:
            out += [
                (b"x-hubspot-ratelimit-secondly", str(lim.search_per_s).encode()),
                (
                    b"x-hubspot-ratelimit-secondly-remaining",
                    str(max(0, lim.search_per_s - len(self.search_window))).encode(),
                ),
            ]
        return out
