"""Polars expressions that turn source values into what HubSpot takes (no I/O, no clock)."""

from __future__ import annotations

import polars as pl

from moulin_sync.hubspot.streams.values import MAX_STRING_CHARS

# What `clean_text` removes: control characters, NUL included (tab and newline kept).
CONTROL_CHARACTERS = r"[\x00-\x08\x0b-\x1f\x7f]"


def clean_text(column: str | pl.Expr) -> pl.Expr:
    """Control characters (NUL included) removed, whitespace trimmed, empty → null."""
    expr = pl.col(column) if isinstance(column, str) else column
    cleaned = expr.str.replace_all(CONTROL_CHARACTERS, "").str.strip_chars()
    return pl.when(cleaned == "").then(None).otherwise(cleaned)


def hubspot_date(column: str | pl.Expr, timezone: str) -> pl.Expr:
    """A HubSpot `date` value: the local day as YYYY-MM-DD (midnight UTC on HubSpot's side)."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d")


def hubspot_datetime(column: str | pl.Expr) -> pl.Expr:
    """A HubSpot `datetime` value: ISO 8601 in UTC with milliseconds."""
    expr = pl.col(column) if isinstance(column, str) else column
    # Formatted as a plain UTC wall time: formatting with the zone attached costs a
    # quarter more, for the same text.
    utc = expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return utc.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")


def decimal_string(column: str | pl.Expr) -> pl.Expr:
    """An amount as HubSpot wants a number: '1234.50', one decimal point, no grouping."""
    expr = pl.col(column) if isinstance(column, str) else column
    # Wide enough that no sum of valid amounts overflows; an impossible value becomes
    # null (and is quarantined upstream), never an exception that stops every record.
    return expr.cast(pl.Decimal(38, 2), strict=False).cast(pl.String)


def too_long(columns: tuple[str, ...]) -> pl.Expr:
    """The first property longer than HubSpot's string limit, as a reason, else null."""
    reason = pl.lit(None, dtype=pl.String)
    for column in reversed(columns):
        reason = (
            pl.when(pl.col(column).str.len_chars() > MAX_STRING_CHARS)
            .then(pl.lit(f"{column} is longer than {MAX_STRING_CHARS:,} characters"))
            .otherwise(reason)
        )
    return reason


def as_strings(columns: tuple[str, ...]) -> list[pl.Expr]:
    """Every property as a string, null as "" (which clears the value in HubSpot)."""
    return [pl.col(c).cast(pl.String).fill_null("").alias(c) for c in columns]
