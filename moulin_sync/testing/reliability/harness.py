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

import contextlib
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
from pathlib import Path
from typing import Any

from moulin_sync.demo_data.generator import generate
from moulin_sync.emulators.hubspot import handlers
from moulin_sync.runner import failure_reason
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.reliability.oracle import (
    HubSpotImage,
    Verdict,
    capture,
    compare,
    verify,
)

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

    def reset_hubspot(self) -> None:
        """An empty portal: no records, default schema, no faults, no limits, no stats."""
        admin = self.hubspot.admin
        admin.reset(schema=True)
        admin.clear_faults()
        admin.set_limits(per_10s=None, daily=None, search_per_s=None, search_lag=0)
        admin.reset_stats()

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
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MOULIN_", "HUBSPOT_", "DAGSTER_"))
        }
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

    def start(self, run: Path, tag: str, **env: str) -> SyncProcess:
        args = [moulin_sync_command(), "sync", "--from", self.months[0], "--to", self.months[1]]
        return SyncProcess(args, self.env(run, **env), run / tag)

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
        from moulin_sync.defs.resources import AppDuMoulinSource, Snapshots, SyncStateStore
        from moulin_sync.testing.sync_world import DEAL_ASSETS

        resources = {
            "source": AppDuMoulinSource(url=self.source_url),
            "snapshots": Snapshots(root=str(run / "data")),
            "state": SyncStateStore(url=state_url or self.state_url(run)),
            "hubspot": HubSpot(
                base_url=self.hubspot.base_url,
                access_token=self.hubspot.token,
                tier="unlimited",
                timeout_s=timeout_s,
                max_retries=max_retries,
            ),
        }
        started = time.monotonic()
        with DagsterInstance.ephemeral() as instance:
            result = materialize(
                list(DEAL_ASSETS),
                resources=resources,
                instance=instance,
                tags={
                    "dagster/asset_partition_range_start": self.months[0],
                    "dagster/asset_partition_range_end": self.months[1],
                },
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
        metadata: dict[str, dict[str, Any]] = {
            "/".join(e.materialization.asset_key.path): {
                name: value.value for name, value in e.materialization.metadata.items()
            }
            for e in result.get_asset_materialization_events()
        }
        for evaluation in result.get_asset_check_evaluations():
            metadata[f"check:{evaluation.check_name}"] = {
                "passed": evaluation.passed,
                **{name: value.value for name, value in evaluation.metadata.items()},
            }
        failures = [
            f"{e.step_key}: {failure_reason(e)}" for e in result.all_events if e.is_step_failure
        ]
        return RunResult(
            ok=result.success,
            seconds=time.monotonic() - started,
            metadata=metadata,
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


# Outcomes ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One scenario: what was injected, whether the runs behaved, what HubSpot ended as."""

    family: str  # "crash: kill", "drill: 429 storm", ...
    name: str
    faults: int  # faults injected: fired faults, kills, restarts, limit changes
    verdict: Verdict
    problems: list[str] = field(default_factory=list)  # runs that misbehaved
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    left_missing: int | None = None  # crash points: records missing right after the crash
    known_bug: str | None = None  # a failure already reported (fix pending elsewhere)

    @property
    def passed(self) -> bool:
        return self.verdict.clean and not self.problems

    def describe(self) -> str:
        status = "ok" if self.passed else "FAILED"
        lines = [f"[{status}] {self.family}: {self.name} ({self.seconds:.0f} s)"]
        if not self.verdict.clean:
            lines.append("  " + self.verdict.describe().replace("\n", "\n  "))
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    bad_inputs_tried: int = 0
    bad_inputs_quarantined: int = 0
    good_inputs_tried: int = 0
    good_inputs_landed: int = 0
    corpus_problems: list[str] = field(default_factory=list)
    corpus_lost: int = 0
    corpus_wrong: int = 0
    known_bugs: dict[str, str] = field(default_factory=dict)  # name → what it breaks
    security_checks: int = 0
    security_problems: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome

    @property
    def duplicates(self) -> int:
        return sum(o.verdict.duplicates for o in self.outcomes)

    @property
    def lost(self) -> int:
        return sum(o.verdict.lost for o in self.outcomes) + self.corpus_lost

    @property
    def mismatches(self) -> int:
        return self.corpus_wrong + sum(
            o.verdict.extra + o.verdict.mismatched + o.verdict.stale_state for o in self.outcomes
        )

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def ok(self) -> bool:
        return (
            not self.failed
            and not self.corpus_problems
            and not self.security_problems
            and self.bad_inputs_quarantined == self.bad_inputs_tried
            and self.good_inputs_landed == self.good_inputs_tried
        )

    def summary(self) -> str:
        families: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            families.setdefault(outcome.family, []).append(outcome)
        lines = ["moulin-sync reliability summary", ""]
        for family, outcomes in families.items():
            passed = sum(o.passed for o in outcomes)
            faults = sum(o.faults for o in outcomes)
            lines.append(
                f"  {family:<34} {len(outcomes):>4} scenarios, {passed:>4} passed, "
                f"{faults:>4} faults injected"
            )
        lines += [
            "",
            f"  scenarios run:              {len(self.outcomes)}",
            f"  faults injected:            {sum(o.faults for o in self.outcomes)}",
            f"  bad inputs tried:           {self.bad_inputs_tried}",
            f"  bad inputs quarantined:     {self.bad_inputs_quarantined}",
            f"  good inputs landed:         {self.good_inputs_landed} of {self.good_inputs_tried}",
            f"  security checks:            {self.security_checks}, "
            f"{len(self.security_problems)} failed",
            f"  duplicates found:           {self.duplicates} (must be 0)",
            f"  records lost:               {self.lost} (must be 0; "
            f"{self.corpus_lost} of them in the corpus)",
            f"  other mismatches:           {self.mismatches} (extra records, wrong values, "
            f"stale state; must be 0; {self.corpus_wrong} of them in the corpus)",
            f"  scenarios failed:           {len(self.failed)}",
            f"  corpus problems:            {len(self.corpus_problems)}",
        ]
        if self.known_bugs:
            lines += ["", "  known bugs (in code outside the suite, reported; they fail the run):"]
            lines += [f"    - {name}: {what}" for name, what in self.known_bugs.items()]
        lines += ["", f"  verdict: {'PASS' if self.ok else 'FAIL'}"]
        return "\n".join(lines)


# The reference -------------------------------------------------------------------------------


@dataclass
class Reference:
    image: HubSpotImage
    write_calls: int
    writes_by_route: dict[str, int]


def reference_run(world: World, *, in_process: bool = False) -> Reference:
    """A clean first load on an empty portal: the expected image and its write calls."""
    world.reset_hubspot()
    run = world.run_dir("reference")
    result = world.materialize(run) if in_process else world.sync(run, "sync")
    if not result.ok:
        raise RuntimeError(f"the reference run failed: {result.failure_text()}")
    stats = world.hubspot.admin.stats()
    by_route: dict[str, int] = {}
    for row in stats:
        if (row["method"], row["route"]) in WRITE_ROUTES:
            key = f"{row['method']} {row['route']}"
            by_route[key] = by_route.get(key, 0) + row["count"]
    return Reference(capture(world.hubspot), write_calls(stats), by_route)


def crash_points(total: int, wanted: int | None = None) -> list[int]:
    """1..total, or `wanted` (at least 25) points spread evenly over it, first and last in."""
    if wanted is None or wanted >= total:
        return list(range(1, total + 1))
    wanted = max(wanted, min(total, 25))
    step = (total - 1) / (wanted - 1)
    return sorted({round(1 + i * step) for i in range(wanted)})


def _fired(world: World) -> int:
    return sum(f["fired"] for f in world.hubspot.admin.fault_log())


def _finish(
    world: World, run: Path, tag: str, *, in_process: bool = False
) -> tuple[RunResult, list[str]]:
    """A rerun to completion after whatever happened; its failure is a problem."""
    world.hubspot.admin.clear_faults()
    rerun = world.materialize(run) if in_process else world.sync(run, tag)
    return rerun, ([] if rerun.ok else [f"the rerun failed: {rerun.failure_text()}"])


def unclean(result: RunResult) -> str | None:
    """Why a failed run did not fail cleanly, or None: it must end by itself (not hang),
    without a crash of the command itself, and say which step failed and why."""
    if result.returncode is None:
        return "the run hung and had to be killed"
    if "Traceback (most recent call last)" in result.stderr:
        return "the command crashed with a traceback: " + result.stderr.strip()[-600:]
    if not result.stderr.strip():
        return "the run failed without saying why"
    return None


# The crash matrix ----------------------------------------------------------------------------


def kill_point(
    world: World,
    expected: HubSpotImage,
    k: int,
    *,
    route: str | None = None,
    in_process_rerun: bool = False,
) -> Outcome | None:
    """SIGKILL `moulin-sync sync` right after HubSpot committed its k-th write, then rerun
    (the command again; or the assets in process, quicker, for the pytest sample). With
    `route`, k counts only the writes to that route (a path prefix).

    None when the run made fewer than k writes (k is past the end)."""
    started = time.monotonic()
    world.reset_hubspot()
    run = world.run_dir(f"kill-{k:03d}")
    admin = world.hubspot.admin
    # Every answer from the k-th write on is held until the kill: the batches sent beside
    # it (up to `max_in_flight`) commit, but no thread is freed to send one more.
    fault = admin.add_fault(
        kind="hang_after_commit", writes=True, route=route, skip=k - 1, count=1_000
    )
    process = world.start(run, "killed")
    hit = admin.wait_for_fault(
        fault["id"], counter="committed", timeout=RUN_TIMEOUT_S, still_waiting=process.running
    )
    if hit is None:
        process.wait()
        return None
    process.kill()
    # What the kill left: HubSpot short of the expected (else the kill proved nothing).
    left = compare(expected, capture(world.hubspot))
    _, problems = _finish(world, run, "rerun", in_process=in_process_rerun)
    return Outcome(
        family="crash matrix: SIGKILL",
        name=f"killed after write {k} ({hit['fired_on'][-1]})",
        faults=2,  # the held answer, and the kill
        verdict=verify(expected, world.hubspot, world.state_url(run)),
        problems=problems,
        notes=[f"left by the kill: {left.lost} records missing"],
        seconds=time.monotonic() - started,
        left_missing=left.lost,
    )


def drop_point(
    world: World,
    expected: HubSpotImage,
    k: int,
    *,
    route: str | None = None,
    in_process: bool = False,
) -> Outcome | None:
    """HubSpot commits the k-th write and the answer is lost: the run must carry on."""
    started = time.monotonic()
    world.reset_hubspot()
    run = world.run_dir(f"drop-{k:03d}")
    admin = world.hubspot.admin
    fault = admin.add_fault(kind="drop_after_commit", writes=True, route=route, skip=k - 1)
    first = world.materialize(run) if in_process else world.sync(run, "dropped")
    hit = admin.fault(fault["id"])
    if not hit or not hit["committed"]:
        return None
    problems = []
    if not first.ok:
        problems.append(f"the run did not survive the lost answer: {first.failure_text()}")
        _, more = _finish(world, run, "rerun", in_process=in_process)
        problems += more
    return Outcome(
        family="crash matrix: commit-then-drop",
        name=f"answer of write {k} lost ({hit['fired_on'][-1]})",
        faults=hit["fired"],
        verdict=verify(expected, world.hubspot, world.state_url(run)),
        problems=problems,
        seconds=time.monotonic() - started,
    )


def restart_point(
    world: World,
    expected: HubSpotImage,
    k: int,
    *,
    committed: bool,
    graceful: bool,
    route: str | None = None,
    in_process: bool = False,
) -> Outcome | None:
    """Restart HubSpot (persistent state) while the k-th write is in flight: either after
    it committed (its answer then never comes) or before HubSpot executed it. The run
    must survive through its retries or fail cleanly; a rerun then converges."""
    assert world.hubspot.state_path, "restarts need an emulator with a state file"
    started = time.monotonic()
    world.reset_hubspot()
    run = world.run_dir(f"restart-{k:03d}")
    admin = world.hubspot.admin
    if committed:
        fault = admin.add_fault(kind="hang_after_commit", writes=True, route=route, skip=k - 1)
    else:
        fault = admin.add_fault(kind="hang", seconds=3600, writes=True, route=route, skip=k - 1)
    with contextlib.ExitStack() as stack:
        if in_process:
            wait = stack.enter_context(in_background(lambda: world.materialize(run)))
            running = wait.alive  # type: ignore[attr-defined]
        else:
            process = world.start(run, "restarted")
            running, wait = process.running, process.wait
        hit = admin.wait_for_fault(
            fault["id"],
            counter="committed" if committed else "fired",
            timeout=RUN_TIMEOUT_S,
            still_waiting=running,
        )
        if hit is not None:
            if graceful:
                world.hubspot.restart()
            else:
                world.hubspot.kill()
                world.hubspot.start()
        first = wait()
    if hit is None or first is None:
        return None
    problems, notes = [], []
    if first.ok:
        notes.append("the run rode out the restart")
    else:
        why = None if in_process else unclean(first)
        if why:
            problems.append(why)
        notes.append(f"the run failed cleanly: {first.failure_text()[-300:]}")
        _, more = _finish(world, run, "rerun", in_process=in_process)
        problems += more
    how = "restarted" if graceful else "killed and started"
    when = "after committing" if committed else "before executing"
    return Outcome(
        family="crash matrix: HubSpot restart",
        name=f"HubSpot {how} {when} write {k} ({hit['fired_on'][-1]})",
        faults=2,
        verdict=verify(expected, world.hubspot, world.state_url(run)),
        problems=problems,
        notes=notes,
        seconds=time.monotonic() - started,
    )
