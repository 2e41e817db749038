"""Associations of records HubSpot already holds: follow a link that moved.

A created record gets its associations inline; an updated one whose target changed (a
contact moving company) gets the new target associated (as primary, when the link says
so) and the old one unlinked, 100 pairs per call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.spec import Link, StreamSpec
from moulin_sync.hubspot.sync.records import Record, batches


@dataclass
class Followed:
    sent: int = 0  # links sent
    bad_links: list[Record] = field(default_factory=list)  # a target HubSpot lacks


class Associations:
    def __init__(
        self, client: HubSpotClient, spec: StreamSpec, target_types: Mapping[str, str]
    ) -> None:
        """`target_types`: each link column's target object type."""
        self.api = client.associations
        self.spec = spec
        self.target_types = target_types

    def follow(self, records: Sequence[Record], *, force: bool = False) -> Followed:
        """Bring each record's associations to its links; `force` re-sends every link
        (after a re-resolution, the stored targets cannot be trusted)."""
        followed = Followed()
        for link in self.spec.links:
            self._link(link, records, force, followed)
            self._unlink(link, records)
        return followed

    def _link(self, link: Link, records: Sequence[Record], force: bool, into: Followed) -> None:
        column = link.resolved
        moved = [
            r
            for r in records
            if r.links.get(column)
            and (force or r.links.get(column) != r.accepted_links.get(column))
        ]
        types = link.types()
        for batch in batches(moved):
            outcome = self.api.create(
                self.spec.object_type,
                self.target_types[link.column],
                [{"from": r.hubspot_id, "to": r.links[column], "types": types} for r in batch],
            )
            into.sent += len(batch)
            # A target HubSpot lacks (merged, deleted): that record's link is stale.
            for error in outcome.errors:
                if error.is_not_found or error.names_a_missing_target:
                    named = set(error.context.get("fromObjectId", ()))
                    into.bad_links.extend(r for r in batch if not named or r.hubspot_id in named)

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
