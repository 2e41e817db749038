"""Regression tests for the bugs the reliability suite found, at the unit where each was fixed."""

from __future__ import annotations

import pickle
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.client.errors import HubSpotApiError
from moulin_sync.hubspot.client.problems import InputError, reason_of
from moulin_sync.hubspot.streams.deals import DEAL_PIPELINE
from moulin_sync.hubspot.sync.state import Accepted, StateStoreError, SyncState
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.reliability.harness import World


@pytest.fixture
def client(world: World) -> HubSpotClient:
    world.reset_hubspot()
    return HubSpotClient(
        world.hubspot.base_url,
        world.hubspot.token,
        tier="unlimited",
        timeout_s=2,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
    )


def _ours(client: HubSpotClient) -> list[dict]:
    return [p for p in client.pipelines.list("deals") if p["label"] == DEAL_PIPELINE.default_label]


def test_a_pipeline_create_whose_answer_is_lost_is_found_by_label(
    client: HubSpotClient, hubspot: EmulatorHandle
) -> None:
    hubspot.admin.add_fault(kind="drop_after_commit", method="POST", route="/crm/v3/pipelines")
    created = client.pipelines.create("deals", DEAL_PIPELINE.body(DEAL_PIPELINE.default_label))
    assert [p["id"] for p in _ours(client)] == [created["id"]]
    assert len(created["stages"]) == 6


def test_a_pipeline_create_refused_with_an_ambiguous_500_is_sent_again_once(
    client: HubSpotClient, hubspot: EmulatorHandle
) -> None:
    # The 500 came before HubSpot did anything: nothing by that label, so create it.
    hubspot.admin.add_fault(kind="status", status=500, method="POST", route="/crm/v3/pipelines")
    created = client.pipelines.create("deals", DEAL_PIPELINE.body(DEAL_PIPELINE.default_label))
    assert [p["id"] for p in _ours(client)] == [created["id"]]
    assert client.calls["POST /crm/v3/pipelines/deals"] == 2


def test_a_property_create_whose_answer_is_lost_returns_the_property(
    client: HubSpotClient, hubspot: EmulatorHandle
) -> None:
    hubspot.admin.add_fault(kind="drop_after_commit", method="POST", route="/crm/v3/properties")
    group = client.properties.create_group("contacts", "reliability", "Reliability")
    assert group["name"] == "reliability"
    hubspot.admin.add_fault(kind="drop_after_commit", method="POST", route="/crm/v3/properties")
    definition = {
        "name": "moulin_probe",
        "label": "Probe",
        "type": "string",
        "fieldType": "text",
        "groupName": "reliability",
    }
    created = client.properties.create("contacts", definition)
    assert created["name"] == "moulin_probe" and created["groupName"] == "reliability"
    assert client.transport.stats.retries == 2  # one retry each, answered 409, read back
    # A property that already existed before the call is still a conflict.
    with pytest.raises(HubSpotApiError) as caught:
        client.properties.create("contacts", definition)
    assert caught.value.status == 409 and not caught.value.after_lost_answer


def test_after_lost_answer_survives_pickling() -> None:
    error = HubSpotApiError(409, "CONFLICT", "exists", endpoint="POST /x", after_lost_answer=True)
    assert pickle.loads(pickle.dumps(error)).after_lost_answer is True


def _lock(path: Path, seconds: float) -> threading.Event:
    locked = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
        connection.close()

    threading.Thread(target=hold, daemon=True).start()
    assert locked.wait(10)
    return locked


def _impatient_store(path: Path, delays: tuple[float, ...]) -> SyncState:
    """A state store whose SQLite gives up on a lock after 0.1 s (not 5): the retries
    are what waits."""
    store = SyncState(f"sqlite:///{path}", retry_delays_s=delays)
    store.engine.dispose()
    store.engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.1})
    return store


def test_the_state_store_waits_for_a_lock_to_go(tmp_path: Path) -> None:
    store = _impatient_store(tmp_path / "state.db", (0.5, 1.0, 2.0))
    _lock(tmp_path / "state.db", 1.0)
    started = time.monotonic()
    store.record_accepted("deals", [Accepted("1", "1001", "h")])
    assert time.monotonic() - started >= 0.5, "the lock was not in the way"
    assert store.hubspot_ids("deals", ["1"]) == {"1": "1001"}


def test_the_state_store_says_so_when_it_stays_unreachable(tmp_path: Path) -> None:
    store = _impatient_store(tmp_path / "state.db", (0.1, 0.1))
    _lock(tmp_path / "state.db", 3.0)
    with pytest.raises(StateStoreError) as caught:
        store.record_accepted("deals", [Accepted("1", "1001", "h")])
    message = str(caught.value)
    assert message.startswith("MOULIN_STATE_URL: the sync state store at sqlite:///")
    assert "database is locked" in message and "3 attempts" in message


def test_hubspot_rejections_are_in_words() -> None:
    entry = {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": 'Property values were not valid: [{"isValid":false,"name":"email"}]',
        "context": {"objectWriteTraceId": ["7"]},
        "errors": [
            {
                "message": "Email address a@x_y.fr is invalid",
                "code": "INVALID_EMAIL",
                "context": {"propertyName": ["email"]},
            }
        ],
    }
    expected = "HubSpot refused it: Email address a@x_y.fr is invalid (INVALID_EMAIL on email)"
    assert InputError.parse(entry).reason == expected
    error = HubSpotApiError.from_body(400, entry, "POST /crm/v3/objects/contacts/batch/create")
    assert error.reason == expected
    # Without per-property detail, HubSpot's message as it is.
    conflict = {"message": "Contact already exists. Existing ID: 12", "errors": []}
    assert InputError.parse(conflict).reason == "Contact already exists. Existing ID: 12"
    assert reason_of(None) == "HubSpot did not accept the record and gave no reason"


def test_the_runner_says_why_a_step_failed() -> None:
    from dagster import DagsterInstance, asset, materialize

    from moulin_sync.runs.failures import failure_reason

    @asset
    def doomed() -> None:
        try:
            raise OSError("connection reset")
        except OSError as exc:
            raise RuntimeError("HubSpot POST /x: no answer came back") from exc

    with DagsterInstance.ephemeral() as instance:
        result = materialize([doomed], instance=instance, raise_on_error=False)
    (event,) = [e for e in result.all_events if e.is_step_failure]
    assert event.message == 'Execution of step "doomed" failed.'
    assert failure_reason(event) == "RuntimeError: HubSpot POST /x: no answer came back"
