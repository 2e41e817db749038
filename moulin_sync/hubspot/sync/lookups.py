"""Link targets found in HubSpot by a property (a `Lookup`): for the records whose target
the target stream does not hold — a support ticket's requester who is no customer of
ours but already has a contact in HubSpot, found by email.

One batch read per 100 distinct values, before planning: the plan stays pure, and a
value found in HubSpot resolves every record naming it. Nothing is ever created here.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import link_target_types
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.in_flight import InFlight
from moulin_sync.hubspot.sync.records import batches


def values_to_look_up(
    spec: StreamSpec, records: pl.DataFrame, links: Mapping[str, Mapping[str, str]]
) -> dict[str, list[str]]:
    """Per link column with a lookup, the distinct values of the records whose column
    names no target the target stream holds."""
    wanted: dict[str, list[str]] = {}
    for link in spec.links:
        if link.lookup is None:
            continue
        held = list(links.get(link.column, {}))
        unresolved = records.filter(
            pl.col(link.column).is_null() | ~pl.col(link.column).is_in(held)
        )
        values = unresolved[link.lookup.column].drop_nulls().unique().sort()
        wanted[link.column] = [v for v in values.to_list() if v]
    return wanted


def looked_up(
    client: HubSpotClient,
    spec: StreamSpec,
    records: pl.DataFrame,
    links: Mapping[str, Mapping[str, str]],
) -> dict[str, dict[str, str]]:
    """Per link column with a lookup: {value: HubSpot id} of the values HubSpot holds a
    record for (an archived record is no target: HubSpot's batch read leaves it out)."""
    found: dict[str, dict[str, str]] = {}
    target_types = link_target_types(spec)
    pool = InFlight(client.max_in_flight, f"lookups-{spec.name}")
    for link in spec.links:
        if link.lookup is None:
            continue
        prop, object_type = link.lookup.property, target_types[link.column]
        values = values_to_look_up(spec, records, links)[link.column]

        def read(chunk: list[str], prop: str = prop, object_type: str = object_type) -> dict:
            outcome = client.objects.batch_read(object_type, chunk, prop, [prop])
            return {
                str(result.properties.get(prop) or "").lower(): result.id
                for result in outcome.results
            }

        ids: dict[str, str] = {}
        for chunk_ids in pool.map(read, batches(values)):
            ids |= chunk_ids
        found[link.column] = {value: ids[value.lower()] for value in values if value.lower() in ids}
    return found
