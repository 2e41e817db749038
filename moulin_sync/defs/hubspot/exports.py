"""What the App du Moulin takes back from the sync: each order's HubSpot deal id."""

import polars as pl
from dagster import Output, asset

from moulin_sync.defs.hubspot.factory import records_key
from moulin_sync.defs.hubspot.resources import SyncStateStore
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.hubspot.sync.state import SyncState


def deal_id_table(store: SyncState) -> pl.DataFrame:
    """Order → HubSpot deal id (with its month and when it was synced)."""
    return store.id_table(DEALS.name).rename(
        {"source_key": "order_id", "hubspot_id": "deal_id", "partition_key": "month"}
    )


@asset(
    key=["exports", "deal_ids"],
    group_name="exports",
    kinds={"csv"},
    io_manager_key="exports",
    # Every month's deals, read from the state store: the write step's months only order it.
    deps=[records_key(DEALS)],
    description="Order → HubSpot deal id, as CSV for the App du Moulin to link each order "
    "to its deal. Not refreshed while no_duplicate_deals fails: an order with two deals "
    "has no single id to give.",
)
def deal_id_export(state: SyncStateStore) -> Output[pl.DataFrame]:
    frame = deal_id_table(state.store)
    return Output(frame, metadata={"dagster/row_count": frame.height})
