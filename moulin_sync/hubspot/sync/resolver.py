"""Finding in HubSpot the record a write is about, when an answer left it in doubt.

- By key: after a conflict or a lost answer, which records already exist (a replay)?
- Adoption: a record someone else made (a contact from a form, Typeform or Freshdesk)
  with the same adoption property (the email) but without our key is adopted, found with
  one batch read per 100 records, never duplicated.
- Re-resolution: a stored id that answers 404 (merged, or deleted by a person) is found
  again by key, then through the survivor's `hs_merged_object_ids`, then by adoption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moulin_sync.hubspot.client import HubSpotClient, ObjectResult
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.in_flight import InFlight
from moulin_sync.hubspot.sync.records import Record, batches


@dataclass
class Adoption:
    to_create: list[Record] = field(default_factory=list)  # HubSpot has no such record
    adopted: list[Record] = field(default_factory=list)  # found, ids set: to update
    refused: list[tuple[Record, str]] = field(default_factory=list)  # it is another's


@dataclass
class Reresolution:
    resolved: list[Record] = field(default_factory=list)  # found again, ids set
    # Into another of ours: their ids set to the survivor's.
    merged: list[tuple[Record, str]] = field(default_factory=list)
    lost: list[Record] = field(default_factory=list)  # HubSpot has it nowhere
    refused: list[tuple[Record, str]] = field(default_factory=list)


class Resolver:
    def __init__(self, client: HubSpotClient, spec: StreamSpec, pool: InFlight) -> None:
        self.objects = client.objects
        self.spec = spec
        self.key = spec.key_property
        self.pool = pool

    def find_by_key(self, records: list[Record]) -> tuple[list[Record], list[Record]]:
        """(found, missing): records HubSpot holds under our key get their id."""
        outcome = self.objects.batch_read(
            self.spec.object_type, [r.source_key for r in records], self.key, [self.key]
        )
        ids = {str(result.properties.get(self.key)): result.id for result in outcome.results}
        found = []
        for record in records:
            if record.source_key in ids:
                record.hubspot_id = ids[record.source_key]
                found.append(record)
        return found, [r for r in records if r not in found]

    def adopt(self, records: list[Record]) -> Adoption:
        """Sort new records by whether HubSpot already holds one with their adoption
        property (the email) and none of our keys, or one of another of ours."""
        prop = self.spec.adopt_by
        assert prop is not None, f"stream {self.spec.name} adopts nothing"
        by_value = {r.properties[prop]: r for r in records if r.properties.get(prop)}
        adoption = Adoption(to_create=[r for r in records if not r.properties.get(prop)])

        def read(chunk: list[str]) -> list[ObjectResult]:
            return self.objects.batch_read(
                self.spec.object_type, chunk, prop, [prop, self.key]
            ).results

        found = {
            str(result.properties.get(prop) or "").lower(): result
            for results in self.pool.map(read, batches(list(by_value)))
            for result in results
        }
        for value, record in by_value.items():
            existing = found.get(value)
            if existing is None:
                adoption.to_create.append(record)
                continue
            owner = existing.properties.get(self.key) or ""
            if owner in ("", record.source_key):
                record.hubspot_id = existing.id
                adoption.adopted.append(record)
            else:
                why = (
                    f"{prop} {value} already belongs to HubSpot {self.spec.record_noun} "
                    f"{existing.id} of {self.key} {owner}"
                )
                adoption.refused.append((record, why))
        return adoption

    def owner_of(self, hubspot_id: str) -> str | None:
        """Our key on the record `hubspot_id` ("" when it is not ours), None when HubSpot
        no longer has it."""
        outcome = self.objects.batch_read(self.spec.object_type, [hubspot_id], None, [self.key])
        for result in outcome.results:
            return str(result.properties.get(self.key) or "")
        return None

    def reresolve(self, records: list[Record]) -> Reresolution:
        """Stored ids that answer 404: found again by key, then through a merge
        survivor, then by adoption; lost only when HubSpot has them nowhere."""
        found, missing = self.find_by_key(records)
        result = Reresolution(resolved=found)
        for record in missing:
            survivor = self._merge_survivor(record)
            owner = (survivor or {}).get("properties", {}).get(self.key) or ""
            if survivor is None:
                result.lost.append(record)
            elif owner in ("", record.source_key):
                record.hubspot_id = str(survivor["id"])
                result.resolved.append(record)
            else:
                # A person merged two of our records: respect it. Writing our key back on
                # the survivor, or re-creating the record, would undo the merge nightly.
                why = f"merged in HubSpot into record {survivor['id']} of {self.key} {owner}"
                record.hubspot_id = str(survivor["id"])
                result.merged.append((record, why))
        if result.lost and self.spec.adopt_by:
            adoption = self.adopt(result.lost)
            result.lost, result.refused = adoption.to_create, adoption.refused
            result.resolved.extend(adoption.adopted)
        return result

    def _merge_survivor(self, record: Record) -> dict[str, Any] | None:
        """The record a merge folded `record`'s stale id into, if any.

        Search is used here only, on the rare merge path: never to decide a create.
        """
        if not record.hubspot_id:
            return None
        matches = self.objects.search(
            self.spec.object_type,
            [
                {
                    "filters": [
                        {
                            "propertyName": "hs_merged_object_ids",
                            "operator": "CONTAINS_TOKEN",
                            "value": str(record.hubspot_id),
                        }
                    ]
                }
            ],
            [self.key, "hs_merged_object_ids"],
            limit=10,
        )
        for match in matches:
            merged = str(match["properties"].get("hs_merged_object_ids") or "").split(";")
            if str(record.hubspot_id) in merged:
                return match
        return None
