"""Syncer._in_flight: several batches wait for HubSpot at once, in order, and stop on a failure."""

import threading
import time

import pytest

from moulin_sync.hubspot.client.errors import DailyBudgetExhausted
from moulin_sync.hubspot.sync import Syncer


class _Client:
    def __init__(self, max_in_flight: int) -> None:
        self.max_in_flight = max_in_flight


def _syncer(max_in_flight: int, log: list[tuple[str, str]] | None = None) -> Syncer:
    def remember(message: str) -> None:
        if log is not None:
            log.append((threading.current_thread().name, message))

    return Syncer(_Client(max_in_flight), None, "deals", ("dealname",), log=remember)  # type: ignore[arg-type]


def test_batches_overlap_up_to_the_limit_and_results_keep_their_order() -> None:
    syncer = _syncer(3)
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

    assert syncer._in_flight(work, range(12)) == [i * 10 for i in range(12)]
    assert most == 3


def test_one_batch_at_a_time_when_the_client_says_so() -> None:
    threads: set[str] = set()
    results = _syncer(1)._in_flight(lambda i: threads.add(threading.current_thread().name), [1, 2])
    assert results == [None, None]
    assert threads == {threading.current_thread().name}


def test_a_failure_stops_new_batches_and_is_raised_once_the_running_ones_end() -> None:
    syncer = _syncer(2)
    started: list[int] = []

    def work(item: int) -> None:
        started.append(item)
        time.sleep(0.01)
        if item == 3:
            raise DailyBudgetExhausted(0, 0, 100)

    with pytest.raises(DailyBudgetExhausted):
        syncer._in_flight(work, range(50))
    # Batch 3 failed: at most the one running beside it, and the one started while it
    # was failing, came after it.
    assert max(started) <= 3 + 2
    assert len(started) < 50


def test_messages_of_worker_threads_are_logged_by_the_caller() -> None:
    log: list[tuple[str, str]] = []
    syncer = _syncer(4, log)
    syncer._in_flight(lambda i: syncer.log(f"batch {i}"), range(8))
    assert sorted(message for _, message in log) == sorted(f"batch {i}" for i in range(8))
    assert {thread for thread, _ in log} == {threading.current_thread().name}
