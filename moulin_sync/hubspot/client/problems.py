"""HubSpot's error bodies, parsed once into typed values.

A failed call (`HubSpotApiError`) and each failed input of a batch answered 207
(`InputError`) carry the same per-property details (`PropertyProblem`); both say in
words what was refused, so a rejected record's reason reads the same wherever it came
from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Per-property problems spelled out in a rejection reason (all are kept in `problems`).
PROBLEMS_IN_REASON = 3


@dataclass(frozen=True)
class PropertyProblem:
    """One of HubSpot's per-property details: ``{"message", "code", "context":
    {"propertyName": [...]}}``."""

    code: str
    message: str
    property_names: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Any) -> PropertyProblem | None:
        if not isinstance(raw, Mapping):
            return None
        context = raw.get("context") if isinstance(raw.get("context"), Mapping) else {}
        names = context.get("propertyName") or []
        return cls(
            code=str(raw.get("code") or ""),
            message=str(raw.get("message") or "").strip(),
            property_names=tuple(str(n) for n in (names if isinstance(names, list) else [names])),
        )

    def describe(self) -> str:
        """ "Email address x is invalid (INVALID_EMAIL on email)"."""
        where = f" on {', '.join(self.property_names)}" if self.property_names else ""
        if self.message and self.code:
            return f"{self.message} ({self.code}{where})"
        return f"{self.message or self.code}{where}"


# HubSpot's codes for an association it refuses because its target does not exist.
MISSING_TARGET_CODES = frozenset({"INVALID_ASSOCIATION", "ASSOCIATION_TARGET_NOT_FOUND"})


def names_a_missing_target(problems: Sequence[PropertyProblem]) -> bool:
    """Whether HubSpot refused the write for an association to a record it lacks."""
    return any(p.code in MISSING_TARGET_CODES for p in problems)


def parse_problems(raw: Any) -> tuple[PropertyProblem, ...]:
    items = raw if isinstance(raw, list) else []
    return tuple(p for p in map(PropertyProblem.parse, items) if p is not None)


def describe_problems(problems: Sequence[PropertyProblem]) -> str:
    return "; ".join(p.describe() for p in problems[:PROBLEMS_IN_REASON] if p.code or p.message)


@dataclass(frozen=True)
class InputError:
    """One failed input of a batch (an entry of a 207's ``errors``).

    `context` says which input failed (``{"ids": (...)}``, ``{"objectWriteTraceId":
    (...)}``...); `problems` holds the per-property details.
    """

    status: str
    category: str
    message: str
    context: Mapping[str, tuple[str, ...]]
    problems: tuple[PropertyProblem, ...] = ()

    @classmethod
    def parse(cls, raw: Any) -> InputError:
        if not isinstance(raw, Mapping):
            return cls("error", "", str(raw), {})
        context = raw.get("context") if isinstance(raw.get("context"), Mapping) else {}
        return cls(
            status=str(raw.get("status", "error")),
            category=str(raw.get("category") or raw.get("errorType") or ""),
            message=str(raw.get("message", "")),
            context={
                str(k): tuple(str(v) for v in (vs if isinstance(vs, list) else [vs]))
                for k, vs in context.items()
            },
            problems=parse_problems(raw.get("errors")),
        )

    @property
    def is_conflict(self) -> bool:
        return self.category == "CONFLICT" or self.status == "409"

    @property
    def is_not_found(self) -> bool:
        return self.category == "OBJECT_NOT_FOUND" or self.status == "404"

    @property
    def names_a_missing_target(self) -> bool:
        return names_a_missing_target(self.problems)

    @property
    def trace_id(self) -> str:
        """The ``objectWriteTraceId`` of the input that failed ("" when not given)."""
        return next(iter(self.context.get("objectWriteTraceId", ())), "")

    def concerns(self, record_id: str | None) -> bool:
        """Whether this error is about the record `record_id` (an error naming no id is
        about any of the batch's records)."""
        ids = self.context.get("ids") or self.context.get("id") or ()
        return not ids or str(record_id) in ids

    @property
    def reason(self) -> str:
        """Why HubSpot refused the input, in words a person can act on."""
        detail = describe_problems(self.problems)
        if detail:
            return f"HubSpot refused it: {detail}"
        codes = [p.code for p in self.problems if p.code]
        return f"{self.message} ({', '.join(codes)})" if codes else self.message


NO_REASON = "HubSpot did not accept the record and gave no reason"


def reason_of(error: InputError | None) -> str:
    return error.reason if error is not None else NO_REASON
