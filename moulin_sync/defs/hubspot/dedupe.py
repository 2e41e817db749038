"""The `dedupe_deals` job: merge what `no_duplicate_deals` finds, dry run by default.

Each duplicate is merged (HubSpot's merge API) into the deal moulin-sync owns for that
order — the one in the state store — so the survivor keeps our key, our associations
and the id the App du Moulin links to. A dry run only reports what it would merge.
"""

from dagster import Config, MetadataValue, OpExecutionContext, Output, job, op
from pydantic import Field

from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.partitions import monthly_partitions, run_window
from moulin_sync.defs.resources import SyncSettings
from moulin_sync.hubspot.audit import audit_duplicates
from moulin_sync.hubspot.merges import merge_into_owned, merge_plan
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.lib.metadata import markdown_table


class DedupeConfig(Config):
    dry_run: bool = True
    # Months to look at (partition keys like "2024-03-01"); empty means the whole history.
    months: list[str] = Field(default_factory=list)


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
        merged = merge_into_owned(client, state.store, plan, owned, log=context.log.info)
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
