"""Launching `refresh_customer` runs for the button: one at a time per customer, fast.

Each press becomes a run of the `refresh_customer` job on the Dagster instance of
DAGSTER_HOME, listed in the UI under the job like any other. Runs execute in a pool of
worker processes started once with moulin-sync's definitions loaded, so a press pays the
refresh's own HubSpot calls, not Python's and Dagster's start-up. A press for a customer
whose refresh is running — here or launched from the UI — answers that run; so does one
within a minute after it succeeded: ten presses in a minute make one refresh.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from moulin_sync.defs.hubspot.refresh import CUSTOMER_TAG
from moulin_sync.runs.failures import failure_reason
from moulin_sync.runs.launch import InProcessJob, quiet_dagster
from moulin_sync.runs.statuses import IN_PROGRESS

JOB = "refresh_customer"
OP = "refresh_one_customer"
COOLDOWN_S = 60.0
STATUS_WORDS = {
    DagsterRunStatus.QUEUED: "queued",
    DagsterRunStatus.NOT_STARTED: "queued",
    DagsterRunStatus.STARTING: "running",
    DagsterRunStatus.STARTED: "running",
    DagsterRunStatus.SUCCESS: "succeeded",
    DagsterRunStatus.FAILURE: "failed",
    DagsterRunStatus.CANCELING: "failed",
    DagsterRunStatus.CANCELED: "failed",
}
RUN_CONFIG = {
    "loggers": {"console": {"config": {"log_level": "WARNING"}}},
}


_worker: dict[str, Any] = {}


def _warm_worker() -> None:
    """Load the definitions and open the instance once per worker process."""
    quiet_dagster()
    _worker["job"] = InProcessJob.load(JOB)
    _worker["instance"] = DagsterInstance.get()


def _execute(run_id: str) -> str:
    """Run the created run `run_id` to its end, in this worker; its final status."""
    if not _worker:
        _warm_worker()
    job: InProcessJob = _worker["job"]
    instance: DagsterInstance = _worker["instance"]
    run = instance.get_run_by_id(run_id)
    assert run is not None, f"run {run_id} is not in the instance"
    for _ in job.execute(run, instance):
        pass
    done = instance.get_run_by_id(run_id)
    return done.status.value if done is not None else "FAILURE"


@dataclass
class Press:
    """A refresh run answering presses: the run id, and its future when ours."""

    customer_id: str
    run_id: str
    future: Future | None
    launched: bool  # False: this press joined a run already under way (or just done)
    finished_at: float | None = None  # time.monotonic() when the run ended

    def finished_s_ago(self) -> int | None:
        """For a press that joined a refresh already done: how long ago it ended, in
        whole seconds. None for a press that launched its run or joined a running one."""
        if self.launched or self.finished_at is None:
            return None
        return int(time.monotonic() - self.finished_at)


class RefreshLauncher:
    def __init__(
        self, instance: DagsterInstance, workers: int = 4, cooldown_s: float = COOLDOWN_S
    ) -> None:
        quiet_dagster()
        self.instance = instance
        self.cooldown_s = cooldown_s
        self._job = InProcessJob.load(JOB)
        # Spawned, not forked: each worker reads the settings and opens the instance
        # afresh, and inherits no thread of the server's.
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_warm_worker)
        self._lock = threading.Lock()
        self._presses: dict[str, Press] = {}

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def warm(self) -> None:
        """Start every worker now, so the first presses do not wait for them."""
        list(self.pool.map(_noop, range(self.pool._max_workers)))

    def press(self, customer_id: str, config: dict[str, Any]) -> Press:
        with self._lock:
            current = self._presses.get(customer_id)
            if current is not None and self._still_answers(current):
                return Press(
                    customer_id,
                    current.run_id,
                    current.future,
                    launched=False,
                    finished_at=current.finished_at,
                )
            elsewhere = self._running_elsewhere(customer_id)
            if elsewhere is not None:
                return Press(customer_id, elsewhere, None, launched=False)
            run = self._job.create_run(
                self.instance,
                run_config={**RUN_CONFIG, "ops": {OP: {"config": config}}},
                tags={CUSTOMER_TAG: customer_id, "moulin/started_by": "refresh-button"},
            )
            press = Press(customer_id, run.run_id, self.pool.submit(_execute, run.run_id), True)
            press.future.add_done_callback(
                lambda _: setattr(press, "finished_at", time.monotonic())
            )  # type: ignore[union-attr]
            self._presses[customer_id] = press
            return press

    def _still_answers(self, press: Press) -> bool:
        if press.future is None or not press.future.done():
            return True
        succeeded = press.future.exception() is None and press.future.result() == "SUCCESS"
        recent = (
            press.finished_at is not None and time.monotonic() - press.finished_at < self.cooldown_s
        )
        return succeeded and recent

    def _running_elsewhere(self, customer_id: str) -> str | None:
        """A refresh of this customer under way that this service did not launch."""
        records = self.instance.get_run_records(
            RunsFilter(job_name=JOB, tags={CUSTOMER_TAG: customer_id}, statuses=list(IN_PROGRESS)),
            limit=1,
        )
        return records[0].dagster_run.run_id if records else None

    def wait(self, press: Press, timeout_s: float) -> dict[str, Any]:
        """The run's status after at most `timeout_s` (its outcome when done)."""
        deadline = time.monotonic() + timeout_s
        if press.future is not None:
            # A run that failed or is still going: the status below says which.
            with contextlib.suppress(Exception):
                press.future.result(timeout=timeout_s)
        while self.status(press.run_id)["status"] in ("queued", "running"):
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        return self.status(press.run_id)

    def status(self, run_id: str) -> dict[str, Any]:
        """{runId, status, outcome, error} of a refresh run, from the instance."""
        run = self.instance.get_run_by_id(run_id)
        if run is None or run.job_name != JOB:
            return {"runId": run_id, "status": "unknown", "outcome": None, "error": None}
        status = STATUS_WORDS.get(run.status, "running")
        outcome = error = None
        if status == "succeeded":
            for record in self.instance.get_records_for_run(
                run_id, of_type=DagsterEventType.STEP_OUTPUT
            ).records:
                metadata = record.event_log_entry.dagster_event.event_specific_data.metadata
                if "outcome" in metadata:
                    outcome = metadata["outcome"].value
        elif status == "failed":
            error = self._failure(run_id)
        return {"runId": run_id, "status": status, "outcome": outcome, "error": error}

    def _failure(self, run_id: str) -> str:
        for kind in (DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE):
            records = self.instance.get_records_for_run(run_id, of_type=kind).records
            if records:
                return failure_reason(records[0].event_log_entry.dagster_event)
        return "the refresh run failed"


def _noop(_: int) -> None:
    return None
