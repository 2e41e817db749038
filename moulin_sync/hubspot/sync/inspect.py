"""Why is this customer like this in HubSpot? Each of their records, stream by stream:
what the source holds now, the payload a sync would send, what the next run would do
with it (and why, when it would not land), and what the state store says HubSpot last
accepted. The same `build_payloads` and `plan_sync` as a run; no HubSpot call (the
command's `--live` reads HubSpot apart)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import polars as pl

from moulin_sync.hubspot.streams import STREAMS
from moulin_sync.hubspot.streams.spec import (
    PipelineStages,
    StreamSpec,
    TransformContext,
    nothing_written,
)
from moulin_sync.hubspot.sync.plan import SyncPlan, plan_sync
from moulin_sync.hubspot.sync.refresh import customer_exists, customer_payloads
from moulin_sync.hubspot.sync.state import STATE_SCHEMA, StateStoreError, SyncState
from moulin_sync.settings import GdprErasure
from moulin_sync.sources.spec import Frames

ACTIONS = ("create", "update", "unchanged", "erase", "rejected", "waiting", "merged")


@dataclass(frozen=True)
class RecordView:
    stream: str
    source_key: str
    next_run: str  # one of ACTIONS
    reason: str | None  # why it is rejected or waiting
    payload: dict[str, str]  # what a sync sends (empty when quarantined)
    stored: dict[str, Any] | None  # the state store's row, if any
    warning: str | None = None  # written all the same, with what the source should fix


def inspect_customer(
    frames: Frames,
    state_url: str,
    customer_id: int,
    *,
    timezone: str,
    pipelines: dict[str, PipelineStages],
    streams: Sequence[StreamSpec] = STREAMS,
    erasure: GdprErasure = "delete",
) -> list[RecordView] | None:
    """Every record of the customer, from their share of the sources (`frames`, by full
    asset key); None when the App du Moulin has no such customer."""
    if not customer_exists(frames, customer_id):
        return None
    try:
        state: SyncState | None = SyncState(state_url, create=False)
    except StateStoreError:
        state = None  # nothing synced yet: the plan is to create everything
    try:
        return [
            view
            for spec in streams
            for view in _stream_views(
                spec, frames, customer_id, state, timezone, pipelines, erasure
            )
        ]
    finally:
        if state is not None:
            state.close()


def _stream_views(
    spec: StreamSpec,
    frames: Frames,
    customer_id: int,
    state: SyncState | None,
    timezone: str,
    pipelines: dict[str, PipelineStages],
    erasure: GdprErasure,
) -> list[RecordView]:
    written = partial(state.fingerprints_of, spec.name) if state is not None else nothing_written
    context = TransformContext(timezone, pipelines.get(spec.name), written)
    payloads = customer_payloads(spec, frames, customer_id, context)
    keys = [
        *payloads.records["source_key"],
        *payloads.quarantine["source_key"],
        *payloads.erased["source_key"],
    ]
    stored = state.rows_of(spec.name, keys) if state is not None else {}
    known = pl.DataFrame(
        [{c: row.get(c) for c in STATE_SCHEMA} for row in stored.values()],
        schema=STATE_SCHEMA,
        orient="row",
    )
    links = {
        link.column: state.hubspot_ids(link.stream, payloads.records[link.column].drop_nulls())
        if state is not None
        else {}
        for link in spec.links
    }
    owners = None
    if spec.enriches is not None:
        owners = state.hubspot_ids(spec.enriches, payloads.records["source_key"]) if state else {}
    plan = plan_sync(spec, payloads, known, links=links, erasure=erasure, owner_ids=owners)
    sent = {row["source_key"]: row for row in payloads.records.iter_rows(named=True)}
    warned = dict(plan.warned.select("source_key", "reason").iter_rows())
    return [
        RecordView(
            stream=spec.name,
            source_key=key,
            next_run=action,
            reason=reason,
            payload={n: sent[key][n] for n in spec.property_names if key in sent},
            stored=stored.get(key),
            warning=f"{spec.warned_as}: {warned[key]}" if key in warned else None,
        )
        for key, action, reason in _actions(plan)
    ]


def _actions(plan: SyncPlan) -> list[tuple[str, str, str | None]]:
    """(source key, what the next run does, why) of every record in the plan."""
    found = []
    for action in ACTIONS:
        frame: pl.DataFrame = getattr(plan, action)
        reasons = frame["reason"] if "reason" in frame.columns else [None] * frame.height
        found += [
            (str(key), action, reason)
            for key, reason in zip(frame["source_key"], reasons, strict=True)
        ]
    return sorted(found, key=lambda item: (len(item[0]), item[0]))
