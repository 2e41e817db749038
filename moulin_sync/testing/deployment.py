"""A `moulin-sync up` deployment for tests: started as the operator starts it, driven
through the webserver's GraphQL API, stopped with `moulin-sync down`.

    with running_deployment(root, env, cwd=repo) as deployment:
        run = deployment.wait_for(lambda: deployment.runs(tags), "a run", timeout=150)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from moulin_sync.testing.hubspot_emulator import free_port

T = TypeVar("T")
LOCATION = {"repositoryLocationName": "moulin_sync", "repositoryName": "__repository__"}
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
LOG_TAIL_CHARS = 6000

RUNS = """query($filter: RunsFilter) { runsOrError(filter: $filter) {
  __typename ... on Runs { results { runId status startTime endTime tags { key value } } }
  ... on PythonError { message } } }"""
SCHEDULES = """query($repo: RepositorySelector!) { schedulesOrError(repositorySelector: $repo) {
  __typename ... on Schedules { results { name id scheduleState { status } } } } }"""
STOP_SCHEDULE = """mutation($id: String!) { stopRunningSchedule(id: $id) { __typename
  ... on ScheduleStateResult { scheduleState { status } } ... on Error { message } } }"""
LAUNCH_RUN = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on Error { message } } }"""
LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) { __typename
    ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }"""
BACKFILL = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { status } ... on Error { message } } }"""
SENSOR_TICKS = """query($selector: SensorSelector!, $limit: Int) {
  sensorOrError(sensorSelector: $selector) { __typename ... on Sensor { sensorState {
    status ticks(limit: $limit) { id status timestamp skipReason runIds } } } } }"""
LOGS = """query($runId: ID!, $after: String) { logsForRun(runId: $runId, afterCursor: $after) {
  __typename ... on EventConnection { cursor hasMore events { __typename
    ... on MessageEvent { message } } } ... on PythonError { message } } }"""


