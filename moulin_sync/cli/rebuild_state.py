"""`moulin-sync rebuild-state`: a lost sync state store, rebuilt from HubSpot by key."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from moulin_sync.cli.preflight import hubspot_answers, settings_or_fail, sources_are_there

if TYPE_CHECKING:
    from moulin_sync.hubspot.client import HubSpotClient
    from moulin_sync.hubspot.streams.spec import PipelineStages
    from moulin_sync.settings import MoulinSettings

# The source may hold a change committed just before the read began: the next nightly
# run looks again at what changed from a little earlier than the read.
SOURCE_CLOCK_MARGIN = dt.timedelta(minutes=10)


@click.command("rebuild-state")
def rebuild_state() -> None:
    """Rebuild an empty sync state store (MOULIN_STATE_URL) from HubSpot: each payload of
    today's source is looked up by its key; records HubSpot holds as the source says are
    stored as synced, so the next nightly run writes only what truly differs."""
    from moulin_sync.defs.partitions import month_windows, monthly_partitions
    from moulin_sync.hubspot.client import HubSpotClient
    from moulin_sync.hubspot.streams import STREAMS, enabled_streams
    from moulin_sync.hubspot.sync.rebuild import rebuild_state as rebuild
    from moulin_sync.hubspot.sync.state import SyncState
    from moulin_sync.sources import environment_scope, tables

    settings = settings_or_fail()
    sources_are_there(settings)
    hubspot_answers(settings)
    token = settings.hubspot_access_token.get_secret_value()  # type: ignore[union-attr]
    client = HubSpotClient(settings.hubspot_base_url, token, tier=settings.hubspot_tier)
    started = dt.datetime.now(dt.UTC)
    with SyncState(settings.state_url) as state:
        held = sum(state.load(spec.name, columns=("source_key",)).height for spec in STREAMS)
        if held:
            raise click.ClickException(
                f"MOULIN_STATE_URL: the state store already holds {held:,} records; "
                "rebuild-state fills an empty one. Point MOULIN_STATE_URL at a new "
                "database (or remove the damaged store) and run it again."
            )
        months = month_windows(monthly_partitions.get_partition_keys())
        found = rebuild(
            client,
            state,
            tables(environment_scope(settings, months=months)),
            [key for key, _, _ in months],
            timezone=settings.timezone,
            pipelines=_pipelines(client, settings),
            source_as_of=started - SOURCE_CLOCK_MARGIN,
            streams=enabled_streams(),
        )
    for stream in found:
        click.echo(stream.describe())
    calls = sum(client.calls.values())
    click.echo(f"state store rebuilt from HubSpot in {calls:,} calls; 0 writes to HubSpot")


def _pipelines(client: HubSpotClient, settings: MoulinSettings) -> dict[str, PipelineStages]:
    """Each pipelined stream's stages, as HubSpot holds them (made by the first sync)."""
    from moulin_sync.hubspot.streams import enabled_streams
    from moulin_sync.hubspot.sync.pipelines import resolve_pipeline
    from moulin_sync.settings import pipeline_choice

    pipelines = {}
    for spec in enabled_streams():
        if spec.pipeline is None:
            continue
        choice = pipeline_choice(spec.pipeline)
        wanted = choice.label or spec.pipeline.default_label
        stages = {**spec.pipeline.default_stage_for_status, **choice.stages}
        found = resolve_pipeline(
            spec.pipeline, client.pipelines.list(spec.object_type), wanted, stages
        )
        if found is None:
            raise click.ClickException(
                f"HUBSPOT_BASE_URL: HubSpot has no {spec.object_type} pipeline {wanted!r}, so "
                "no sync ever wrote there: there is nothing to rebuild from. Run "
                "`moulin-sync sync` instead."
            )
        pipelines[spec.name] = found
    return pipelines
