"""The crash matrix: a sync killed, cut off or restarted at every write, then rerun.

Every scenario starts from an empty portal and ends with HubSpot compared to the
reference: the image of a clean first load.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moulin_sync.testing.reliability.harness import (
    RUN_TIMEOUT_S,
    WRITE_ROUTES,
    RunResult,
    World,
    in_background,
    write_calls,
)
from moulin_sync.testing.reliability.oracle import HubSpotImage, capture, compare, verify
from moulin_sync.testing.reliability.outcomes import Outcome


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


@dataclass
class CrashMatrix:
    """Scenarios on `world`, each judged against `expected` (the reference's image)."""

    world: World
    expected: HubSpotImage

    def _fresh(self, folder: str) -> tuple[Path, float]:
        """An empty portal and a fresh folder for one scenario, and when it started."""
        started = time.monotonic()
        self.world.reset_hubspot()
        return self.world.run_dir(folder), started

    def _judged(self, run: Path, started: float, **outcome: Any) -> Outcome:
        world = self.world
        verdict = verify(self.expected, world.hubspot, world.state_url(run), audits=world.audits())
        return Outcome(verdict=verdict, seconds=time.monotonic() - started, **outcome)

    def kill(
        self, k: int, *, route: str | None = None, in_process_rerun: bool = False
    ) -> Outcome | None:
        """SIGKILL `moulin-sync sync` right after HubSpot committed its k-th write, then
        rerun (the command again; or the assets in process, quicker, for the pytest
        sample). With `route`, k counts only the writes to that route (a path prefix).

        None when the run made fewer than k writes (k is past the end)."""
        world = self.world
        run, started = self._fresh(f"kill-{k:03d}")
        admin = world.hubspot.admin
        # Every answer from the k-th write on is held until the kill: the batches sent
        # beside it (up to `max_in_flight`) commit, but no thread is freed to send one more.
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
        left = compare(self.expected, capture(world.hubspot))
        _, problems = _finish(world, run, "rerun", in_process=in_process_rerun)
        return self._judged(
            run,
            started,
            family="crash matrix: SIGKILL",
            name=f"killed after write {k} ({hit['fired_on'][-1]})",
            faults=2,  # the held answer, and the kill
            problems=problems,
            notes=[f"left by the kill: {left.lost} records missing"],
            left_missing=left.lost,
        )

    def drop(self, k: int, *, route: str | None = None, in_process: bool = False) -> Outcome | None:
        """HubSpot commits the k-th write and the answer is lost: the run must carry on."""
        world = self.world
        run, started = self._fresh(f"drop-{k:03d}")
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
        return self._judged(
            run,
            started,
            family="crash matrix: commit-then-drop",
            name=f"answer of write {k} lost ({hit['fired_on'][-1]})",
            faults=hit["fired"],
            problems=problems,
        )

    def restart(
        self,
        k: int,
        *,
        committed: bool,
        graceful: bool,
        route: str | None = None,
        in_process: bool = False,
    ) -> Outcome | None:
        """Restart HubSpot (persistent state) while the k-th write is in flight: either
        after it committed (its answer then never comes) or before HubSpot executed it.
        The run must survive through its retries or fail cleanly; a rerun then converges."""
        world = self.world
        assert world.hubspot.state_path, "restarts need an emulator with a state file"
        run, started = self._fresh(f"restart-{k:03d}")
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
        return self._judged(
            run,
            started,
            family="crash matrix: HubSpot restart",
            name=f"HubSpot {how} {when} write {k} ({hit['fired_on'][-1]})",
            faults=2,
            problems=problems,
            notes=notes,
        )
