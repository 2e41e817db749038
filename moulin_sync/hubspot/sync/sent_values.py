"""Which of a record's values a write sends: what changed, and never an empty value over
a person's work.

A salesperson types a phone or an address into HubSpot; the App du Moulin has none. An
empty source value is therefore never sent to a new record, nor to a record moulin-sync
did not make (adopted, found again after a merge). To a record of ours it is sent — as
`""`, which clears the property — only when the value HubSpot holds is still the one
moulin-sync wrote (its fingerprint matches): one batch read per batch that would clear
something, which is rare. A known record is sent only the values that changed since
moulin-sync last wrote it, so what a person edited elsewhere in it stays.
"""

from __future__ import annotations

from collections.abc import Sequence

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import fingerprints
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.records import Record


def new_values(record: Record) -> dict[str, str]:
    """What a create sends: every non-empty value."""
    return {name: value for name, value in record.properties.items() if value != ""}


class SentValues:
    def __init__(self, client: HubSpotClient, spec: StreamSpec) -> None:
        self.objects = client.objects
        self.spec = spec

    def for_update(self, records: Sequence[Record]) -> list[dict[str, str]]:
        """What an update sends of each record: its changed values, its clears of values
        still ours, and its key (so no update is empty)."""
        clears = self._clears_still_ours(records)
        return [self._changed(record, clears.get(record.hubspot_id, set())) for record in records]

    def _changed(self, record: Record, clears: set[str]) -> dict[str, str]:
        key = self.spec.key_property
        written = record.written
        if written is None:
            values = new_values(record)
        elif record.resend:
            values = {**new_values(record), **dict.fromkeys(clears, "")}
        else:
            values = {
                name: value
                for name, value in record.properties.items()
                if (value == "" and name in clears)
                or (value != "" and written.get(name) != record.fingerprints.get(name))
            }
        # The key too (no update is empty), but on another stream's records.
        return {key: record.properties[key], **values} if key else values

    def _clears_still_ours(self, records: Sequence[Record]) -> dict[str | None, set[str]]:
        """For each record that would clear values it once wrote: those HubSpot still
        holds as written (or holds empty), read back in one batch."""
        wanted = {
            record.hubspot_id: [
                name
                for name, value in record.properties.items()
                if value == "" and name in (record.written or {})
            ]
            for record in records
            if record.written
        }
        wanted = {hubspot_id: names for hubspot_id, names in wanted.items() if names}
        if not wanted:
            return {}
        names = sorted({name for names in wanted.values() for name in names})
        outcome = self.objects.batch_read(
            self.spec.object_type, [str(i) for i in wanted], None, names
        )
        held = {result.id: result.properties for result in outcome.results}
        by_id = {record.hubspot_id: record for record in records}
        ids = [i for i in wanted if i in held]
        now = fingerprints.of_values(self.spec, [held[i] for i in ids])
        clears: dict[str | None, set[str]] = {}
        for hubspot_id, found in zip(ids, now, strict=True):
            written = by_id[hubspot_id].written or {}
            clears[hubspot_id] = {
                name
                for name in wanted[hubspot_id]
                if name not in found or found[name] == written.get(name)
            }
        return clears
