"""Client-side rate limiting for HubSpot: the rolling window, search's own limit, the daily budget.

HubSpot limits a private app to N calls per rolling 10 seconds (100 on Free/Starter, 190 on
Professional/Enterprise), search to about 5 calls per second, and the portal to a daily
budget. A 429 costs a round trip and a wait, so the client paces itself instead of
discovering the limit by hitting it.

`SlidingWindowLimiter` keeps a log of its own calls. A call's entry is held from the moment it
is sent until `window` after its *answer* arrived: the server counts the call at some
instant in between, so the log never under-counts what the server sees, whatever the
latency. Each answer's ``X-HubSpot-RateLimit-*`` headers are fed back: the server's `Max`
replaces the configured budget, and when the server says fewer calls remain than the log
explains (another integration shares the token, or the limit was lowered), phantom entries
make up the difference, so the next calls wait until enough of the window has drained.

Past half the window, calls leave at an even pace (the limit spread over the window).
Bursting to the limit, a long run would send each window's calls in one clump that is
free again only a window after its answers: clumps spread and slip by a latency each
window (a 1,329-call load took ×1.04 the steady floor here, ×1.006 paced evenly).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from moulin_sync.hubspot.client.errors import DailyBudgetExhausted

Clock = Callable[[], float]
Sleep = Callable[[float], None]

WINDOW_S = 10.0
SEARCH_WINDOW_S = 1.0
SEARCH_PER_S = 5
# Past half the window calls go at an even pace, and catch up at most a window ÷ this late
# (the gaps between a run's steps: reading its input, planning, recording the months).
PACE_CATCH_UP = 4
# Floating-point slack when comparing an entry's expiry with the clock: after sleeping
# exactly until an expiry, `done + window <= now` must hold.
_EPSILON = 1e-9


@dataclass(frozen=True)
class TierLimits:
    per_window: int | None  # calls per rolling WINDOW_S; None = no limit
    daily: int | None  # calls per day; None = no limit


TIERS: dict[str, TierLimits] = {
    "free": TierLimits(100, 250_000),
    "starter": TierLimits(100, 250_000),
    "professional": TierLimits(190, 625_000),
    "enterprise": TierLimits(190, 1_000_000),
    "unlimited": TierLimits(None, None),
}


def tier_limits(tier: str) -> TierLimits:
    try:
        return TIERS[tier.lower()]
    except KeyError:
        raise ValueError(
            f"unknown HubSpot tier {tier!r}; expected one of {', '.join(TIERS)}"
        ) from None


class Slot:
    """One call's entry in the window: sent at `sent`, answered at `done` (None in flight).

    A `phantom` stands for a call the server counted that is not ours (or not known to
    this limiter: an earlier step's client, another integration on the same token)."""

    __slots__ = ("done", "phantom", "sent")

    def __init__(self, sent: float, done: float | None = None, *, phantom: bool = False) -> None:
        self.sent = sent
        self.done = done
        self.phantom = phantom


class SlidingWindowLimiter:
    """At most `limit` calls in any rolling `window_s`; thread-safe; clock and sleep injectable.

    Usage: ``slot = limiter.acquire()`` before sending, ``limiter.release(slot)`` once the
    answer (or the failure) is in, then ``limiter.observe(...)`` with the answer's headers.
    """

    def __init__(
        self,
        limit: int | None,
        window_s: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        poll_s: float = 0.02,
        cap: int | None = None,
        fixed_window: bool = False,
    ) -> None:
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1 (or None for no limit)")
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        # `cap` is an explicit ceiling (e.g. a share of the budget left to other tools): the
        # server's `Max` is followed only below it. `fixed_window` ignores the server's
        # interval (tests shrink the window).
        self._cap = cap
        self._fixed_window = fixed_window
        self._limit = self._capped(limit)
        self._window_s = window_s
        self._clock = clock
        self._sleep = sleep
        # Used only when every slot that must expire is still in flight: their expiry is
        # unknown until they are answered.
        self._poll_s = poll_s
        self._slots: list[Slot] = []
        # Until a first answer says how full the server's window already is (a new
        # step's client, after the previous step's calls), one call at a time.
        self._answered = False
        self._latest_sent = float("-inf")  # the call whose answer the phantoms follow
        self._due = float("-inf")  # when the next call is due at an even pace
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.waited_s = 0.0  # total time callers spent blocked in acquire()

    @property
    def limit(self) -> int | None:
        return self._limit

    @property
    def window_s(self) -> float:
        return self._window_s

    def in_window(self) -> int:
        """How many calls (sent, in flight or phantom) currently count against the window."""
        with self._lock:
            self._prune(self._clock())
            return len(self._slots)

    def acquire(self) -> Slot:
        """Block until one more call fits in the window, then record it as sent."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    slot = Slot(now)
                    self._keep_pace(now)
                    if self._limit is not None:
                        self._slots.append(slot)
                    return slot
                self.waited_s += wait
            self._sleep(wait)

    def release(self, slot: Slot) -> None:
        """The call's answer (or its failure) is in: its entry now expires a window later."""
        with self._lock:
            slot.done = self._clock()
            self._answered = True

    def observe(
        self,
        *,
        limit: int | None,
        remaining: int | None,
        window_s: float | None = None,
        sent: float | None = None,
    ) -> None:
        """Follow the server's view (``-Max``, ``-Remaining``, ``-Interval-Milliseconds``)
        given by the answer of the call `sent` at that time."""
        with self._lock:
            now = self._clock()
            if window_s is not None and window_s > 0 and not self._fixed_window:
                self._window_s = window_s
            if limit is not None and limit > 0:
                self._limit = self._capped(limit)
            if remaining is None or self._limit is None:
                return
            # Answers of calls in flight together come back in any order: the server's
            # count in an older call's answer is older than one already followed.
            if sent is not None:
                if sent < self._latest_sent:
                    return
                self._latest_sent = sent
            self._prune(now)
            # Measured against the server's own Max: a cap below it leaves the difference
            # unused, it is not "used by someone else".
            used_by_server = (limit or self._limit) - max(0, remaining)
            # The calls counted by the server that are not ours. Ours it counted: the
            # answered ones, and those in flight that left before this answer's call (the
            # server took them first). Those in flight that left after it may or may not be
            # counted, so they stay apart (the log never under-counts). Both ways: as the
            # server's entries expire, phantoms go, instead of each outliving its real
            # call by up to a whole window (which cost each new step's client nearly a
            # window of waiting); and calls in flight are not counted twice, once in the
            # log and once as someone else's (a few slots of every window, at the limit).
            answered = sum(1 for s in self._slots if s.done is not None and not s.phantom)
            taken_first = (
                0
                if sent is None
                else sum(
                    1 for s in self._slots if s.done is None and not s.phantom and s.sent <= sent
                )
            )
            self._set_phantoms(used_by_server - answered - taken_first, now)

    def saturate(self) -> bool:
        """A 429 without guidance: assume the window is full now. False if there is no limit."""
        with self._lock:
            if self._limit is None:
                return False
            now = self._clock()
            self._prune(now)
            self._add_phantoms(self._limit - len(self._slots), now)
            return True

    def pause_for(self, seconds: float) -> None:
        """Hold every caller back for `seconds` (a 429's Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    # -- internals (lock held) -------------------------------------------------------------
    def _capped(self, limit: int | None) -> int | None:
        if self._cap is None:
            return limit
        return self._cap if limit is None else min(limit, self._cap)

    def _prune(self, now: float) -> None:
        horizon = now - self._window_s + _EPSILON
        self._slots = [s for s in self._slots if s.done is None or s.done > horizon]

    def _add_phantoms(self, count: int, now: float) -> None:
        self._slots.extend(Slot(now, now, phantom=True) for _ in range(max(0, count)))

    def _set_phantoms(self, count: int, now: float) -> None:
        """Keep exactly max(0, count) phantoms: add new ones, or drop the oldest (they
        stand for the server's oldest entries, the first to expire; the log is in the
        order entries were added)."""
        phantoms = [s for s in self._slots if s.phantom]
        excess = len(phantoms) - max(0, count)
        if excess <= 0:
            self._add_phantoms(-excess, now)
            return
        dropped = {id(s) for s in phantoms[:excess]}
        self._slots = [s for s in self._slots if id(s) not in dropped]

    def _half_full(self) -> bool:
        """Our own calls fill half the window (someone else's room is ours to burst into)."""
        if self._limit is None:
            return False
        return 2 * sum(1 for s in self._slots if not s.phantom) >= self._limit

    def _keep_pace(self, now: float) -> None:
        """The next call is due a window ÷ limit after this one's due time, not after its
        send: a sleep's overshoot is not carried over to every later call, and calls the
        workers were too busy to send (up to a tenth of a window of them) are caught up
        at once — the window itself still bounds them."""
        if self._limit is None:
            return
        step = self._window_s / self._limit
        behind = self._window_s / PACE_CATCH_UP
        self._due = (max(self._due, now - behind) if self._half_full() else now) + step

    def _spacing_wait(self, now: float) -> float:
        """Past half the window, calls leave at an even pace (window ÷ limit apart).
        Bursting to the limit, a long run sends each window's calls in one clump, and every
        slot is free again only a window after its answer: the clumps spread and slip by a
        latency each window, and the last window's clump ends seconds after an even pace
        would. A short run (a refresh, a quiet night) still goes at once."""
        return self._due - now if self._half_full() else 0.0

    def _wait_needed(self, now: float) -> float:
        if now < self._paused_until:
            return self._paused_until - now
        if self._limit is None:
            return 0.0
        self._prune(now)
        if not self._answered and any(s.done is None for s in self._slots):
            return self._poll_s
        excess = len(self._slots) - self._limit + 1
        if excess <= 0:
            return self._spacing_wait(now)
        expiries = sorted(s.done + self._window_s for s in self._slots if s.done is not None)
        if len(expiries) < excess:
            return self._poll_s
        return max(expiries[excess - 1] - now, _EPSILON)


class DailyBudget:
    """Tracks ``X-HubSpot-RateLimit-Daily`` / ``-Daily-Remaining`` and refuses the last calls.

    `reserve` calls are left untouched for the portal's other integrations; None means 1 %
    of the daily limit (as reported by the server, else the tier's).
    """

    def __init__(self, daily_limit: int | None, reserve: int | None) -> None:
        if reserve is not None and reserve < 0:
            raise ValueError("daily_reserve must be >= 0")
        self._limit = daily_limit
        self._explicit_reserve = reserve
        self._remaining: int | None = None
        self._lock = threading.Lock()

    @property
    def limit(self) -> int | None:
        return self._limit

    @property
    def remaining(self) -> int | None:
        """Our estimate of the calls left today (None until an answer carried the header)."""
        return self._remaining

    @property
    def reserve(self) -> int:
        if self._explicit_reserve is not None:
            return self._explicit_reserve
        return self._limit // 100 if self._limit else 0

    def observe(self, *, daily: int | None, remaining: int | None) -> None:
        with self._lock:
            if daily is not None and daily > 0:
                self._limit = daily
            if remaining is not None:
                # The server's count is the truth (it also resets at midnight).
                self._remaining = max(0, remaining)

    def take_one(self) -> None:
        """Claim one call, or raise DailyBudgetExhausted if that would eat into the reserve."""
        with self._lock:
            if self._remaining is None:
                return
            if self._remaining <= self.reserve:
                raise DailyBudgetExhausted(self._remaining, self.reserve, self._limit)
            # Decrement between answers so concurrent callers cannot all slip past the guard.
            self._remaining -= 1

    def exhausted(self) -> DailyBudgetExhausted:
        """The error for a 429 with policy DAILY (the server already refused)."""
        with self._lock:
            self._remaining = 0
            return DailyBudgetExhausted(0, self.reserve, self._limit)


def backoff_delay(
    attempt: int, *, base_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with jitter for retry number `attempt` (0-based).

    The delay is drawn from [cap/2, cap] with cap = min(max_s, base_s * 2**attempt): the
    jitter spreads parallel retriers apart, the lower half-bound keeps the wait real.
    """
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    cap = min(max_s, base_s * (2.0 ** min(attempt, 32)))
    return cap * (0.5 + 0.5 * (rng or random).random())
