"""The progress a person sees while `moulin-sync sync` or `make demo` runs: each step as
it starts and ends, and for each HubSpot write the records done out of planned, the
calls made and the rate-limit waits.

On a terminal, rich draws it live; piped, each finished step is one plain line (numbers
whole, nothing redrawn).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from moulin_sync.cli.runner import RunView
from moulin_sync.hubspot.sync.progress import PROGRESS, WriteProgress

if TYPE_CHECKING:
    from dagster import DagsterEvent


def _asset_of(step_key: str) -> str:
    """`hubspot__deals` → `hubspot/deals`; a check's step keeps its name."""
    return step_key.replace("__", "/")


class _Listener(logging.Handler):
    def __init__(self, view: SyncProgress) -> None:
        super().__init__(logging.INFO)
        self.view = view

    def emit(self, record: logging.LogRecord) -> None:
        progress = getattr(record, "progress", None)
        if isinstance(progress, WriteProgress):
            self.view.write_progress(progress)


class SyncProgress(RunView):
    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console,
            disable=not self.live,
        )
        self.steps: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}
        self.writes: dict[str, str] = {}  # stream → step key of its write
        self.last: dict[str, WriteProgress] = {}  # step key → its write's last report
        self.listener = _Listener(self)

    def __enter__(self) -> SyncProgress:
        PROGRESS.addHandler(self.listener)
        PROGRESS.setLevel(logging.INFO)
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()
        PROGRESS.removeHandler(self.listener)

    def event(self, event: DagsterEvent) -> None:
        step = event.step_key
        if step is None:
            return
        if event.is_step_start:
            self.started[step] = time.monotonic()
            self.steps[step] = self.bars.add_task(_asset_of(step), total=None, detail="")
            if step.startswith("hubspot__"):
                self.writes[step.removeprefix("hubspot__")] = step
        elif event.is_step_success or event.is_step_failure:
            self._finished(step, "done" if event.is_step_success else "FAILED")

    def write_progress(self, progress: WriteProgress) -> None:
        step = self.writes.get(progress.stream)
        if step is None or step not in self.steps:
            return
        detail = (
            f"{progress.calls:,} calls · {progress.rate_limited:,} × 429 · "
            f"waited {progress.throttled_s:,.1f} s"
        )
        self.bars.update(
            self.steps[step], total=progress.planned, completed=progress.done, detail=detail
        )
        self.last[step] = progress

    def _finished(self, step: str, outcome: str) -> None:
        seconds = time.monotonic() - self.started.get(step, time.monotonic())
        task = self.steps.get(step)
        if task is not None:
            total = self.bars.tasks[task].total
            self.bars.update(task, total=total or 1, completed=total or 1)
            detail = self.bars.tasks[task].fields.get("detail", "")
            self.bars.update(task, detail=f"{outcome} in {seconds:,.1f} s {detail}".rstrip())
        if self.live:
            return
        lines = [f"  {outcome:>6}  {_asset_of(step)} ({seconds:,.1f} s)"]
        write = self.last.get(step)
        if write is not None:
            lines.append(
                f"          {write.done:,} of {write.planned:,} records written, "
                f"{write.calls:,} calls, {write.rate_limited:,} × 429"
            )
        self.console.out("\n".join(lines), highlight=False)
