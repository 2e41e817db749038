"""`moulin-sync demo --ui`: the Dagster UI left up over the demo for a person to explore.

dagster-webserver and dagster-daemon run on the demo's instance and environment, each in
its own process group (they may ignore SIGTERM in the background), with their logs under
the demo folder; the HubSpot emulator stays up with them, so a run launched from the UI
works. Ctrl-C stops them all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console

from moulin_sync.runs.origin import LOCATION, MODULE

STARTUP_TIMEOUT_S = 120
WORKSPACE_YAML = """\
load_from:
  - python_module:
      module_name: {module}
      location_name: {location}
      working_directory: {cwd}
"""


def dagster_commands(root: Path, host: str, port: int) -> dict[str, list[str]]:
    """The webserver's and the daemon's command lines, over a workspace.yaml written in
    `root` that loads moulin-sync's code location from this folder."""
    workspace = root / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML.format(module=MODULE, location=LOCATION, cwd=os.getcwd()))
    bin_dir = Path(sys.executable).parent
    return {
        "webserver": [str(bin_dir / "dagster-webserver"), "-h", host, "-p", str(port),
                      "-w", str(workspace)],
        "daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)],
    }  # fmt: skip


class UINotUp(Exception):
    """The webserver did not answer: the reason, in one line."""


def serve_ui(root: Path, host: str, port: int, console: Console) -> None:
    """Start the webserver and daemon over the demo, say where, wait for Ctrl-C."""
    commands = dagster_commands(root, host, port)
    url = f"http://{host}:{port}"
    processes = {}
    # Ctrl-C, or a SIGTERM from a supervisor, stops it all (even when started in the
    # background, where a shell ignores SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for name, command in commands.items():
            with (root / f"{name}.log").open("wb") as log:
                processes[name] = subprocess.Popen(
                    command, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True,
                )  # fmt: skip
        console.print(f"Starting the Dagster UI (logs in {root}/webserver.log) …")
        wait_until_up(url, processes, root)
        console.out(
            f"Dagster UI: {url}  (the demo's runs, assets and checks; Ctrl-C stops it)",
            highlight=False,
        )
        _wait_for_exit(processes)
    except KeyboardInterrupt:
        console.print("Stopping the Dagster UI …")
    finally:
        stop_groups(list(processes.values()))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def wait_until_up(url: str, processes: dict[str, subprocess.Popen], root: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(trust_env=False, timeout=2) as http:
        while time.monotonic() < deadline:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise UINotUp(
                        f"dagster-{name} exited with {process.returncode}: see {root}/{name}.log"
                    )
            with contextlib.suppress(httpx.HTTPError):
                if http.get(f"{url}/server_info").status_code == 200:
                    return
            time.sleep(0.5)
    raise UINotUp(
        f"the Dagster UI did not answer at {url} in {STARTUP_TIMEOUT_S} s: see {root}/webserver.log"
    )


def _wait_for_exit(processes: dict[str, subprocess.Popen]) -> None:
    while all(process.poll() is None for process in processes.values()):
        time.sleep(0.5)
    stopped = [name for name, process in processes.items() if process.poll() is not None]
    raise UINotUp(f"dagster-{stopped[0]} stopped on its own: see its log")


def stop_groups(processes: list[subprocess.Popen], grace: float = 5.0) -> None:
    """SIGTERM each process group, then SIGKILL what is left after `grace` seconds."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(p.poll() is None for p in processes):
        time.sleep(0.1)
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
