"""The naive way, for comparison: one create and one association call per order."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bench_world import Calls, World


# --------------------------------------------------------------------------- the naive way
def naive_way(world: World, months: Sequence[str], count: int) -> dict[str, Any]:
    """The founding note's way, on `count` of the same orders: `basic_api.create` per order,
    then one v4 association call to its contact, through hubspot-api-client. A 429 is
    waited out (0.5 s) and retried, as any working script must; 429s are not counted as
    calls made (the emulator does not bill them either)."""
    import hubspot
    import polars as pl
    from hubspot.crm.associations.v4 import AssociationSpec
    from hubspot.crm.associations.v4.exceptions import ApiException as AssocApiException
    from hubspot.crm.deals import SimplePublicObjectInputForCreate
    from hubspot.crm.deals.exceptions import ApiException as DealsApiException

    from moulin_sync.hubspot.streams.deals import DEALS
    from moulin_sync.hubspot.sync.state import SyncState

    deal_properties = DEALS.property_names

    state = SyncState(f"sqlite:///{world.root / 'state.db'}")
    try:
        contacts = state.load("contacts").drop_nulls("hubspot_id")
    finally:
        state.close()
    records = (
        world.payload_records(months)["deals"]
        .join(
            contacts.select(
                pl.col("source_key").alias("contact_key"), pl.col("hubspot_id").alias("contact_id")
            ),
            on="contact_key",
            how="inner",
        )
        .head(count)
    )
    # Without our unique key: the naive way has none (and ours already holds these orders).
    properties = [p for p in deal_properties if p != "moulin_order_id"]
    client = hubspot.HubSpot(access_token=world.hubspot.token, host=world.hubspot.base_url)
    deals_api = client.crm.deals.basic_api
    assoc_api = client.crm.associations.v4.basic_api
    calls = 0
    rate_limited = 0

    def call(fn: Any, errors: tuple[type[Exception], ...]) -> Any:
        nonlocal calls, rate_limited
        while True:
            try:
                answer = fn()
                calls += 1
                return answer
            except errors as exc:
                if getattr(exc, "status", None) != 429:
                    raise
                rate_limited += 1
                time.sleep(0.5)

    world.hubspot.admin.reset_stats()
    started = time.perf_counter()
    for row in records.iter_rows(named=True):
        deal = call(
            lambda row=row: deals_api.create(
                SimplePublicObjectInputForCreate(properties={p: row[p] for p in properties})
            ),
            (DealsApiException,),
        )
        call(
            lambda deal=deal, row=row: assoc_api.create(
                "deals",
                deal.id,
                "contacts",
                row["contact_id"],
                [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=3)],
            ),
            (AssocApiException,),
        )
    seconds = time.perf_counter() - started
    seen = Calls.from_stats(world.hubspot.admin.stats())
    return {
        "orders": records.height,
        "calls": calls,
        "calls_seen_by_hubspot": seen.writes,
        "rate_limited_429s": rate_limited,
        "seconds": seconds,
        "calls_per_order": calls / max(1, records.height),
        "seconds_per_order": seconds / max(1, records.height),
    }
