"""Clients of one portal in one run pace as one (hubspot/client/pacing.py): on a fake
clock, against the emulator's own limits, and through the Dagster resource."""

import itertools
from typing import Any

import dagster as dg
import pytest
from dagster import AssetExecutionContext

from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.hubspot.client.pacing import forget_pacing
from moulin_sync.hubspot.client.transport import Transport
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync_tests.hubspot.test_ratelimit import FakeClock, max_in_any_window

URL = "http://hubspot.invalid"
TOKEN = "pat-na1-shared-pacing"
FILTER = [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}]
_scopes = itertools.count()


def fresh_scope() -> str:
    """A run no other test's clients pace in."""
    return f"run-{next(_scopes)}"


def test_the_transports_of_a_portal_in_a_run_share_its_limits() -> None:
    run = fresh_scope()
    first = Transport(URL, TOKEN, pacing_scope=run)
    second = Transport(URL + "/", TOKEN, pacing_scope=run)
    assert first.limiter is second.limiter
    assert first.search_limiter is second.search_limiter
    assert first.daily is second.daily
    # Another token (another private app), other options, another run, or no run: apart.
    assert Transport(URL, "pat-other", pacing_scope=run).limiter is not first.limiter
    assert Transport(URL, TOKEN, pacing_scope=run, rate_limit=50).limiter is not first.limiter
    assert Transport(URL, TOKEN, pacing_scope=fresh_scope()).limiter is not first.limiter
    assert Transport(URL, TOKEN).limiter is not first.limiter
    # Once the run ended, a client of the same scope starts a pacing anew.
    forget_pacing(run)
    assert Transport(URL, TOKEN, pacing_scope=run).limiter is not first.limiter


def test_two_clients_of_a_portal_never_exceed_the_window_together() -> None:
    clock = FakeClock()
    run = fresh_scope()
    clients = [
        Transport(URL, TOKEN, pacing_scope=run, clock=clock, sleep=clock.sleep) for _ in range(2)
    ]
    times = []
    # One step's client fills the window; the next step's takes turns with it at once.
    for limiter in [clients[0].limiter] * 190 + [clients[1].limiter, clients[0].limiter] * 60:
        slot = limiter.acquire()
        sent = clock.now
        clock.now += 0.05
        limiter.release(slot)
        times.append((sent, clock.now))
    assert max_in_any_window(times, 10.0) <= 190
    # The second client's first call waited for the window; then both went on at its pace.
    assert times[190][0] == pytest.approx(times[0][1] + 10.0)
    assert times[-1][0] == pytest.approx(times[119][1] + 10.0)


def test_a_step_starts_with_the_windows_room_not_from_cold() -> None:
    clock = FakeClock()
    run = fresh_scope()

    def transport() -> Transport:
        return Transport(URL, TOKEN, pacing_scope=run, clock=clock, sleep=clock.sleep)

    earlier = transport().limiter
    for _ in range(100):
        earlier.release(earlier.acquire())
    # A new step's client: its calls leave at once, in flight together, no first call
    # alone; past half the window (the earlier step's calls count), at an even pace
    # (0.053 s apart): 90 calls in 4.7 s, not a window's wait before them.
    limiter = transport().limiter
    started = clock.now
    for _ in range(90):
        limiter.acquire()
    assert limiter.in_window() == 190
    assert 89 * 10 / 190 - 0.01 <= clock.now - started <= 90 * 10 / 190 + 0.01


def test_a_clients_counters_hold_its_own_waits(make_client: Any) -> None:
    run = fresh_scope()
    first, second = (
        make_client(pacing_scope=run, rate_limit=1, rate_window_s=1.0) for _ in range(2)
    )
    first.properties.list("contacts")
    assert first.snapshot()["throttled_s"] < 0.5
    second.properties.list("contacts")
    assert second.snapshot()["throttled_s"] > 0.5  # the window the first client filled
    assert first.snapshot()["throttled_s"] < 0.5


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "apart"])
def test_the_searches_of_every_check_share_five_a_second(
    make_client: Any, emulator: EmulatorHandle, shared: bool
) -> None:
    # Two checks one after the other, each with its client, five searches each at once.
    run = fresh_scope() if shared else None
    emulator.admin.reset_stats()
    for check in (make_client(pacing_scope=run), make_client(pacing_scope=run)):
        for _ in range(5):
            check.objects.search_total("contacts", FILTER)
    refused = sum(row["count"] for row in emulator.admin.stats() if row["status"] == 429)
    # Pacing alone, the second check's first search was the sixth within a second.
    assert (refused == 0) is shared


def test_the_steps_of_a_run_pace_as_one_and_runs_apart(emulator: EmulatorHandle) -> None:
    seen: dict[str, list[Any]] = {}

    def step(name: str) -> Any:
        @dg.asset(name=name)
        def uses_hubspot(context: AssetExecutionContext, hubspot: HubSpot) -> None:
            limiter = hubspot.client().transport.search_limiter
            seen.setdefault(context.run_id, []).append(limiter)

        return uses_hubspot

    hubspot = HubSpot(base_url=emulator.base_url, access_token=emulator.token)
    for _ in range(2):
        assert dg.materialize([step("first"), step("second")], resources={"hubspot": hubspot})
    (one, other) = seen.values()
    assert one[0] is one[1] and other[0] is other[1]
    assert one[0] is not other[0]
