"""HubSpot's rate limits: a rolling 10-second window, a daily budget, and search's own limit.

Only accepted requests consume budget (a 429 does not). Search requests count against the
search limit (per rolling second) and the daily budget, not against the 10-second window.
The daily budget resets at midnight UTC (HubSpot: midnight in the account's time zone).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from ..toolkit.answers import Answer, Headers
from ..toolkit.limits import Call, DailyBudget, RollingWindow

TIERS: dict[str, tuple[int | None, int | None]] = {
    "free": (100, 250_000),
    "starter": (100, 250_000),
    "professional": (190, 625_000),
    "enterprise": (190, 1_000_000),
    "unlimited": (None, None),
}
WINDOW_S = 10.0
DEFAULT_SEARCH_PER_S = 5
POLICIES = ("TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY")


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


def is_search(call: Call) -> bool:
    return call.method == "POST" and call.path.endswith("/search")


class RateLimiter:
    """HubSpot's limits as the toolkit's gate asks for them (`toolkit.limits.Limiter`)."""

    policies = POLICIES

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.window = RollingWindow(WINDOW_S)
        self.search_window = RollingWindow(1.0)
        self.daily = DailyBudget()

    @property
    def daily_used(self) -> int:
        return self.daily.spent()

    def reset(self) -> None:
        self.window.clear()
        self.search_window.clear()
        self.daily.clear()

    def refusal(self, call: Call, policy: str) -> Answer:
        return Answer(429, rate_limit_body(policy))

    def acquire(self, call: Call) -> Answer | None:
        """Consume one request, or answer the exceeded limit's 429 instead."""
        policy = self._exceeded(time.monotonic(), is_search(call))
        return None if policy is None else self.refusal(call, policy)

    def _exceeded(self, now: float, search: bool) -> str | None:
        lim = self.limits
        if lim.daily is not None and self.daily.spent() >= lim.daily:
            return "DAILY"
        window, limit, policy = (
            (self.search_window, lim.search_per_s, "SECONDLY")
            if search
            else (self.window, lim.per_10s, "TEN_SECONDLY_ROLLING")
        )
        if limit is not None:
            if window.count(now) >= limit:
                return policy
            window.add(now)
        self.daily.add()
        return None

    def headers(self, call: Call) -> Headers:
        lim = self.limits
        now = time.monotonic()
        out: Headers = []
        if lim.per_10s is not None:
            out += [
                (b"x-hubspot-ratelimit-max", str(lim.per_10s).encode()),
                (
                    b"x-hubspot-ratelimit-remaining",
                    str(max(0, lim.per_10s - self.window.count(now))).encode(),
                ),
                (b"x-hubspot-ratelimit-interval-milliseconds", b"10000"),
            ]
        if lim.daily is not None:
            out += [
                (b"x-hubspot-ratelimit-daily", str(lim.daily).encode()),
                (
                    b"x-hubspot-ratelimit-daily-remaining",
                    str(max(0, lim.daily - self.daily.spent())).encode(),
                ),
            ]
        if is_search(call) and lim.search_per_s is not None:
            out += [
                (b"x-hubspot-ratelimit-secondly", str(lim.search_per_s).encode()),
                (
                    b"x-hubspot-ratelimit-secondly-remaining",
                    str(max(0, lim.search_per_s - self.search_window.count(now))).encode(),
                ),
            ]
        return out
