"""The image's build script, run outside Docker in a clean folder: the pinned uv, the
locked runtime dependencies with dagster-k8s and without dev tools, then the image's
default command (the code server) from that venv, serving our definitions."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster._grpc.client import DagsterGrpcClient

from moulin_sync_tests.deploy.files import BUILD_SCRIPT, CODE_SERVER_CMD

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
IMAGE = "registry.example.com/moulin-sync:test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "MOULIN_"))}
    env.update(
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
        MOULIN_DATA_DIR=str(tmp_path / "data"),
        DAGSTER_CURRENT_IMAGE=IMAGE,
    )
    (tmp_path / "dagster_home").mkdir()
    return env


def _stop(process: subprocess.Popen) -> None:
    # SIGKILL after a grace period: a shell that ignores SIGTERM passes that on to children.
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_build_script_venv_serves_the_code(tmp_path: Path):
    target = tmp_path / "image"
    subprocess.run(
        ["bash", str(BUILD_SCRIPT), str(target)],
        check=True,
        timeout=240,
        env={**os.environ, "PYTHON": sys.executable},
    )
    uv = subprocess.run(
        [target / ".tools/bin/uv", "--version"], check=True, capture_output=True, text=True
    )
    assert uv.stdout.split()[1] == "0.13.8"
    python = target / ".venv/bin/python"
    subprocess.run(
        [
            python,
            "-c",
            "import importlib.util as u, dagster_k8s, dagster_postgres, moulin_sync;"
            "assert all(u.find_spec(m) is None for m in ('pytest', 'ruff', 'playwright'))",
        ],
        check=True,
    )

    # The Dockerfile's CMD, on 127.0.0.1 and a free port, from a folder without the code.
    port = _free_port()
    command = [str(target / ".venv/bin/dagster"), *CODE_SERVER_CMD[1:]]
    command[command.index("-h") + 1] = "127.0.0.1"
    command[command.index("-p") + 1] = str(port)
    log = (tmp_path / "code-server.log").open("w")
    server = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = [str(target / ".venv/bin/dagster"), "api", "grpc-health-check", "-p", str(port)]
        deadline = time.monotonic() + 90
        while subprocess.run(health, capture_output=True).returncode != 0:
            assert server.poll() is None, (tmp_path / "code-server.log").read_text()
            assert time.monotonic() < deadline, "code server not healthy in 90 s"
            time.sleep(1)
        # Healthy means the proxy is up; the definitions themselves answer here, once loaded.
        client = DagsterGrpcClient(port=port, host="127.0.0.1")
        while (listing := json.loads(client.list_repositories()))["__class__"] != (
            "ListRepositoriesResponse"
        ):
            assert time.monotonic() < deadline, listing
            time.sleep(1)
        pointer = listing["repository_code_pointer_dict"]["__repository__"]
        assert (pointer["module"], pointer["fn_name"]) == ("moulin_sync.definitions", "defs")
        assert listing["executable_path"] == str(python)
        # What K8sRunLauncher starts run workers from.
        assert listing["container_image"] == IMAGE
    finally:
        _stop(server)
        log.close()
