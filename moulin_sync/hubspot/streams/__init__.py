"""The registry of synced streams: adding a stream is adding its spec here.

In dependency order: a stream comes after the streams its links point to, so their
records are in HubSpot (and in the state store) by the time it writes.
"""

from __future__ import annotations

from moulin_sync.hubspot.streams.companies import COMPANIES
from moulin_sync.hubspot.streams.contacts import CONTACTS
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.hubspot.streams.spec import Custom, StreamSpec

STREAMS: tuple[StreamSpec, ...] = (COMPANIES, CONTACTS, DEALS)


def stream(name: str) -> StreamSpec:
    for spec in STREAMS:
        if spec.name == name:
            return spec
    raise KeyError(f"no stream {name!r}; the streams are {', '.join(s.name for s in STREAMS)}")


def custom_properties() -> dict[str, tuple[Custom, ...]]:
    """Per HubSpot object type the streams write, the custom properties they write (each
    once; none, for a type written with HubSpot's own properties alone)."""
    found: dict[str, dict[str, Custom]] = {}
    for spec in STREAMS:
        written = found.setdefault(spec.object_type, {})
        for custom in spec.custom_properties:
            written.setdefault(custom.name, custom)
    return {object_type: tuple(by_name.values()) for object_type, by_name in found.items()}


def link_target_types(spec: StreamSpec) -> dict[str, str]:
    """Each link column of `spec`: the HubSpot object type of its targets."""
    return {link.column: stream(link.stream).object_type for link in spec.links}
