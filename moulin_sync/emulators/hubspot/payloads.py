"""Request-body checks and answer shapes shared by the object, search and association endpoints."""

from __future__ import annotations

from typing import Any

from .errors import bad_request
from .object_types import ALWAYS_RETURNED, DEFAULT_RETURNED
from .timestamps import iso_ms, now_ms

MAX_BATCH = 100
BatchAnswer = tuple[int, dict[str, Any]]  # (200, 201 or 207; the batch envelope)


def names_from(values: list[str] | None) -> list[str]:
    """`properties=a,b&properties=c` (or a JSON list) -> ["a", "b", "c"]."""
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def shown_names(t: str, requested: list[str]) -> tuple[str, ...]:
    if not requested:
        return DEFAULT_RETURNED[t]
    return tuple(dict.fromkeys((*ALWAYS_RETURNED[t], *requested)))


def batch_envelope(
    results: list[Any], errors: list[dict[str, Any]], started: int
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso_ms(started),
        "completedAt": iso_ms(now_ms()),
    }
    if errors:
        out["numErrors"] = len(errors)
        out["errors"] = errors
    return out


def batch_answer(
    ok_status: int, results: list[Any], errors: list[dict[str, Any]], started: int
) -> BatchAnswer:
    """A batch answer: `ok_status` when every input succeeded, else 207 with the errors."""
    return (207 if errors else ok_status), batch_envelope(results, errors, started)


def check_inputs(body: Any, limit: int = MAX_BATCH) -> list[dict[str, Any]]:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise bad_request("Invalid input JSON: `inputs` must be a list of objects", "INVALID_INPUT")
    if len(inputs) > limit:
        raise bad_request(
            f"Batch input limit exceeded: {len(inputs)} inputs given, the limit is {limit}",
            "TOO_MANY_INPUTS",
        )
    return inputs


# An object batch input's fields that are strings (an `id` may also be a number).
_STRING_FIELDS = ("idProperty", "objectWriteTraceId")


def check_object_inputs(body: Any, limit: int = MAX_BATCH) -> list[dict[str, Any]]:
    """`inputs` of an objects batch, each field of its type, before anything is done:
    one malformed input refuses the whole request."""
    inputs = check_inputs(body, limit)
    for n, x in enumerate(inputs):
        rid = x.get("id")
        if rid is not None and (isinstance(rid, bool) or not isinstance(rid, str | int)):
            raise bad_request(
                f"Invalid input JSON: inputs[{n}].id must be a string", "INVALID_INPUT"
            )
        for field in _STRING_FIELDS:
            if x.get(field) is not None and not isinstance(x[field], str):
                raise bad_request(
                    f"Invalid input JSON: inputs[{n}].{field} must be a string", "INVALID_INPUT"
                )
        if x.get("properties") is not None and not isinstance(x["properties"], dict):
            raise bad_request(
                f"Invalid input JSON: inputs[{n}].properties must be an object", "INVALID_INPUT"
            )
    if isinstance(body.get("idProperty"), bool | int | list | dict):
        raise bad_request("Invalid input JSON: idProperty must be a string", "INVALID_INPUT")
    return inputs
