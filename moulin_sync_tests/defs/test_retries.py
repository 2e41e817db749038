"""A failure worth a retry gets one (with backoff); a deterministic one fails once and says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, AssetSelection, DagsterEventType, DagsterInstance, materialize
from sqlalchemy.exc import OperationalError

from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.retries import TRANSIENT, is_transient
from moulin_sync.hubspot.client.errors import (
    HubSpotApiError,
    HubSpotConfigError,
    HubSpotConnectionError,
)
from moulin_sync.hubspot.sync.state_db import StateStoreError
from moulin_sync.settings import SettingsError
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import SyncWorld, new_world, nightly_assets

PROPERTY_SCHEMA = AssetSelection.assets(AssetKey(["hubspot", "property_schema"]))


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    return new_world(tmp_path, hubspot, customers=20, companies=2, orders=50)


def _run(world: SyncWorld, hubspot: HubSpot) -> list:
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            nightly_assets(),
            selection=PROPERTY_SCHEMA,
            resources={**world.resources(), "hubspot": hubspot},
            instance=instance,
            raise_on_error=False,
        )
        return list(result.all_events)


def _kinds(events: list) -> list[DagsterEventType]:
    return [e.event_type for e in events]


def test_a_bad_token_fails_once_and_says_why(world: SyncWorld) -> None:
    events = _run(world, HubSpot(base_url=world.hubspot.base_url, access_token="wrong-token"))
    kinds = _kinds(events)
    assert DagsterEventType.STEP_FAILURE in kinds
    assert DagsterEventType.STEP_UP_FOR_RETRY not in kinds, "a bad token was retried"
    [failure] = [e for e in events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.error.cls_name == "Failure"
    assert "401" in failure.step_failure_data.error.message


def test_a_hubspot_outage_past_the_client_s_retries_is_retried_by_the_step(
    world: SyncWorld,
) -> None:
    world.hubspot.admin.add_fault(kind="status", status=503, count=1, method="GET",
                                  route="/crm/v3/properties/")  # fmt: skip
    hubspot = HubSpot(
        base_url=world.hubspot.base_url, access_token=world.hubspot.token, max_retries=0
    )
    kinds = _kinds(_run(world, hubspot))  # waits out the policy's first delay (~20 s)
    assert DagsterEventType.STEP_UP_FOR_RETRY in kinds
    assert DagsterEventType.STEP_SUCCESS in kinds
    assert DagsterEventType.STEP_FAILURE not in kinds


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (HubSpotApiError(503, "INTERNAL_ERROR", "down"), True),
        (HubSpotApiError(429, "RATE_LIMIT", "slow down"), True),
        (HubSpotConnectionError("no answer"), True),
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
        (StateStoreError("MOULIN_STATE_URL: ... could not read (timeout), still after 4"), True),
        (HubSpotApiError(401, "INVALID_AUTHENTICATION", "bad token"), False),
        (HubSpotApiError(403, "MISSING_SCOPES", "no scope"), False),
        (HubSpotApiError(400, "VALIDATION_ERROR", "bad value"), False),
        (HubSpotConfigError("HUBSPOT_ACCESS_TOKEN is not set"), False),
        (StateStoreError("MOULIN_STATE_URL: cannot open the sync state store"), False),
        (SettingsError("MOULIN_TIMEZONE: not a time zone"), False),
        (ValueError("a bug"), False),
    ],
)
def test_which_failures_are_transient(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
    assert TRANSIENT.max_retries == 3 and TRANSIENT.delay == 20
