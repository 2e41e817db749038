"""Association targets found again: a person merged two contacts in HubSpot, or deleted a
company, and the id the state store holds for it is gone.

A write that HubSpot refuses for an association to a record it lacks does not fail the
record: every target id of the batch is read back (one batch read per target type), and
each missing one is re-resolved with the target stream's own resolver — by key, through
the merge survivor's `hs_merged_object_ids` — and stored in the target stream's state, so
this run retries with the right id and later runs link to it. A target HubSpot has
nowhere is stored as lost: its own stream creates it again next run, and the record
linking to it waits until then.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import stream
from moulin_sync.hubspot.streams.spec import Link, StreamSpec
from moulin_sync.hubspot.sync.in_flight import InFlight
from moulin_sync.hubspot.sync.records import Record, batches
from moulin_sync.hubspot.sync.resolver import Resolver
from moulin_sync.hubspot.sync.state import Merged, Rejected, SyncState

GONE = None  # a target HubSpot has nowhere


@dataclass
class Relinked:
    retry: list[Record] = field(default_factory=list)  # links fixed, or none was stale
    waiting: list[tuple[Record, str]] = field(default_factory=list)  # a target is lost
    found_again: int = 0  # stale target ids found under another id


class LinkTargets:
    """Finds again the stale targets of a stream's links, once per id and run."""

    def __init__(
        self, client: HubSpotClient, state: SyncState, spec: StreamSpec, pool: InFlight
    ) -> None:
        self.objects = client.objects
        self.state = state
        self.links = spec.links
        self.resolvers = {
            link.stream: Resolver(client, stream(link.stream), pool) for link in spec.links
        }
        self._lock = threading.Lock()
        self._found: dict[tuple[str, str], str | None] = {}  # (stream, old id) → new id
        self._held: set[tuple[str, str]] = set()  # (stream, id) read back: not stale

    def relink(self, records: Sequence[Record]) -> Relinked:
        """Each record's stale targets replaced by where HubSpot holds them now."""
        result = Relinked()
        for link in self.links:
            ids = {r.links[link.resolved] for r in records if r.links.get(link.resolved)}
            result.found_again += self._find_again(link, sorted(ids))
        for record in records:
            moves = self._moves(record)
            lost = [link for link, new_id in moves.items() if new_id is GONE]
            if lost:
                result.waiting.append((record, _waiting_reason(record, lost)))
                continue
            for link, new_id in moves.items():
                record.links[link.resolved] = new_id
            result.retry.append(record)
        return result

    def _moves(self, record: Record) -> dict[Link, str | None]:
        """The record's stale targets: where each is now (GONE: nowhere)."""
        moves = {}
        for link in self.links:
            old = record.links.get(link.resolved)
            if old and (link.stream, old) in self._found:
                moves[link] = self._found[(link.stream, old)]
        return moves

    def _find_again(self, link: Link, ids: list[str]) -> int:
        """Read the ids back; re-resolve and store the missing ones. How many moved."""
        with self._lock:
            known = self._found.keys() | self._held
            ids = [i for i in ids if (link.stream, i) not in known]
            if not ids:
                return 0
            target = stream(link.stream)
            held = {
                result.id
                for batch in batches(ids)
                for result in self.objects.batch_read(
                    target.object_type, batch, None, [target.key_property]
                ).results
            }
            self._held.update((link.stream, i) for i in held)
            missing = [i for i in ids if i not in held]
            if not missing:
                return 0
            return self._reresolve(link.stream, missing)

    def _reresolve(self, stream_name: str, missing: list[str]) -> int:
        keys = self.state.keys_of(stream_name, missing)
        stale = [Record(keys[i], {}, "", hubspot_id=i) for i in missing if i in keys]
        old_ids = {id(r): r.hubspot_id for r in stale}
        found = self.resolvers[stream_name].reresolve(stale)
        for r in found.resolved:
            self._found[(stream_name, str(old_ids[id(r)]))] = r.hubspot_id
        for r, _ in found.merged:
            self._found[(stream_name, str(old_ids[id(r)]))] = r.hubspot_id
        lost = found.lost + [r for r, _ in found.refused]
        for r in lost:
            self._found[(stream_name, str(old_ids[id(r)]))] = GONE
        for i in missing:  # stored under an id no record of ours has: nothing to find
            self._found.setdefault((stream_name, i), GONE)
        self.state.record_moved(
            stream_name,
            [(r.source_key, str(r.hubspot_id)) for r in found.resolved],
            values_unknown=True,
        )
        self.state.record_merged(
            stream_name, [Merged(r.source_key, str(r.hubspot_id), why) for r, why in found.merged]
        )
        self.state.record_lost(
            stream_name,
            [
                Rejected(r.source_key, LOST.format(noun=stream(stream_name).record_noun))
                for r in lost
            ],
        )
        return len(found.resolved) + len(found.merged)


LOST = "the {noun} was deleted in HubSpot: created again by the next run"


def _waiting_reason(record: Record, lost: list[Link]) -> str:
    targets = ", ".join(
        f"{stream(link.stream).record_noun} {record.links.get(link.resolved)}" for link in lost
    )
    return f"its {targets} is no longer in HubSpot (deleted there): it comes back next run, and this record with it"
