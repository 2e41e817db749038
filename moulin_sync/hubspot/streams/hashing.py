"""The hash of what a payload would make HubSpot hold: how a sync tells a change."""

from __future__ import annotations

import hashlib

import polars as pl
import polars_hash  # noqa: F401  (registers the `nchash` expression namespace)

UNIT_SEPARATOR = "\x1f"  # between the values of a payload, where it is hashed
HASH_PREFIX = "xxh3:"


def payload_hashes(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.Series:
    """A stable hash of each row's payload (what HubSpot would hold after the write),
    as `stable_hash` gives it: "xxh3:" and 32 hex characters.

    Not polars' own `hash`, which may change between polars versions and would then make
    every record look changed. The hashed text is the property values joined by the
    unit separator (U+001F), after a fingerprint of the property names, so a property
    added, renamed or reordered changes every hash (and re-sends every record). A row
    where a value holds the separator, or is null, would make that text ambiguous: such
    rows (rare, found by a cheap literal search) are hashed from their JSON instead. The
    two encodings cannot give the same text: JSON starts with "{", a joined text with
    the fingerprint's hex digits.
    """
    values = [pl.col(c) for c in columns]
    joined = pl.concat_str([pl.lit(_fingerprint(columns)), *values], separator=UNIT_SEPARATOR)
    ambiguous = pl.any_horizontal(
        [v.str.contains(UNIT_SEPARATOR, literal=True).fill_null(True) for v in values]
    )
    # Streamed: each batch of rows has its text made, hashed and dropped on its own, on
    # every core, so only a batch's text is alive at a time (memory), and the hashing runs
    # beside the search for separators.
    hashed = (
        frame.lazy()
        .select(stable_hash(joined).alias("payload_hash"), ambiguous.alias("ambiguous"))
        .collect(engine="streaming")
    )
    hashes = hashed["payload_hash"]
    odd = hashed["ambiguous"].arg_true()
    if odd.len():
        encoded = frame[odd].select(stable_hash(pl.struct(list(columns)).struct.json_encode()))
        hashes = hashes.scatter(odd, encoded.to_series())
    return hashes.alias("payload_hash")


def _fingerprint(columns: tuple[str, ...]) -> str:
    """Eight hex characters that change when the property names or their order do."""
    names = UNIT_SEPARATOR.join(columns).encode()
    return hashlib.blake2b(names, digest_size=4).hexdigest()


def stable_hash(texts: pl.Expr) -> pl.Expr:
    """XXH3-128 of each string's UTF-8 bytes, in the canonical (big-endian) byte order,
    as "xxh3:" and 32 hex characters; null stays null.

    Computed in Rust by polars-hash, no Python per row. XXH3's output is fixed by its
    specification, unlike polars' own `hash`. Not a cryptographic hash, which change
    detection does not need: 128 bits make an accidental collision out of reach, and it
    is five times faster than blake3 here.
    """
    digest = texts.nchash.xxh3_128(return_binary=True, byte_order="big")  # polars_hash
    return pl.concat_str([pl.lit(HASH_PREFIX), digest.bin.encode("hex")])
