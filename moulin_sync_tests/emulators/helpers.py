"""Helpers shared by the emulator tests."""

from __future__ import annotations

import json
from typing import Any


def api_error(call: Any, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """Run an SDK call expected to fail; return (HTTP status, JSON body) of its ApiException."""
    try:
        call(*args, **kwargs)
    except Exception as e:
        status = getattr(e, "status", None)
        if status is None:
            raise
        return int(status), json.loads(e.body) if getattr(e, "body", None) else {}
    raise AssertionError("the call succeeded but an ApiException was expected")
