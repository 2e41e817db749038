"""Dagster resources, built once from the settings.

A value that came from the environment is passed as `EnvVar`, so Dagster resolves it
at launch and never shows it in the UI's run config (URLs may carry passwords).
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource, EnvVar

from moulin_sync.defs.hubspot.resources import HubSpot
from moulin_sync.hubspot.state import SyncState
from moulin_sync.lib.parquet_store import ParquetStore
from moulin_sync.settings import MoulinSettings
from moulin_sync.sources.app_du_moulin.reader import SourceReader


class AppDuMoulinSource(ConfigurableResource):
    """The App du Moulin database, read only."""

    url: str

    def reader(self) -> SourceReader:
        reader = SourceReader(self.url)
        reader.check()
        return reader


class Snapshots(ConfigurableResource):
    """Where source tables and payloads are kept as Parquet between steps."""

    root: str

    def store(self) -> ParquetStore:
        return ParquetStore(Path(self.root))


class SyncStateStore(ConfigurableResource):
    """The sync state store (`MOULIN_STATE_URL`): what HubSpot last accepted, per record."""

    url: str
    archive_erased: bool = True

    def open(self) -> SyncState:
        return SyncState(self.url)


def _from_env(variable: str, default: str) -> str | EnvVar:
    return EnvVar(variable) if variable in os.environ else default


def build_resources(settings: MoulinSettings) -> dict[str, ConfigurableResource]:
    return {
        "source": AppDuMoulinSource(url=_from_env("MOULIN_SOURCE_URL", settings.source_url)),
        "snapshots": Snapshots(root=_from_env("MOULIN_DATA_DIR", settings.data_dir)),
        "state": SyncStateStore(
            url=_from_env("MOULIN_STATE_URL", settings.state_url),
            archive_erased=settings.gdpr_erasure == "archive",
        ),
        "hubspot": HubSpot(
            base_url=settings.hubspot_base_url,
            # The token is a secret: only ever an EnvVar, resolved at launch, never shown.
            access_token=EnvVar("HUBSPOT_ACCESS_TOKEN")
            if "HUBSPOT_ACCESS_TOKEN" in os.environ
            else "",
            tier=settings.hubspot_tier,
        ),
    }
