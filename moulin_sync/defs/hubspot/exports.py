"""What the App du Moulin takes back from the sync: each order's HubSpot deal id."""

from collections.abc import Iterator
from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, AssetKey, Output, asset

from moulin_sync.defs.hubspot.factory import records_key
from moulin_sync.defs.hubspot.resources import SyncStateStore
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.hubspot.sync.state import SyncState

EXPORT_KEY = AssetKey(["exports", "deal_ids"])
VERSION = "state_version"


def deal_id_table(store: SyncState) -> pl.DataFrame:
    """Order → HubSpot deal id (with its month and when it was synced)."""
    return store.id_table(DEALS.name).rename(
        {"source_key": "order_id", "hubspot_id": "deal_id", "partition_key": "month"}
    )


@asset(
    key=EXPORT_KEY,
    group_name="exports",
    kinds={"csv"},
    io_manager_key="exports",
    # Every month's deals, read from the state store: the write step's months only order it.
    deps=[records_key(DEALS)],
    # A night that changed no deal id keeps the last file: no materialization.
    output_required=False,
    description="Order → HubSpot deal id, as CSV for the App du Moulin to link each order "
    "to its deal. Not refreshed while no_duplicate_deals fails: an order with two deals "
    "has no single id to give. Written again only when a deal id changed.",
)
def deal_id_export(
    context: AssetExecutionContext, state: SyncStateStore
) -> Iterator[Output[pl.DataFrame]]:
    version = state.store.id_table_version(DEALS.name)
    if _exported_version(context) == version:
        context.log.info("No deal id changed since the last export: the file stands.")
        return
    frame = deal_id_table(state.store)
    yield Output(frame, metadata={"dagster/row_count": frame.height, VERSION: version})


def _exported_version(context: AssetExecutionContext) -> str | None:
    """The state store's version the export on disk was made from, if it is still there."""
    event = context.instance.get_latest_materialization_event(EXPORT_KEY)
    done = event.asset_materialization if event is not None else None
    if done is None:
        return None
    path, version = done.metadata.get("path"), done.metadata.get(VERSION)
    if path is None or version is None or not Path(str(path.value)).exists():
        return None
    return str(version.value)
