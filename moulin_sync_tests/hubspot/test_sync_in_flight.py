"""InFlight: several batches wait for HubSpot at once, in order, and stop on a failure."""

import threading
import time

import pytest

from moulin_sync.hubspot.client.errors import DailyBudgetExhausted
from moulin_sync.hubspot.sync.in_flight import InFlight


def test_batches_overlap_up_to_the_limit_and_results_keep_their_order() -> None:
    lock = threading.Lock()
    running, most = 0, 0

    def work(item: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # an answer on its way
        with lock:
            running -= 1
        return item * 10

    assert InFlight(3).map(work, range(12)) == [i * 10 for i in range(12)]
    assert most == 3


def test_one_batch_at_a_time_when_the_client_says_so() -> None:
    threads: set[str] = set()
    results = InFlight(1).map(lambda i: threads.add(threading.current_thread().name), [1, 2])
    assert results == [None, None]
    assert threads == {threading.current_thread().name}


def test_a_failure_stops_new_batches_and_is_raised_once_the_running_ones_end() -> None:
    started: list[int] = []

    def work(item: int) -> None:
        started.append(item)
        time.sleep(0.01)
        if item == 3:
            raise DailyBudgetExhausted(0, 0, 100)

    with pytest.raises(DailyBudgetExhausted):
        InFlight(2).map(work, range(50))
    # Batch 3 failed: at most the one running beside it, and the one started while it
    # was failing, came after it.
    assert max(started) <= 3 + 2
    assert len(started) < 50


def test_work_started_by_a_worker_runs_in_that_worker() -> None:
    """A batch that needs more calls (reads by email for one conflict) makes them itself,
    one after the other, instead of opening a pool inside the pool."""
    pool = InFlight(4)
    seen: list[set[str]] = []

    def batch(item: int) -> int:
        inner: set[str] = set()
        pool.map(lambda _: inner.add(threading.current_thread().name), range(3))
        seen.append(inner | {threading.current_thread().name})
        return item

    assert pool.map(batch, range(8)) == list(range(8))
    assert all(len(names) == 1 for names in seen)
