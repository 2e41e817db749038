"""A small world for sync tests: a generated source, an emulator, state and snapshots.

Tests play the App du Moulin by writing into the SQLite source directly, then run the
same assets the nightly job runs, with resources pointed at the emulator.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetsDefinition, DagsterInstance, materialize

from moulin_sync.defs.app_du_moulin import assets as source_assets
from moulin_sync.defs.hubspot import companies, contacts, deal_checks, deals, property_schema
from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.defs.resources import AppDuMoulinSource, Snapshots, SyncStateStore
from moulin_sync.demo_data.generator import generate
from moulin_sync.hubspot.state import SyncState
from moulin_sync.testing.hubspot_emulator import EmulatorHandle

TODAY = dt.date(2026, 11, 27)

CONTACT_ASSETS: list[AssetsDefinition] = [
    source_assets.pickup_points,
    source_assets.customers,
    source_assets.companies,
    source_assets.company_contacts,
    source_assets.order_totals,
    property_schema.property_schema,
    companies.company_payload_records,
    companies.hubspot_companies,
    contacts.contact_payload_records,
    contacts.hubspot_contacts,
]

DEAL_ASSETS: list = [
    *CONTACT_ASSETS,
    source_assets.orders,
    deals.deal_pipeline,
    deals.deal_payload_records,
    deals.hubspot_deals,
    deals.deal_id_export,
    deal_checks.no_duplicate_deals,
    deal_checks.every_order_has_a_deal,
    deal_checks.deals_are_associated,
]

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
READ_ROUTES = ("/batch/read", "/search")


@dataclass
class SyncWorld:
    root: Path
    hubspot: EmulatorHandle
    source_path: Path
    tier: str = "unlimited"
    archive_erased: bool = True

    @property
    def source_url(self) -> str:
        return f"sqlite:///{self.source_path}"

    @property
    def state_url(self) -> str:
        return f"sqlite:///{self.root / 'state.db'}"

    def resources(self) -> dict[str, Any]:
        return {
            "source": AppDuMoulinSource(url=self.source_url),
            "snapshots": Snapshots(root=str(self.root / "data")),
            "state": SyncStateStore(url=self.state_url, archive_erased=self.archive_erased),
            "hubspot": HubSpot(
                base_url=self.hubspot.base_url, access_token=self.hubspot.token, tier=self.tier
            ),
        }

    def run(
        self,
        assets: Sequence[AssetsDefinition] = CONTACT_ASSETS,
        months: tuple[str, str] | None = None,
        expect_success: bool = True,
    ) -> dict[str, dict]:
        """Materialize `assets` (for the months [first, last] when partitioned); return
        each asset's metadata values by key, and each check's under "check:<name>"."""
        tags = (
            {
                "dagster/asset_partition_range_start": months[0],
                "dagster/asset_partition_range_end": months[1],
            }
            if months
            else {}
        )
        with DagsterInstance.ephemeral() as instance:
            result = materialize(
                list(assets),
                resources=self.resources(),
                instance=instance,
                tags=tags,
                raise_on_error=False,
            )
        if expect_success:
            assert result.success, [e.message for e in result.all_events if e.is_failure]
        found: dict[str, dict] = {
            "/".join(event.materialization.asset_key.path): {
                name: value.value for name, value in event.materialization.metadata.items()
            }
            for event in result.get_asset_materialization_events()
        }
        for evaluation in result.get_asset_check_evaluations():
            found[f"check:{evaluation.check_name}"] = {
                "passed": evaluation.passed,
                **{name: value.value for name, value in evaluation.metadata.items()},
            }
        return found

    def state(self) -> SyncState:
        return SyncState(self.state_url)

    def objects(self, object_type: str, *, archived: bool = False) -> list[dict[str, Any]]:
        return [
            o
            for o in self.hubspot.admin.state()["objects"][object_type]
            if archived or not o["archived"]
        ]

    def write_calls(self) -> int:
        """Record writes HubSpot saw since the last `reset_stats` (property setup aside)."""
        return sum(
            r["count"]
            for r in self.hubspot.admin.stats()
            if r["method"] in WRITE_METHODS
            and not r["route"].endswith(READ_ROUTES)
            and "/properties/" not in r["route"]
        )

    def sql(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        with sqlite3.connect(self.source_path) as connection:
            rows = connection.execute(statement, parameters).fetchall()
            connection.commit()
        return rows


def new_world(root: Path, hubspot: EmulatorHandle, **sizes: int) -> SyncWorld:
    """Generated App du Moulin data under `root`, and a blank portal: no records, faults,
    limits nor counters left by an earlier test."""
    hubspot.admin.reset()
    hubspot.admin.clear_faults()
    hubspot.admin.set_limits(per_10s=None, daily=None, search_per_s=None)
    hubspot.admin.reset_stats()
    root.mkdir(parents=True, exist_ok=True)
    source = root / "app.db"
    generate(
        f"sqlite:///{source}",
        customers=sizes.get("customers", 300),
        companies=sizes.get("companies", 10),
        orders=sizes.get("orders", 1_500),
        seed=sizes.get("seed", 11),
        dirty_rate=sizes.get("dirty_rate", 0.02),
        today=TODAY,
    )
    return SyncWorld(root=root, hubspot=hubspot, source_path=source)
