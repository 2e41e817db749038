"""The CRM objects API's inputs checked and answers read, for every client of it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from moulin_sync.hubspot.client import endpoints as e

OBJECT_TYPES = ("contacts", "companies", "deals", "tickets")
MAX_BATCH_INPUTS = 100  # HubSpot's documented maximum per v3 batch call


def check_type(object_type: str) -> str:
    if object_type not in OBJECT_TYPES:
        raise ValueError(
            f"unsupported object type {object_type!r}; expected one of {', '.join(OBJECT_TYPES)}"
        )
    return object_type


def check_size(inputs: Sequence[Any], limit: int, what: str) -> None:
    if len(inputs) > limit:
        raise ValueError(
            f"{what}: {len(inputs)} inputs, HubSpot takes at most {limit} per call; "
            f"send them in batches of {limit}"
        )


def record(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A record as HubSpot sent it, with its id as a string."""
    out = dict(raw)
    if "id" in out:
        out["id"] = str(out["id"])
    return out


def next_after(body: Any) -> str | None:
    if not isinstance(body, Mapping):
        return None
    after = ((body.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after not in (None, "") else None


def results(
    send: Callable[..., Any], endpoint: e.Endpoint, get_all: Callable[..., Any], object_type: str
) -> list[dict[str, Any]]:
    """Every entry of a listing of one object type's definitions (properties, pipelines)."""
    check_type(object_type)
    answer = send(endpoint, lambda **kw: get_all(object_type, **kw), objectType=object_type)
    return list(answer.body.get("results") or [])
