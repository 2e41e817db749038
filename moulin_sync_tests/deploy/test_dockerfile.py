"""The Dockerfile, read as instructions: two stages, the build script, a non-root code
server. Docker itself is not run here; test_image_build.py runs the script it calls."""

from __future__ import annotations

import json
import re

from moulin_sync_tests.deploy.files import BUILD_SCRIPT, CODE_SERVER_CMD, DOCKERFILE, ROOT


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_two_stages_on_python_311_slim():
    args = [rest for word, rest in _instructions() if word == "ARG"]
    assert args == ["PYTHON_IMAGE=python:3.11-slim"]
    build, runtime = _stages()
    assert build[0][1] == "${PYTHON_IMAGE} AS build"
    assert runtime[0][1] == "${PYTHON_IMAGE}"
    copies = [rest for word, rest in runtime if word == "COPY"]
    assert "--from=build /app/.venv /app/.venv" in copies
    assert any(c.startswith("--from=build /app/moulin_sync ") for c in copies)


def test_build_stage_runs_the_build_script():
    build, _ = _stages()
    runs = [rest for word, rest in build if word == "RUN"]
    assert any(r.endswith("deploy/image/build.sh /app") for r in runs), runs
    copies = [rest for word, rest in build if word == "COPY"]
    assert "deploy/image/build.sh ./deploy/image/build.sh" in copies
    script = BUILD_SCRIPT.read_text()
    assert "sync --frozen --no-dev --extra k8s" in script


def test_build_script_uses_the_makefiles_uv():
    make_uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    script_uv = re.search(r"^uv_version=(\S+)$", BUILD_SCRIPT.read_text(), re.M)
    assert make_uv and script_uv
    assert script_uv.group(1) == make_uv.group(1) == "0.13.8"


def test_runtime_is_a_non_root_code_server():
    _, runtime = _stages()
    users = [rest for word, rest in runtime if word == "USER"]
    assert users[-1].split(":")[0] == "10001"
    env = " ".join(rest for word, rest in runtime if word == "ENV")
    assert "DAGSTER_HOME=/opt/dagster/dagster_home" in env
    assert "PATH=/app/.venv/bin:$PATH" in env
    assert [rest for word, rest in runtime if word == "EXPOSE"] == ["3030"]
    cmd = [rest for word, rest in runtime if word == "CMD"]
    assert json.loads(cmd[-1]) == CODE_SERVER_CMD
