"""The HubSpot client: one thin, deliberate layer over `hubspot-api-client` 12.0.0.

`HubSpotClient` gathers one `Transport` (pacing, retries, counters: see `transport.py`)
and an API per concern — `objects`, `associations`, `properties`, `pipelines` — that
take and return plain data and typed results (`results.py`), never SDK models. Thread-
safe: one client per asset, whose counters then describe that asset's work.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from moulin_sync.hubspot.client.associations import AssociationsApi
from moulin_sync.hubspot.client.object_shapes import MAX_BATCH_INPUTS, OBJECT_TYPES
from moulin_sync.hubspot.client.objects import ObjectsApi
from moulin_sync.hubspot.client.pipelines import PipelinesApi
from moulin_sync.hubspot.client.properties import PropertiesApi
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
    """A paced, counted, retrying HubSpot client.

    `options` are the transport's pacing and retry knobs (see `Transport`);
    `max_in_flight`: how many batch calls a sync may keep waiting for HubSpot at once.
    """

    def __init__(self, base_url: str, access_token: str, **options: Any) -> None:
        max_in_flight = int(options.pop("max_in_flight", 4))
        self.transport = Transport(base_url, access_token, **options)
        if not 1 <= max_in_flight <= self.transport.pool_maxsize:
            raise ValueError(
                f"max_in_flight must be between 1 and pool_maxsize ({self.transport.pool_maxsize})"
            )
        self.max_in_flight = max_in_flight
        self.objects = ObjectsApi(self.transport)
        self.associations = AssociationsApi(self.transport)
        self.properties = PropertiesApi(self.transport)
        self.pipelines = PipelinesApi(self.transport)

    @property
    def calls(self) -> Counter[str]:
        """Calls sent, per ``"METHOD /route/template"``."""
        return self.transport.stats.calls

    def snapshot(self) -> dict[str, Any]:
        return self.transport.snapshot()

    def close(self) -> None:
        self.transport.close()

    def __repr__(self) -> str:
        return (
            f"HubSpotClient(base_url={self.transport.base_url!r}, tier={self.transport.tier!r}, "
            f"calls={sum(self.calls.values())})"
        )
