"""`make bench`'s sync benchmark runs end to end on a tiny world (so it cannot rot)."""

import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sync_benchmark.py"


def _benchmark():
    spec = importlib.util.spec_from_file_location("sync_benchmark", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_sync_benchmark_runs_end_to_end_on_a_tiny_world(tmp_path: Path, capsys) -> None:
    result = _benchmark().main(
        [
            "--customers", "120", "--companies", "4", "--orders", "400", "--months", "3",
            "--naive-orders", "5", "--transform-orders", "3000", "--no-nightly-checks",
            "--results", str(tmp_path),
        ]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert "| 1. initial load: record write calls" in printed
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
    assert result["initial_load"] == load
