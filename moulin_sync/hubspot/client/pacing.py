"""A portal's pacing — its rolling window, search's own limit, its daily budget — and the
one every client of that portal in a run shares.

HubSpot counts a portal's calls, whichever client sends them. A run's steps each build a
client of their own (its counters describe that step's work), one after another in the
run's process. A client pacing alone would start each step cold: knowing nothing of the
calls the previous step made a moment before, it sends one call, takes what the server's
count says beyond its own for someone else's calls held for a whole window (they are in
fact expiring one by one) and, with nothing in flight to correct that, waits up to a
window; a check's first search may be the sixth within a second, and get a 429. Clients
given a scope (the Dagster resource gives its run's id) take their portal's pacing from
here instead: every step and every check of a run paces against one window and one 5
searches a second, and a step's first call leaves as soon as the window has room. A
scope's pacings are forgotten when its run ends (`forget_pacing`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Hashable
from dataclasses import dataclass

from moulin_sync.hubspot.client.ratelimit import (
    SEARCH_WINDOW_S,
    WINDOW_S,
    Clock,
    DailyBudget,
    Sleep,
    SlidingWindowLimiter,
    tier_limits,
)


@dataclass(frozen=True)
class PacingOptions:
    """What a portal's pacing is made from (see `Transport` for each knob)."""

    tier: str
    daily_reserve: int | None
    rate_limit: int | None
    rate_window_s: float | None
    search_per_s: int | None
    clock: Clock
    sleep: Sleep


@dataclass(frozen=True)
class Pacing:
    window: SlidingWindowLimiter
    search: SlidingWindowLimiter
    daily: DailyBudget


def new_pacing(options: PacingOptions) -> Pacing:
    """A pacing of its own, as the tier and the knobs say until the server says more."""
    limits = tier_limits(options.tier)
    rate_limit = options.rate_limit
    return Pacing(
        window=SlidingWindowLimiter(
            rate_limit if rate_limit is not None else limits.per_window,
            options.rate_window_s or WINDOW_S,
            clock=options.clock,
            sleep=options.sleep,
            cap=rate_limit,
            fixed_window=options.rate_window_s is not None,
        ),
        search=SlidingWindowLimiter(
            options.search_per_s if limits.per_window is not None else None,
            SEARCH_WINDOW_S,
            clock=options.clock,
            sleep=options.sleep,
        ),
        daily=DailyBudget(limits.daily, options.daily_reserve),
    )


_shared: dict[Hashable, Pacing] = {}
_shared_lock = threading.Lock()


def shared_pacing(scope: str, base_url: str, access_token: str, options: PacingOptions) -> Pacing:
    """The pacing every client of this portal (base URL and token) with these options
    shares within `scope` in this process; made by the first of them."""
    token = hashlib.sha256(access_token.encode()).hexdigest()
    key = (scope, base_url.rstrip("/"), token, options)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = new_pacing(options)
        return _shared[key]


def forget_pacing(scope: str) -> None:
    """Drop the pacings of `scope` (its run ended): clients still holding one keep it."""
    with _shared_lock:
        for key in [key for key in _shared if key[0] == scope]:
            del _shared[key]
