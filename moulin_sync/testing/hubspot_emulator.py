"""Start the HubSpot emulator in a subprocess for tests, benchmarks and demos.

    with run_hubspot_emulator(tier="starter", search_lag=0.5) as hs:
        client = hubspot_client(hs)
        hs.admin.add_fault(kind="status", status=503, count=1)
        # hold the answer of the 12th write once it is committed, until the client dies
        fault = hs.admin.add_fault(kind="hang_after_commit", writes=True, skip=11)
        hs.admin.wait_for_fault(fault["id"], counter="committed")
        hs.restart()          # same port, same --state file

Built on the generic `moulin_sync.testing.emulator` (any emulator, in a process or a
thread); this module adds HubSpot's admin extras (limits, bulk loads, indexes) and its SDK.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from moulin_sync.testing.emulator import (
    AdminClient as EmulatorAdmin,
)
from moulin_sync.testing.emulator import (
    EmulatorProcess,
    free_port,
    run_emulator_process,
)

__all__ = ["AdminClient", "EmulatorHandle", "free_port", "hubspot_client", "run_hubspot_emulator"]


class AdminClient(EmulatorAdmin):
    """The admin API of the HubSpot emulator: the toolkit's, plus limits, bulk, indexes."""

    def __init__(self, base_url: str, token: str | dict[str, str]) -> None:
        auth = {"Authorization": f"Bearer {token}"} if isinstance(token, str) else token
        super().__init__(base_url, auth)

    def reset(self, *, schema: bool = False) -> None:
        super().reset(schema=schema)

    def bulk_load(self, object_type: str, properties: list[dict[str, str]]) -> dict[str, Any]:
        """Store records without the batch API (at most 100,000 per call): see `bulk.py`."""
        records = [{"properties": p} for p in properties]
        r = self._http.post(
            "/_emulator/bulk", json={"objectType": object_type, "records": records}, timeout=300
        )
        if r.status_code != 201:
            raise RuntimeError(f"bulk load refused ({r.status_code}): {r.text[:300]}")
        return r.json()

    def build_indexes(self, object_type: str, properties: list[str]) -> dict[str, Any]:
        """Build search indexes now (kept current by every write and load anyway)."""
        r = self._http.post(
            "/_emulator/indexes",
            json={"objectType": object_type, "properties": properties},
            timeout=300,
        )
        r.raise_for_status()
        return r.json()

    def set_limits(self, **limits: Any) -> dict[str, Any]:
        """Keys: per_10s, daily, search_per_s (None lifts the limit), search_lag (seconds),
        latency_ms ([low, high] per API call, None for none)."""
        return self._call("POST", "/_emulator/limits", limits)

    def limits(self) -> dict[str, Any]:
        return self._call("GET", "/_emulator/limits")

    def set_unique(self, object_type: str, name: str, unique: bool) -> dict[str, Any]:
        """Switch a property's unique flag in place, whatever the records hold (HubSpot's
        API refuses it): how a test makes the copies a portal can hold all the same."""
        path = f"/_emulator/properties/{object_type}/{name}/unique"
        return self._call("PUT", path, {"unique": unique})


class EmulatorHandle(EmulatorProcess):
    """A running HubSpot emulator process: `base_url`, `token`, `admin`, `restart()`, `stop()`."""

    admin_type = AdminClient
    admin: AdminClient

    @property
    def token(self) -> str:
        return self.auth["Authorization"].removeprefix("Bearer ")


@contextlib.contextmanager
def run_hubspot_emulator(
    *,
    tier: str = "unlimited",
    search_lag: float = 0.0,
    token: str = "test-token",
    state_path: str | os.PathLike[str] | None = None,
    port: int | None = None,
    host: str = "127.0.0.1",
    rate_limit: int | None = None,
    daily_limit: int | None = None,
    startup_timeout: float = 20.0,
) -> Iterator[EmulatorHandle]:
    """Run `python -m moulin_sync.emulators.hubspot` in a subprocess for the `with` block."""
    args = ["--tier", tier, "--search-lag", str(search_lag)]
    if rate_limit is not None:
        args += ["--rate-limit", str(rate_limit)]
    if daily_limit is not None:
        args += ["--daily-limit", str(daily_limit)]
    with run_emulator_process(
        "moulin_sync.emulators.hubspot",
        auth={"Authorization": f"Bearer {token}"},
        extra_args=args,
        env={"HUBSPOT_EMULATOR_TOKEN": token},
        state_path=state_path,
        port=port,
        host=host,
        startup_timeout=startup_timeout,
        handle_type=EmulatorHandle,
    ) as handle:
        assert isinstance(handle, EmulatorHandle)
        yield handle


def hubspot_client(handle: EmulatorHandle, **kwargs: Any) -> Any:
    """An official `hubspot.HubSpot` client pointed at the emulator (host and base_url)."""
    from hubspot import HubSpot

    return HubSpot(
        access_token=handle.token, host=handle.base_url, base_url=handle.base_url, **kwargs
    )
