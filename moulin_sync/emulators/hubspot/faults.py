"""Injected faults: canned error statuses, hangs, and the lost answer after a committed write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

KINDS = ("status", "hang", "drop_after_commit")


@dataclass
class Fault:
    kind: str
    count: int = 1
    status: int = 503
    seconds: float = 0.0
    method: str | None = None
    route: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not self.route or path.startswith(self.route)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "count": self.count, "status": self.status,
            "seconds": self.seconds, "method": self.method, "route": self.route,
        }  # fmt: skip


def parse_fault(body: Any) -> Fault:
    if not isinstance(body, dict) or body.get("kind") not in KINDS:
        raise bad_request(f"A fault needs a kind among {', '.join(KINDS)}")
    try:
        fault = Fault(
            kind=body["kind"],
            count=int(body.get("count", 1)),
            status=int(body.get("status", 503)),
            seconds=float(body.get("seconds", 0.0)),
            method=body.get("method"),
            route=body.get("route"),
        )
    except (TypeError, ValueError) as e:
        raise bad_request(f"Invalid fault: {e}") from e
    if fault.count < 1 or not 100 <= fault.status <= 599 or fault.seconds < 0:
        raise bad_request("count must be >= 1, status an HTTP status, seconds >= 0")
    return fault


class Faults:
    def __init__(self) -> None:
        self.armed: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.armed.append(fault)

    def clear(self) -> None:
        self.armed.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """Consume one shot of every armed fault matching this request (at most one per kind)."""
        if not self.armed:
            return []
        taken: list[Fault] = []
        kinds: set[str] = set()
        for f in list(self.armed):
            if f.kind in kinds or not f.matches(method, path):
                continue
            kinds.add(f.kind)
            taken.append(f)
            f.count -= 1
            if f.count <= 0:
                self.armed.remove(f)
        return taken


def fault_body(status: int) -> dict[str, Any]:
    return {
        "status": "error",
        "message": f"Injected fault: HTTP {status}",
        "correlationId": str(uuid.uuid4()),
        "category": "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR",
    }
