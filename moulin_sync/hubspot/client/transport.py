"""One HubSpot call at a time, done right: paced, counted, retried only when safe.

Every API module sends through `Transport.send`, which adds what `hubspot-api-client`
leaves to its callers:

* **pacing** — a client-side limiter for the rolling 10-second window (and search's own
  per-second limit) that follows the ``X-HubSpot-RateLimit-*`` headers, so a healthy run
  sees no 429s while using almost all of the budget (see `ratelimit.py`);
* **deliberate retries** — see `retry.py`;
* **a daily-budget guard** — `DailyBudgetExhausted` before a call would eat into the reserve;
* **counting** — calls per ``"METHOD /route/template"``, 429s, retries, reads and writes.

Answers are read raw (``_preload_content=False``) from the SDK's ``*_with_http_info``
methods: that gives the status and headers, and the JSON as HubSpot sent it (camelCase,
207 bodies included) instead of SDK models that would have to be converted back.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import hubspot
import urllib3

from moulin_sync.hubspot.client import sdk
from moulin_sync.hubspot.client.endpoints import Endpoint
from moulin_sync.hubspot.client.errors import HubSpotApiError
from moulin_sync.hubspot.client.pacing import PacingOptions, new_pacing, shared_pacing
from moulin_sync.hubspot.client.ratelimit import SEARCH_PER_S, Clock, Sleep
from moulin_sync.hubspot.client.retry import RetryPolicy, cause, may_have_applied, never_sent

T = TypeVar("T")


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: Any


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


class CallStats:
    """What a client sent: calls per endpoint, reads, writes, 429s, retries (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.rate_limited = 0
        self.retries = 0
        self.write_calls = 0
        self.read_calls = 0
        self.backoff_s = 0.0
        self.throttled_s = 0.0  # waited for the rate limits before sending

    def paced(self, waited_s: float) -> None:
        with self._lock:
            self.throttled_s += waited_s

    def sent(self, endpoint: Endpoint, key: str) -> None:
        with self._lock:
            self.calls[key] += 1
            if endpoint.is_write:
                self.write_calls += 1
            else:
                self.read_calls += 1

    def throttled(self) -> None:
        """HubSpot answered 429."""
        with self._lock:
            self.rate_limited += 1

    def retried(self, delay: float) -> None:
        with self._lock:
            self.retries += 1
            self.backoff_s += delay


class Transport:
    """The SDK client, the limiters, the retry policy and the counters of one client.

    `clock`, `sleep` and `rng` are injectable for tests, as are the pacing knobs:
    `rate_limit`/`rate_window_s` (an explicit cap on calls per window, and a window that
    ignores the server's interval), `search_per_s`, `locked_wait_s` (the pause after a 423),
    `backoff_base_s`/`backoff_max_s`, `max_retry_after_s` (a longer Retry-After fails fast).
    `daily_reserve=None` keeps 1 % of the daily budget for the portal's other integrations.
    `pacing_scope`: pace as one with every client of the same portal (base URL and token),
    options and scope in this process (`pacing.py`); None: alone.
    """

    def __init__(
        self,
        base_url: str,
        access_token: str,
        tier: str = "professional",
        timeout_s: float = 30,
        max_retries: int = 5,
        daily_reserve: int | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        rate_limit: int | None = None,
        rate_window_s: float | None = None,
        search_per_s: int | None = SEARCH_PER_S,
        locked_wait_s: float = 2.0,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        max_retry_after_s: float = 120.0,
        pool_maxsize: int = 10,
        pacing_scope: str | None = None,
    ) -> None:
        if not access_token:
            raise ValueError("access_token is empty: set HUBSPOT_ACCESS_TOKEN")
        if not base_url:
            raise ValueError("base_url is empty: set HUBSPOT_BASE_URL")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.pool_maxsize = pool_maxsize
        self.base_url = base_url.rstrip("/")
        self.tier = tier.lower()
        self.timeout_s = float(timeout_s)
        self._token = access_token
        self._clock = clock
        self._sleep = sleep
        options = PacingOptions(
            self.tier, daily_reserve, rate_limit, rate_window_s, search_per_s, clock, sleep
        )
        pacing = (
            new_pacing(options)
            if pacing_scope is None
            else shared_pacing(pacing_scope, self.base_url, access_token, options)
        )
        self.limiter = pacing.window
        self.search_limiter = pacing.search
        self.daily = pacing.daily
        self.policy = RetryPolicy(
            base_url=self.base_url,
            max_retries=max_retries,
            daily=self.daily,
            locked_wait_s=locked_wait_s,
            backoff_base_s=backoff_base_s,
            backoff_max_s=backoff_max_s,
            max_retry_after_s=max_retry_after_s,
            rng=rng or random.Random(),
        )
        self.stats = CallStats()
        # One SDK client, with urllib3's retries off (total=0): every retry is ours, counted
        # and paced. raise_on_status=False keeps error statuses as ApiException (not
        # MaxRetryError); raise_on_redirect=False hands a redirect back as an error status.
        self.sdk = hubspot.HubSpot(
            access_token=access_token,
            host=self.base_url,
            retry=urllib3.Retry(total=0, raise_on_status=False, raise_on_redirect=False),
            connection_pool_maxsize=pool_maxsize,
        )
        self._apis: dict[str, Any] = {}
        self._apis_lock = threading.Lock()

    def api(self, name: str, build: Callable[[Any], T]) -> T:
        """The SDK API object `build(sdk.crm)`, built once: each `crm.X.Y_api` access makes
        a new ApiClient with its own connection pool."""
        with self._apis_lock:
            if name not in self._apis:
                self._apis[name] = build(self.sdk.crm)
            return self._apis[name]

    def close(self) -> None:
        """Close the connection pools (the client stays usable: pools reopen on demand)."""
        with self._apis_lock:
            apis = list(self._apis.values())
        for api in apis:
            api.api_client.rest_client.pool_manager.clear()

    def snapshot(self) -> dict[str, Any]:
        """Counters for asset metadata: calls per endpoint, 429s, retries, waits, budget."""
        stats = self.stats
        return {
            "api_calls": sum(stats.calls.values()),
            "write_calls": stats.write_calls,
            "read_calls": stats.read_calls,
            "rate_limited": stats.rate_limited,
            "retries": stats.retries,
            "calls_by_endpoint": dict(sorted(stats.calls.items())),
            "throttled_s": round(stats.throttled_s, 3),
            "backoff_s": round(stats.backoff_s, 3),
            "daily_remaining": self.daily.remaining,
            "daily_reserve": self.daily.reserve,
        }

    def redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def parse(self, raw: bytes | str | None) -> Any:
        if not raw:
            return None
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        # Whatever the server echoes, the token never reaches a result or an exception.
        text = self.redact(text)
        try:
            return json.loads(text)
        except ValueError:
            return text

    def send(self, endpoint: Endpoint, call: Callable[..., Any], **types: str) -> Answer:
        """One logical call: pace, send, count, retry what is safe to retry, or raise."""
        key = endpoint.key(**types)
        limiter = self.search_limiter if endpoint.search else self.limiter
        attempt = 0
        # An earlier attempt of this write went unanswered: HubSpot may have applied it.
        lost_answer = False
        while True:
            self.daily.take_one()
            asked = self._clock()
            slot = limiter.acquire()
            self.stats.paced(slot.sent - asked)
            self.stats.sent(endpoint, key)
            try:
                status, headers, raw = self._exchange(call)
            finally:
                limiter.release(slot)
            if status is None:  # no answer: `raw` is the failure
                what = self.redact(f"{type(cause(raw)).__name__}: {cause(raw)}")
                delay = self.policy.after_no_answer(endpoint, key, raw, attempt, what)
                lost_answer = lost_answer or (endpoint.is_write and not never_sent(raw))
            else:
                self._observe(headers, endpoint, slot.sent)
                if status == 429:
                    self.stats.throttled()
                body = self.parse(raw)
                if 200 <= status < 300:
                    return Answer(status, headers, body)
                error = HubSpotApiError.from_body(status, body, key)
                error.after_lost_answer = lost_answer
                delay = self.policy.after_error(endpoint, error, headers, attempt, limiter)
                lost_answer = lost_answer or may_have_applied(endpoint, status)
            self.stats.retried(delay)
            if delay > 0:
                self._sleep(delay)
            attempt += 1

    def _exchange(self, call: Callable[..., Any]) -> tuple[int | None, Mapping[str, str], Any]:
        """(status, headers, raw body), or (None, {}, the failure) when no answer came."""
        try:
            response = call(_preload_content=False, _request_timeout=self.timeout_s)
            try:
                return response.status, response.headers, response.data
            finally:
                response.release_conn()
        except sdk.API_EXCEPTIONS as exc:
            if getattr(exc, "status", 0):
                return int(exc.status), exc.headers or {}, exc.body  # type: ignore[attr-defined]
            return None, {}, exc  # status 0: the SDK could not complete the exchange (TLS)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return None, {}, exc

    def _observe(self, headers: Mapping[str, str], endpoint: Endpoint, sent: float) -> None:
        self.daily.observe(
            daily=_int_header(headers, "X-HubSpot-RateLimit-Daily"),
            remaining=_int_header(headers, "X-HubSpot-RateLimit-Daily-Remaining"),
        )
        if endpoint.search:
            self.search_limiter.observe(
                limit=_int_header(headers, "X-HubSpot-RateLimit-Secondly"),
                remaining=_int_header(headers, "X-HubSpot-RateLimit-Secondly-Remaining"),
                sent=sent,
            )
            return
        interval_ms = _int_header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        self.limiter.observe(
            limit=_int_header(headers, "X-HubSpot-RateLimit-Max"),
            remaining=_int_header(headers, "X-HubSpot-RateLimit-Remaining"),
            window_s=interval_ms / 1000 if interval_ms else None,
            sent=sent,
        )
