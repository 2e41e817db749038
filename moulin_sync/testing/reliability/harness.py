"""Worlds, runs and faults for the reliability suite.

A `World` is a generated App du Moulin (read only, shared), a HubSpot emulator, and one
fresh folder per scenario holding that scenario's sync state and Parquet snapshots. A
scenario runs the sync either as the real command in a subprocess (`moulin-sync sync
--from M1 --to M3`, what cron or an operator runs; it can be SIGKILLed) or in process
(the same assets through `materialize`, where the HubSpot resource's timeout and retries
can be set), then checks HubSpot and the state store against the oracle.

The pytest sample (`moulin_sync_tests/reliability/`) and `make reliability`
(`bench/reliability.py`) drive the same functions.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moulin_sync.demo_data.generator import generate
from moulin_sync.emulators.hubspot import handlers
from moulin_sync.runs.failures import failure_reason
from moulin_sync.testing.hubspot_emulator import EmulatorHandle

if TYPE_CHECKING:
    from moulin_sync.testing.reliability.oracle import Audit
    from moulin_sync.testing.reliability.services import SourceService

TODAY = dt.date(2026, 11, 27)  # the generator's "today" (as in sync_world)
MONTHS = ("2026-06-01", "2026-08-01")  # three months of deals
# 150 customers, 6 companies, ~750 orders in the three months (12,000 over the history):
# an initial load of ~46 write calls (35 of them the property schema).
SIZES = {"customers": 150, "companies": 6, "orders": 12_000, "seed": 7, "dirty_rate": 0.02}
WRITE_ROUTES = frozenset((m, p) for m, p, _, mutates in handlers.ROUTES if mutates)
RUN_TIMEOUT_S = 600


def make_source(path: Path, **sizes: Any) -> str:
    """Generate the App du Moulin at `path` (once: it is only ever read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        generate(f"sqlite:///{path}", **{**SIZES, **sizes}, today=TODAY)
    return f"sqlite:///{path}"


def write_calls(stats: Sequence[dict[str, Any]]) -> int:
    """Write calls in the emulator's stats (what faults with `writes: true` count)."""
    return sum(r["count"] for r in stats if (r["method"], r["route"]) in WRITE_ROUTES)


def count_status(stats: Sequence[dict[str, Any]], status: int) -> int:
    return sum(r["count"] for r in stats if r["status"] == status)


# Runs ----------------------------------------------------------------------------------------


@dataclass
class RunResult:
    ok: bool
    seconds: float
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    # In process: asset metadata by key, check results under "check:<name>"
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def failure_text(self) -> str:
        if self.failures:
            return " | ".join(self.failures)[:2000]
        return (self.stderr.strip() or self.stdout.strip())[-2000:]


class SyncProcess:
    """`moulin-sync sync` running in its own process group, output to files."""

    def __init__(self, args: list[str], env: dict[str, str], out: Path) -> None:
        self.out = out
        self.started = time.monotonic()
        with (
            open(out.with_suffix(".out"), "wb") as stdout,
            open(out.with_suffix(".err"), "wb") as stderr,
        ):
            self.process = subprocess.Popen(
                args, env=env, stdout=stdout, stderr=stderr, start_new_session=True
            )

    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the run (its whole process group): no cleanup, no last words."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def wait(self, timeout: float = RUN_TIMEOUT_S) -> RunResult:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            code = None
        return RunResult(
            ok=code == 0,
            seconds=time.monotonic() - self.started,
            stdout=self.out.with_suffix(".out").read_text(errors="replace"),
            stderr=self.out.with_suffix(".err").read_text(errors="replace"),
            returncode=code,
        )


def moulin_sync_command() -> str:
    script = Path(sys.executable).with_name("moulin-sync")
    return str(script) if script.exists() else shutil.which("moulin-sync") or "moulin-sync"


@dataclass
class World:
    root: Path
    source_url: str
    hubspot: EmulatorHandle
    months: tuple[str, str] = MONTHS
    # The sources beyond the App du Moulin that are on (Typeform...): `services.py`.
    services: tuple[SourceService, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        return ("app_du_moulin", *(s.source for s in self.services))

    def audits(self) -> list[Audit]:
        """Each service's streams judged against its source as it is now."""
        return [partial(service.audit, source_url=self.source_url) for service in self.services]

    def reset_hubspot(self) -> None:
        """An empty portal: no records, default schema, no faults, no limits, no stats;
        and every other source back to its first-load data, without faults."""
        admin = self.hubspot.admin
        admin.reset(schema=True)
        admin.clear_faults()
        admin.set_limits(per_10s=None, daily=None, search_per_s=None, search_lag=0)
        admin.reset_stats()
        for service in self.services:
            service.reset()

    def run_dir(self, name: str) -> Path:
        """A fresh folder for one scenario: its state store and snapshots."""
        path = self.root / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    @staticmethod
    def state_url(run: Path) -> str:
        return f"sqlite:///{run / 'state.db'}"

    def env(self, run: Path, **overrides: str) -> dict[str, str]:
        """The environment of `moulin-sync sync`: nothing inherited that could leak in,
        no DAGSTER_HOME (an ephemeral instance)."""
        ours = ("MOULIN_", "HUBSPOT_", "DAGSTER_", *(s.env_prefix for s in self.services))
        env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
        for service in self.services:
            env.update(service.env())
        env.update(
            MOULIN_SOURCE_URL=self.source_url,
            MOULIN_STATE_URL=self.state_url(run),
            MOULIN_DATA_DIR=str(run / "data"),
            HUBSPOT_BASE_URL=self.hubspot.base_url,
            HUBSPOT_ACCESS_TOKEN=self.hubspot.token,
            HUBSPOT_TIER="unlimited",
            PYTHONWARNINGS="ignore",
        )
        env.update(overrides)
        return env

    def start(self, run: Path, tag: str, *, nightly: bool = False, **env: str) -> SyncProcess:
        """`moulin-sync sync` for the world's months, or for tonight's (`--nightly`)."""
        months = ["--nightly"] if nightly else ["--from", self.months[0], "--to", self.months[1]]
        return SyncProcess(
            [moulin_sync_command(), "sync", *months], self.env(run, **env), run / tag
        )

    def sync(self, run: Path, tag: str, **env: str) -> RunResult:
        """`moulin-sync sync` to the end."""
        return self.start(run, tag, **env).wait()

    def materialize(
        self,
        run: Path,
        *,
        state_url: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 5,
    ) -> RunResult:
        """The sync's assets and checks in this process (resources set here)."""
        from dagster import DagsterInstance, materialize

        from moulin_sync.defs.hubspot.resources import HubSpot
        from moulin_sync.testing.sync_world import (
            DEAL_ASSETS,
            metadata_values,
            month_tags,
            nightly_assets,
            world_resources,
        )

        hubspot = HubSpot(
            base_url=self.hubspot.base_url,
            access_token=self.hubspot.token,
            tier="unlimited",
            timeout_s=timeout_s,
            max_retries=max_retries,
        )
        extra = {k: v for service in self.services for k, v in service.resources().items()}
        resources = world_resources(
            self.source_url,
            state_url or self.state_url(run),
            run / "data",
            hubspot,
            sources=self.sources,
            extra=extra,
        )
        started = time.monotonic()
        with DagsterInstance.ephemeral() as instance:
            result = materialize(
                nightly_assets(self.sources),
                selection=DEAL_ASSETS,
                resources=resources,
                instance=instance,
                tags=month_tags(self.months),
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
        failures = [
            f"{e.step_key}: {failure_reason(e)}" for e in result.all_events if e.is_step_failure
        ]
        return RunResult(
            ok=result.success,
            seconds=time.monotonic() - started,
            metadata=metadata_values(result),
            failures=failures,
        )


@contextmanager
def in_background(work: Callable[[], RunResult]) -> Iterator[Callable[[], RunResult | None]]:
    """Run `work` in a thread; yield a function that waits for and returns its result."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # surfaced by the waiter
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    def wait(timeout: float = RUN_TIMEOUT_S) -> RunResult | None:
        thread.join(timeout)
        if "error" in box:
            raise box["error"]
        return box.get("result")

    wait.alive = thread.is_alive  # type: ignore[attr-defined]
    yield wait
    thread.join(RUN_TIMEOUT_S)
