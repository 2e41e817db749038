"""Typeform's times: epoch seconds or ISO 8601 in, `2020-03-20T14:00:59Z` out, to the second."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

# A date, `T`, a time to the second at least; optional fraction and zone (Z or ±HH:MM).
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
_EPOCH = re.compile(r"\d{1,11}")


def parse_iso(value: str) -> int | None:
    """Epoch seconds of an ISO 8601 date-time (UTC when it names no zone), or None."""
    if not _ISO.fullmatch(value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() // 1)


def parse_query_time(value: str) -> int | None:
    """`since`/`until`: epoch seconds or ISO 8601 to the second; None when neither."""
    if _EPOCH.fullmatch(value):
        return int(value)
    return parse_iso(value)


def iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
