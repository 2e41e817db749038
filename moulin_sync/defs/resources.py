"""Every resource, built once from the settings.

A value that came from the environment is passed as `EnvVar`, so Dagster resolves it at
launch and never shows it in the UI's run config (URLs may carry passwords).
"""

from typing import Any, Optional

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from moulin_sync.defs.app_du_moulin.resources import AppDuMoulinSource
from moulin_sync.defs.hubspot.resources import HubSpot, SyncStateStore
from moulin_sync.defs.io_manager import CsvExportIOManager, ParquetIOManager
from moulin_sync.hubspot.streams.spec import PipelineSpec
from moulin_sync.settings import DriftPolicy, GdprErasure, MoulinSettings


class SyncSettings(ConfigurableResource):
    """The settings the assets read (none of them secret), from `MoulinSettings`."""

    timezone: str = Field(description="Where days and months are counted (MOULIN_TIMEZONE).")
    gdpr_erasure: GdprErasure = Field(
        description="What to do in HubSpot with a customer erased at the source "
        "(MOULIN_GDPR_ERASURE)."
    )
    drift: DriftPolicy = Field(
        default="report",
        description="A managed property changed in HubSpot: report it, or restore ours on "
        "the next run (MOULIN_DRIFT).",
    )
    deal_pipeline: Optional[str] = Field(  # noqa: UP045 - Dagster reads this at runtime
        default=None,
        description="Deal pipeline, label or id; unset: moulin-sync's own (MOULIN_DEAL_PIPELINE).",
    )
    deal_stages: dict[str, str] = Field(
        default_factory=dict,
        description="Order status → stage label or id, over the defaults (MOULIN_DEAL_STAGES).",
    )

    @classmethod
    def from_settings(cls, settings: MoulinSettings) -> "SyncSettings":
        return cls(
            timezone=settings.timezone,
            gdpr_erasure=settings.gdpr_erasure,
            drift=settings.drift,
            deal_pipeline=settings.deal_pipeline,
            deal_stages=dict(settings.deal_stages),
        )

    def pipeline(self, spec: PipelineSpec) -> tuple[str, dict[str, str]]:
        """(the pipeline wanted, label or id; its status → stage overrides)."""
        wanted = getattr(self, spec.label_setting) or spec.default_label
        return wanted, dict(getattr(self, spec.stages_setting))


def _from_env(settings: MoulinSettings, field: str) -> Any:
    """The setting as an EnvVar when the environment gave it, else its default."""
    if field in settings.model_fields_set:
        return EnvVar(MoulinSettings.model_fields[field].validation_alias)
    return getattr(settings, field)


def build_resources(settings: MoulinSettings) -> dict[str, Any]:
    data_dir = _from_env(settings, "data_dir")
    return {
        "settings": SyncSettings.from_settings(settings),
        "source": AppDuMoulinSource(url=_from_env(settings, "source_url")),
        "state": SyncStateStore(url=_from_env(settings, "state_url")),
        "hubspot": HubSpot(
            base_url=_from_env(settings, "hubspot_base_url"),
            # The token is a secret: only ever an EnvVar, resolved at launch, never shown.
            access_token=EnvVar("HUBSPOT_ACCESS_TOKEN")
            if "hubspot_access_token" in settings.model_fields_set
            else "",
            tier=_from_env(settings, "hubspot_tier"),
        ),
        "io_manager": ParquetIOManager(root=data_dir),
        "exports": CsvExportIOManager(root=data_dir),
    }
