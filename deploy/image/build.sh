#!/usr/bin/env bash
# Builds the image's virtualenv: the Dockerfile runs this, and so does
# moulin_sync_tests/deploy/test_image_build.py outside Docker, so both install the same way.
# Usage: deploy/image/build.sh TARGET_DIR  ->  TARGET_DIR/.venv (the app), TARGET_DIR/.tools (uv)
set -euo pipefail

target=${1:?usage: build.sh TARGET_DIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-python3}
# Same uv as the Makefile's UV_VERSION, from PyPI (a test keeps the two equal).
uv_version=0.13.8

mkdir -p "$target"
target=$(cd "$target" && pwd)

"$python" -m venv "$target/.tools"
"$target/.tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"

# The lock decides every version; no dev tools; dagster-k8s for the K8sRunLauncher.
# Python comes from the base image, never downloaded.
UV_PROJECT_ENVIRONMENT="$target/.venv" UV_PYTHON_DOWNLOADS=never \
  "$target/.tools/bin/uv" sync --frozen --no-dev --extra k8s \
  --project "$src" --python "$python"
