"""The client-side limiter, daily budget and backoff, on a fake clock (plus one real-thread run)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import pytest

from moulin_sync.hubspot.client.errors import DailyBudgetExhausted
from moulin_sync.hubspot.client.ratelimit import (
    PACE_CATCH_UP,
    DailyBudget,
    SlidingWindowLimiter,
    backoff_delay,
    tier_limits,
)


class FakeClock:
    """A monotonic clock that only moves when someone sleeps (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[], None] | None = None

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the limiter must never busy-loop with zero sleeps"
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


def run_calls(
    limiter: SlidingWindowLimiter, clock: FakeClock, n: int, latency: float = 0.0
) -> list[tuple[float, float]]:
    """Make `n` sequential calls of `latency` seconds each; return (sent, answered) times."""
    times = []
    for _ in range(n):
        slot = limiter.acquire()
        sent = clock.now
        clock.now += latency
        limiter.release(slot)
        times.append((sent, clock.now))
    return times


def max_in_any_window(times: list[tuple[float, float]], window: float) -> int:
    """The most calls the *server* could count in one rolling window.

    The server sees each call at some instant between its send and its answer; the worst
    case for a window ending at a send instant t counts every call answered after t - window.
    """
    slack = 1e-6  # float rounding of "sleep exactly until the oldest call expires"
    return max(
        sum(1 for s, done in times if s <= t and done > t - window + slack) for t, _ in times
    )


def efficiency(times: list[tuple[float, float]], limit: int, window: float) -> float:
    """Share of the allowed rate used: call k+limit may go `window` after call k, no later."""
    sends = [s for s, _ in times]
    gaps = [sends[k + limit] - sends[k] for k in range(len(sends) - limit)]
    return window / (sum(gaps) / len(gaps))


@pytest.mark.parametrize("latency", [0.0, 0.013])
def test_budget_respected_in_every_window(latency: float) -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(20, 1.0, clock=clock, sleep=clock.sleep)
    times = run_calls(limiter, clock, 200, latency)
    assert max_in_any_window(times, 1.0) <= 20


@pytest.mark.parametrize("latency", [0.0, 0.02])
def test_throughput_close_to_the_budget(latency: float) -> None:
    # 20 per second: the first 20 go at once, the other 180 need 9 windows.
    clock = FakeClock()
    limiter = SlidingWindowLimiter(20, 1.0, clock=clock, sleep=clock.sleep)
    times = run_calls(limiter, clock, 200, latency)
    used = efficiency(times, 20, 1.0)
    assert 0.95 <= used <= 1.0 + 1e-9, f"{used:.1%} of the allowed rate"


def test_professional_tier_runs_at_19_calls_per_second() -> None:
    clock = FakeClock()
    per_window = tier_limits("professional").per_window
    assert per_window == 190
    limiter = SlidingWindowLimiter(per_window, 10.0, clock=clock, sleep=clock.sleep)
    times = run_calls(limiter, clock, 1900, latency=0.005)
    assert max_in_any_window(times, 10.0) <= 190
    # N calls take about N/19 s (the first half window at once, then an even pace, the
    # window stalling once until the burst leaves it).
    elapsed = times[-1][0] - times[0][0]
    assert (1900 - 190) / 19 <= elapsed <= 1900 / 19 * 1.01
    assert efficiency(times, 190, 10.0) >= 0.95


def test_headers_reporting_fewer_remaining_slow_down() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(20, 1.0, clock=clock, sleep=clock.sleep)
    run_calls(limiter, clock, 5)
    # Another integration shares the token: the server has seen 18 calls, not our 5.
    limiter.observe(limit=20, remaining=2, window_s=None)
    assert limiter.in_window() == 18
    run_calls(limiter, clock, 2)
    assert clock.sleeps == []  # the two calls the server says remain go at once
    run_calls(limiter, clock, 1)
    assert clock.sleeps and clock.now >= 1001.0  # the next one waits for the window


def test_headers_lowering_max_shrinks_the_budget_and_window() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(190, 10.0, clock=clock, sleep=clock.sleep)
    run_calls(limiter, clock, 3)
    limiter.observe(limit=4, remaining=1, window_s=2.0)
    assert (limiter.limit, limiter.window_s) == (4, 2.0)
    times = run_calls(limiter, clock, 12)
    assert max_in_any_window(times, 2.0) <= 4


def test_headers_raising_max_are_followed_below_an_explicit_cap() -> None:
    clock = FakeClock()
    follows = SlidingWindowLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    follows.observe(limit=250, remaining=249, window_s=10_000 / 1000)
    assert follows.limit == 250  # e.g. an API limit increase pack
    capped = SlidingWindowLimiter(
        20, 1.0, clock=clock, sleep=clock.sleep, cap=20, fixed_window=True
    )
    capped.observe(limit=190, remaining=189, window_s=10.0)
    assert (capped.limit, capped.window_s) == (20, 1.0)
    assert capped.in_window() == 1  # 190-189: the server's count, not "190 minus our cap"


