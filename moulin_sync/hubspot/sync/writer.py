"""One HubSpot write per call, and what HubSpot made of each record in it.

The writer never decides what to do next: it sends one batch (create, upsert, update,
archive) and sorts its records by HubSpot's answer into a `Written`.

- New records without associations are upserted by their unique key property; new
  records with associations are created with them inline (HubSpot's batch upsert cannot
  carry associations), each with its key as `objectWriteTraceId`, so a 207 names the
  inputs that failed. Either way a replay is harmless: a second create of the same key
  is refused by HubSpot's uniqueness check (409), never duplicated.
- Known records are updated by HubSpot id, with the values that changed (see
  `sent_values.py`: an empty value never erases a person's work).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from moulin_sync.hubspot.client import HubSpotClient, ObjectResult
from moulin_sync.hubspot.client.errors import HubSpotAmbiguousWrite, HubSpotApiError
from moulin_sync.hubspot.client.problems import InputError, PropertyProblem, reason_of
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.records import Record
from moulin_sync.hubspot.sync.sent_values import SentValues, new_values


@dataclass
class Written:
    """A batch's records, by what HubSpot answered for each."""

    accepted: list[Record] = field(default_factory=list)  # HubSpot holds them (ids set)
    refused: list[tuple[Record, str]] = field(default_factory=list)  # for their own values
    # Refused for the value of their adoption property alone (an email HubSpot finds
    # invalid): written without it.
    bad_values: list[tuple[Record, str]] = field(default_factory=list)
    conflicts: list[Record] = field(default_factory=list)  # a unique value exists already
    not_found: list[Record] = field(default_factory=list)  # their id is gone (merged)
    # Refused for an association to a record HubSpot lacks (a stale target id).
    bad_links: list[Record] = field(default_factory=list)
    # Failed with no error of their own: smaller batches tell which record it was.
    unmatched: list[Record] = field(default_factory=list)
    first_error: InputError | None = None
    failed: HubSpotApiError | None = None  # the whole call failed
    ambiguous: bool = False  # the answer was lost: HubSpot may have applied it


def association_inputs(spec: StreamSpec, record: Record) -> list[dict[str, Any]]:
    """The record's associations as HubSpot's `associations` of a create."""
    return [
        {"to": {"id": record.links[link.resolved]}, "types": link.types()}
        for link in spec.links
        if record.links.get(link.resolved)
    ]


class Writer:
    def __init__(self, client: HubSpotClient, spec: StreamSpec) -> None:
        self.objects = client.objects
        self.spec = spec
        self.sent = SentValues(client, spec)

    def refuses_adoption_value(self, record: Record, problems: Sequence[PropertyProblem]) -> bool:
        """Whether HubSpot refused the record for the value of its adoption property (an
        email it finds invalid), which the stream can write it without."""
        prop = self.spec.adopt_by
        if prop is None or self.spec.withhold is None or not record.properties.get(prop):
            return False
        return any(prop in p.property_names and p.code != "CONFLICT" for p in problems)

    def has_associations(self, records: Sequence[Record]) -> bool:
        return any(r.links.get(link.resolved) for r in records for link in self.spec.links)

    def upsert(self, records: list[Record]) -> Written:
        """Create (or update) by the key property."""
        inputs = [{"id": r.source_key, "properties": new_values(r)} for r in records]
        try:
            outcome = self.objects.batch_upsert(
                self.spec.object_type, inputs, self.spec.key_property
            )
        except HubSpotApiError as exc:
            return Written(failed=exc)
        accepted = self._by_key(records, outcome.results)
        return Written(
            accepted=accepted,
            unmatched=[r for r in records if r not in accepted],
            first_error=outcome.errors[0] if outcome.errors else None,
        )

    def create_with_associations(self, records: list[Record]) -> Written:
        inputs = [
            {
                "properties": new_values(r),
                "associations": association_inputs(self.spec, r),
                "objectWriteTraceId": r.source_key,
            }
            for r in records
        ]
        try:
            outcome = self.objects.batch_create(self.spec.object_type, inputs)
        except HubSpotAmbiguousWrite:
            return Written(ambiguous=True)
        except HubSpotApiError as exc:
            return Written(conflicts=list(records)) if exc.status == 409 else Written(failed=exc)
        accepted = self._by_key(records, outcome.results)
        errors = {error.trace_id: error for error in outcome.errors}
        written = Written(accepted=accepted)
        for record in records:
            if record in accepted:
                continue
            error = errors.get(record.source_key)
            if error is not None and error.is_conflict:
                written.conflicts.append(record)
            elif error is not None and error.names_a_missing_target:
                written.bad_links.append(record)
            elif error is not None and self.refuses_adoption_value(record, error.problems):
                written.bad_values.append((record, reason_of(error)))
            else:
                written.refused.append((record, reason_of(error)))
        return written

    def update(self, records: list[Record]) -> Written:
        """Update by HubSpot id."""
        try:
            values = self.sent.for_update(records)
            inputs = [
                {"id": r.hubspot_id, "properties": v} for r, v in zip(records, values, strict=True)
            ]
            outcome = self.objects.batch_update(self.spec.object_type, inputs)
        except HubSpotApiError as exc:
            return Written(failed=exc)
        done = {result.id for result in outcome.results}
        written = Written(
            accepted=[r for r in records if r.hubspot_id in done],
            first_error=outcome.errors[0] if outcome.errors else None,
        )
        for record in records:
            if record.hubspot_id in done:
                continue
            gone = any(e.concerns(record.hubspot_id) and e.is_not_found for e in outcome.errors)
            (written.not_found if gone else written.unmatched).append(record)
        return written

    def merge_into(self, record: Record, other_id: str) -> None:
        """Merge HubSpot record `other_id` into `record`'s, which stays the primary."""
        self.objects.merge(self.spec.object_type, str(record.hubspot_id), other_id)

    def archive(self, hubspot_ids: list[str]) -> None:
        self.objects.batch_archive(self.spec.object_type, hubspot_ids)

    def gdpr_delete(self, hubspot_ids: list[str]) -> None:
        """One call per contact (HubSpot has no batch GDPR delete); one already gone is
        done."""
        for hubspot_id in hubspot_ids:
            self.objects.gdpr_delete(hubspot_id)

    def _by_key(self, records: list[Record], results: list[ObjectResult]) -> list[Record]:
        """The records HubSpot answered for (matched by key), their ids set."""
        by_key = {r.source_key: r for r in records}
        accepted = []
        for result in results:
            record = by_key.get(str(result.properties.get(self.spec.key_property) or ""))
            if record is not None:
                record.hubspot_id = result.id
                accepted.append(record)
        return accepted
