"""What HubSpot's batch calls answered, as typed values (callers never see SDK models)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from moulin_sync.hubspot.client.problems import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class ObjectResult:
    """A record in a batch answer: its HubSpot id and the properties HubSpot echoed."""

    id: str
    properties: Mapping[str, str | None]
    # Only upsert answers say whether a record is new; a create's result always is.
    new: bool | None = None
    trace_id: str | None = None  # the input's objectWriteTraceId, when HubSpot echoes it

    @classmethod
    def parse(cls, raw: Mapping[str, Any], new: bool | None = None) -> ObjectResult:
        trace = raw.get("objectWriteTraceId")
        return cls(
            id=str(raw.get("id")),
            properties=dict(raw.get("properties") or {}),
            new=raw.get("new", new),
            trace_id=None if trace is None else str(trace),
        )


@dataclass(frozen=True)
class AssociationLink:
    """A link a v4 batch create made: from one record to another, with its labels."""

    from_id: str
    to_id: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchOutcome(Generic[T]):
    """What a batch call did: HubSpot's status (200, 201, or 207 when some inputs failed),
    the `results`, and one `InputError` per failed input."""

    status: int
    results: list[T] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def object_outcome(status: int, body: Any, new: bool | None = None) -> BatchOutcome[ObjectResult]:
    body = body if isinstance(body, Mapping) else {}
    return BatchOutcome(
        status=status,
        results=[ObjectResult.parse(r, new) for r in body.get("results") or []],
        errors=[InputError.parse(e) for e in body.get("errors") or []],
    )
