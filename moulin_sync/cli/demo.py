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
nux:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


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
@click.option(
    "--ui", is_flag=True, help="Then leave the Dagster UI up over the demo (Ctrl-C stops it)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The UI's address (--ui).")
@click.option("--port", default=3000, show_default=True, help="The UI's port (--ui).")
def demo(
    root: str, customers: int, companies: int, orders: int, ui: bool, host: str, port: int
) -> None:
    """Run the main job on embedded defaults (generated data, local emulators).

    The database is generated once; run it again to see a nightly run with nothing new.
    """
    sizes = {"customers": customers, "companies": companies, "orders": orders}
    if ui and not _port_is_free(host, port):
        raise click.BadParameter(
            f"{host}:{port} is in use: pick another --port", param_hint="--port"
        )
    summary = run_demo(Path(root), sizes=sizes, ui=(host, port) if ui else None)
    if not summary.success:
        raise SystemExit(1)


def _port_is_free(host: str, port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


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
    ui: tuple[str, int] | None = None,
) -> RunSummary:
    """The demo's run and its summary; with `ui` (host, port), the Dagster UI is then
    left up over it, with the emulator, until Ctrl-C."""
    from moulin_sync.cli.progress import SyncProgress
    from moulin_sync.cli.runner import run_nightly_sync
    from moulin_sync.testing.demo_sources import demo_sources
    from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator

    console = console or Console()
    root = root.resolve()
    prepare(root, console, sizes or DEMO_SIZES)
    # The emulators keep their state next to the rest, so a second `make demo` shows the
    # nightly case: nothing changed, nothing written.
    with (
        run_hubspot_emulator(
            tier=DEMO_TIER, token="demo-token", state_path=root / "hubspot_emulator.db"
        ) as hubspot,
        demo_sources(root, console, seed=DEMO_SEED) as sources,
    ):
        os.environ.update(
            {
                **demo_environment(root),
                "HUBSPOT_BASE_URL": hubspot.base_url,
                "HUBSPOT_ACCESS_TOKEN": hubspot.token,
                **sources.environment,
            }
        )
        console.print(
            f"HubSpot emulator ({DEMO_TIER} tier) at {hubspot.base_url}"
            + "".join(f", {name}'s at {url}" for name, url in sources.addresses.items())
            + "; running nightly_sync over the whole order history …"
        )
        summary = run_nightly_sync(view=SyncProgress(console))
        in_hubspot = {
            kind: sum(1 for o in objects if not o["archived"])
            for kind, objects in hubspot.admin.state()["objects"].items()
        }
        print_summary(summary, in_hubspot, console, ui=ui is not None)
        if ui is not None:
            from moulin_sync.cli.demo_ui import serve_ui

            serve_ui(root, *ui, console)
    return summary


def print_summary(
    summary: RunSummary, in_hubspot: dict[str, int], console: Console, *, ui: bool = False
) -> None:
    from moulin_sync.cli.summary import next_steps, summary_lines

    status = "succeeded" if summary.success else "FAILED"
    lines = [f"nightly_sync {status} (run {summary.run_id}).", *summary_lines(summary, in_hubspot)]
    deals = summary.assets.get("hubspot/deals", {})
    lines.append(f"Deals created this run: {deals.get('created', 0):,}.")
    lines += summary.failures
    lines += next_steps(None if ui else "moulin-sync demo --ui")
    # Plain text: rich would cut numbers to fit a narrow or piped terminal.
    console.out("\n".join(lines), highlight=False)
