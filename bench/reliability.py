"""The reliability suite, in full: `make reliability`.

    .venv/bin/python bench/reliability.py [--points N] [--only crash,drills,typeform,...]
                                          [--root DIR] [--postgres URL]

A first load (150 customers, 6 companies, ~750 orders over three months; ~45 HubSpot write
calls, the property schema included) is run clean once for the expected HubSpot, checked
against the source. Then:

- crash matrix: `moulin-sync sync` SIGKILLed right after HubSpot committed its k-th write,
  for every k (or `--points N` spread evenly, at least 25), then rerun; the same with the
  k-th answer lost after the commit (the run must carry on); the same with HubSpot
  restarted (persistent state) while the k-th write is in flight;
- outage drills: a 429 storm, the daily limit reached, bursts of 500/502/503/504/423,
  requests hanging past the timeout, the state store (SQLite, PostgreSQL) unreachable;
- the data's life after the first load: an erasure cut by a SIGKILL between the contact
  and its deals, a merge in HubSpot followed by new orders, a refund in a months-old
  partition followed by `sync --nightly`, a live run SIGKILLed after HubSpot committed
  its writes, then caught up;
- the bad-input corpus; the security checks;
- each other source's faults (a file each in moulin_sync/testing/reliability/scenarios/:
  Typeform's NPS pull crashed before the write, NPS writes killed or their answers lost,
  a fault mid-paging, a 429 storm at 2 requests/s, an older answer arriving late).

The world has every such source on (Typeform: its emulator, filled consistently with the
App du Moulin), so the crash matrix and the drills cover their streams too.

Every scenario ends with HubSpot compared to the expected state: zero duplicates, zero
records lost. The summary goes to stdout and `<root>/summary.txt` (details in
`<root>/outcomes.txt`); the exit status is 1 when anything failed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator
from moulin_sync.testing.reliability import drills, lifecycle, live
from moulin_sync.testing.reliability.corpus import run_corpus
from moulin_sync.testing.reliability.crash_matrix import (
    CrashMatrix,
    Reference,
    crash_points,
    reference_run,
)
from moulin_sync.testing.reliability.harness import MONTHS, World, make_source
from moulin_sync.testing.reliability.oracle import Verdict, audit_reference
from moulin_sync.testing.reliability.outcomes import Outcome, Tally
from moulin_sync.testing.reliability.security import postgres_reachable, run_security
from moulin_sync.testing.reliability.services import scenario_files

warnings.filterwarnings("ignore")

SCENARIO_FILES = scenario_files()
PARTS = ("crash", "drills", "lifecycle", "corpus", "security", *(f.NAME for f in SCENARIO_FILES))
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def restart_matrix(
    root: Path, world: World, reference: Reference, points: list[int], report: Callable
) -> None:
    """The crash matrix with HubSpot restarted mid-write (a HubSpot with a state file)."""
    with run_hubspot_emulator(
        token="reliability-token", state_path=root / "hubspot-state.sqlite"
    ) as hubspot:
        restarted = dataclasses.replace(world, root=root / "runs-restart", hubspot=hubspot)
        for n, k in enumerate(points):
            matrix = CrashMatrix(restarted, reference.image)
            report(matrix.restart(k, committed=n % 2 == 0, graceful=n % 4 < 2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=None, help="crash points per matrix "
                        "(default: every write; fewer are spread evenly, at least 25)")  # fmt: skip
    parser.add_argument("--only", default=",".join(PARTS), help="parts to run: " + ",".join(PARTS))
    parser.add_argument("--root", type=Path, default=None, help="work folder (default: a temp one)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL admin URL")
    args = parser.parse_args()
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose among {', '.join(PARTS)}")
    root = args.root or Path(tempfile.mkdtemp(prefix="moulin-reliability-"))
    root.mkdir(parents=True, exist_ok=True)
    postgres = args.postgres if postgres_reachable(args.postgres) else None
    tally = Tally()
    details = open(root / "outcomes.txt", "w", encoding="utf-8")  # noqa: SIM115
    started = time.monotonic()

    def report(outcome: Outcome | None) -> None:
        if outcome is None:
            return
        tally.add(outcome)
        text = outcome.describe()
        details.write(text + "\n")
        details.flush()
        print(text.splitlines()[0] if outcome.passed else text, flush=True)

    print(f"moulin-sync reliability suite — work folder {root}", flush=True)
    source = make_source(root / "app_du_moulin.db")
    services_started = contextlib.ExitStack()
    services = tuple(
        services_started.enter_context(f.service(root / f.NAME, source)) for f in SCENARIO_FILES
    )
    with services_started, run_hubspot_emulator(token="reliability-token") as hubspot:
        world = World(root / "runs", source, hubspot, MONTHS, services)
        reference = reference_run(world)
        audit = audit_reference(reference.image, source, MONTHS, world.audits())
        report(
            Outcome(
                family="reference run",
                name=f"clean first load: {reference.image.count()} records, "
                f"{reference.write_calls} write calls {reference.writes_by_route}",
                faults=0,
                verdict=Verdict(),
                problems=audit,
            )
        )
        points = crash_points(reference.write_calls, args.points)
        if "crash" in parts:
            for k in points:
                report(CrashMatrix(world, reference.image).kill(k))
            for k in points:
                report(CrashMatrix(world, reference.image).drop(k))
        if "drills" in parts:
            report(drills.drill_429_storm(world, reference.image, injected_429s=3))
            report(drills.drill_daily_limit(world, reference.image))
            report(drills.drill_daily_limit(world, reference.image, during="contacts", left=1))
            report(drills.drill_error_bursts(world, reference.image))
            report(drills.drill_timeouts(world, reference.image))
            report(drills.drill_sqlite_state_locked(world, reference.image))
            if postgres:
                report(drills.drill_postgres_state_cut(world, reference.image, postgres))
            else:
                print(f"PostgreSQL unreachable at {args.postgres}: its drill is skipped")
        if "lifecycle" in parts:
            report(lifecycle.erasure_cut_by_a_crash(world))
            report(lifecycle.merge_then_new_orders(world))
            report(lifecycle.late_refund_then_nightly(world))
            report(live.live_run_killed_then_caught_up(world))
        if "corpus" in parts:
            corpus = run_corpus(world)
            tally.bad_inputs_tried += corpus.bad_tried
            tally.bad_inputs_quarantined += corpus.bad_quarantined
            tally.good_inputs_tried += corpus.good_tried
            tally.good_inputs_landed += corpus.good_landed
            tally.corpus_problems += corpus.problems
            tally.corpus_lost += corpus.lost
            tally.corpus_wrong += corpus.wrong
            print(
                f"[{'ok' if not corpus.problems else 'FAILED'}] bad-input corpus: "
                f"{corpus.bad_quarantined}/{corpus.bad_tried} bad inputs quarantined, "
                f"{corpus.good_landed}/{corpus.good_tried} good ones landed "
                f"({corpus.seconds:.0f} s)",
                flush=True,
            )
            for problem in corpus.problems:
                print(f"  problem: {problem}")
                details.write(f"corpus problem: {problem}\n")
            for key, reason in corpus.reasons.items():
                details.write(f"corpus quarantine: {key}: {reason[:200]}\n")
        for scenario_file in SCENARIO_FILES:
            if scenario_file.NAME in parts:
                for outcome in scenario_file.scenarios(world, reference):
                    report(outcome)
        if "crash" in parts:
            restart_matrix(root, world, reference, points, report)
    if "security" in parts:
        security = run_security(root / "security", source, MONTHS, postgres)
        tally.security_checks += security.checks
        tally.security_problems += security.problems
        print(
            f"[{'ok' if not security.problems else 'FAILED'}] security: {security.checks} "
            f"checks ({security.seconds:.0f} s)",
            flush=True,
        )
        for problem in security.problems:
            print(f"  problem: {problem}")
            details.write(f"security problem: {problem}\n")
    details.close()
    summary = tally.summary() + f"\n  time: {(time.monotonic() - started) / 60:.1f} min\n"
    (root / "summary.txt").write_text(summary, encoding="utf-8")
    print("\n" + summary)
    return 0 if tally.ok else 1


if __name__ == "__main__":
    sys.exit(main())
