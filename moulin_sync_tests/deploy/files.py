"""Where the deployment files are, and small readers the deploy tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = ROOT / "deploy" / "k8s"
HELM_VALUES = ROOT / "deploy" / "helm" / "values.yaml"
DOCKERFILE = ROOT / "Dockerfile"
BUILD_SCRIPT = ROOT / "deploy" / "image" / "build.sh"
REPO_INSTANCE = ROOT / "dagster.yaml"
# What the image runs by default, and what the Helm chart runs for our user deployment.
CODE_SERVER_CMD = [
    "dagster",
    "code-server",
    "start",
    "-h",
    "0.0.0.0",
    "-p",
    "3030",
    "-m",
    "moulin_sync.definitions",
]

# The instance blocks every deployment shares with the repo's own dagster.yaml.
SHARED_INSTANCE_BLOCKS = (
    "concurrency",
    "run_retries",
    "run_monitoring",
    "retention",
    "telemetry",
    "nux",
)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
