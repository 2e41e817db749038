"""Drift: managed properties someone changed in HubSpot after moulin-sync wrote them.

A record's values in HubSpot are compared, property by property, with the fingerprints
of what moulin-sync last wrote there (the state store). Only two kinds of records are
read: those HubSpot modified since the last check (its last-modified date, searched; our
own writes are among them, and match), and those an earlier check found drifted (read by
id, to see whether they still are). The cost is thus bounded by what changed, paced at
search's 5 requests/s. A property moulin-sync never wrote (empty at the source) is a
person's, never drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from moulin_sync.hubspot.audit import window_filter
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.client.errors import SearchWindowTooLarge
from moulin_sync.hubspot.streams import fingerprints, identity_property
from moulin_sync.hubspot.streams.spec import StreamSpec
from moulin_sync.hubspot.sync.state import SYNCED, SyncState

# HubSpot's last-modified property: contacts have their own name for it.
_MODIFIED = {"contacts": "lastmodifieddate"}
# Each check overlaps the one before by this much: HubSpot's clock is not ours, and its
# search index lags writes by seconds. A record seen twice costs one more read.
OVERLAP = dt.timedelta(minutes=1)
DRIFT_SCHEMA = {
    "source_key": pl.String,
    "hubspot_id": pl.String,
    "property": pl.String,
    "hubspot_value": pl.String,
}


def modified_property(object_type: str) -> str:
    return _MODIFIED.get(object_type, "hs_lastmodifieddate")


@dataclass(frozen=True)
class Drift:
    since: dt.datetime  # records modified from then on were compared
    until: dt.datetime
    first: bool  # the stream's first check: it starts watching
    examined: int  # records compared
    changes: pl.DataFrame  # DRIFT_SCHEMA: one row per drifted property of a record

    @property
    def records(self) -> dict[str, list[str]]:
        """{source key: its drifted properties}."""
        grouped = self.changes.group_by("source_key", maintain_order=True).agg("property")
        return dict(grouped.iter_rows())


def find_drift(
    client: HubSpotClient, state: SyncState, spec: StreamSpec, until: dt.datetime
) -> Drift:
    """What differs in HubSpot from what moulin-sync last wrote, in the records modified
    since the last check or found drifted by it; the state store then holds the
    answer (each record's drifted properties, and the check's time)."""
    checked_to = state.drift_checked_to(spec.name)
    # The first check (after the history import, typically) starts watching: everything
    # was just written by us.
    since = checked_to - OVERLAP if checked_to is not None else until
    try:
        found = dict(_modified_since(client, spec, since, until))
    except SearchWindowTooLarge:
        # More records modified within two seconds than a search pages through (an
        # import, a bulk load): every record of ours HubSpot holds is read by id instead.
        held = state.held(spec.name).filter(pl.col("status") == SYNCED)
        found = dict(_read_by_id(client, spec, held["hubspot_id"].drop_nulls().to_list()))
    earlier = state.drifted(spec.name)
    again = [hubspot_id for key, (hubspot_id, _) in earlier.items() if key not in found]
    found |= dict(_read_by_id(client, spec, again))
    changes = _compare(spec, found, state.fingerprints_of(spec.name, found))
    drift = Drift(since, until, checked_to is None, len(found), changes)
    by_record = {key: ",".join(names) for key, names in drift.records.items()}
    resolved = {key: None for key in [*found, *earlier] if key not in by_record}
    state.record_drift(spec.name, resolved | by_record)
    state.record_drift_checked(spec.name, until)
    return drift


def _names(spec: StreamSpec) -> list[str]:
    key = identity_property(spec)
    return [key, *(n for n in spec.property_names if n != key)]


def _modified_since(
    client: HubSpotClient, spec: StreamSpec, since: dt.datetime, until: dt.datetime
) -> list[tuple[str, tuple[str, dict]]]:
    """(source key, (HubSpot id, properties)) of our records HubSpot modified in
    [since, until]. One search call when little changed; a window holding more than
    HubSpot pages through (10,000) is halved until each half fits."""
    key_property = identity_property(spec)
    ours = [{"propertyName": key_property, "operator": "HAS_PROPERTY"}]
    modified = modified_property(spec.object_type)
    filters = window_filter(since, until + dt.timedelta(milliseconds=1), modified, ours)
    try:
        found = list(client.objects.search(spec.object_type, filters, _names(spec)))
    except SearchWindowTooLarge:
        if until - since <= dt.timedelta(seconds=2):
            raise
        middle = since + (until - since) / 2
        return _modified_since(client, spec, since, middle) + _modified_since(
            client, spec, middle, until
        )
    keys = ((r["properties"].get(key_property), r) for r in found)
    return [(key, (str(r["id"]), r["properties"])) for key, r in keys if key]


def _read_by_id(
    client: HubSpotClient, spec: StreamSpec, hubspot_ids: list[str]
) -> Iterator[tuple[str, tuple[str, dict]]]:
    for start in range(0, len(hubspot_ids), 100):
        outcome = client.objects.batch_read(
            spec.object_type, hubspot_ids[start : start + 100], None, _names(spec)
        )
        for result in outcome.results:
            key = result.properties.get(identity_property(spec))
            if key:
                yield key, (str(result.id), result.properties)


def _compare(
    spec: StreamSpec, found: dict[str, tuple[str, dict]], written: dict[str, str | None]
) -> pl.DataFrame:
    """One row per property whose value in HubSpot is not the one moulin-sync wrote."""
    keys = list(found)
    held = fingerprints.of_values(spec, [found[key][1] for key in keys])
    key_property = spec.key_property  # worked out from the spec: once, not per value
    rows = []
    for key, now in zip(keys, held, strict=True):
        ours = fingerprints.parse(written.get(key))
        if ours is None:  # written before fingerprints were kept: unknown, not drift
            continue
        hubspot_id, properties = found[key]
        rows.extend(
            (key, hubspot_id, name, properties.get(name) or "")
            for name, fp in ours.items()
            if name != key_property and now.get(name) != fp
        )
    return pl.DataFrame(rows, schema=DRIFT_SCHEMA, orient="row")
