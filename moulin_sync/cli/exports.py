"""`moulin-sync export-deal-ids`: order → HubSpot deal id, for the App du Moulin."""

from __future__ import annotations

import os
import sys

import click


@click.command("export-deal-ids")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
@click.option(
    "--allow-duplicates",
    is_flag=True,
    help="Export even though no_duplicate_deals failed in its latest run.",
)
def export_deal_ids(fmt: str, output: str | None, allow_duplicates: bool) -> None:
    """Order id → HubSpot deal id, for the App du Moulin to link each order to its deal.

    Like the exports/deal_ids asset, it refuses while the latest no_duplicate_deals check
    failed: an order with two deals has no single id to give."""
    from moulin_sync.defs.hubspot.exports import deal_id_table
    from moulin_sync.hubspot.sync.state import StateStoreError, SyncState
    from moulin_sync.settings import SettingsError, load_settings

    duplicates = latest_duplicate_check()
    if duplicates is not None and not allow_duplicates:
        raise click.ClickException(
            f"{duplicates} — not exporting: an order with two deals has no single id. Run the "
            "dedupe_deals job (dry run first) and sync again, or pass --allow-duplicates."
        )
    if duplicates is None and not os.environ.get("DAGSTER_HOME"):
        click.echo(
            "warning: DAGSTER_HOME is unset, so whether no_duplicate_deals passes is unknown "
            "(no run history to ask)",
            err=True,
        )
    try:
        with SyncState(load_settings().state_url, create=False) as state:
            frame = deal_id_table(state)
    except (StateStoreError, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    text = frame.write_csv() if fmt == "csv" else frame.write_json()
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def latest_duplicate_check() -> str | None:
    """What the latest evaluation of no_duplicate_deals found, if it failed; None when
    it passed, or when there is no Dagster instance to ask (DAGSTER_HOME unset)."""
    if not os.environ.get("DAGSTER_HOME"):
        return None
    from dagster import AssetCheckKey, AssetKey, DagsterInstance

    from moulin_sync.lib.dagster_internals import AssetCheckExecutionRecordStatus as Status

    key = AssetCheckKey(AssetKey(["hubspot", "deals"]), "no_duplicate_deals")
    with DagsterInstance.get() as instance:
        history = instance.event_log_storage.get_asset_check_execution_history(
            key, limit=1, status={Status.SUCCEEDED, Status.FAILED}
        )
    if not history or history[0].status == Status.SUCCEEDED or history[0].event is None:
        return None
    evaluation = history[0].event.dagster_event.event_specific_data
    found = evaluation.metadata.get("duplicate_deals")
    count = getattr(found, "value", found)
    return f"no_duplicate_deals failed in run {history[0].run_id[:8]}: {count} duplicate deal(s)"
