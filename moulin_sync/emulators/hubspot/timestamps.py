"""HubSpot's time forms: epoch milliseconds, ISO 8601 with milliseconds, and `YYYY-MM-DD`."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from functools import lru_cache

DAY_MS = 86_400_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DIGITS = re.compile(r"^-?\d+$")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@lru_cache(maxsize=4096)
def iso_ms(ms: int) -> str:
    """Epoch milliseconds -> `2024-01-02T03:04:05.678Z` (HubSpot's timestamp form)."""
    d = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{d:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


@lru_cache(maxsize=65_536)
def to_epoch_ms(value: str) -> int | None:
    """Parse epoch ms, `YYYY-MM-DD` or ISO 8601 into epoch ms (None when unparseable)."""
    v = value.strip()
    if _DIGITS.match(v):
        return int(v)
    try:
        if _DATE.match(v):
            d = datetime.strptime(v, "%Y-%m-%d").replace(tzinfo=UTC)
        else:
            d = datetime.fromisoformat(v.replace("z", "Z"))
            if d.tzinfo is None:
                d = d.replace(tzinfo=UTC)
    except ValueError:
        return None
    return round(d.timestamp() * 1000)
