"""Associations of records HubSpot already holds: follow a link that moved.

A created record gets its associations inline; an updated one whose target changed (a
contact moving company) gets the new target associated (as primary, when the link says
so) and the old one unlinked, 100 pairs per call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.spec import Link, StreamSpec
from moulin_sync.hubspot.sync.records import Record, batches


class Associations:
    def __init__(
        self, client: HubSpotClient, spec: StreamSpec, target_types: Mapping[str, str]
    ) -> None:
        """`target_types`: each link column's target object type."""
        self.api = client.associations
        self.spec = spec
        self.target_types = target_types

    def follow(self, records: Sequence[Record], *, force: bool = False) -> int:
        """Bring each record's associations to its links; `force` re-sends every link
        (after a re-resolution, the stored targets cannot be trusted). How many links
        were sent."""
        sent = 0
        for link in self.spec.links:
            sent += self._link(link, records, force)
            self._unlink(link, records)
        return sent

    def _link(self, link: Link, records: Sequence[Record], force: bool) -> int:
        column = link.resolved
        moved = [
            r
            for r in records
            if r.links.get(column)
            and (force or r.links.get(column) != r.accepted_links.get(column))
        ]
        types = link.types()
        for batch in batches(moved):
            self.api.create(
                self.spec.object_type,
                self.target_types[link.column],
                [{"from": r.hubspot_id, "to": r.links[column], "types": types} for r in batch],
            )
        return len(moved)

    def _unlink(self, link: Link, records: Sequence[Record]) -> None:
        column = link.resolved
        stale = [
            r
            for r in records
            if r.accepted_links.get(column) and r.accepted_links.get(column) != r.links.get(column)
        ]
        for batch in batches(stale):
            self.api.archive(
                self.spec.object_type,
                self.target_types[link.column],
                [{"from": r.hubspot_id, "to": r.accepted_links[column]} for r in batch],
            )
