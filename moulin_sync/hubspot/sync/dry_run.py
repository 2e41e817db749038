"""What the next sync would do, with no call to HubSpot at all.

It reads the sources afresh, builds each stream's payloads with the same code as the
payload assets (`build_payloads`), and plans them against the state store with the same
`plan_sync` the write step uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import polars as pl

from moulin_sync.hubspot.streams import STREAMS
from moulin_sync.hubspot.streams.build import build_payloads, stream_frames
from moulin_sync.hubspot.streams.spec import PipelineStages, StreamSpec, TransformContext
from moulin_sync.hubspot.sync.plan import SyncPlan, plan_sync
from moulin_sync.hubspot.sync.state import ARCHIVED, SyncState
from moulin_sync.settings import GdprErasure
from moulin_sync.sources.spec import Frames

# Stands for the HubSpot id of a record the plan creates before its dependents run.
PLANNED = "planned"


def placeholder_pipeline(spec: StreamSpec, label: str, overrides: dict[str, str]) -> PipelineStages:
    """A pipeline not made yet: stages stand for themselves."""
    assert spec.pipeline is not None
    stages = {**spec.pipeline.default_stage_for_status, **overrides}
    return PipelineStages(
        object_type=spec.object_type,
        pipeline_id="(to be created)",
        label=label,
        stage_ids={status: status for status in stages},
    )


def dry_run(
    frames: Frames,
    state_url: str,
    *,
    timezone: str,
    pipelines: dict[str, PipelineStages],
    erasure: GdprErasure = "delete",
    streams: Sequence[StreamSpec] | None = None,
) -> dict[str, SyncPlan]:
    """Each stream's plan from its source `frames` (by full asset key, for the months to
    sync); `pipelines`: each pipelined stream's stages (as last found in HubSpot, or
    placeholders); `streams`: the enabled ones (default: every stream)."""
    plans: dict[str, SyncPlan] = {}
    with SyncState(state_url) as state:
        for spec in STREAMS if streams is None else streams:
            written = partial(state.fingerprints_of, spec.name)
            context = TransformContext(timezone, pipelines.get(spec.name), written)
            payloads = build_payloads(spec, stream_frames(spec, frames), context)
            links = {
                link.column: _ids_after(state, plans[link.stream], link.stream)
                for link in spec.links
            }
            plans[spec.name] = plan_sync(
                spec,
                payloads,
                state.load(spec.name),
                links=links,
                erasure=erasure,
                owner_ids=_ids_after(state, plans[spec.enriches], spec.enriches)
                if spec.enriches
                else None,
            )
    return plans


def _ids_after(state: SyncState, plan: SyncPlan, stream: str) -> dict[str, str]:
    """What the target stream's step will have in HubSpot by the time its dependents
    run: the ids stored (but those erased or to erase), and its planned creates."""
    erased = plan.erase.get_column("source_key")
    known = (
        state.load(stream)
        .drop_nulls("hubspot_id")
        .filter((pl.col("status") != ARCHIVED) & ~pl.col("source_key").is_in(erased.implode()))
    )
    ids = dict(known.select("source_key", "hubspot_id").iter_rows())
    return ids | dict.fromkeys(plan.create.get_column("source_key").cast(pl.String), PLANNED)
