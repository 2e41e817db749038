"""`make demo`: the main job on embedded defaults, then a summary.

Everything lives under `.moulin/demo/`: a generated App du Moulin database, the Parquet
snapshots, the sync state and a SQLite Dagster instance. No real service is contacted.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from moulin_sync.settings import DEMO_DIR

DEMO_SIZES = {"customers": 2_000, "companies": 60, "orders": 20_000}
DEMO_SEED = 42
DEMO_DIRTY_RATE = 0.01

# A Dagster instance of its own, in SQLite, so the demo needs no server.
DEMO_INSTANCE_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


@dataclass
class DemoSummary:
    run_id: str
    success: bool
    rows: dict[str, int] = field(default_factory=dict)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)


def demo_environment(root: Path) -> dict[str, str]:
    """The variables the demo runs with: every path under `root`, nothing external."""
    return {
        "MOULIN_SOURCE_URL": f"sqlite:///{root / 'app_du_moulin.db'}",
        "MOULIN_STATE_URL": f"sqlite:///{root / 'sync_state.db'}",
        "MOULIN_DATA_DIR": str(root / "data"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


def prepare(root: Path, console: Console) -> None:
    from moulin_sync.source.generator import generate

    root.mkdir(parents=True, exist_ok=True)
    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(DEMO_INSTANCE_YAML)
    database = root / "app_du_moulin.db"
    if not database.exists():
        console.print(f"Generating the demo App du Moulin database in {database} …")
        generate(
            f"sqlite:///{database}",
            **DEMO_SIZES,
            seed=DEMO_SEED,
            dirty_rate=DEMO_DIRTY_RATE,
            today=dt.date.today(),
            progress=console.is_terminal,
        )


def run_demo(root: Path = Path(DEMO_DIR), console: Console | None = None) -> DemoSummary:
    console = console or Console()
    warnings.filterwarnings("ignore", category=UserWarning, module="dagster")
    warnings.filterwarnings("ignore", message=".*is currently in beta.*")
    root = root.resolve()
    prepare(root, console)
    os.environ.update(demo_environment(root))
    # Import only now: the definitions read the settings from the environment just set.
    from dagster import DagsterInstance

    from moulin_sync.definitions import defs
    from moulin_sync.defs.partitions import monthly_partitions

    keys = monthly_partitions.get_partition_keys()
    job = defs.resolve_job_def("nightly_sync")
    console.print(f"Running nightly_sync over {len(keys)} months ({keys[0]} → {keys[-1]}) …")
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": keys[0],
                "dagster/asset_partition_range_end": keys[-1],
            },
            raise_on_error=False,
            # Step logs stay in the Dagster instance; the terminal gets the summary.
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    summary = DemoSummary(run_id=result.run_id, success=result.success)
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        rows = materialization.metadata.get("dagster/row_count")
        if rows is not None:
            summary.rows["/".join(materialization.asset_key.path)] = int(rows.value)
    for evaluation in result.get_asset_check_evaluations():
        summary.checks.append(
            (evaluation.check_name, evaluation.passed, _headline(evaluation.metadata))
        )
    print_summary(summary, console)
    return summary


def _headline(metadata: Mapping[str, object]) -> str:
    figures = [
        f"{name}={getattr(value, 'value', value)}"
        for name, value in metadata.items()
        if isinstance(getattr(value, "value", None), int)
    ]
    return ", ".join(figures[:4])


def print_summary(summary: DemoSummary, console: Console) -> None:
    table = Table(title="moulin-sync demo — assets")
    table.add_column("asset")
    table.add_column("rows", justify="right")
    for key, rows in sorted(summary.rows.items()):
        table.add_row(key, f"{rows:,}")
    console.print(table)
    checks = Table(title="checks")
    checks.add_column("check")
    checks.add_column("result")
    checks.add_column("figures")
    for name, passed, figures in summary.checks:
        checks.add_row(name, "[green]passed" if passed else "[yellow]warning", figures)
    console.print(checks)
    status = "[green]succeeded" if summary.success else "[red]FAILED"
    console.print(f"Run {summary.run_id} {status}.")
