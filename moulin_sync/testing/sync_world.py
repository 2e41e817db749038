"""A small world for sync tests: a generated source, an emulator, state and snapshots.

Tests play the App du Moulin by writing into the SQLite source directly, then run the
nightly job's assets (selected from the one Definitions), with resources pointed at the
emulator.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import AssetKey, AssetSelection, DagsterInstance, materialize

from moulin_sync.definitions import enabled_defs
from moulin_sync.defs.app_du_moulin.resources import AppDuMoulinSource
from moulin_sync.defs.hubspot.reports import run_figures
from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.io_manager import CsvExportIOManager, ParquetIOManager
from moulin_sync.defs.resources import SyncSettings, collected_resources
from moulin_sync.demo_data.generator import generate
from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.settings import MoulinSettings
from moulin_sync.testing.hubspot_emulator import EmulatorHandle

TODAY = dt.date(2026, 11, 27)
DEFAULT_SOURCES = ("app_du_moulin",)

# Contacts and companies with everything upstream of them.
CONTACT_ASSETS = AssetSelection.assets(AssetKey(["hubspot", "contacts"])).upstream()
# The whole nightly job: every asset and every check.
DEAL_ASSETS = AssetSelection.all(include_sources=False) | AssetSelection.all_asset_checks()

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
READ_ROUTES = ("/batch/read", "/search")


def nightly_assets(sources: Sequence[str] = DEFAULT_SOURCES) -> list[Any]:
    """Every asset and check of the one Definitions for `sources`, as decorated (no
    resources bound)."""
    collected = enabled_defs(sources)
    return [*collected.assets, *collected.asset_checks]


def metadata_values(result: Any) -> dict[str, dict[str, Any]]:
    """Each asset's metadata values by key, each check's under "check:<name>" and
    "check:<asset key>:<name>" (several assets have a check of the same name)."""
    found: dict[str, dict[str, Any]] = {
        "/".join(event.materialization.asset_key.path): run_figures(
            {
                name: getattr(value, "value", value)
                for name, value in event.materialization.metadata.items()
            }
        )
        for event in result.get_asset_materialization_events()
    }
    for evaluation in result.get_asset_check_evaluations():
        values = {
            "passed": evaluation.passed,
            **{name: getattr(v, "value", v) for name, v in evaluation.metadata.items()},
        }
        found[f"check:{evaluation.check_name}"] = values
        found[f"check:{'/'.join(evaluation.asset_key.path)}:{evaluation.check_name}"] = values
    return found


def step_failures(result: Any) -> dict[str, str]:
    """{step key: the failure's description (a `Failure`'s) or its error message}."""
    found = {}
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        described = data.user_failure_data.description if data.user_failure_data else None
        found[event.step_key] = described or (data.error.message.strip() if data.error else "")
    return found


def table_text(value: Any) -> str:
    """A table metadata value's cells as text, one row per line (to search in)."""
    rows = getattr(value, "records", None) or []
    return "\n".join(" | ".join(str(v) for v in row.data.values()) for row in rows)


def month_tags(months: tuple[str, str] | None) -> dict[str, str]:
    if not months:
        return {}
    return {
        "dagster/asset_partition_range_start": months[0],
        "dagster/asset_partition_range_end": months[1],
    }


def world_resources(
    source_url: str,
    state_url: str,
    data_dir: Path,
    hubspot: HubSpot,
    *,
    gdpr_erasure: str = "delete",
    timezone: str = "Europe/Paris",
    drift: str = "report",
    sources: Sequence[str] = DEFAULT_SOURCES,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The resources of a run of the nightly assets against a test world: every
    source's and system's as `defs/*/resources.py` declare them (a source that is off
    included, unset), then the world's own, then `extra` (a source's emulator)."""
    settings = MoulinSettings(source_url=source_url, state_url=state_url, data_dir=str(data_dir))
    return {
        **collected_resources(settings),
        "settings": SyncSettings(
            timezone=timezone,
            gdpr_erasure=gdpr_erasure,
            drift=drift,
            sources=list(sources),
            data_dir=str(data_dir),
        ),
        "source": AppDuMoulinSource(url=source_url),
        "state": SyncStateStore(url=state_url),
        "hubspot": hubspot,
        "io_manager": ParquetIOManager(root=str(data_dir)),
        "exports": CsvExportIOManager(root=str(data_dir)),
        **(extra or {}),
    }


@dataclass
class SyncWorld:
    root: Path
    hubspot: EmulatorHandle
    source_path: Path
    tier: str = "unlimited"
    gdpr_erasure: str = "delete"
    drift: str = "report"
    # The sources that are on, and the resources of those beyond the App du Moulin.
    sources: tuple[str, ...] = DEFAULT_SOURCES
    extra: dict[str, Any] = field(default_factory=dict)
    # The last run's failed steps: step key → what failed, in its own words.
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def source_url(self) -> str:
        return f"sqlite:///{self.source_path}"

    @property
    def state_url(self) -> str:
        return f"sqlite:///{self.root / 'state.db'}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def resources(self) -> dict[str, Any]:
        hubspot = HubSpot(
            base_url=self.hubspot.base_url, access_token=self.hubspot.token, tier=self.tier
        )
        return world_resources(
            self.source_url,
            self.state_url,
            self.data_dir,
            hubspot,
            gdpr_erasure=self.gdpr_erasure,
            drift=self.drift,
            sources=self.sources,
            extra=self.extra,
        )

    def run(
        self,
        selection: AssetSelection = CONTACT_ASSETS,
        months: tuple[str, str] | None = None,
        expect_success: bool = True,
        instance: DagsterInstance | None = None,
    ) -> dict[str, dict]:
        """Materialize `selection` (for the months [first, last] when partitioned), on
        `instance` (default: an ephemeral one); return each asset's metadata values by
        key, and each check's under "check:<name>"."""
        with ExitStack() as stack:
            if instance is None:
                instance = stack.enter_context(DagsterInstance.ephemeral())
            result = materialize(
                nightly_assets(self.sources),
                selection=selection,
                resources=self.resources(),
                instance=instance,
                tags=month_tags(months),
                raise_on_error=False,
            )
        self.failures = step_failures(result)
        if expect_success:
            assert result.success, [e.message for e in result.all_events if e.is_failure]
        return metadata_values(result)

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
    hubspot.admin.set_limits(per_10s=None, daily=None, search_per_s=None, latency_ms=None)
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
