"""Start the HubSpot emulator in a subprocess for tests, benchmarks and demos.

    with run_hubspot_emulator(tier="starter", search_lag=0.5) as hs:
        client = hubspot_client(hs)
        hs.admin.add_fault(kind="status", status=503, count=1)
        # hold the answer of the 12th write once it is committed, until the client dies
        fault = hs.admin.add_fault(kind="hang_after_commit", writes=True, skip=11)
        hs.admin.wait_for_fault(fault["id"], counter="committed")
        hs.restart()          # same port, same --state file

The server runs in its own process group (`start_new_session=True`) and the group is killed on
exit, so a test that SIGKILLs a run can restart the emulator cleanly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class AdminClient:
    """Thin httpx client for the `/_emulator/*` admin API."""

    def __init__(self, base_url: str, token: str) -> None:
        self._http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        r = self._http.request(method, path, json=body)
        r.raise_for_status()
        return r.json()

    def reset(self, *, schema: bool = False) -> None:
        self._call("POST", "/_emulator/reset", {"schema": schema})

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/_emulator/state")

    def bulk_load(self, object_type: str, properties: list[dict[str, str]]) -> dict[str, Any]:
        """Store records without the batch API (at most 100,000 per call): see `bulk.py`."""
        records = [{"properties": p} for p in properties]
        r = self._http.post(
            "/_emulator/bulk", json={"objectType": object_type, "records": records}, timeout=300
        )
        if r.status_code != 201:
            raise RuntimeError(f"bulk load refused ({r.status_code}): {r.text[:300]}")
        return r.json()

    def build_indexes(self, object_type: str, properties: list[str]) -> dict[str, Any]:
        """Build search indexes now (the emulator builds each on first use; HubSpot's exist)."""
        r = self._http.post(
            "/_emulator/indexes",
            json={"objectType": object_type, "properties": properties},
            timeout=300,
        )
        r.raise_for_status()
        return r.json()

    def stats(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_emulator/stats")["requests"]

    def count(self, method: str, route: str, status: int | None = None) -> int:
        """Requests seen for one method and route template (optionally one status)."""
        return sum(
            r["count"]
            for r in self.stats()
            if r["method"] == method and r["route"] == route and status in (None, r["status"])
        )

    def reset_stats(self) -> None:
        self._call("POST", "/_emulator/stats/reset")

    def add_fault(self, **fault: Any) -> dict[str, Any]:
        return self._call("POST", "/_emulator/faults", fault)

    def faults(self) -> list[dict[str, Any]]:
        """The armed faults (a spent one leaves this list; see `fault_log`)."""
        return self._call("GET", "/_emulator/faults")["faults"]

    def fault_log(self) -> list[dict[str, Any]]:
        """Every fault since the last `clear_faults`, armed and spent, with its counters."""
        answer = self._call("GET", "/_emulator/faults")
        return sorted(answer["faults"] + answer["spent"], key=lambda f: f["id"])

    def fault(self, fault_id: int) -> dict[str, Any] | None:
        return next((f for f in self.fault_log() if f["id"] == fault_id), None)

    def wait_for_fault(
        self,
        fault_id: int,
        *,
        counter: str = "fired",
        at_least: int = 1,
        timeout: float = 60.0,
        still_waiting: Any = None,
        poll_s: float = 0.02,
    ) -> dict[str, Any] | None:
        """Poll until fault `fault_id`'s `counter` (fired, committed, seen) reaches
        `at_least`; None on timeout, or as soon as `still_waiting()` turns false (e.g. the
        client process under test has exited)."""
        deadline = time.monotonic() + timeout
        while True:
            fault = self.fault(fault_id)
            if fault is not None and fault[counter] >= at_least:
                return fault
            if time.monotonic() > deadline or (still_waiting and not still_waiting()):
                return None
            time.sleep(poll_s)

    def clear_faults(self) -> None:
        self._call("DELETE", "/_emulator/faults")

    def set_limits(self, **limits: Any) -> dict[str, Any]:
        """Keys: per_10s, daily, search_per_s (None lifts the limit), search_lag (seconds),
        latency_ms ([low, high] per API call, None for none)."""
        return self._call("POST", "/_emulator/limits", limits)

    def limits(self) -> dict[str, Any]:
        return self._call("GET", "/_emulator/limits")

    def close(self) -> None:
        self._http.close()


class EmulatorHandle:
    """A running emulator process: `base_url`, `token`, `admin`, `restart()`, `stop()`."""

    def __init__(
        self,
        *,
        args: list[str],
        host: str,
        port: int,
        token: str,
        state_path: str | None,
        log_path: Path,
        startup_timeout: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.state_path = state_path
        self.log_path = log_path
        self.base_url = f"http://{host}:{port}"
        self._args = args
        self._startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.admin = AdminClient(self.base_url, token)

    def start(self) -> None:
        env = {**os.environ, "HUBSPOT_EMULATOR_TOKEN": self.token}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self._args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"HubSpot emulator exited with {self.process.returncode}: "
                    + self.log_path.read_text(errors="replace")[-2000:]
                )
            try:
                if httpx.get(self.base_url + "/_emulator/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"HubSpot emulator did not become healthy on {self.base_url}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process group (SIGTERM, then SIGKILL after 5 s)."""
        proc = self.process
        if proc is None:
            return
        self.process = None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def kill(self) -> None:
        """SIGKILL the emulator (a crash: no clean shutdown)."""
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        """Stop and start again on the same port with the same state file."""
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@contextlib.contextmanager
def run_hubspot_emulator(
    *,
    tier: str = "unlimited",
    search_lag: float = 0.0,
    token: str = "test-token",
    state_path: str | os.PathLike[str] | None = None,
    port: int | None = None,
    host: str = "127.0.0.1",
    rate_limit: int | None = None,
    daily_limit: int | None = None,
    startup_timeout: float = 20.0,
) -> Iterator[EmulatorHandle]:
    """Run `python -m moulin_sync.emulators.hubspot` in a subprocess for the `with` block."""
    port = port or free_port(host)
    # --exit-with-parent: a test process killed outright leaves no server behind.
    args = [sys.executable, "-m", "moulin_sync.emulators.hubspot", "--host", host,
            "--port", str(port), "--tier", tier, "--search-lag", str(search_lag),
            "--exit-with-parent"]  # fmt: skip
    if state_path is not None:
        args += ["--state", str(state_path)]
    if rate_limit is not None:
        args += ["--rate-limit", str(rate_limit)]
    if daily_limit is not None:
        args += ["--daily-limit", str(daily_limit)]
    with tempfile.TemporaryDirectory(prefix="hubspot-emulator-") as tmp:
        handle = EmulatorHandle(
            args=args,
            host=host,
            port=port,
            token=token,
            state_path=str(state_path) if state_path is not None else None,
            log_path=Path(tmp) / "emulator.log",
            startup_timeout=startup_timeout,
        )
        handle.start()
        try:
            yield handle
        finally:
            handle.stop()
            handle.admin.close()


def hubspot_client(handle: EmulatorHandle, **kwargs: Any) -> Any:
    """An official `hubspot.HubSpot` client pointed at the emulator (host and base_url)."""
    from hubspot import HubSpot

    return HubSpot(
        access_token=handle.token, host=handle.base_url, base_url=handle.base_url, **kwargs
    )
