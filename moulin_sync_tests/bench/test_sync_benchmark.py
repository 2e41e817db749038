"""`make bench`'s sync benchmark runs end to end on a tiny world (so it cannot rot)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sync_benchmark.py"


def test_the_sync_benchmark_runs_end_to_end_on_a_tiny_world(tmp_path: Path) -> None:
    command = [
        sys.executable, str(BENCH),
        "--customers", "120", "--companies", "4", "--orders", "400", "--months", "3",
        "--naive-orders", "5", "--transform-orders", "3000", "--no-nightly-checks",
        "--results", str(tmp_path),
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "| 1. initial load: record write calls" in run.stdout
    [written] = tmp_path.glob("*.json")
    saved = json.loads(written.read_text())
    assert saved["machine"]["cores"] >= 1 and saved["machine"]["python"]
    load = saved["initial_load"]
    assert load["records"]["deals"] > 0 and load["write_calls"] >= load["minimum_write_calls"] > 0
    assert saved["nightly_unchanged"]["write_calls"] == 0
    changed = saved["nightly_one_percent"]
    assert changed["write_calls"] >= changed["minimum_write_calls"] > 0
    assert saved["transform"]["orders"] == 3000 and saved["transform"]["orders_per_s"] > 0
    assert saved["naive"]["calls"] == 2 * saved["naive"]["orders"] == 10
