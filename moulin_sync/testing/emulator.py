"""Start any emulator for tests, benchmarks and demos: in a subprocess or in a thread.

    # A service with a `python -m moulin_sync.emulators.<service>` entry point:
    with run_emulator_process("moulin_sync.emulators.typeform", auth={"Authorization": ...},
                              extra_args=["--token", "t"]) as em:
        em.base_url; em.admin.reset(); em.admin.add_fault(kind="status", status=503)
        em.restart()   # same port, same --state file

    # Any `toolkit.Emulator` object, served in this process (no entry point needed):
    with run_emulator_thread(MyEmulator(token="t")) as em:
        httpx.get(em.base_url + "/things", headers=em.auth)

A process runs in its own process group (`start_new_session=True`), killed on exit, and
stops by itself if the process that started it dies (`--exit-with-parent`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from moulin_sync.emulators.toolkit import Emulator


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_healthy(base_url: str, timeout: float, alive: Callable[[], bool]) -> bool:
    """Poll `/_emulator/health` until it answers 200 (True), `alive()` turns false or
    `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(base_url + "/_emulator/health", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return False


class AdminClient:
    """Thin httpx client for the toolkit's `/_emulator/*` admin API."""

    def __init__(self, base_url: str, auth: dict[str, str]) -> None:
        self._http = httpx.Client(base_url=base_url, headers=auth, timeout=30)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        r = self._http.request(method, path, json=body)
        r.raise_for_status()
        return r.json()

    def reset(self, **options: Any) -> None:
        """Empty the service; `options` go to its state (HubSpot: `schema=True`)."""
        self._call("POST", "/_emulator/reset", options)

    def state(self) -> Any:
        return self._call("GET", "/_emulator/state")

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

    def close(self) -> None:
        self._http.close()


class EmulatorProcess:
    """A running emulator process: `base_url`, `auth`, `admin`, `restart()`, `stop()`."""

    admin_type: type[AdminClient] = AdminClient

    def __init__(
        self,
        *,
        args: list[str],
        host: str,
        port: int,
        auth: dict[str, str],
        log_path: Path,
        env: dict[str, str] | None = None,
        state_path: str | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.auth = auth
        self.state_path = state_path
        self.log_path = log_path
        self.base_url = f"http://{host}:{port}"
        self._args = args
        self._env = env or {}
        self._startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.admin = self.admin_type(self.base_url, auth)

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self._args, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, **self._env}, start_new_session=True,
            )  # fmt: skip
        process = self.process
        if wait_healthy(self.base_url, self._startup_timeout, lambda: process.poll() is None):
            return
        if process.poll() is not None:
            raise RuntimeError(
                f"emulator {' '.join(self._args[1:4])} exited with {process.returncode}: "
                + self.log_path.read_text(errors="replace")[-2000:]
            )
        self.stop()
        raise RuntimeError(f"emulator did not become healthy on {self.base_url}")

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
def run_emulator_process(
    module: str,
    *,
    auth: dict[str, str],
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
    state_path: str | os.PathLike[str] | None = None,
    port: int | None = None,
    host: str = "127.0.0.1",
    startup_timeout: float = 20.0,
    handle_type: type[EmulatorProcess] = EmulatorProcess,
) -> Iterator[EmulatorProcess]:
    """Run `python -m <module> --host H --port P [--state S] <extra_args>` for the block."""
    port = port or free_port(host)
    args = [sys.executable, "-m", module, "--host", host, "--port", str(port),
            "--exit-with-parent", *(extra_args or [])]  # fmt: skip
    if state_path is not None:
        args += ["--state", str(state_path)]
    with tempfile.TemporaryDirectory(prefix="emulator-") as tmp:
        handle = handle_type(
            args=args, host=host, port=port, auth=auth, env=env,
            state_path=str(state_path) if state_path is not None else None,
            log_path=Path(tmp) / "emulator.log", startup_timeout=startup_timeout,
        )  # fmt: skip
        handle.start()
        try:
            yield handle
        finally:
            handle.stop()
            handle.admin.close()


class EmulatorThread:
    """An emulator served by uvicorn in a thread of this process (`em` is the live object)."""

    def __init__(self, em: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        from moulin_sync.emulators.toolkit.app import create_app
        from moulin_sync.emulators.toolkit.cli import bind

        self.em = em
        self.auth = em.auth.headers()
        self._sock = bind(host, port)
        self.base_url = f"http://{host}:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(em), http="httptools", lifespan="off",
                                access_log=False, log_level="warning")  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="emulator", daemon=True)
        self.admin = AdminClient(self.base_url, self.auth)

    def _serve(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        if not wait_healthy(self.base_url, timeout, self._thread.is_alive):
            raise RuntimeError(f"{self.em.name} emulator thread did not serve {self.base_url}")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()
        self.admin.close()
        self.em.close()


@contextlib.contextmanager
def run_emulator_thread(em: Emulator, host: str = "127.0.0.1") -> Iterator[EmulatorThread]:
    handle = EmulatorThread(em, host)
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()