def test_saturate_waits_for_the_oldest_call_to_leave_the_window() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(10, 1.0, clock=clock, sleep=clock.sleep)
    run_calls(limiter, clock, 3)  # at t=1000.0
    clock.now += 0.4
    assert limiter.saturate() is True
    limiter.acquire()
    assert clock.now == pytest.approx(1001.0)  # the oldest real call expired; no longer


def test_saturate_without_a_known_limit_says_so() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(None, 10.0, clock=clock, sleep=clock.sleep)
    assert limiter.saturate() is False
    run_calls(limiter, clock, 500)
    assert clock.sleeps == []  # "unlimited" never waits


def test_pause_for_holds_every_caller_back() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(None, 10.0, clock=clock, sleep=clock.sleep)
    limiter.pause_for(3.0)
    limiter.acquire()
    assert clock.now == pytest.approx(1003.0)
    assert limiter.waited_s == pytest.approx(3.0)


def test_calls_in_flight_do_not_expire_until_answered() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, 1.0, clock=clock, sleep=clock.sleep, poll_s=0.05)
    fast = limiter.acquire()
    limiter.release(fast)
    slow = limiter.acquire()
    clock.now += 5.0  # far past the window, but `slow` is still in flight
    polls: list[float] = []

    def answer_slow_after_three_polls() -> None:
        polls.append(clock.now)
        if len(polls) == 3:
            limiter.release(slow)

    clock.on_sleep = answer_slow_after_three_polls
    limiter.acquire()
    # The freed slot was the fast one (it expired); the slow one blocked nothing more.
    assert polls == []
    limiter.acquire()
    assert len(polls) >= 3
    assert clock.now >= polls[2] + 1.0  # then its full window after the answer


def test_limiter_is_thread_safe() -> None:
    limiter = SlidingWindowLimiter(8, 0.25)
    log: list[tuple[float, float]] = []
    log_lock = threading.Lock()

    def worker() -> None:
        for _ in range(8):
            slot = limiter.acquire()
            sent = time.monotonic()
            time.sleep(0.002)
            # The answer is in before the limiter hears of it: a thread preempted between
            # `release` and the log would otherwise stretch the call past what was sent.
            answered = time.monotonic()
            limiter.release(slot)
            with log_lock:
                log.append((sent, answered))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(log) == 32
    assert max_in_any_window(sorted(log), 0.25) <= 8
    assert time.monotonic() - started >= (32 - 8) / 8 * 0.25 - 0.01


def test_daily_budget_refuses_the_reserve() -> None:
    budget = DailyBudget(625_000, reserve=None)
    assert budget.reserve == 6_250  # 1 % by default
    budget.take_one()  # nothing known yet: allowed
    budget.observe(daily=100, remaining=7)
    assert budget.reserve == 1  # 1 % of what the server reports
    for _ in range(6):
        budget.take_one()
    with pytest.raises(DailyBudgetExhausted) as caught:
        budget.take_one()
    message = str(caught.value)
    assert "1 calls remain of 100" in message
    assert "reserve of 1" in message
    assert "next run will continue" in message
    budget.observe(daily=100, remaining=100)  # a new day
    budget.take_one()


def test_explicit_reserve_and_exhausted_error() -> None:
    budget = DailyBudget(None, reserve=5)
    budget.observe(daily=None, remaining=5)
    with pytest.raises(DailyBudgetExhausted):
        budget.take_one()
    error = budget.exhausted()
    assert (error.remaining, error.reserve) == (0, 5)
    with pytest.raises(ValueError):
        DailyBudget(10, reserve=-1)


def test_backoff_bounds() -> None:
    rng = random.Random(7)
    for attempt in range(12):
        cap = min(8.0, 0.25 * 2**attempt)
        delays = [backoff_delay(attempt, base_s=0.25, max_s=8.0, rng=rng) for _ in range(200)]
        assert all(cap / 2 <= d <= cap for d in delays)
        assert max(delays) - min(delays) > cap / 10  # jittered, not fixed
    with pytest.raises(ValueError):
        backoff_delay(-1, base_s=1, max_s=2)


def test_tiers() -> None:
    assert tier_limits("Starter").per_window == 100
    assert tier_limits("enterprise").daily == 1_000_000
    assert tier_limits("unlimited").per_window is None
    with pytest.raises(ValueError, match="unknown HubSpot tier"):
        tier_limits("gold")


def test_phantoms_go_as_the_server_window_drains() -> None:
    """A new client (the next step) finds the window full of the previous step's calls:
    it waits only until the server says they expired, not a whole window after it
    first heard of them."""
    clock = FakeClock()
    limiter = SlidingWindowLimiter(190, 10.0, clock=clock, sleep=clock.sleep)
    run_calls(limiter, clock, 1)
    limiter.observe(limit=190, remaining=0, window_s=10.0)  # 189 calls that are not ours
    assert limiter.in_window() == 190
    clock.now += 0.5
    # Half a second on, the server's oldest entries expired: 150 of its 190 are left,
    # our one call among them.
    limiter.observe(limit=190, remaining=40, window_s=10.0)
    assert limiter.in_window() == 150
    run_calls(limiter, clock, 40)
    assert clock.sleeps == []  # the 40 calls the server says remain go at once
    # The server's count rising again brings phantoms back (another integration).
    limiter.observe(limit=190, remaining=0, window_s=10.0)
    assert limiter.in_window() == 190


