"""`moulin-sync plan`: the dry run — what a sync would do, with no HubSpot call."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from moulin_sync.cli.preflight import (
    MONTH,
    months_within_history,
    settings_or_fail,
    sources_are_there,
)

if TYPE_CHECKING:
    import polars as pl

    from moulin_sync.settings import MoulinSettings

COLUMNS = ("create", "update", "unchanged", "erase", "rejected", "waiting")


def known_pipelines(settings: MoulinSettings) -> dict:
    """Each pipelined stream's stages as the last run found them in HubSpot, else
    placeholders (no HubSpot call)."""
    from pathlib import Path

    from moulin_sync.defs.hubspot.factory import pipeline_key
    from moulin_sync.defs.io_manager import published_path
    from moulin_sync.hubspot.streams import STREAMS
    from moulin_sync.hubspot.streams.spec import PipelineStages
    from moulin_sync.hubspot.sync.dry_run import placeholder_pipeline
    from moulin_sync.settings import pipeline_choice

    pipelines = {}
    for spec in STREAMS:
        if spec.pipeline is None:
            continue
        stored = published_path(Path(settings.data_dir), pipeline_key(spec).path, ".json")
        choice = pipeline_choice(spec.pipeline)
        pipelines[spec.name] = (
            PipelineStages.model_validate_json(stored.read_text())
            if stored.is_file()
            else placeholder_pipeline(
                spec, choice.label or spec.pipeline.default_label, dict(choice.stages)
            )
        )
    return pipelines


def plans_for(first: str | None, last: str | None) -> dict:
    """The plan of each stream for the months [first, last] (default: all history), as
    `moulin-sync sync --from --to` would sync them."""
    from moulin_sync.defs.partitions import month_windows, monthly_partitions
    from moulin_sync.hubspot.streams import enabled_streams
    from moulin_sync.hubspot.sync.dry_run import dry_run
    from moulin_sync.sources import environment_scope, tables

    settings = settings_or_fail()
    first, last = months_within_history(settings, first, last)
    sources_are_there(settings)
    keys = monthly_partitions.get_partition_keys()
    months = month_windows(keys[keys.index(first) : keys.index(last) + 1])
    return dry_run(
        tables(environment_scope(settings, months=months)),
        settings.state_url,
        timezone=settings.timezone,
        pipelines=known_pipelines(settings),
        erasure=settings.gdpr_erasure,
        streams=enabled_streams(),
    )


@click.command()
@click.option("--samples", default=5, show_default=True, help="Sample records per action.")
@click.option("--from", "first", type=MONTH, help="First month of deals; default: all history.")
@click.option("--to", "last", type=MONTH, help="Last month of deals; default: the current month.")
def plan(samples: int, first: str | None, last: str | None) -> None:
    """Dry run: what a sync would create, update, leave and reject. No HubSpot call."""
    from moulin_sync.cli.summary import aligned

    plans = plans_for(first, last)
    click.echo("moulin-sync plan (dry run, nothing sent):")
    rows = [
        [stream, *(f"{planned.counts()[c]:,}" for c in COLUMNS)]
        for stream, planned in plans.items()
    ]
    for line in aligned(["", *COLUMNS], rows):
        click.echo(f"  {line}")
    for stream, planned in plans.items():
        _print_warned(stream, planned.warned, samples)
        for action in ("create", "update"):
            frame = getattr(planned, action)
            if frame.height:
                keys = ", ".join(frame["source_key"].head(samples).to_list())
                click.echo(f"{stream} to {action}, e.g. {keys}")
        for kind in ("rejected", "waiting"):
            frame = getattr(planned, kind)
            reasons = (
                frame.group_by("reason").len().sort(["len", "reason"], descending=[True, False])
            )
            for reason, count in reasons.head(samples).iter_rows():
                click.echo(f"{stream} {kind} ×{count:,}: {reason}")


def _print_warned(stream_name: str, warned: pl.DataFrame, samples: int) -> None:
    """ "contacts created without email (100): missing email ×40; ..." (not rejected:
    they land, the App du Moulin should fix them)."""
    from moulin_sync.hubspot.streams import stream
    from moulin_sync.lib.metadata import by_cause

    if warned.is_empty():
        return
    causes = by_cause(warned).head(samples).iter_rows(named=True)
    top = "; ".join(f"{c['cause']} ×{c['records']:,}" for c in causes)
    click.echo(f"{stream_name} {stream(stream_name).warned_as} ({warned.height:,}): {top}")
