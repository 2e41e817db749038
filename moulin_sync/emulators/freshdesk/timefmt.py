"""Freshdesk's timestamps: ISO 8601 UTC to the second with a `Z` (`2015-08-24T11:56:51Z`),
held as integer epoch seconds inside the emulator."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> int | None:
    """Epoch seconds of an ISO 8601 date or date-time (no zone: UTC), or None when `text`
    is not one. Freshdesk accepts `2015-01-19T02:00:00Z`, `2015-08-17` and offsets."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())
