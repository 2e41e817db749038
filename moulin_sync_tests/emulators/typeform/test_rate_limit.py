"""2 requests per second per account as a token bucket: the bursts real clients make pass
(Airbyte's source pages back to back and fails on a 429; the SDK waits 500 ms a page), a
sustained flow above 2 per second gets Typeform's 429."""

from __future__ import annotations

import httpx

from moulin_sync.emulators.toolkit import Call
from moulin_sync.emulators.typeform.limiter import DEFAULT_BURST, DEFAULT_RATE, TypeformLimiter
from moulin_sync.testing.emulator import EmulatorProcess

from .helpers import error

CALL = Call("GET", "/forms/f/responses", "/forms/{form_id}/responses", "", False)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(limiter: TypeformLimiter, clock: FakeClock, interval: float, requests: int) -> int:
    """Send `requests` calls `interval` seconds apart; the number refused."""
    refused = 0
    for _ in range(requests):
        refused += limiter.acquire(CALL) is not None
        clock.now += interval
    return refused


def test_typeforms_published_rate_is_the_default() -> None:
    assert (DEFAULT_RATE, DEFAULT_BURST) == (2.0, 20.0)


def test_airbytes_back_to_back_sync_of_a_form_passes() -> None:
    """Airbyte's source: the form, 15,000 responses in 1,000s, the empty last page, then the
    webhooks, workspaces, images and themes streams — 21 calls, each sent when the last
    answer arrives (50 ms apart here: the emulator answers fast)."""
    clock = FakeClock()
    assert run(TypeformLimiter(clock=clock), clock, interval=0.05, requests=21) == 0


def test_the_sdks_auto_paging_at_500_ms_a_page_never_waits() -> None:
    clock = FakeClock()
    limiter = TypeformLimiter(clock=clock)
    assert run(limiter, clock, interval=0.0, requests=20) == 0  # the burst spent...
    clock.now += 0.5  # the SDK waits before each page after the first
    assert run(limiter, clock, interval=0.5, requests=500) == 0  # ...2 a second still pass
    assert run(limiter, clock, interval=0.4, requests=20) > 0  # but not 2.5 a second


def test_a_sustained_flow_above_2_a_second_gets_429s() -> None:
    clock = FakeClock()
    # 3 a second for a minute: the burst and 2 a second pass, the rest is refused.
    refused = run(TypeformLimiter(clock=clock), clock, interval=1 / 3, requests=180)
    assert 35 <= refused <= 41
    clock = FakeClock()
    assert run(TypeformLimiter(clock=clock), clock, interval=0.0, requests=100) == 80


def test_429_over_http_with_typeforms_body_and_retry_after(
    tf: EmulatorProcess, api: httpx.Client, form: str
) -> None:
    api.post("/_emulator/settings", json={"rate": 2, "burst": 20}).raise_for_status()
    answers = [api.get(f"/forms/{form}/responses") for _ in range(30)]
    statuses = [a.status_code for a in answers]
    assert statuses[:20] == [200] * 20 and statuses.count(429) >= 8
    refused = next(a for a in answers if a.status_code == 429)
    body = error(refused, 429)
    assert body["code"] == "TOO_MANY_REQUESTS" and "2 requests per second" in body["description"]
    assert refused.headers["retry-after"] == "1"
    assert tf.admin.count("GET", "/forms/{form_id}/responses", 429) == statuses.count(429)
    assert api.get("/_emulator/state").status_code == 200  # admin calls: never limited
    tf.admin.reset()  # fresh counters
    api.post(f"/_emulator/forms/{form}", json={"fields": []}).raise_for_status()
    assert api.get(f"/forms/{form}/responses").status_code == 200
