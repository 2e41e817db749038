"""What a stream's write does when HubSpot holds a record otherwise than planned: a create
refused for a unique value or whose answer was lost (reconciled by key, or the holder
adopted or merged), an update whose id answered 404 (found again). A mixin of
`StreamSync`, working its tasks with its resolver, writer and ledger."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.ledger import Ledger
from moulin_sync.hubspot.sync.records import Record, halves
from moulin_sync.hubspot.sync.resolver import Resolver
from moulin_sync.hubspot.sync.tasks import Create, Reresolve, SingleConflict, Task, Update
from moulin_sync.hubspot.sync.writer import Writer

UNIQUE_VALUE_TAKEN = "HubSpot refused the record: a unique value is already used by another record"
GONE_AGAIN = (
    "HubSpot answered 404 for the record it had just found again by key or merge: retried next run"
)


class Conflicts:
    """Records HubSpot holds otherwise than planned, found out and written again."""

    # StreamSync's.
    spec: StreamSpec
    resolver: Resolver
    writer: Writer
    ledger: Ledger
    _withheld: Callable[..., list[Record]]

    def _gone(self, task: Update, records: list[Record]) -> list[Task]:
        """Records whose id answered 404 (merged, or deleted by a person): found again,
        unless they were just found and are gone again (then the next run tries). An
        enriching stream's owner record is found again by its own stream."""
        if self.spec.enriches is not None:
            why = f"its {self.spec.record_noun} is gone from HubSpot: written once found again"
            self.ledger.rejected([(record, why) for record in records])
            return []
        if not task.found_anew:
            return [Reresolve(records)]
        self.ledger.rejected([(record, GONE_AGAIN) for record in records])
        return []

    def _reconcile(self, records: list[Record]) -> list[Task]:
        """Which of these already exist in HubSpot (a replay, a lost answer)? Update
        those by id, create the rest again."""
        found, missing = self.resolver.find_by_key(records)
        follow: list[Task] = [Update(found, counts_as="created", force_links=True)] if found else []
        if not missing:
            return follow
        if len(missing) < len(records):
            return [*follow, Create(missing, inline=True)]
        # Nothing of ours exists: the conflict is on another unique value (an email);
        # isolate the culprit.
        if len(records) == 1:
            return [SingleConflict(records[0])]
        return [Create(half, inline=True) for half in halves(records)]

    def _single_conflict(self, record: Record) -> list[Task]:
        """A lone new record refused for a unique value: adopt the record holding it, if
        that is ours to adopt."""
        prop = self.spec.adopt_by
        if prop and record.properties.get(prop):
            adoption = self.resolver.adopt([record])
            self.ledger.counted("adopted", adoption.adopted)
            self.ledger.rejected(adoption.refused)
            if adoption.adopted:
                return [Update(adoption.adopted, counts_as=None, force_links=True)]
            if adoption.refused:
                withheld = self._withheld(adoption.refused)
                return [Create(withheld)] if withheld else []
        self.ledger.rejected([(record, UNIQUE_VALUE_TAKEN)])
        return []

    def _taken(self, record: Record, holder_id: str, then: Update) -> list[Task]:
        """The source gave a record of ours an email another HubSpot record holds. Someone
        else's (a form's, a person's): merged into ours, ours kept as the primary, and
        ours written again. Another of ours (a real duplicate customer): both stay, ours
        goes without it and the clash is reported."""
        prop = self.spec.adopt_by or ""
        owner = self.resolver.owner_of(holder_id)
        retry = dataclasses.replace(then, records=[record], took_over=True)
        if owner is None:  # gone since: the value is free now
            return [retry]
        if owner == "":
            self.writer.merge_into(record, holder_id)
            self.ledger.counted("merged_in", [record])
            record.resend = True  # the merge may have brought the other's values
            return [retry]
        value = record.properties.get(prop, "")
        why = f"{prop} {value} already belongs to HubSpot {self.spec.record_noun} {holder_id}" + (
            f" of {self.spec.key_property} {owner}" if owner else ""
        )
        self._withheld([(record, why)])
        return [retry]

    def _reresolve(self, records: list[Record]) -> list[Task]:
        found = self.resolver.reresolve(records)
        self.ledger.merged(found.merged)
        self.ledger.counted("reresolved", found.resolved)
        follow: list[Task] = []
        for record in found.resolved:
            record.written = None  # found anew: what it holds is not known to be ours
        if found.resolved:
            follow.append(Update(found.resolved, counts_as=None, force_links=True, found_anew=True))
        lost = found.lost + self._withheld(found.refused)
        for record in lost:
            record.hubspot_id = None
        if lost:
            follow.append(Create(lost))
        return follow
