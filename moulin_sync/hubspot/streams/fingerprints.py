"""A short fingerprint of each value a payload sends, property by property.

What moulin-sync last wrote into each property is kept in the state store as these
fingerprints (a few bytes each, not the values): a later write then sends only what
changed, clears a property only when the value HubSpot holds is still ours, and the
drift check tells a person's edit from our own value. HubSpot gives some values back in
another spelling than they were sent ("12.50" as "12.5", an instant with or without
milliseconds), so a value is fingerprinted in a canonical form, the same expression for
what we send and for what HubSpot answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
import polars_hash  # noqa: F401  (registers the `nchash` expression namespace)

from moulin_sync.hubspot.streams.spec import Property, StreamSpec
from moulin_sync.hubspot.streams.values import (
    Amount,
    Count,
    Day,
    Email,
    Instant,
    Number,
    RequiredInstant,
)

Fingerprints = dict[str, str]  # property → fingerprint of its non-empty value
_NUMBERS = (Amount, Number, Count)
_INSTANTS = (Instant, RequiredInstant)


def canonical(prop: Property, value: pl.Expr) -> pl.Expr:
    """The value as HubSpot means it, whatever its spelling."""
    kind = prop.value
    if any(kind is t for t in _NUMBERS):
        return value.cast(pl.Float64, strict=False).round(6).cast(pl.String).fill_null(value)
    if any(kind is t for t in _INSTANTS):
        return instant_ms(value).cast(pl.String).fill_null(value)
    if kind is Day:
        return value.str.slice(0, 10)
    if kind is Email:
        return value.str.to_lowercase()
    return value


def instant_ms(value: pl.Expr) -> pl.Expr:
    """Epoch milliseconds of an ISO 8601 instant (`Z` or an offset, with or without
    fractions of a second), or of epoch milliseconds written out."""
    text = value.str.replace(r"Z$", "+00:00")
    parsed = pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_zone="UTC", strict=False),
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", time_zone="UTC", strict=False),
    )
    return pl.coalesce(parsed.dt.epoch("ms"), value.cast(pl.Int64, strict=False))


def digest(prop: Property, value: pl.Expr) -> pl.Expr:
    """The fingerprint of a value of `prop`, as text (as the state store keeps it)."""
    return (canonical(prop, value).nchash.xxh3_64() % 4_294_967_296).cast(pl.String)


def written_fingerprint(prop: str, text: pl.Expr) -> pl.Expr:
    """From the state store's fingerprint text, the fingerprint of what moulin-sync
    last wrote into `prop` (null: nothing)."""
    return text.str.extract(rf"(?:^|,){prop}:([^,]*)")


def fingerprint_text(spec: StreamSpec, frame_columns: Sequence[str] | None = None) -> pl.Expr:
    """ "name:fp,name:fp" of a payload's non-empty properties, as the state store keeps
    them (one String column)."""
    parts = [pl.lit(None, pl.String)]  # a frame may carry none of the properties
    for prop in spec.properties:
        if frame_columns is not None and prop.name not in frame_columns:
            continue
        value = pl.col(prop.name)
        parts.append(
            pl.when(value.is_not_null() & (value != "")).then(
                pl.format(f"{prop.name}:{{}}", digest(prop, value))
            )
        )
    return pl.concat_str(parts, separator=",", ignore_nulls=True).alias("fingerprints")


def parse(text: str | None) -> Fingerprints | None:
    """The stored text as {property: fingerprint}; None when nothing was stored."""
    if text is None:
        return None
    return dict(part.split(":", 1) for part in text.split(",") if part)


def render(fingerprints: Mapping[str, str]) -> str:
    return ",".join(f"{name}:{fp}" for name, fp in fingerprints.items())


def of_values(spec: StreamSpec, rows: Sequence[Mapping[str, str | None]]) -> list[Fingerprints]:
    """The fingerprints of values as HubSpot holds them (one mapping per record)."""
    names = spec.property_names
    frame = pl.DataFrame(
        [[row.get(n) for n in names] for row in rows],
        schema=dict.fromkeys(names, pl.String),
        orient="row",
    )
    texts = frame.select(fingerprint_text(spec))["fingerprints"]
    return [parse(text) or {} for text in texts]
