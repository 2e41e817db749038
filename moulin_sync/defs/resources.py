"""Every resource, built once from the settings.

A value that came from the environment is passed as `EnvVar`, so Dagster resolves it at
launch and never shows it in the UI's run config (URLs may carry passwords). Each source
and system declares its resources beside its assets (`defs/<name>/resources.py`, a
`resources(settings)` function): they are collected here, not listed.
"""

import importlib
import pkgutil
from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

import moulin_sync.defs
from moulin_sync.defs.io_manager import CsvExportIOManager, ParquetIOManager
from moulin_sync.hubspot.streams import STREAMS, enabled_streams
from moulin_sync.hubspot.streams.spec import PipelineSpec, StreamSpec
from moulin_sync.settings import DriftPolicy, GdprErasure, MoulinSettings, pipeline_choice
from moulin_sync.sources import enabled_sources


class SyncSettings(ConfigurableResource):
    """The settings the assets read (none of them secret), from the environment."""

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
    data_dir: str = Field(
        default=".moulin/data",
        description="Where the snapshots are (MOULIN_DATA_DIR): a source pulled "
        "incrementally reads its last pull there.",
    )
    sources: list[str] = Field(
        default_factory=lambda: ["app_du_moulin"],
        description="The sources that are on (Typeform when TYPEFORM_TOKEN and "
        "TYPEFORM_FORM_ID are set, ...): the streams they feed are synced.",
    )
    pipeline_labels: dict[str, str] = Field(
        default_factory=dict,
        description="Per object type, the pipeline chosen (label or id); absent: "
        "moulin-sync's own (MOULIN_DEAL_PIPELINE, ...).",
    )
    pipeline_stages: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per object type, status → stage label or id, over the defaults "
        "(MOULIN_DEAL_STAGES, ...).",
    )

    @classmethod
    def from_settings(cls, settings: MoulinSettings) -> "SyncSettings":
        choices = {
            spec.pipeline.object_type: pipeline_choice(spec.pipeline)
            for spec in STREAMS
            if spec.pipeline is not None
        }
        return cls(
            timezone=settings.timezone,
            gdpr_erasure=settings.gdpr_erasure,
            drift=settings.drift,
            sources=[source.name for source in enabled_sources()],
            data_dir=from_env(settings, "data_dir"),
            pipeline_labels={t: c.label for t, c in choices.items() if c.label},
            pipeline_stages={t: dict(c.stages) for t, c in choices.items() if c.stages},
        )

    def streams(self) -> tuple[StreamSpec, ...]:
        """The streams the sources that are on feed."""
        return enabled_streams(self.sources)

    def pipeline(self, spec: PipelineSpec) -> tuple[str, dict[str, str]]:
        """(the pipeline wanted, label or id; its status → stage overrides)."""
        wanted = self.pipeline_labels.get(spec.object_type) or spec.default_label
        return wanted, dict(self.pipeline_stages.get(spec.object_type, {}))


def from_env(settings: Any, field: str) -> Any:
    """A setting as an EnvVar when the environment gave it, else its default."""
    if field in settings.model_fields_set:
        return EnvVar(type(settings).model_fields[field].validation_alias)
    return getattr(settings, field)


def collected_resources(settings: MoulinSettings) -> dict[str, Any]:
    """The resources every `defs/<name>/resources.py` declares (`resources(settings)`)."""
    found: dict[str, Any] = {}
    for package in pkgutil.iter_modules(moulin_sync.defs.__path__):
        if not package.ispkg:
            continue
        try:
            module = importlib.import_module(f"moulin_sync.defs.{package.name}.resources")
        except ModuleNotFoundError:
            continue
        declare = getattr(module, "resources", None)
        if declare is not None:
            found |= declare(settings)
    return found


def build_resources(settings: MoulinSettings) -> dict[str, Any]:
    data_dir = from_env(settings, "data_dir")
    return {
        "settings": SyncSettings.from_settings(settings),
        **collected_resources(settings),
        "io_manager": ParquetIOManager(root=data_dir),
        "exports": CsvExportIOManager(root=data_dir),
    }
