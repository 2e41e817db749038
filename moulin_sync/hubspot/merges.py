"""Merging duplicate deals into the deal moulin-sync owns for their order.

The survivor is the deal in the state store, so it keeps our key, our associations and
the id the App du Moulin links to; what HubSpot last accepted for the order (hash, month,
links) is kept, so no rewrite follows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.sync.state import SyncState

MERGE_SCHEMA = {"order_id": pl.String, "survivor": pl.String, "merged": pl.String, "why": pl.String}


def merge_plan(
    by_key: pl.DataFrame, look_alikes: pl.DataFrame, owned: dict[str, str]
) -> pl.DataFrame:
    """(order_id, survivor, merged, why): every merge to do, the owned deal surviving."""
    rows = []
    for order_id, deal_ids in by_key.select("moulin_order_id", "deal_ids").iter_rows():
        ids = sorted(deal_ids, key=int)
        survivor = owned.get(order_id) if owned.get(order_id) in ids else ids[0]
        rows.extend(
            (order_id, survivor, other, "same moulin_order_id")
            for other in ids
            if other != survivor
        )
    rows.extend(
        (order_id, owned_deal, deal_id, "legacy look-alike (contact, amount, day)")
        for deal_id, order_id, owned_deal in look_alikes.select(
            "deal_id", "order_id", "owned_deal_id"
        ).iter_rows()
    )
    return pl.DataFrame(rows, schema=MERGE_SCHEMA, orient="row")


def merge_into_owned(
    client: HubSpotClient,
    state: SyncState,
    plan: pl.DataFrame,
    owned: Mapping[str, str],
    *,
    log: Callable[[str], None] = lambda message: None,
) -> int:
    """Do the merges of `plan` (`merge_plan`'s) and record each order's survivor."""
    for order_id, survivor, other, why in plan.iter_rows():
        client.objects.merge("deals", survivor, other)
        log(f"merged deal {other} into {survivor} (order {order_id}: {why})")
    state.record_moved(
        "deals",
        [
            (order_id, survivor)
            for order_id, survivor in plan.select("order_id", "survivor").unique().iter_rows()
            if owned.get(order_id) != survivor
        ],
    )
    return plan.height
