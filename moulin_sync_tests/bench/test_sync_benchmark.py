"""`make bench`'s sync benchmark runs end to end on a tiny world (so it cannot rot)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    # Both floors of the write steps; the machine's load beside every figure.
    assert 0 <= load["burst_floor_s"] <= load["floor_s"] and load["time_over_floor"] > 0
    for measure in ("initial_load", "rerun_unchanged", "nightly_unchanged", "transform"):
        assert len(saved[measure]["load_average"]) == 3, measure
    assert len(saved["machine"]["load_average_at_end"]) == 3
    assert saved["rerun_unchanged"]["phases_s"]["steps"] > 0
    # The table names its date and commit; the block for the README follows it.
    assert (
        "burst-aware floor" in run.stdout
        and f"commit {saved['machine']['git_commit']}" in (saved["table"])
    )
    assert run.stdout.index("For the README") > run.stdout.index(saved["table"].splitlines()[-1])


@pytest.mark.postgres
@pytest.mark.slow
def test_the_benchmark_launches_its_runs_through_the_daemon(
    postgres_server: str, tmp_path: Path
) -> None:
    """`--daemon`: every run goes through the webserver's GraphQL to dagster-daemon."""
    command = [
        sys.executable, str(BENCH), "--daemon",
        "--customers", "60", "--companies", "3", "--orders", "200", "--months", "2",
        "--naive-orders", "2", "--transform-orders", "1000", "--no-nightly-checks",
        "--results", str(tmp_path),
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "runs launched through dagster-daemon" in run.stdout
    [written] = tmp_path.glob("*.json")
    saved = json.loads(written.read_text())
    assert saved["launched_by"].startswith("launched through dagster-daemon")
    load = saved["initial_load"]
    # The figures come from the daemon-launched run's own events in PostgreSQL.
    assert load["records"]["deals"] > 0 and load["write_calls"] >= load["minimum_write_calls"] > 0
    assert load["steps_s"]["hubspot__deals"] > 0
    assert saved["nightly_unchanged"]["write_calls"] == 0
    # Where a launched run's time went: made, queued, its run worker's start, its steps.
    phases = saved["nightly_unchanged"]["phases_s"]
    assert {"made_and_queued", "in_queue", "worker_start", "steps"} <= set(phases)
    assert sum(phases.values()) == pytest.approx(saved["nightly_unchanged"]["wall_s"], abs=0.1)
