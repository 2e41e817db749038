"""HubSpotClient against the emulator's faults: 429 storms, 5xx and 423 bursts, hangs,
lost answers, the daily budget, call counts, threads."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.client.errors import (
    DailyBudgetExhausted,
    HubSpotAmbiguousWrite,
    HubSpotApiError,
)
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync_tests.hubspot.client_helpers import (
    CREATE,
    TOKEN,
    UPSERT,
    batches_of,
    by_template,
    contacts,
    count_status,
    emails,
    emulator_counts,
)


def test_429_storm_is_survived_with_nothing_lost(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    client = make_client(max_retries=5)
    batches = list(batches_of(contacts(80), 10))
    for batch in batches[:5]:
        assert client.objects.batch_upsert("contacts", batch, "email").ok
    # HubSpot's budget shrinks mid-run (another integration, a downgrade...): 4 per 10 s,
    # with 5 calls already in the window. Three workers then hit it at once.
    emulator.admin.set_limits(per_10s=4)
    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        outcomes = list(
            pool.map(lambda b: client.objects.batch_upsert("contacts", b, "email"), batches[5:])
        )
    elapsed = time.monotonic() - started
    assert all(o.ok for o in outcomes)
    assert emails(emulator) == Counter({f"c{i}@moulin.test": 1 for i in range(80)})
    rejected = count_status(emulator, 429)
    assert rejected >= 1
    assert client.transport.stats.rate_limited == rejected == client.snapshot()["rate_limited"]
    assert client.transport.limiter.limit == 4  # followed X-HubSpot-RateLimit-Max
    # It waited for the window instead of hammering: 429s at most one per worker.
    assert rejected <= 3 and elapsed < 20
    assert by_template(client.calls) == emulator_counts(emulator)


def test_healthy_run_learns_the_budget_from_headers_and_sees_no_429(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    emulator.admin.set_limits(per_10s=190)
    client = make_client(tier="free")  # starts at 100 per 10 s
    client.properties.list("contacts")
    assert client.transport.limiter.limit == 190
    for batch in batches_of(contacts(1000)):
        client.objects.batch_upsert("contacts", batch, "email")
    assert client.transport.stats.rate_limited == 0 and count_status(emulator, 429) == 0
    assert client.snapshot()["write_calls"] == 10


def test_503_and_423_bursts_are_retried(make_client: Any, emulator: EmulatorHandle) -> None:
    client = make_client()
    emulator.admin.add_fault(kind="status", status=503, count=2, method="POST", route=UPSERT)
    assert client.objects.batch_upsert("contacts", contacts(2), "email").ok
    emulator.admin.add_fault(kind="status", status=423, count=2, method="POST", route=UPSERT)
    assert client.objects.batch_upsert("contacts", contacts(2, start=2), "email").ok
    emulator.admin.add_fault(kind="status", status=502, count=1, method="POST", route=UPSERT)
    assert client.objects.batch_upsert("contacts", contacts(1, start=4), "email").ok
    assert client.transport.stats.retries == 5
    assert client.calls[f"POST {UPSERT}"] == 8
    assert len(emails(emulator)) == 5
    assert client.snapshot()["backoff_s"] >= 2 * 0.05  # the 423s waited locked_wait_s each


def test_retries_are_bounded(make_client: Any, emulator: EmulatorHandle) -> None:
    client = make_client(max_retries=2)
    emulator.admin.add_fault(kind="status", status=503, count=10, method="POST", route=UPSERT)
    with pytest.raises(HubSpotApiError) as caught:
        client.objects.batch_upsert("contacts", contacts(1), "email")
    assert caught.value.status == 503
    assert "POST /crm/v3/objects/contacts/batch/upsert failed with HTTP 503" in str(caught.value)
    assert client.calls[f"POST {UPSERT}"] == 3 and client.transport.stats.retries == 2


def test_hang_past_the_timeout_is_retried_for_upsert(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    client = make_client(timeout_s=0.5)
    emulator.admin.add_fault(kind="hang", seconds=1.2, count=1, method="POST", route=UPSERT)
    started = time.monotonic()
    outcome = client.objects.batch_upsert("contacts", contacts(1), "email")
    assert (
        outcome.ok and client.transport.stats.retries == 1 and client.calls[f"POST {UPSERT}"] == 2
    )
    assert 0.5 <= time.monotonic() - started < 1.2  # gave up on the hung call at the timeout
    time.sleep(0.8)  # past the hang: whatever became of the first attempt, one record
    assert emails(emulator) == Counter({"c0@moulin.test": 1})


def test_create_whose_answer_is_lost_is_not_retried(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    client = make_client(timeout_s=0.5)
    emulator.admin.add_fault(kind="drop_after_commit", count=1, method="POST", route=CREATE)
    with pytest.raises(HubSpotAmbiguousWrite, match=r"not retried.*reconcile") as caught:
        client.objects.batch_create("contacts", [{"properties": {"email": "once@moulin.test"}}])
    assert caught.value.endpoint == f"POST {CREATE}"
    assert client.calls[f"POST {CREATE}"] == 1 and client.transport.stats.retries == 0
    # HubSpot did commit it: the caller reconciles by its unique key.
    assert emails(emulator) == Counter({"once@moulin.test": 1})
    check = client.objects.batch_read("contacts", ["once@moulin.test"], "email", ["email"])
    assert len(check.results) == 1

    # Same for a timeout: HubSpot may still be working on it when the client gives up.
    emulator.admin.add_fault(kind="hang", seconds=0.8, count=1, method="POST", route=CREATE)
    with pytest.raises(HubSpotAmbiguousWrite, match="ReadTimeoutError"):
        client.objects.batch_create("contacts", [{"properties": {"email": "late@moulin.test"}}])
    assert client.calls[f"POST {CREATE}"] == 2 and client.transport.stats.retries == 0
    time.sleep(0.5)  # let the hung request finish here, not in the next test's budget


def test_upsert_whose_answer_is_lost_is_retried(make_client: Any, emulator: EmulatorHandle) -> None:
    client = make_client()
    emulator.admin.add_fault(kind="drop_after_commit", count=1, method="POST", route=UPSERT)
    outcome = client.objects.batch_upsert("contacts", contacts(1), "email")
    assert outcome.ok and client.transport.stats.retries == 1
    # The first attempt had created it; the retry found it.
    assert outcome.results[0].new is False
    assert emails(emulator) == Counter({"c0@moulin.test": 1})


def test_5xx_on_create_retried_only_when_refused(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    client = make_client()
    emulator.admin.add_fault(kind="status", status=503, count=1, method="POST", route=CREATE)
    created = client.objects.batch_create("contacts", [{"properties": {"email": "a@moulin.test"}}])
    assert created.ok and client.calls[f"POST {CREATE}"] == 2
    # A 504 may come after HubSpot applied the create: not retried.
    emulator.admin.add_fault(kind="status", status=504, count=1, method="POST", route=CREATE)
    with pytest.raises(HubSpotAmbiguousWrite) as caught:
        client.objects.batch_create("contacts", [{"properties": {"email": "b@moulin.test"}}])
    assert caught.value.status == 504 and client.calls[f"POST {CREATE}"] == 3


# =============================================================================== budgets, counts
def test_daily_guard_stops_before_the_reserve(make_client: Any, emulator: EmulatorHandle) -> None:
    emulator.admin.set_limits(daily=30)
    client = make_client(daily_reserve=5)
    with pytest.raises(DailyBudgetExhausted) as caught:
        for _ in range(100):
            client.objects.batch_read("contacts", ["1"], None, ["email"])
    error = caught.value
    assert (error.remaining, error.reserve, error.daily_limit) == (5, 5, 30)
    assert str(error) == (
        "HubSpot daily API budget nearly exhausted: 5 calls remain of 30 today, at or below "
        "the reserve of 5 kept for the portal's other integrations. Stopping cleanly now; "
        "the next run will continue where this one left off."
    )
    assert sum(client.calls.values()) == 25 == sum(emulator_counts(emulator).values())
    assert count_status(emulator, 429) == 0


def test_daily_limit_already_spent_raises_budget_exhausted(
    make_client: Any, emulator: EmulatorHandle
) -> None:
    emulator.admin.set_limits(daily=2)
    make_client().pipelines.list("deals")
    make_client().pipelines.list("deals")
    client = make_client()  # knows nothing yet: its first call meets HubSpot's DAILY 429
    with pytest.raises(DailyBudgetExhausted, match="0 calls remain of 2"):
        client.properties.list("contacts")
    assert client.transport.stats.rate_limited == 1 and client.transport.stats.retries == 0


def test_call_counts_match_the_emulator(make_client: Any, emulator: EmulatorHandle) -> None:
    client = make_client()
    emulator.admin.add_fault(kind="status", status=503, count=1, method="POST", route=UPSERT)
    ids = [r.id for r in client.objects.batch_upsert("contacts", contacts(3), "email").results]
    client.objects.batch_read("contacts", ids, None, ["email"])
    client.objects.batch_update("contacts", [{"id": ids[0], "properties": {"lastname": "X"}}])
    client.objects.get("contacts", ids[1], ["email"])
    client.objects.get("contacts", "123456789", ["email"])
    list(client.objects.search("contacts", [], ["email"]))
    client.properties.list("companies")
    client.pipelines.list("tickets")
    client.associations.read("contacts", "companies", ids)
    client.objects.batch_archive("contacts", ids[2:])
    snapshot = client.snapshot()
    assert by_template(client.calls) == emulator_counts(emulator)
    assert snapshot["calls_by_endpoint"]["POST /crm/v3/objects/contacts/batch/upsert"] == 2
    assert snapshot["calls_by_endpoint"]["GET /crm/v3/objects/contacts/{objectId}"] == 2
    assert snapshot["api_calls"] == 11 and snapshot["retries"] == 1
    # Writes: 2 upsert attempts, update, archive; search and batch/read are reads.
    assert (snapshot["write_calls"], snapshot["read_calls"]) == (4, 7)
    assert snapshot["daily_remaining"] == 625_000 - 10  # the 503 fault spent no budget


def test_wrong_token_is_a_clear_401(emulator: EmulatorHandle) -> None:
    client = HubSpotClient(emulator.base_url, TOKEN)
    with pytest.raises(HubSpotApiError) as caught:
        client.properties.list("contacts")
    assert caught.value.status == 401 and client.transport.stats.retries == 0
    assert "check HUBSPOT_ACCESS_TOKEN" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_resource_client_works_against_the_emulator(emulator: EmulatorHandle) -> None:
    resource = HubSpot(base_url=emulator.base_url, access_token=emulator.token, tier="enterprise")
    with contextlib.closing(resource.client()) as client:
        assert client.objects.batch_upsert("contacts", contacts(1), "email").ok
        assert client.transport.limiter.limit == 190 and client.transport.daily.limit == 625_000


def test_client_is_safe_to_share_between_threads(
    client: HubSpotClient, emulator: EmulatorHandle
) -> None:
    batches = list(batches_of(contacts(400), 50))
    errors: list[BaseException] = []

    def work(batch: list[dict[str, Any]]) -> None:
        try:
            client.objects.batch_upsert("contacts", batch, "email")
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(emails(emulator)) == 400
    assert client.calls[f"POST {UPSERT}"] == 8 == client.transport.stats.write_calls
