"""HubSpot, and the state store of what it last accepted: the resources of the write steps.

No ``from __future__ import annotations`` here: Dagster reads the field annotations at
runtime.
"""

from typing import Any, Optional

import dagster as dg
from pydantic import Field, PrivateAttr

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.client.errors import HubSpotConfigError
from moulin_sync.hubspot.client.pacing import forget_pacing
from moulin_sync.hubspot.sync.state import SyncState


class HubSpot(dg.ConfigurableResource):
    """HubSpot CRM. Each call to `client()` builds a fresh client, so its counters describe
    one asset's work; the clients of a run pace as one (the portal's window and search
    limit, shared by its steps and checks: `hubspot/client/pacing.py`)."""

    base_url: str = Field(description="HubSpot API base URL (HUBSPOT_BASE_URL).")
    access_token: str = Field(
        default="", description="Private app access token (HUBSPOT_ACCESS_TOKEN)."
    )
    tier: str = Field(
        default="professional",
        description="Subscription tier for the starting rate budget: free, starter, "
        "professional, enterprise or unlimited (HUBSPOT_TIER).",
    )
    timeout_s: float = Field(default=30.0, description="Timeout of one HTTP call, seconds.")
    daily_reserve: Optional[int] = Field(  # noqa: UP045 - Dagster reads this at runtime
        default=None,
        description="Daily calls left untouched for the portal's other integrations "
        "(default: 1 % of the daily limit).",
    )
    max_retries: int = Field(default=5, description="Retries of one call (429, 423, 5xx...).")
    max_in_flight: int = Field(
        default=4,
        description="Batch calls a sync keeps waiting for HubSpot's answer at once (1 to 10): "
        "HubSpot takes a few hundred milliseconds per batch, so one at a time would use a "
        "fraction of the rate limit; the rate limiter paces them either way.",
    )

    _run_id: Optional[str] = PrivateAttr(default=None)  # noqa: UP045

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_id = context.run_id

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._run_id is not None:
            forget_pacing(self._run_id)

    def __repr_args__(self) -> Any:
        # Pydantic's repr would print the token.
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "access_token" and value else value)

    def client(self) -> HubSpotClient:
        if not self.access_token.strip():
            raise HubSpotConfigError(
                "HUBSPOT_ACCESS_TOKEN is not set: create a private app in HubSpot (Settings > "
                "Integrations > Private Apps) with the CRM object and schema scopes, and export "
                "its access token as HUBSPOT_ACCESS_TOKEN (for the local emulator, the token it "
                "was started with)."
            )
        return HubSpotClient(
            base_url=self.base_url,
            access_token=self.access_token.strip(),
            tier=self.tier,
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            daily_reserve=self.daily_reserve,
            max_in_flight=self.max_in_flight,
            pacing_scope=self._run_id,
        )


class SyncStateStore(dg.ConfigurableResource):
    """The sync state store (`MOULIN_STATE_URL`): what HubSpot last accepted, per record.
    Opened for a step that uses it, closed after."""

    url: str = Field(description="The state store's database (MOULIN_STATE_URL).")
    _store: Optional[SyncState] = PrivateAttr(default=None)  # noqa: UP045

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._store = SyncState(self.url)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def store(self) -> SyncState:
        if self._store is None:
            # Used outside a Dagster step (a test, the CLI): open it on first use.
            self._store = SyncState(self.url)
        return self._store


def resources(settings: Any) -> dict[str, dg.ConfigurableResource]:
    """HubSpot and the state store, for `defs/resources.py` to collect."""
    from moulin_sync.defs.resources import from_env

    return {
        "state": SyncStateStore(url=from_env(settings, "state_url")),
        "hubspot": HubSpot(
            base_url=from_env(settings, "hubspot_base_url"),
            # The token is a secret: only ever an EnvVar, resolved at launch, never shown.
            access_token=dg.EnvVar("HUBSPOT_ACCESS_TOKEN")
            if "hubspot_access_token" in settings.model_fields_set
            else "",
            tier=from_env(settings, "hubspot_tier"),
        ),
    }
