"""The registry of synced streams: adding a stream is adding its spec here.

In dependency order: a stream comes after the streams its links point to, so their
records are in HubSpot (and in the state store) by the time it writes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from moulin_sync.hubspot.streams.companies import COMPANIES
from moulin_sync.hubspot.streams.contacts import CONTACTS
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.hubspot.streams.nps import NPS
from moulin_sync.hubspot.streams.spec import Custom, PropertyGroup, StreamSpec
from moulin_sync.hubspot.streams.tickets import TICKETS


class GroupedProperty(NamedTuple):
    custom: Custom
    group: PropertyGroup


STREAMS: tuple[StreamSpec, ...] = (COMPANIES, CONTACTS, DEALS, NPS, TICKETS)


def enabled_streams(sources: Collection[str] | None = None) -> tuple[StreamSpec, ...]:
    """The streams whose every source is enabled (`sources`: their names; default: as
    the environment sets them up), in the registry's order."""
    from moulin_sync.sources import enabled_sources

    names = {s.name for s in enabled_sources()} if sources is None else set(sources)
    return tuple(spec for spec in STREAMS if set(spec.source_names) <= names)


def stream(name: str) -> StreamSpec:
    for spec in STREAMS:
        if spec.name == name:
            return spec
    raise KeyError(f"no stream {name!r}; the streams are {', '.join(s.name for s in STREAMS)}")


def custom_properties(
    streams: Sequence[StreamSpec] = STREAMS,
) -> dict[str, tuple[GroupedProperty, ...]]:
    """Per HubSpot object type the `streams` write, the custom properties they write,
    each once and in its stream's property group (none, for a type written with
    HubSpot's own properties alone)."""
    found: dict[str, dict[str, GroupedProperty]] = {}
    for spec in streams:
        written = found.setdefault(spec.object_type, {})
        for custom in spec.custom_properties:
            written.setdefault(custom.name, GroupedProperty(custom, spec.property_group))
    return {object_type: tuple(by_name.values()) for object_type, by_name in found.items()}


def identity_property(spec: StreamSpec) -> str:
    """The unique property HubSpot's records of the stream carry, by which they are
    known as ours: the stream's own key, or the key of the stream it enriches."""
    key = spec.key_property if spec.enriches is None else stream(spec.enriches).key_property
    assert key is not None, f"stream {spec.name} has no key"
    return key


def link_target_types(spec: StreamSpec) -> dict[str, str]:
    """Each link column of `spec`: the HubSpot object type of its targets."""
    return {link.column: stream(link.stream).object_type for link in spec.links}
