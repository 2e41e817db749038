"""The deal transform timed in a child process of its own, so its peak memory is its own.

.venv/bin/python bench/transform_measure.py DATA_DIR '["2026-11-01"]' ORDERS
"""

from __future__ import annotations

import contextlib
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_world import snapshot


# --------------------------------------------------------------------------- transform
def transform_worker(data_dir: str, months: list[str], target: int) -> dict[str, Any]:
    """In a child process: read the snapshots, tile the orders to `target` rows with fresh
    ids, and time `validated_deal_payloads` — what the deal payload asset does."""
    import gc

    import polars as pl

    from moulin_sync.defs.io_manager import published_path
    from moulin_sync.hubspot.streams.build import build_payloads
    from moulin_sync.hubspot.streams.deals import DEALS
    from moulin_sync.hubspot.streams.spec import PipelineStages, TransformContext

    root = Path(data_dir)
    orders = snapshot(root, ["app_du_moulin", "orders"], months)
    customers = snapshot(root, ["app_du_moulin", "customers"])
    companies = snapshot(root, ["app_du_moulin", "companies"])
    points = snapshot(root, ["app_du_moulin", "pickup_points"])
    pipeline = PipelineStages.model_validate_json(
        published_path(root, ["hubspot", "deal_pipeline"], ".json").read_text()
    )
    context = TransformContext("Europe/Paris", pipeline)
    source_orders = orders.height
    copies = max(1, math.ceil(target / max(1, source_orders)))
    if copies > 1:
        stride = int(orders["id"].max()) + 1
        orders = pl.concat(
            [
                orders.head(target - i * source_orders).with_columns(pl.col("id") + i * stride)
                for i in range(copies)
            ]
        )
    orders = orders.head(target).rechunk()
    gc.collect()
    rss_before = _rss_bytes()
    runs: list[float] = []
    cpus: list[float] = []
    payloads = None
    peaks: list[int] = []
    for _ in range(2):  # the best of two: the machine is shared
        del payloads
        gc.collect()
        _reset_peak_rss()
        started, cpu = time.perf_counter(), _cpu_s()
        frames = {
            "orders": orders,
            "customers": customers,
            "companies": companies,
            "pickup_points": points,
        }
        payloads = build_payloads(DEALS, frames, context)
        runs.append(time.perf_counter() - started)
        cpus.append(_cpu_s() - cpu)
        peaks.append(_peak_rss_bytes())
    # The transform's own peak (the kernel's high-water mark, reset before each run),
    # not the reading and tiling of the inputs; the process's whole peak is kept too.
    peak = max(peaks)
    process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "orders": orders.height,
        "source_orders": source_orders,
        "tiled": copies > 1,
        "seconds": min(runs),
        "seconds_runs": [round(r, 3) for r in runs],
        "cpu_s_runs": [round(c, 3) for c in cpus],
        "orders_per_s": orders.height / min(runs),
        "valid_records": payloads.records.height,
        "quarantined": payloads.quarantine.height,
        "rss_before_bytes": rss_before,
        "peak_rss_bytes": peak,
        "process_peak_rss_bytes": process_peak,
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak_rss() -> None:
    """Reset the kernel's RSS high-water mark of this process (Linux: clear_refs 5)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_bytes() -> int:
    """RSS high-water mark since the last reset (VmHWM), else the process's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def measure_transform(data_dir: Path, months: list[str], target: int) -> dict[str, Any]:
    answer = subprocess.run(
        [
            sys.executable,
            __file__,
            str(data_dir),
            json.dumps(months),
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"transform worker failed:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    outcome = transform_worker(sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]))
    print(json.dumps(outcome))
