"""`make demo`: the main job on embedded defaults, then a summary.

Everything lives under `.moulin/demo/`: a generated App du Moulin database, the Parquet
snapshots, the sync state, a SQLite Dagster instance, and a local HubSpot emulator
started for the run. No real service is ever contacted.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from moulin_sync.lib.places import DEMO_DIR

if TYPE_CHECKING:
    from moulin_sync.cli.runner import RunSummary

DEMO_SIZES = {"customers": 2_000, "companies": 60, "orders": 20_000}
DEMO_SEED = 42
DEMO_DIRTY_RATE = 0.01
DEMO_TIER = "professional"

# A Dagster instance of its own, in SQLite, so the demo needs no server.
DEMO_INSTANCE_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""

SHOWN_FIGURES = {
    "created": "created",
    "updated": "updated",
    "unchanged": "unchanged",
    "rejected": "rejected",
    "waiting": "waiting",
    "write_calls": "writes",
    "api_calls": "calls",
    "rate_limited_429s": "429s",
    "duration_s": "seconds",
}


@click.command()
@click.option(
    "--dir",
    "root",
    default=DEMO_DIR,
    show_default=True,
    type=click.Path(),
    help="Where the demo keeps its database, state and Dagster instance.",
)
@click.option(
    "--customers", default=DEMO_SIZES["customers"], show_default=True, help="Demo database size."
)
@click.option("--companies", default=DEMO_SIZES["companies"], show_default=True)
@click.option("--orders", default=DEMO_SIZES["orders"], show_default=True)
def demo(root: str, customers: int, companies: int, orders: int) -> None:
    """Run the main job on embedded defaults (generated data, local emulators).

    The database is generated once; run it again to see a nightly run with nothing new.
    """
    sizes = {"customers": customers, "companies": companies, "orders": orders}
    summary = run_demo(Path(root), sizes=sizes)
    if not summary.success:
        raise SystemExit(1)


def demo_environment(root: Path) -> dict[str, str]:
    """The variables the demo runs with: every path under `root`, nothing external."""
    return {
        "MOULIN_SOURCE_URL": f"sqlite:///{root / 'app_du_moulin.db'}",
        "MOULIN_STATE_URL": f"sqlite:///{root / 'sync_state.db'}",
        "MOULIN_DATA_DIR": str(root / "data"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "HUBSPOT_TIER": DEMO_TIER,
    }


def prepare(root: Path, console: Console, sizes: dict[str, int]) -> None:
    from moulin_sync.demo_data.generator import generate

    root.mkdir(parents=True, exist_ok=True)
    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(DEMO_INSTANCE_YAML)
    database = root / "app_du_moulin.db"
    if not database.exists():
        console.print(f"Generating the demo App du Moulin database in {database} …")
        generate(
            f"sqlite:///{database}",
            **sizes,
            seed=DEMO_SEED,
            dirty_rate=DEMO_DIRTY_RATE,
            today=dt.date.today(),
            progress=console.is_terminal,
        )


def run_demo(
    root: Path = Path(DEMO_DIR),
    console: Console | None = None,
    sizes: dict[str, int] | None = None,
) -> RunSummary:
    from moulin_sync.cli.runner import run_nightly_sync
    from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator

    console = console or Console()
    root = root.resolve()
    prepare(root, console, sizes or DEMO_SIZES)
    # The emulator keeps its state next to the rest, so a second `make demo` shows the
    # nightly case: nothing changed, nothing written.
    with run_hubspot_emulator(
        tier=DEMO_TIER, token="demo-token", state_path=root / "hubspot_emulator.db"
    ) as hubspot:
        os.environ.update(
            {
                **demo_environment(root),
                "HUBSPOT_BASE_URL": hubspot.base_url,
                "HUBSPOT_ACCESS_TOKEN": hubspot.token,
            }
        )
        console.print(
            f"HubSpot emulator ({DEMO_TIER} tier) at {hubspot.base_url}; running nightly_sync "
            "over the whole order history …"
        )
        summary = run_nightly_sync()
        in_hubspot = {
            kind: sum(1 for o in objects if not o["archived"])
            for kind, objects in hubspot.admin.state()["objects"].items()
        }
    print_summary(summary, in_hubspot, console)
    return summary


def print_summary(summary: RunSummary, in_hubspot: dict[str, int], console: Console) -> None:
    table = Table(title="moulin-sync demo — HubSpot writes")
    table.add_column("asset", no_wrap=True)
    for label in SHOWN_FIGURES.values():
        table.add_column(label, justify="right")
    for key, values in sorted(summary.assets.items()):
        if key.startswith("hubspot/") and "write_calls" in values:
            table.add_row(key, *(str(values.get(name, "")) for name in SHOWN_FIGURES))
    console.print(table)

    sources = Table(title="source and payloads")
    sources.add_column("asset")
    sources.add_column("rows", justify="right")
    sources.add_column("quarantined", justify="right")
    for key, values in sorted(summary.assets.items()):
        if "dagster/row_count" in values:
            sources.add_row(
                key, f"{values['dagster/row_count']:,}", str(values.get("quarantined", ""))
            )
    console.print(sources)

    checks = Table(title="checks")
    checks.add_column("check")
    checks.add_column("result")
    checks.add_column("figures")
    for name, passed, values in summary.checks:
        figures = ", ".join(
            f"{k}={v}" for k, v in values.items() if isinstance(v, int) and not isinstance(v, bool)
        )
        result = (
            "[green]passed"
            if passed
            else ("[red]FAILED" if name in summary.blocking_failures else "[yellow]warning")
        )
        checks.add_row(name, result, figures[:160])
    console.print(checks)

    duplicates = next(
        (v.get("duplicate_deals") for n, _, v in summary.checks if n == "no_duplicate_deals"), None
    )
    passed = sum(1 for _, ok, _ in summary.checks if ok)
    warned = len(summary.checks) - passed - len(summary.blocking_failures)
    deals = summary.assets.get("hubspot/deals", {})
    console.print(
        f"In HubSpot now: {in_hubspot.get('contacts', 0):,} contacts, "
        f"{in_hubspot.get('companies', 0):,} companies, {in_hubspot.get('deals', 0):,} deals. "
        f"Deals created this run: {deals.get('created', 0):,}. "
        f"Checks passed: {passed}/{len(summary.checks)} ({warned} source data warnings, "
        f"{len(summary.blocking_failures)} errors). Duplicate deals found: {duplicates}."
    )
    for failure in summary.failures:
        console.print(f"[red]{failure}")
    status = "[green]succeeded" if summary.success else "[red]FAILED"
    console.print(f"Run {summary.run_id} {status}.")
