"""`moulin-sync plan`: what the next sync would do, with no call to HubSpot at all.

It reads the source afresh, builds the same payloads as the assets, and plans them
against the state store with the same `plan_sync` the write step uses.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from moulin_sync.hubspot.models import (
    CompanyProperties,
    ContactProperties,
    DealProperties,
    validate_records,
)
from moulin_sync.hubspot.pipelines import DealPipeline
from moulin_sync.hubspot.plan import SyncPlan, plan_sync
from moulin_sync.hubspot.state import SyncState
from moulin_sync.hubspot.transforms import (
    Payloads,
    company_payloads,
    contact_payloads,
    deal_payloads,
    order_totals,
)
from moulin_sync.settings import MoulinSettings, stage_for_status
from moulin_sync.sources.app_du_moulin.reader import SourceReader


def _validated(payloads: Payloads, model: type) -> Payloads:
    valid, invalid = validate_records(model, payloads.records)
    return Payloads(
        records=valid,
        quarantine=pl.concat([payloads.quarantine, invalid], how="diagonal_relaxed"),
        erased=payloads.erased,
    )


def _ids(state: SyncState, object_type: str) -> dict[str, str]:
    frame = state.load(object_type).drop_nulls("hubspot_id")
    return dict(frame.select("source_key", "hubspot_id").iter_rows())


def dry_run(
    settings: MoulinSettings,
    months: tuple[str | None, str | None] = (None, None),
    now: dt.datetime | None = None,
) -> dict[str, SyncPlan]:
    """Plans per object type; deals for the months [first, last] (default: all history),
    as `moulin-sync sync --from --to` would sync them."""
    now = now or dt.datetime.now(dt.UTC)
    reader = SourceReader(settings.source_url)
    reader.check()
    customers = reader.read_table("customers")
    companies = reader.read_table("companies")
    contacts_of = reader.read_table("company_contacts")
    points = reader.read_table("pickup_points")
    orders = reader.read_table("orders")
    tz = settings.timezone
    # The same span as the monthly partitions a run covers (by default all of them).
    from moulin_sync.defs.partitions import monthly_partitions

    first = months[0] or monthly_partitions.get_first_partition_key()
    last = months[1] or monthly_partitions.get_last_partition_key()
    history_start = monthly_partitions.time_window_for_partition_key(first).start.astimezone(dt.UTC)
    history_end = monthly_partitions.time_window_for_partition_key(last).end.astimezone(dt.UTC)
    state = SyncState(settings.state_url)
    try:
        companies_plan = plan_sync(
            "companies",
            _validated(
                company_payloads(
                    companies, order_totals(orders, points, by="company_id", timezone=tz, now=now)
                ),
                CompanyProperties,
            ),
            state.load("companies"),
        )
        # What the companies step will have synced by the time contacts run: planned
        # creates count as present, so contacts do not show as waiting for them.
        company_ids = _ids(state, "companies") | {
            key: "planned" for key in companies_plan.create["source_key"].to_list()
        }
        contacts_plan = plan_sync(
            "contacts",
            _validated(
                contact_payloads(
                    customers,
                    contacts_of,
                    companies,
                    order_totals(orders, points, by="customer_id", timezone=tz, now=now),
                    timezone=tz,
                ),
                ContactProperties,
            ),
            state.load("contacts"),
            links={"company_key": company_ids},
            archive_erased=settings.gdpr_erasure == "archive",
        )
        contact_ids = _ids(state, "contacts") | {
            key: "planned" for key in contacts_plan.create["source_key"].to_list()
        }
        pipeline_file = Path(settings.data_dir) / "hubspot" / "deal_pipeline.json"
        pipeline = (
            DealPipeline.from_json(pipeline_file.read_text())
            if pipeline_file.is_file()
            else DealPipeline(
                "(to be created)",
                settings.deal_pipeline,
                {s: s for s in stage_for_status(settings)},
            )
        )
        deals_plan = plan_sync(
            "deals",
            _validated(
                deal_payloads(
                    orders.filter(
                        (pl.col("ordered_at") >= history_start)
                        & (pl.col("ordered_at") < history_end)
                        | pl.col("ordered_at").is_null()  # quarantined: the date does not read
                    ),
                    customers,
                    companies,
                    points,
                    pipeline_id=pipeline.pipeline_id,
                    stage_ids=pipeline.stage_ids,
                    timezone=tz,
                ),
                DealProperties,
            ),
            state.load("deals"),
            links={"contact_key": contact_ids, "company_key": company_ids},
            required_links=("contact_key", "company_key"),
        )
    finally:
        state.close()
    return {"companies": companies_plan, "contacts": contacts_plan, "deals": deals_plan}
