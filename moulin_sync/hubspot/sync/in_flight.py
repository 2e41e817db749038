"""Batches that wait for HubSpot at the same time.

HubSpot takes a few hundred milliseconds per batch: one at a time, a sync would spend
most of the rate limit waiting for answers. Order does not matter between batches, and
each is replay-safe on its own; the client's limiter paces them all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class InFlight:
    """Runs work items at most `width` at once, from the thread that made it."""

    def __init__(self, width: int, name: str = "hubspot") -> None:
        self.width = max(1, width)
        self.name = name
        self._owner = threading.current_thread()

    def map(self, work: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`work(item)` for each item; their results, in order. The first failure (the
        daily limit, say) stops new work and is raised once the running ones are done.
        Called from one of its own workers, it runs the items one after the other."""
        items = list(items)
        width = min(self.width, len(items))
        if width <= 1 or threading.current_thread() is not self._owner:
            return [work(item) for item in items]
        futures: list[Future[R]] = []
        running: set[Future[R]] = set()
        error: BaseException | None = None
        with ThreadPoolExecutor(width, thread_name_prefix=self.name) as pool:
            for item in items:
                if len(running) >= width:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    error = next((f.exception() for f in done if f.exception()), None)
                    if error is not None:
                        break
                future = pool.submit(work, item)
                futures.append(future)
                running.add(future)
            wait(running)
        error = error or next((f.exception() for f in futures if f.exception()), None)
        if error is not None:
            raise error
        return [f.result() for f in futures]
