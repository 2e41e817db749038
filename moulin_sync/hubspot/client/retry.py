"""When a HubSpot call is tried again, and when it must not be.

urllib3's own retries are off: every retry is decided here, counted and paced. 429, 423,
5xx, timeouts and dropped connections are retried a bounded number of times with backoff,
*except* where a retry could duplicate data: a non-idempotent write (batch create, merge,
pipeline create) whose answer was lost, or that failed with a status HubSpot may send
after applying it, raises `HubSpotAmbiguousWrite` instead (the caller reconciles by key).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass

import urllib3

from moulin_sync.hubspot.client.endpoints import Endpoint
from moulin_sync.hubspot.client.errors import (
    HubSpotAmbiguousWrite,
    HubSpotApiError,
    HubSpotConnectionError,
)
from moulin_sync.hubspot.client.ratelimit import DailyBudget, SlidingWindowLimiter, backoff_delay

logger = logging.getLogger(__name__)

RETRYABLE_5XX = frozenset({500, 502, 503, 504})
# A 503 means the request was refused before being processed; 500/502/504 may come after
# HubSpot applied it (a gateway timing out on a slow batch), so they are ambiguous for a
# non-idempotent write, like a lost connection.
REFUSED_5XX = frozenset({503})


def cause(failure: BaseException) -> BaseException:
    return failure.reason if isinstance(failure, urllib3.exceptions.MaxRetryError) else failure


def never_sent(failure: BaseException) -> bool:
    """A connect failure (refused, timed out) means the request never left: safe to retry
    even a create. (urllib3's NewConnectionError is a ConnectTimeoutError.)"""
    return isinstance(cause(failure), urllib3.exceptions.ConnectTimeoutError)


def may_have_applied(endpoint: Endpoint, status: int) -> bool:
    """A write answered with a status HubSpot may send after applying it."""
    return endpoint.is_write and status in RETRYABLE_5XX and status not in REFUSED_5XX


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (HTTP dates are not used by HubSpot; ignored)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


@dataclass
class RetryPolicy:
    """The delay before the next attempt of a failed call, or the exception to raise."""

    base_url: str
    max_retries: int
    daily: DailyBudget
    locked_wait_s: float = 2.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    max_retry_after_s: float = 120.0
    rng: random.Random | None = None

    def backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt, base_s=self.backoff_base_s, max_s=self.backoff_max_s, rng=self.rng
        )

    def after_no_answer(
        self, endpoint: Endpoint, key: str, failure: BaseException, attempt: int, what: str
    ) -> float:
        """A call that got no answer (`what`: the failure, redacted)."""
        if not never_sent(failure) and not endpoint.idempotent:
            raise HubSpotAmbiguousWrite(
                f"HubSpot {key}: the request was sent but no answer came back ({what}). "
                "HubSpot may or may not have applied it, so it is not retried (a retry could "
                "create duplicates): reconcile by reading back by the unique key.",
                endpoint=key,
            ) from failure
        if attempt >= self.max_retries:
            raise HubSpotConnectionError(
                f"HubSpot {key}: no answer after {attempt + 1} attempts ({what}); "
                f"is HubSpot reachable at {self.base_url}?",
                endpoint=key,
            ) from failure
        delay = self.backoff(attempt)
        logger.warning(
            "HubSpot %s: no answer (%s); retry %d/%d in %.1f s",
            key, what, attempt + 1, self.max_retries, delay,
        )  # fmt: skip
        return delay

    def after_error(
        self,
        endpoint: Endpoint,
        error: HubSpotApiError,
        headers: Mapping[str, str],
        attempt: int,
        limiter: SlidingWindowLimiter,
    ) -> float:
        """A call answered with an error status (`error`, already parsed)."""
        status = error.status
        if status == 429 and error.policy_name == "DAILY":
            raise self.daily.exhausted() from None
        if status not in (429, 423) and status not in RETRYABLE_5XX:
            raise error
        if not endpoint.idempotent and may_have_applied(endpoint, status):
            raise HubSpotAmbiguousWrite(
                f"{error} — HubSpot may have applied this write before failing, so it is not "
                "retried (a retry could create duplicates): reconcile by the unique key.",
                endpoint=error.endpoint,
                status=status,
            ) from None
        if attempt >= self.max_retries:
            raise error
        if status == 429:
            delay = self._rate_limited(
                error, _retry_after_s(headers), attempt, limiter, endpoint.search
            )
        elif status == 423:
            delay = max(self.locked_wait_s, self.backoff(attempt))
        else:
            delay = self.backoff(attempt)
        logger.warning(
            "HubSpot %s answered %d %s; retry %d/%d%s",
            error.endpoint, status, error.category, attempt + 1, self.max_retries,
            f" in {delay:.1f} s" if delay else " when the window allows",
        )  # fmt: skip
        return delay

    def _rate_limited(
        self,
        error: HubSpotApiError,
        retry_after: float | None,
        attempt: int,
        limiter: SlidingWindowLimiter,
        search: bool,
    ) -> float:
        if retry_after is not None:
            if retry_after > self.max_retry_after_s:
                raise error
            # Everyone waits, not just this caller: the limit is shared.
            limiter.pause_for(retry_after)
            return 0.0
        if error.policy_name == "SECONDLY" and not search:
            return self.backoff(attempt)
        if not limiter.saturate():
            # No budget known to wait on: plain backoff.
            return self.backoff(attempt)
        # The window is now full in the limiter's eyes: the next acquire() waits exactly
        # until the oldest call falls out of it.
        return 0.0
