"""The HubSpot client: one thin, deliberate layer over `hubspot-api-client` 12.0.0.

`HubSpotClient` gathers one `Transport` (pacing, retries, counters: see `transport.py`)
and an API per concern — `objects`, `associations`, `properties`, `pipelines` — that
take and return plain data and typed results (`results.py`), never SDK models. Thread-
safe: one client per asset, whose counters then describe that asset's work.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

from moulin_sync.hubspot.client.associations import AssociationsApi
from moulin_sync.hubspot.client.objects import MAX_BATCH_INPUTS, OBJECT_TYPES, ObjectsApi
from moulin_sync.hubspot.client.pipelines import PipelinesApi
from moulin_sync.hubspot.client.properties import PropertiesApi
from moulin_sync.hubspot.client.ratelimit import (
    SEARCH_PER_S,
    Clock,
    DailyBudget,
    Sleep,
    SlidingWindowLimiter,
)
from moulin_sync.hubspot.client.results import AssociationLink, BatchOutcome, ObjectResult
from moulin_sync.hubspot.client.transport import Transport

__all__ = [
    "MAX_BATCH_INPUTS",
    "OBJECT_TYPES",
    "AssociationLink",
    "BatchOutcome",
    "HubSpotClient",
    "ObjectResult",
]


class HubSpotClient:
    """A paced, counted, retrying HubSpot client (see `Transport` for the knobs).

    `max_in_flight`: how many batch calls a sync may keep waiting for HubSpot at once.
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
        max_in_flight: int = 4,
    ) -> None:
        if not access_token:
            raise ValueError("access_token is empty: set HUBSPOT_ACCESS_TOKEN")
        if not base_url:
            raise ValueError("base_url is empty: set HUBSPOT_BASE_URL")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if not 1 <= max_in_flight <= pool_maxsize:
            raise ValueError(f"max_in_flight must be between 1 and pool_maxsize ({pool_maxsize})")
        self.max_in_flight = max_in_flight
        self.transport = Transport(
            base_url,
            access_token,
            tier,
            timeout_s,
            max_retries,
            daily_reserve,
            clock=clock,
            sleep=sleep,
            rng=rng,
            rate_limit=rate_limit,
            rate_window_s=rate_window_s,
            search_per_s=search_per_s,
            locked_wait_s=locked_wait_s,
            backoff_base_s=backoff_base_s,
            backoff_max_s=backoff_max_s,
            max_retry_after_s=max_retry_after_s,
            pool_maxsize=pool_maxsize,
        )
        self.objects = ObjectsApi(self.transport)
        self.associations = AssociationsApi(self.transport)
        self.properties = PropertiesApi(self.transport)
        self.pipelines = PipelinesApi(self.transport)

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    @property
    def tier(self) -> str:
        return self.transport.tier

    @property
    def limiter(self) -> SlidingWindowLimiter:
        return self.transport.limiter

    @property
    def daily(self) -> DailyBudget:
        return self.transport.daily

    @property
    def calls(self) -> Counter[str]:
        return self.transport.stats.calls

    def snapshot(self) -> dict[str, Any]:
        return self.transport.snapshot()

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"HubSpotClient(base_url={self.base_url!r}, tier={self.tier!r}, "
            f"calls={sum(self.calls.values())})"
        )
