"""The progress bar on stderr, and `batches`, which cuts row streams into what it counts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from itertools import islice
from types import TracebackType
from typing import Any, TypeVar

from moulin_sync.demo_data.world import ORDER_CHUNK

_Item = TypeVar("_Item")


class ProgressBar(AbstractContextManager["ProgressBar"]):
    """A rich progress bar on stderr, one task per phase, or nothing."""

    def __init__(self, enabled: bool) -> None:
        self._progress: Any = None
        if enabled:
            # Imported only when shown: tests and benches run without a bar.
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description:<28}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
        self._task: Any = None

    def __enter__(self) -> ProgressBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def phase(self, description: str, total: int) -> None:
        """Complete the current task and start the next one."""
        if self._progress is not None:
            self.done()
            self._task = self._progress.add_task(description, total=max(total, 1))

    def advance(self, amount: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, amount)

    def done(self) -> None:
        """Show the current task as complete."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)


def batches(items: Iterable[_Item], progress: ProgressBar) -> Iterator[list[_Item]]:
    """`items` in lists of ORDER_CHUNK, counted on `progress` once each is consumed."""
    iterator = iter(items)
    while batch := list(islice(iterator, ORDER_CHUNK)):
        yield batch
        progress.advance(len(batch))
