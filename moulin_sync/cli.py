"""The `moulin-sync` command.

Each sub-command lives beside the code it drives and is only wired here, so this
file stays a table of contents.
"""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="moulin-sync")
def main() -> None:
    """Keep HubSpot in step with the App du Moulin."""


@main.group()
def emulator() -> None:
    """Local stand-ins for HubSpot, Typeform and Freshdesk (never the real services)."""


@main.command()
@click.option(
    "--dir",
    "root",
    default=".moulin/demo",
    show_default=True,
    type=click.Path(),
    help="Where the demo keeps its database, state and Dagster instance.",
)
@click.option("--customers", default=2_000, show_default=True, help="Demo database size.")
@click.option("--companies", default=60, show_default=True)
@click.option("--orders", default=20_000, show_default=True)
def demo(root: str, customers: int, companies: int, orders: int) -> None:
    """Run the main job on embedded defaults (generated data, local emulators).

    The database is generated once; run it again to see a nightly run with nothing new.
    """
    from pathlib import Path

    from moulin_sync.demo import run_demo

    sizes = {"customers": customers, "companies": companies, "orders": orders}
    summary = run_demo(Path(root), sizes=sizes)
    if not summary.success:
        raise SystemExit(1)


@main.command()
@click.option("--from", "first", help="First month (YYYY-MM-01); default: start of history.")
@click.option("--to", "last", help="Last month (YYYY-MM-01); default: the current month.")
def sync(first: str | None, last: str | None) -> None:
    """Run the nightly job now, for a range of months (needs HUBSPOT_ACCESS_TOKEN)."""
    from moulin_sync.runner import run_nightly_sync

    summary = run_nightly_sync(first, last)
    for key, values in sorted(summary.assets.items()):
        if "write_calls" in values:
            click.echo(
                f"{key}: created {values['created']}, updated {values['updated']}, "
                f"unchanged {values['unchanged']}, rejected {values['rejected']}, "
                f"write calls {values['write_calls']}"
            )
    for name, passed, _ in summary.checks:
        click.echo(f"check {name}: {'passed' if passed else 'FAILED'}")
    for failure in summary.failures:
        click.echo(failure, err=True)
    if not summary.success:
        raise SystemExit(1)


@main.command()
@click.option("--samples", default=5, show_default=True, help="Sample records per action.")
@click.option("--from", "first", help="First month of deals (YYYY-MM-01); default: all history.")
@click.option("--to", "last", help="Last month of deals (YYYY-MM-01); default: the current month.")
def plan(samples: int, first: str | None, last: str | None) -> None:
    """Dry run: what a sync would create, update, leave and reject. No HubSpot call."""
    from rich.console import Console
    from rich.table import Table

    from moulin_sync.dry_run import dry_run
    from moulin_sync.settings import load_settings

    plans = dry_run(load_settings(), (first, last))
    console = Console()
    table = Table(title="moulin-sync plan (dry run, nothing sent)")
    for column in ("object", "create", "update", "unchanged", "archive", "rejected", "waiting"):
        table.add_column(column, justify="left" if column == "object" else "right")
    for object_type, planned in plans.items():
        counts = planned.counts()
        table.add_row(
            object_type,
            *(
                f"{counts[c]:,}"
                for c in ("create", "update", "unchanged", "archive", "rejected", "waiting")
            ),
        )
    console.print(table)
    for object_type, planned in plans.items():
        for action in ("create", "update"):
            frame = getattr(planned, action)
            if frame.height:
                keys = ", ".join(frame["source_key"].head(samples).to_list())
                console.print(f"{object_type} to {action}, e.g. {keys}")
        reasons = planned.rejected.group_by("reason").len().sort("len", descending=True)
        for reason, count in reasons.head(samples).iter_rows():
            console.print(f"{object_type} rejected ×{count}: {reason}")


@main.command("export-deal-ids")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
def export_deal_ids(fmt: str, output: str | None) -> None:
    """Order id → HubSpot deal id, for the App du Moulin to link each order to its deal."""
    import sys

    from moulin_sync.hubspot.state import SyncState
    from moulin_sync.settings import load_settings

    state = SyncState(load_settings().state_url)
    try:
        frame = state.deal_ids()
    finally:
        state.close()
    text = frame.write_csv() if fmt == "csv" else frame.write_json()
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _register() -> None:
    from moulin_sync.demo_data.cli import demo_data_command
    from moulin_sync.emulators.hubspot.cli import hubspot_emulator_command

    main.add_command(demo_data_command, name="demo-data")
    emulator.add_command(hubspot_emulator_command, name="hubspot")


_register()


if __name__ == "__main__":
    main()
