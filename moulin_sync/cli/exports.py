"""`moulin-sync export-deal-ids`: order → HubSpot deal id, for the App du Moulin."""

from __future__ import annotations

import click


@click.command("export-deal-ids")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
def export_deal_ids(fmt: str, output: str | None) -> None:
    """Order id → HubSpot deal id, for the App du Moulin to link each order to its deal."""
    import sys

    from moulin_sync.defs.hubspot.exports import deal_id_table
    from moulin_sync.hubspot.sync.state import SyncState
    from moulin_sync.settings import load_settings

    with SyncState(load_settings().state_url) as state:
        frame = deal_id_table(state)
    text = frame.write_csv() if fmt == "csv" else frame.write_json()
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
