"""The `dedupe_deals` job: merge what `no_duplicate_deals` finds, dry run by default.

Each duplicate is merged (HubSpot's merge API) into the deal moulin-sync owns for that
order — the one in the state store — so the survivor keeps our key, our associations
and the id the App du Moulin links to. A dry run only reports what it would merge.
"""

import polars as pl
from dagster import Config, MetadataValue, OpExecutionContext, Output, job, op
from pydantic import Field

from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.partitions import monthly_partitions, run_window
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.hubspot.audit import audit_duplicates
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.lib.metadata import markdown_table

MERGE_SCHEMA = {"order_id": pl.String, "survivor": pl.String, "merged": pl.String, "why": pl.String}


class DedupeConfig(Config):
    dry_run: bool = True
    # Months to look at (partition keys like "2024-03-01"); empty means the whole history.
    months: list[str] = Field(default_factory=list)


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


@op(description="Find duplicate deals in HubSpot and merge each into the deal we own.")
def merge_duplicate_deals(
    context: OpExecutionContext,
    config: DedupeConfig,
    settings: SyncSettings,
    hubspot: HubSpot,
    state: SyncStateStore,
) -> Output[None]:
    keys = config.months or monthly_partitions.get_partition_keys()
    client = hubspot.client()
    _, duplicates = audit_duplicates(client, *run_window(keys), settings.timezone)
    owned = state.store.hubspot_ids(DEALS.name, duplicates.by_key["moulin_order_id"].to_list())
    plan = merge_plan(duplicates.by_key, duplicates.look_alikes, owned)
    merged = 0
    if not config.dry_run:
        for order_id, survivor, other, why in plan.iter_rows():
            client.objects.merge("deals", survivor, other)
            context.log.info(f"merged deal {other} into {survivor} (order {order_id}: {why})")
            merged += 1
        # The survivor is the deal of record from now on; what HubSpot last accepted
        # for the order (hash, month, links) is kept, so no rewrite follows.
        state.store.record_moved(
            DEALS.name,
            [
                (order_id, survivor)
                for order_id, survivor in plan.select("order_id", "survivor").unique().iter_rows()
                if owned.get(order_id) != survivor
            ],
        )
    verb = "would merge" if config.dry_run else "merged"
    context.log.info(f"dedupe_deals {verb} {plan.height} duplicate deals")
    return Output(
        None,
        metadata={
            "dry_run": config.dry_run,
            "duplicates_found": plan.height,
            "merged": merged,
            "report": MetadataValue.md(f"**{verb}**\n\n" + markdown_table(plan, rows=50).value),
        },
    )


@job(description="Merge duplicate deals into the deals moulin-sync owns (dry run by default).")
def dedupe_deals() -> None:
    merge_duplicate_deals()