class Deployment:
    """The webserver's address, its GraphQL API, and the logs of `up`'s processes."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=60, trust_env=False)

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self._http.post("/graphql", json={"query": query, "variables": variables})
        answer.raise_for_status()
        body = answer.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def runs(
        self, tags: dict[str, str] | None = None, run_ids: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Runs (newest first), each with its tags as a dict."""
        filter_: dict[str, Any] = {
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]
        }
        if run_ids:
            filter_["runIds"] = run_ids
        found = self.graphql(RUNS, filter=filter_)["runsOrError"]
        if found["__typename"] != "Runs":
            raise AssertionError(f"runsOrError: {found}")
        return [
            {**run, "tags": {t["key"]: t["value"] for t in run["tags"]}} for run in found["results"]
        ]

    def run(self, run_id: str) -> dict[str, Any]:
        [run] = self.runs(run_ids=[run_id])
        return run

    def stop_schedule(self, name: str) -> None:
        schedules = self.graphql(SCHEDULES, repo=LOCATION)["schedulesOrError"]["results"]
        [schedule] = [s for s in schedules if s["name"] == name]
        stopped = self.graphql(STOP_SCHEDULE, id=schedule["id"])["stopRunningSchedule"]
        if stopped.get("scheduleState", {}).get("status") != "STOPPED":
            raise AssertionError(f"stopRunningSchedule({name}): {stopped}")

    def launch_run(
        self,
        job: str,
        tags: dict[str, str],
        *,
        assets: list[list[str]] | None = None,
        checks: list[tuple[list[str], str]] | None = None,
        run_config: dict[str, Any] | None = None,
    ) -> str:
        """The new run's id (queued: the daemon launches it); `assets`/`checks` select a
        subset of the job (asset key paths; (asset key path, check name))."""
        selector: dict[str, Any] = {**LOCATION, "jobName": job}
        if assets is not None:
            selector["assetSelection"] = [{"path": key} for key in assets]
        if checks is not None:
            selector["assetCheckSelection"] = [
                {"assetKey": {"path": key}, "name": name} for key, name in checks
            ]
        params: dict[str, Any] = {
            "selector": selector,
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        if run_config is not None:
            params["runConfigData"] = run_config
        launched = self.graphql(LAUNCH_RUN, params=params)["launchRun"]
        if launched["__typename"] != "LaunchRunSuccess":
            raise AssertionError(f"launchRun: {launched}")
        return launched["run"]["runId"]

    def launch_backfill(self, asset_keys: list[list[str]]) -> str:
        """An asset backfill of every partition of `asset_keys`; its id."""
        params = {"assetSelection": [{"path": key} for key in asset_keys], "allPartitions": True}
        launched = self.graphql(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
        if launched["__typename"] != "LaunchBackfillSuccess":
            raise AssertionError(f"launchPartitionBackfill: {launched}")
        return launched["backfillId"]

    def backfill_status(self, backfill_id: str) -> str:
        found = self.graphql(BACKFILL, id=backfill_id)["partitionBackfillOrError"]
        if found["__typename"] != "PartitionBackfill":
            raise AssertionError(f"partitionBackfillOrError: {found}")
        return found["status"]

    def sensor_ticks(self, name: str, limit: int = 100) -> list[dict[str, Any]]:
        """A sensor's latest ticks, newest first: id, status, timestamp, skipReason, runIds."""
        selector = {**LOCATION, "sensorName": name}
        found = self.graphql(SENSOR_TICKS, selector=selector, limit=limit)["sensorOrError"]
        if found["__typename"] != "Sensor":
            raise AssertionError(f"sensorOrError({name}): {found}")
        return found["sensorState"]["ticks"]

    def kill_daemon(self) -> None:
        """SIGKILL the daemon's process group: the daemon, its code server, its runs."""
        pids = json.loads((self.root / "pids.json").read_text())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pids["daemon"], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(pids["daemon"], 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    def start_daemon(self, env: dict[str, str], cwd: Path) -> None:
        """Start the daemon again as `up` does (`down` stops it)."""
        from moulin_sync.cli.demo_ui import dagster_commands

        pids_file = self.root / "pids.json"
        pids = json.loads(pids_file.read_text())
        command = dagster_commands(self.root, "127.0.0.1", 0)["daemon"]
        with (self.root / "daemon.log").open("ab") as log:
            daemon = subprocess.Popen(
                command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        pids_file.write_text(json.dumps({**pids, "daemon": daemon.pid}))

    def messages(self, run_id: str) -> list[str]:
        """Every event message of a run, oldest first."""
        found: list[str] = []
        cursor = None
        while True:
            page = self.graphql(LOGS, runId=run_id, after=cursor)["logsForRun"]
            if page["__typename"] != "EventConnection":
                raise AssertionError(f"logsForRun: {page}")
            found += [e["message"] for e in page["events"] if e.get("message")]
            cursor = page["cursor"]
            if not page["hasMore"]:
                return found

    def wait_for(self, probe: Callable[[], T], what: str, timeout: float, poll: float = 1.0) -> T:
        """`probe()` once it is truthy; an AssertionError after `timeout` s (`explained`
        adds the logs)."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} after {timeout:.0f} s")
            time.sleep(poll)

    def wait_finished(self, run_id: str, timeout: float) -> dict[str, Any]:
        return self.wait_for(
            lambda: (run := self.run(run_id))["status"] in FINISHED and run,
            f"end of run {run_id}",
            timeout,
        )

    def log(self, name: str) -> str:
        """The whole log of the daemon or the webserver."""
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"

    def logs(self) -> str:
        """The tail of the webserver's and the daemon's logs."""
        return "\n".join(
            f"--- {name}.log (tail) ---\n{self.log(name)[-LOG_TAIL_CHARS:]}"
            for name in ("daemon", "webserver")
        )

    @contextlib.contextmanager
    def explained(self) -> Iterator[None]:
        """A failure inside says what the daemon and the webserver logged."""
        try:
            yield
        except Exception as exc:
            raise AssertionError(f"{exc}\n\n{self.logs()}") from exc

    def close(self) -> None:
        self._http.close()


def _cli(arguments: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "moulin_sync.cli", *arguments],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


@contextlib.contextmanager
def running_deployment(root: Path, env: dict[str, str], *, cwd: Path) -> Iterator[Deployment]:
    """`moulin-sync up` with `env` (run from `cwd`, where dagster.yaml is); `down` on the
    way out, whatever happened, and every process group killed if `down` left one."""
    port = free_port()
    started = _cli(["up", "--port", str(port), "--dir", str(root)], env, cwd)
    pids_file = root / "pids.json"
    pids = list(json.loads(pids_file.read_text()).values()) if pids_file.exists() else []
    deployment = Deployment(root, f"http://127.0.0.1:{port}")
    try:
        if started.returncode != 0:
            raise AssertionError(
                f"moulin-sync up failed:\n{started.stdout}{started.stderr}\n{deployment.logs()}"
            )
        yield deployment
    finally:
        deployment.close()
        stopped = _cli(["down", "--dir", str(root)], env, cwd)
        if stopped.returncode != 0:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
