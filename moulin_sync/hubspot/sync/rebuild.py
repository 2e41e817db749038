"""A lost state store, rebuilt from HubSpot itself, by key.

Every record moulin-sync writes carries its stream's unique key property
(`moulin_customer_id`, `moulin_order_id`, ...), so HubSpot can say, for each payload the
source gives today, which record holds it, and whether it holds those values and
associations:

- a record that holds them is stored as synced, with the payload's hash: the next run
  leaves it alone;
- one that differs is stored with its id and the values it holds that are ours, but no
  hash: the next run updates what differs (and never clears a value it did not write);
- one HubSpot does not hold is not stored: the next run creates it.

Months whose every record matched are marked synced as of the source read, so the next
nightly run passes over them; the others are "never synced" to it, and it runs them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import STREAMS, link_target_types
from moulin_sync.hubspot.streams.build import build_payloads, stream_frames
from moulin_sync.hubspot.streams.fingerprints import of_values, render
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import PipelineStages, StreamSpec, TransformContext
from moulin_sync.hubspot.sync.plan import plan_sync
from moulin_sync.hubspot.sync.records import Record, batches, link_key, records_of
from moulin_sync.hubspot.sync.run import link_ids, owner_ids
from moulin_sync.hubspot.sync.state import STATE_SCHEMA, Accepted, SyncState
from moulin_sync.sources.spec import Frames


@dataclass
class StreamRebuild:
    """What the rebuild found of one stream's records in HubSpot."""

    stream: str
    matched: int = 0  # holds the payload: stored with its hash
    differing: int = 0  # holds something else: stored without, updated next run
    absent: int = 0  # not in HubSpot: created next run
    waiting: int = 0  # its contact or company is not in HubSpot
    quarantined: int = 0
    months_synced: list[str] = field(default_factory=list)

    def describe(self) -> str:
        months = f"; {len(self.months_synced)} month(s) up to date" if self.months_synced else ""
        return (
            f"{self.stream}: {self.matched:,} up to date, {self.differing:,} differ (the next "
            f"run updates them), {self.absent:,} not in HubSpot (the next run creates them), "
            f"{self.waiting:,} waiting, {self.quarantined:,} quarantined{months}"
        )


def rebuild_state(
    client: HubSpotClient,
    state: SyncState,
    frames: Frames,
    months: Sequence[str],
    *,
    timezone: str,
    pipelines: Mapping[str, PipelineStages],
    source_as_of: dt.datetime,
    streams: Sequence[StreamSpec] = STREAMS,
) -> list[StreamRebuild]:
    """Every stream of `streams` rebuilt into `state` (an empty store) from the sources'
    `frames` (by full asset key, read for `months`), in dependency order: a record's
    associations are checked against its targets as just rebuilt."""
    found = []
    for spec in streams:
        payloads = build_payloads(
            spec, stream_frames(spec, frames), TransformContext(timezone, pipelines.get(spec.name))
        )
        targets = {name: state.load(name) for name in _targets(spec)}
        links = link_ids(spec, targets)
        found.append(
            rebuild_stream(
                client,
                state,
                spec,
                payloads,
                links,
                months,
                source_as_of,
                owners=owner_ids(spec, targets),
            )
        )
    return found


def _targets(spec: StreamSpec) -> set[str]:
    return {link.stream for link in spec.links} | set(filter(None, [spec.enriches]))


