"""Injected faults: canned error statuses, hangs, and the lost or held answer after a write.

A fault matches requests by `method`, `route` (a prefix of the path) and, with
`writes: true`, only requests to routes that write (declared `mutates=True`). With
`skip: N` the first N matching requests pass untouched and the fault applies from the
N+1-th on: "after the 12th write call" is `{"writes": true, "skip": 11}`. Each fault keeps
counters the tests read from `GET /_emulator/faults`: `seen` (matching requests), `fired`
(requests it applied to), `committed` (for the after-commit kinds: requests executed and
committed before the answer was dropped or held), and `fired_on` (what it hit).

Kinds: `status` answers `status` (a 429 as the service's limiter answers limit `policy`)
without executing the request; `hang` waits `seconds`, then lets the request through;
`drop_after_commit` executes and commits the request, then closes the connection without
a byte; `hang_after_commit` executes and commits it, then holds the answer until the
client goes away (or `seconds` pass, 0: forever).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

KINDS = ("status", "hang", "drop_after_commit", "hang_after_commit")
BEFORE = ("status", "hang")  # act before the service executes the request
AFTER_COMMIT = ("drop_after_commit", "hang_after_commit")  # act on its answer
# Spent faults kept for `GET /_emulator/faults` (their counters prove they fired).
SPENT_KEPT = 1000
FIRED_ON_KEPT = 20


@dataclass
class Fault:
    kind: str
    policy: str  # a 429's limit, among the service limiter's `policies`
    count: int = 1
    status: int = 503
    seconds: float = 0.0
    method: str | None = None
    route: str | None = None
    skip: int = 0
    writes: bool = False
    message: str | None = None  # a `status` fault's error message (default: "Injected fault")
    id: int = 0
    seen: int = 0
    fired: int = 0
    committed: int = 0
    fired_on: list[str] = field(default_factory=list)

    def matches(self, method: str, path: str, write: bool = False) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.writes and not write:
            return False
        return not self.route or path.startswith(self.route)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "count": self.count, "status": self.status,
            "seconds": self.seconds, "method": self.method, "route": self.route,
            "skip": self.skip, "writes": self.writes, "message": self.message,
            "policy": self.policy,
            "seen": self.seen, "fired": self.fired,
            "committed": self.committed, "fired_on": list(self.fired_on),
        }  # fmt: skip


def parse_fault(body: Any, policies: tuple[str, ...]) -> Fault:
    """A fault from its JSON; ValueError naming what is wrong."""
    if not isinstance(body, dict) or body.get("kind") not in KINDS:
        raise ValueError(f"A fault needs a kind among {', '.join(KINDS)}")
    writes = body.get("writes", False)
    if not isinstance(writes, bool):
        raise ValueError("writes must be true or false")
    try:
        fault = Fault(
            kind=body["kind"],
            count=int(body.get("count", 1)),
            status=int(body.get("status", 503)),
            seconds=float(body.get("seconds", 0.0)),
            method=body.get("method"),
            route=body.get("route"),
            skip=int(body.get("skip", 0)),
            writes=writes,
            message=None if body.get("message") is None else str(body["message"]),
            policy=body.get("policy", policies[0]),
        )
    except (TypeError, ValueError) as e:
        raise ValueError(f"Invalid fault: {e}") from e
    if fault.policy not in policies:
        raise ValueError(f"policy must be one of {', '.join(policies)}")
    if fault.count < 1 or not 100 <= fault.status <= 599 or fault.seconds < 0 or fault.skip < 0:
        raise ValueError("count must be >= 1, status an HTTP status, seconds >= 0, skip >= 0")
    return fault


class Faults:
    def __init__(self) -> None:
        self.armed: list[Fault] = []
        self.spent: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, fault: Fault) -> None:
        fault.id = next(self._ids)
        self.armed.append(fault)

    def clear(self) -> None:
        self.armed.clear()
        self.spent.clear()

    def take(
        self,
        method: str,
        path: str,
        write: bool = False,
        kinds: tuple[str, ...] = KINDS,
    ) -> list[Fault]:
        """Consume one shot of every armed fault of `kinds` that applies to this request.

        Every matching fault counts the request as `seen`; one still skipping lets it pass.
        At most one fault per kind applies to a request: another of the same kind waits
        for the next matching request. (The gate takes `status` and `hang` faults before
        rate limiting, the after-commit kinds after it: those count executed requests.)
        """
        if not self.armed:
            return []
        taken: list[Fault] = []
        applied: set[str] = set()
        for f in list(self.armed):
            if f.kind not in kinds or not f.matches(method, path, write):
                continue
            f.seen += 1
            if f.seen <= f.skip or f.kind in applied:
                continue
            applied.add(f.kind)
            taken.append(f)
            f.fired += 1
            f.fired_on = [*f.fired_on, f"{method} {path}"][-FIRED_ON_KEPT:]
            f.count -= 1
            if f.count <= 0:
                self.armed.remove(f)
                self.spent = [*self.spent, f][-SPENT_KEPT:]
        return taken
