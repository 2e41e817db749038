"""Python bytecode for everything a run imports, compiled before the benchmark starts.

A daemon-launched run starts a new Python process (the run worker) that imports Dagster,
polars, the HubSpot SDK and our definitions. Production's image compiles them once at
build time (`UV_COMPILE_BYTECODE=1` in the Dockerfile); an ordinary machine writes them on
first import. A machine that sets PYTHONDONTWRITEBYTECODE, with a venv installed without
them (`uv sync` compiles nothing by default), compiles every module from source in every
run worker: 2.3 CPU-seconds of each run's start on the 2-core benchmark machine. The
benchmark compiles them first, as production has them; it takes seconds once they are.
"""

from __future__ import annotations

import compileall
import sysconfig
import time
from pathlib import Path

from sync_limits import ROOT


def compile_bytecode() -> dict[str, float | bool]:
    """Compile the venv's packages and moulin_sync where bytecode is missing or stale."""
    started = time.perf_counter()
    folders = [Path(sysconfig.get_paths()["purelib"]), ROOT / "moulin_sync"]
    compiled = all(compileall.compile_dir(folder, quiet=1, workers=0) for folder in folders)
    return {"seconds": round(time.perf_counter() - started, 2), "complete": compiled}