def rebuild_stream(
    client: HubSpotClient,
    state: SyncState,
    spec: StreamSpec,
    payloads: Payloads,
    links: Mapping[str, Mapping[str, str]],
    months: Sequence[str],
    source_as_of: dt.datetime,
    owners: Mapping[str, str] | None = None,
) -> StreamRebuild:
    """One stream rebuilt into `state`; of a monthly stream, `months` (those the source
    was read for) marked synced but those holding a record HubSpot lacks or differs in."""
    # Planned against an empty state, every record is a "create" (an update, for a stream
    # enriching another's): its payload, hash (with its resolved associations) and
    # fingerprints, as a write would send them.
    empty = pl.DataFrame(schema=STATE_SCHEMA)
    plan = plan_sync(spec, payloads, empty, links=links, owner_ids=owners)
    planned = plan.update if spec.enriches is not None else plan.create
    report = StreamRebuild(spec.name, waiting=plan.waiting.height)
    report.quarantined = plan.rejected.height
    # As after a write: a month is synced even with records waiting or quarantined.
    unsettled: set[str | None] = set()
    for batch in batches(records_of(planned, spec)):
        accepted = []
        for record, stored in _compared(client, spec, batch):
            if stored is None:
                report.absent += 1
                unsettled.add(record.partition_key)
                continue
            accepted.append(stored)
            if stored.payload_hash:
                report.matched += 1
            else:
                report.differing += 1
                unsettled.add(record.partition_key)
        state.record_accepted(spec.name, accepted)
    if spec.partitioned:
        report.months_synced = [m for m in months if m not in unsettled]
        state.record_months_synced(spec.name, report.months_synced, source_as_of)
    return report


def _compared(
    client: HubSpotClient, spec: StreamSpec, batch: Sequence[Record]
) -> Iterator[tuple[Record, Accepted | None]]:
    """Each record with what the state store should say of it (None: not in HubSpot)."""
    names = list(spec.property_names)
    if spec.key_property is None:  # another stream's records, reached by their ids
        outcome = client.objects.batch_read(
            spec.object_type, [str(r.hubspot_id) for r in batch], None, names
        )
        by_id = {str(r.id): r for r in outcome.results}
        held = {r.source_key: by_id[str(r.hubspot_id)] for r in batch if str(r.hubspot_id) in by_id}
    else:
        outcome = client.objects.batch_read(
            spec.object_type, [r.source_key for r in batch], spec.key_property, names
        )
        held = {str(r.properties.get(spec.key_property)): r for r in outcome.results}
    linked = _associations(client, spec, [str(r.id) for r in held.values()])
    columns = [link.resolved for link in spec.links]
    ours = [r for r in batch if r.source_key in held]
    values = of_values(spec, [held[r.source_key].properties for r in ours])
    now = dict(zip((r.source_key for r in ours), values, strict=True))
    for record in batch:
        found = held.get(record.source_key)
        if found is None:
            yield record, None
            continue
        hubspot_id = str(found.id)
        same = {
            n: fp for n, fp in record.fingerprints.items() if now[record.source_key].get(n) == fp
        }
        targets = {c: linked.get(c, {}).get(hubspot_id, []) for c in columns}
        accepted_links = {c: _accepted_link(record.links.get(c), targets[c]) for c in columns}
        matches = same == record.fingerprints and accepted_links == {
            c: record.links.get(c) for c in columns
        }
        yield (
            record,
            Accepted(
                source_key=record.source_key,
                hubspot_id=hubspot_id,
                payload_hash=record.payload_hash if matches else None,
                link_key=link_key(accepted_links, columns),
                partition_key=record.partition_key,
                fingerprints=render(same),
            ),
        )


def _accepted_link(wanted: str | None, targets: list[str]) -> str | None:
    """The association the state store records as ours: the wanted one when HubSpot has
    it; else HubSpot's one other target, taken for our earlier one (the next run moves
    it); none when the source names no target (what a person linked stays theirs)."""
    if wanted is None:
        return None
    if wanted in targets:
        return wanted
    return targets[0] if len(targets) == 1 else None


def _associations(
    client: HubSpotClient, spec: StreamSpec, hubspot_ids: list[str]
) -> dict[str, dict[str, list[str]]]:
    """For each link's resolved column: {record id: the ids of its targets in HubSpot}."""
    if not spec.links or not hubspot_ids:
        return {}
    types = link_target_types(spec)
    found = {}
    for link in spec.links:
        answer = client.associations.read(spec.object_type, types[link.column], hubspot_ids)
        found[link.resolved] = {k: [str(t["toObjectId"]) for t in v] for k, v in answer.items()}
    return found
