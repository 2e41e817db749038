"""Bring some customers up to date in HubSpot: their companies, contacts and deals.

The same payloads, plan and write as a nightly run, over the customers' share of the
sources and the state store's rows of those records only — so the next nightly run finds
them unchanged. The refresh button syncs one customer this way, live sync a batch of
them (thousands a run, a few hundred a read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.build import build_payloads, stream_frames
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.spec import PipelineStages, StreamSpec, TransformContext
from moulin_sync.hubspot.sync.ledger import SyncReport
from moulin_sync.hubspot.sync.portal import PortalSchema
from moulin_sync.hubspot.sync.run import sync_stream
from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.settings import GdprErasure
from moulin_sync.sources.spec import Frames


@dataclass
class StreamOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    waiting: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, report: SyncReport) -> StreamOutcome:
        return cls(
            created=report.created + report.adopted,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=[{"record": k, "reason": r} for k, r, _ in report.rejected],
            waiting=[{"record": k, "reason": r} for k, r, _ in report.waits],
        )

    def add(self, other: StreamOutcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        self.waiting += other.waiting

    @property
    def records(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected) + len(self.waiting)

    def verb(self) -> str:
        """One word for a stream of one record (the contact): what happened to it."""
        if self.rejected:
            return "rejected"
        if self.waiting:
            return "waiting"
        if self.created:
            return "created"
        return "updated" if self.updated else "unchanged"


@dataclass
class CustomersSynced:
    """What a sync of some customers did, per stream, and the months of the monthly
    streams' records it brought up to date."""

    streams: dict[str, StreamOutcome] = field(default_factory=dict)
    months: dict[str, set[str]] = field(default_factory=dict)
    stopped: str | None = None  # why a stream stopped early (HubSpot's daily limit)

    def add(self, other: CustomersSynced) -> None:
        for name, outcome in other.streams.items():
            self.streams.setdefault(name, StreamOutcome()).add(outcome)
        for name, months in other.months.items():
            self.months.setdefault(name, set()).update(months)
        self.stopped = self.stopped or other.stopped


def customers_payloads(
    spec: StreamSpec, frames: Frames, customer_ids: Collection[int], context: TransformContext
) -> Payloads:
    """The customers' records of `spec` from their share of the sources (`frames`): every
    company of theirs, and of the other streams the records that are theirs (their own
    contacts, not their colleagues'; the deals of the orders they placed)."""
    made = build_payloads(spec, stream_frames(spec, frames), context)
    mine = spec.customer_column
    if mine is None:
        return made
    # A record naming no customer is an erased customer's (a deal kept without its
    # person): in the customers' share of the sources, it is one of theirs (or an erased
    # colleague's, written as the nightly run would write it all the same).
    own = pl.col(mine).is_in([str(i) for i in customer_ids]) | pl.col(mine).is_null()

    def keep(frame: pl.DataFrame) -> pl.DataFrame:
        # Quarantined rows that do not say whose they are: all of the customers' share.
        return frame.filter(own) if mine in frame.columns else frame

    records = keep(made.records)
    return Payloads(
        records,
        keep(made.quarantine),
        keep(made.erased),
        made.warnings.join(records.select("source_key"), on="source_key", how="semi"),
    )


def sync_customers(
    client: HubSpotClient,
    state: SyncState,
    frames: Frames,
    customer_ids: Collection[int],
    *,
    timezone: str,
    portal: PortalSchema,
    pipelines: Mapping[str, PipelineStages],
    streams: Sequence[StreamSpec],
    erasure: GdprErasure = "delete",
    read_at: dt.datetime | None = None,
) -> CustomersSynced:
    """The customers' records of every stream of `streams` written as a nightly run would,
    from their share of the sources (`frames`, by full asset key, read at `read_at`)."""
    synced = CustomersSynced()
    for spec in streams:  # dependency order: link targets are written first
        context = TransformContext(
            timezone, pipelines.get(spec.name), partial(state.fingerprints_of, spec.name)
        )
        payloads = customers_payloads(spec, frames, customer_ids, context)
        keys = [*payloads.records["source_key"], *payloads.quarantine["source_key"],
                *payloads.erased["source_key"]]  # fmt: skip
        links = {
            link.column: state.hubspot_ids(link.stream, payloads.records[link.column].drop_nulls())
            for link in spec.links
        }
        owners = (
            state.hubspot_ids(spec.enriches, payloads.records["source_key"])
            if spec.enriches
            else None
        )
        known = state.load(spec.name, source_keys=keys)
        _, report = sync_stream(
            client, state, spec, payloads, portal=portal, links=links, erasure=erasure,
            known=known, owners=owners, read_at=read_at,
        )  # fmt: skip
        synced.streams[spec.name] = StreamOutcome.of(report)
        synced.stopped = synced.stopped or report.stopped
        if spec.partitioned and "partition_key" in payloads.records.columns:
            months = payloads.records["partition_key"].drop_nulls().unique().to_list()
            synced.months[spec.name] = set(months)
    return synced
