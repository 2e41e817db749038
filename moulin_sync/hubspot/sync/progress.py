"""How far a stream's write has come, said while it runs.

The write step logs each report (the run's logs in the UI show it); a command running
the job in its own process listens on the `moulin_sync.progress` logger and draws it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

PROGRESS = logging.getLogger("moulin_sync.progress")
EVERY_S = 1.0  # at most one report a second per stream, and the last one


@dataclass(frozen=True)
class WriteProgress:
    stream: str
    done: int  # planned records written, refused or erased so far
    planned: int
    calls: int  # HubSpot calls made by the step so far
    rate_limited: int  # 429s answered so far (each waited for, then retried)
    throttled_s: float  # time spent waiting for our own rate limiter

    def line(self) -> str:
        return (
            f"{self.stream}: {self.done:,} of {self.planned:,} records written · "
            f"{self.calls:,} calls · {self.rate_limited:,} × 429 · "
            f"waited {self.throttled_s:,.1f} s for the rate limit"
        )


Snapshot = Callable[[], dict]
Report = Callable[[WriteProgress], None]


class ProgressMeter:
    """Counts a write's finished records and reports at most every EVERY_S seconds."""

    def __init__(self, stream: str, snapshot: Snapshot, report: Report) -> None:
        self.stream, self.planned = stream, 0
        self._snapshot, self._report = snapshot, report
        self._done = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def start(self, planned: int) -> None:
        self.planned = planned
        self._emit()

    def advance(self, n: int) -> None:
        with self._lock:
            self._done += n
            due = time.monotonic() - self._last >= EVERY_S
        if due:
            self._emit()

    def finish(self) -> None:
        self._emit()

    def _emit(self) -> None:
        counters = self._snapshot()
        with self._lock:
            self._last = time.monotonic()
            progress = WriteProgress(
                self.stream,
                min(self._done, self.planned),
                self.planned,
                counters["api_calls"],
                counters["rate_limited"],
                counters["throttled_s"],
            )
        self._report(progress)


def log_progress(log: Callable[[str], None]) -> Report:
    """Report to the step's log and to the `moulin_sync.progress` logger."""

    def report(progress: WriteProgress) -> None:
        log(progress.line())
        PROGRESS.info(progress.line(), extra={"progress": progress})

    return report