def test_a_new_limiter_sends_one_call_until_the_first_answer() -> None:
    """A step's fresh client cannot know how full the server's window is after the
    previous step: its first call goes alone, the others wait for that answer."""
    clock = FakeClock()
    limiter = SlidingWindowLimiter(190, 10.0, clock=clock, sleep=clock.sleep, poll_s=0.01)
    first = limiter.acquire()
    polls: list[float] = []

    def answer_after_two_polls() -> None:
        polls.append(clock.now)
        if len(polls) == 2:
            limiter.release(first)
            # The answer says the previous step's calls fill the window but for one.
            limiter.observe(limit=190, remaining=1, window_s=10.0)

    clock.on_sleep = answer_after_two_polls
    limiter.acquire()
    assert len(polls) == 2, "the second call waited for the first answer"
    clock.on_sleep = None
    third = limiter.acquire  # the window is full now: this one waits for it to drain
    started = clock.now
    third()
    assert clock.now >= started + 5.0


def test_an_older_answer_never_overrides_a_newer_one() -> None:
    """Answers of calls in flight together arrive in any order: the window count of the
    call sent first is older, and must not lower the count a later call reported."""
    clock = FakeClock()
    limiter = SlidingWindowLimiter(20, 1.0, clock=clock, sleep=clock.sleep)
    limiter.release(limiter.acquire())  # a first answer: calls may overlap from now on
    first = limiter.acquire()
    clock.now += 0.001
    second = limiter.acquire()
    limiter.release(second)
    limiter.observe(limit=20, remaining=0, sent=second.sent)  # the newer count: window full
    limiter.release(first)
    limiter.observe(limit=20, remaining=5, sent=first.sent)  # the older count, late
    assert limiter.in_window() >= 20
    started = clock.now
    limiter.acquire()
    assert clock.now > started, "the next call waits for the window to drain"


def test_calls_in_flight_are_not_taken_for_someone_elses() -> None:
    """At the limit, several calls are in flight when an answer reports the server's count:
    those that left before it are in that count and in the log already, not phantoms
    (counted twice, they held a few slots of every window: ×1.05 the floor at 6 in flight)."""
    clock = FakeClock()
    limiter = SlidingWindowLimiter(10, 1.0, clock=clock, sleep=clock.sleep)
    first = limiter.acquire()
    limiter.release(first)
    limiter.observe(limit=10, remaining=9, sent=first.sent)
    in_flight = []
    for _ in range(3):
        clock.now += 0.001
        in_flight.append(limiter.acquire())
    last = in_flight.pop()
    limiter.release(last)  # answered first, though sent last: the server counted all four
    limiter.observe(limit=10, remaining=6, sent=last.sent)
    assert limiter.in_window() == 4
    # A count from someone else's calls still makes phantoms.
    limiter.observe(limit=10, remaining=4, sent=last.sent)
    assert limiter.in_window() == 6


def test_past_half_the_window_calls_leave_at_an_even_pace() -> None:
    """A short run goes at once; a long one, past half the window, one call every
    window ÷ limit — not in clumps as slots come free."""
    clock = FakeClock()
    limiter = SlidingWindowLimiter(20, 1.0, clock=clock, sleep=clock.sleep)
    times = run_calls(limiter, clock, 10, latency=0.001)
    assert times[-1][0] - times[0][0] < 0.02, "half a window goes at once"
    times = run_calls(limiter, clock, 100, latency=0.001)
    sends = [sent for sent, _ in times]
    # One call every 0.05 s, a wait of the window aside (the first half window leaving
    # it) and the calls caught up after it (a quarter of a window's: 5): never the
    # clump of ten that the first half window makes each window again when slots are
    # taken as they come free.
    caught_up = 20 // PACE_CATCH_UP
    assert max(sum(1 for t in sends if s <= t < s + 0.1) for s in sends) <= caught_up + 3
    assert 100 / 20 - 0.1 <= sends[-1] - sends[0] <= 100 / 20 + 0.3
    assert max_in_any_window(times, 1.0) <= 20


def test_calls_the_workers_were_too_busy_to_send_are_caught_up() -> None:
    """The pace is kept on its own schedule: a caller late by a few calls' time sends
    those at once (up to a quarter of a window's), and a sleep's overshoot is not
    carried over to the calls after it."""
    clock = FakeClock()
    limiter = SlidingWindowLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    run_calls(limiter, clock, 60)  # past half the window: 0.1 s a call from here
    clock.now += 0.35  # the workers were busy for three and a half calls' time
    started = clock.now
    run_calls(limiter, clock, 3)
    assert clock.now == started, "the three calls missed go at once"
    run_calls(limiter, clock, 1)
    assert clock.now - started == pytest.approx(0.05), "then the pace again"
    clock.now += 5.0  # away for long: the last quarter window's calls, not fifty
    started = clock.now
    caught_up = 100 // PACE_CATCH_UP
    run_calls(limiter, clock, caught_up + 11)
    assert clock.now - started == pytest.approx(1.0)
