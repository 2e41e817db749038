"""Outage drills: HubSpot and the state store misbehaving in the middle of a first load.

Each drill arms a trigger — HubSpot holds the answer of a chosen write for a moment once
it is committed — runs the sync in process in the background, does its damage when the
trigger fires, lets the run finish, reruns when the drill allows the first run to stop,
and ends with the oracle's equality check.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import polars as pl
from dagster import AssetKey

from moulin_sync.hubspot.streams import STREAMS, enabled_streams
from moulin_sync.hubspot.sync.state import REJECTED, SyncState
from moulin_sync.testing.reliability.harness import (
    RUN_TIMEOUT_S,
    RunResult,
    World,
    count_status,
    in_background,
)
from moulin_sync.testing.reliability.oracle import HubSpotImage, Verdict, verify
from moulin_sync.testing.reliability.outcomes import Outcome

DEALS_CREATE = "/crm/v3/objects/deals/batch/create"
COMPETITOR_ROUTE = "/crm/v3/objects/{objectType}"  # GET: a list call the sync never makes
CONTACT_WRITES = "/crm/v3/objects/contacts/batch/create"


def _trigger(
    world: World, route: str, *, skip: int = 0, hold_s: float = 0.5, count: int = 1
) -> dict[str, Any]:
    """Hold, for `hold_s`, the answer of the (skip+1)-th committed write to `route` (and of
    the `count` - 1 next ones)."""
    return world.hubspot.admin.add_fault(
        kind="hang_after_commit",
        writes=True,
        route=route,
        skip=skip,
        seconds=hold_s,
        count=count,
    )


def _during(
    world: World,
    run: Path,
    trigger: dict[str, Any],
    action: Callable[[], None],
    **materialize: Any,
) -> tuple[RunResult, bool]:
    """Materialize in the background; when the trigger fires, `action()`. (result, fired)"""
    with in_background(lambda: world.materialize(run, **materialize)) as wait:
        hit = world.hubspot.admin.wait_for_fault(
            trigger["id"], counter="committed", timeout=RUN_TIMEOUT_S, still_waiting=wait.alive
        )
        if hit is not None:
            action()
        result = wait()
    assert result is not None, "the run did not end"
    return result, hit is not None


def _rejected_reasons(state_url: str) -> list[str]:
    store = SyncState(state_url)
    try:
        return [
            reason
            for spec in STREAMS
            for reason in store.load(spec.name)
            .filter(pl.col("status") == REJECTED)["last_error"]
            .to_list()
        ]
    finally:
        store.close()


def _finish(
    world: World, run: Path, expected: HubSpotImage, outcome: Outcome, **materialize: Any
) -> Outcome:
    """Rerun (faults and limits gone) when the first run stopped, then the equality check."""
    admin = world.hubspot.admin
    admin.clear_faults()
    admin.set_limits(per_10s=None, daily=None, search_per_s=None)
    rerun = world.materialize(run, **materialize)
    if not rerun.ok:
        outcome.problems.append(f"the rerun failed: {rerun.failure_text()}")
    outcome.verdict = verify(
        expected,
        world.hubspot,
        materialize.get("state_url") or world.state_url(run),
        audits=world.audits(),
    )
    return outcome


def _begin(world: World, folder: str, drill: str, name: str) -> tuple[Outcome, Path, float]:
    """A drill's outcome, its fresh folder on an empty portal, and when it started."""
    started = time.monotonic()
    world.reset_hubspot()
    return _new_outcome(f"drill: {drill}", name), world.run_dir(folder), started


def _timed(outcome: Outcome, started: float) -> Outcome:
    outcome.seconds = time.monotonic() - started
    return outcome


def _new_outcome(family: str, name: str) -> Outcome:
    return Outcome(family=family, name=name, faults=0, verdict=Verdict())


# 429 storm ----------------------------------------------------------------------------------


def drill_429_storm(
    world: World,
    expected: HubSpotImage,
    *,
    limit: int = 10,
    storm_s: float = 8.0,
    injected_429s: int = 0,
) -> Outcome:
    """Mid-run, HubSpot's 10-second limit drops to `limit` and another integration sharing
    the token eats into it for `storm_s`: the run sees 429s, slows down, loses nothing and
    rejects nothing because of them. With `injected_429s`, that many 429s in a row also
    answer the run's next deal creates (each costs the run a full window's wait)."""
    name = f"limit lowered to {limit}/10 s mid-run"
    outcome, run, started = _begin(world, "drill-429", "429 storm", name)
    admin = world.hubspot.admin
    competitor_calls = [0]
    stop = threading.Event()

    def competitor() -> None:
        headers = {"Authorization": f"Bearer {world.hubspot.token}"}
        with httpx.Client(base_url=world.hubspot.base_url, headers=headers, timeout=10) as http:
            for _ in range(limit):  # fill the window at once
                http.get("/crm/v3/objects/tickets", params={"limit": 1})
                competitor_calls[0] += 1
            while not stop.wait(0.4):
                http.get("/crm/v3/objects/tickets", params={"limit": 1})
                competitor_calls[0] += 1

    thread = threading.Thread(target=competitor, daemon=True)

    def storm() -> None:
        admin.set_limits(per_10s=limit)
        if injected_429s:
            admin.add_fault(kind="status", status=429, count=injected_429s, route=DEALS_CREATE)
        thread.start()
        threading.Timer(storm_s, stop.set).start()

    result, fired = _during(world, run, _trigger(world, DEALS_CREATE), storm)
    stop.set()
    thread.join(30)
    stats = admin.stats()
    theirs = [r for r in stats if (r["method"], r["route"]) == ("GET", COMPETITOR_ROUTE)]
    ours = [r for r in stats if r not in theirs]
    our_429s = count_status(ours, 429)
    outcome.faults = 1 + competitor_calls[0] + injected_429s
    outcome.notes.append(
        f"the run saw {our_429s} 429s; the competitor made {competitor_calls[0]} calls "
        f"({count_status(theirs, 429)} of them 429s)"
    )
    if not fired:
        outcome.problems.append("the trigger never fired")
    if our_429s == 0:
        outcome.problems.append("no 429 reached the run: the drill proved nothing")
    if not result.ok:
        outcome.problems.append(f"the run did not survive the storm: {result.failure_text()}")
    limited = [r for r in _rejected_reasons(world.state_url(run)) if "limit" in r.lower()]
    if limited:
        outcome.problems.append(f"records rejected because of the rate limit: {limited[:3]}")
    outcome = _finish(world, run, expected, outcome)
    return _timed(outcome, started)


# Daily limit --------------------------------------------------------------------------------


def drill_daily_limit(
    world: World, expected: HubSpotImage, *, left: int = 0, during: str = "deals"
) -> Outcome:
    """Mid-run (`during` the deals or the contacts write), only `left` calls remain of
    today's budget: the write steps stop cleanly and say so (`stopped_early`), nothing is
    half-written or wrongly rejected, and the next day's run finishes the work.

    The budget drops while the first batch's answer is held; the batches sent alongside
    it (`max_in_flight`) are already counted, so the limit falls inside the write only
    when more batches than that remain."""
    name = f"daily budget down to {left} calls during the {during} write"
    outcome, run, started = _begin(world, "drill-daily", "daily limit", name)
    admin = world.hubspot.admin

    def exhaust() -> None:
        admin.set_limits(daily=admin.limits()["daily_used"] + left)

    route = DEALS_CREATE if during == "deals" else CONTACT_WRITES
    # Every answer on the route is held a second: the batches in flight beside the first
    # one cannot finish, and free their thread for another batch, before the budget drops.
    trigger = _trigger(world, route, hold_s=1.0, count=1_000)
    result, fired = _during(world, run, trigger, exhaust)
    outcome.faults = 1
    if not fired:
        outcome.problems.append("the trigger never fired")
    stopped = {}
    for step in (spec.name for spec in enabled_streams(world.sources)):
        said = str(result.metadata.get(f"hubspot/{step}", {}).get("stopped_early", ""))
        if "daily" in said.lower():
            stopped[step] = said
        step_key = AssetKey(["hubspot", step]).to_python_identifier()
        failed = [f for f in result.failures if f.startswith(f"{step_key}: ")]
        if failed:
            outcome.problems.append(
                f"the hubspot/{step} write step failed instead of stopping cleanly: {failed[0]}"
            )
    if stopped:
        outcome.notes.append(f"stopped early, saying so: {', '.join(stopped)}")
        outcome.notes.append(next(iter(stopped.values()))[:200])
    else:
        outcome.problems.append(
            f"no write step said it stopped for the daily limit ({result.failure_text()})"
        )
    outcome.notes += [f"failed step: {f[:200]}" for f in result.failures]
    others = [f for f in result.failures if "daily" not in f.lower()]
    if others:
        outcome.problems.append(f"failures other than the daily limit: {others[:3]}")
    limited = [r for r in _rejected_reasons(world.state_url(run)) if "limit" in r.lower()]
    if limited:
        outcome.problems.append(f"records rejected because of the daily limit: {limited[:3]}")
    outcome = _finish(world, run, expected, outcome)  # the next day: limits lifted
    return _timed(outcome, started)


# Bursts of 5xx and 423 ------------------------------------------------------------------------

BURSTS: tuple[dict[str, Any], ...] = (
    {"status": 500, "count": 2, "writes": True, "skip": 2},  # property creates
    {"status": 500, "count": 1, "method": "POST", "route": "/crm/v3/pipelines/deals"},
    {"status": 423, "count": 2, "route": "/crm/v3/objects/companies/batch/upsert"},
    {"status": 503, "count": 3, "route": "/crm/v3/objects/contacts/batch"},
    {"status": 502, "count": 2, "route": DEALS_CREATE},
    {"status": 500, "count": 2, "route": DEALS_CREATE, "skip": 3},
    {"status": 504, "count": 2, "route": "/crm/v3/objects/deals/search"},
    {"status": 502, "count": 1, "route": "/crm/v4/associations"},
)


def drill_error_bursts(world: World, expected: HubSpotImage) -> Outcome:
    """Bursts of 500, 502, 503, 504 and 423 on writes, reads and searches, each shorter
    than the retry budget: the run retries (or reconciles an ambiguous create by key)
    and finishes with everything in place."""
    name = f"{len(BURSTS)} bursts of 500/502/503/504/423"
    outcome, run, started = _begin(world, "drill-bursts", "5xx/423 bursts", name)
    admin = world.hubspot.admin
    for burst in BURSTS:
        admin.add_fault(kind="status", **burst)
    result = world.materialize(run, max_retries=5)
    log = admin.fault_log()
    outcome.faults = sum(f["fired"] for f in log)
    unfired = [f for f in log if f["fired"] < f["count"] + f["skip"] * 0 and f["fired"] == 0]
    if unfired:
        outcome.problems.append(
            f"bursts that never fired: {[(f['status'], f['route']) for f in unfired]}"
        )
    if not result.ok:
        outcome.problems.append(f"the run did not survive the bursts: {result.failure_text()}")
    outcome = _finish(world, run, expected, outcome)
    return _timed(outcome, started)


# Requests hanging past the timeout ------------------------------------------------------------

HANGS: tuple[dict[str, Any], ...] = (
    {"count": 1, "writes": True, "skip": 4},  # a property create
    {"count": 1, "method": "POST", "route": "/crm/v3/pipelines/deals"},
    {"count": 1, "route": CONTACT_WRITES},
    {"count": 2, "route": DEALS_CREATE, "skip": 1},
    {"count": 1, "route": "/crm/v3/objects/deals/batch/read"},
    {"count": 1, "route": "/crm/v3/objects/deals/search"},
)


def drill_timeouts(
    world: World, expected: HubSpotImage, *, timeout_s: float = 1.0, hang_s: float = 2.5
) -> Outcome:
    """Requests that hang past the client's timeout — then are applied by HubSpot anyway,
    after the client gave up: retried when safe, reconciled by key when a create."""
    name = f"{len(HANGS)} hangs of {hang_s} s, timeout {timeout_s} s"
    outcome, run, started = _begin(world, "drill-timeouts", "hanging requests", name)
    admin = world.hubspot.admin
    for hang in HANGS:
        admin.add_fault(kind="hang", seconds=hang_s, **hang)
    result = world.materialize(run, timeout_s=timeout_s)
    time.sleep(hang_s)  # whatever was still hanging lands before the check
    log = admin.fault_log()
    outcome.faults = sum(f["fired"] for f in log)
    if any(f["fired"] == 0 for f in log):
        outcome.problems.append(
            f"hangs that never fired: {[f['route'] for f in log if not f['fired']]}"
        )
    if not result.ok:
        outcome.problems.append(f"the run did not survive the hangs: {result.failure_text()}")
    outcome = _finish(world, run, expected, outcome, timeout_s=timeout_s)
    return _timed(outcome, started)


# The state store briefly unreachable --------------------------------------------------------


def drill_sqlite_state_locked(
    world: World, expected: HubSpotImage, *, lock_s: float = 8.0
) -> Outcome:
    """Another process holds the SQLite state store locked for `lock_s` (longer than
    SQLite's own 5-second wait) just as the run records a batch HubSpot accepted."""
    name = f"SQLite state locked {lock_s:.0f} s"
    outcome, run, started = _begin(world, "drill-sqlite-lock", "state store unreachable", name)
    path = run / "state.db"
    SyncState(world.state_url(run)).close()  # the file exists before the run
    locked = threading.Event()

    def lock() -> None:
        def hold() -> None:
            connection = sqlite3.connect(path, timeout=30, isolation_level=None)
            connection.execute("BEGIN EXCLUSIVE")
            locked.set()
            time.sleep(lock_s)
            connection.execute("ROLLBACK")
            connection.close()

        threading.Thread(target=hold, daemon=True).start()
        locked.wait(30)

    result, fired = _during(world, run, _trigger(world, DEALS_CREATE, hold_s=0.3), lock)
    outcome.faults = 1
    _judge_state_outage(outcome, result, fired)
    outcome = _finish(world, run, expected, outcome)
    return _timed(outcome, started)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for a state store, dropped afterwards."""
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    name = f"moulin_reliability_{uuid.uuid4().hex[:10]}"
    with _pg_admin(admin_url) as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with _pg_admin(admin_url) as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        del psycopg2


@contextmanager
def _pg_admin(admin_url: str) -> Iterator[Any]:
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    connection = psycopg2.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database or "postgres",
        connect_timeout=5,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def drill_postgres_state_cut(
    world: World, expected: HubSpotImage, admin_url: str, *, cut_s: float = 4.0
) -> Outcome:
    """The PostgreSQL state store drops every connection (pg_terminate_backend) and refuses
    new ones for `cut_s`, just as the run records a batch HubSpot accepted."""
    name = f"PostgreSQL connections cut for {cut_s:.0f} s"
    outcome, run, started = _begin(world, "drill-postgres-cut", "state store unreachable", name)
    with postgres_database(admin_url) as state_url:
        from sqlalchemy.engine import make_url

        name = make_url(state_url).database

        def cut() -> None:
            with _pg_admin(admin_url) as cursor:
                cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
                outcome.notes.append(f"{cursor.fetchone()[0]} state-store connection(s) cut")

            def restore() -> None:
                with _pg_admin(admin_url) as cursor:
                    cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

            threading.Timer(cut_s, restore).start()

        result, fired = _during(
            world, run, _trigger(world, DEALS_CREATE, hold_s=0.3), cut, state_url=state_url
        )
        outcome.faults = 1
        _judge_state_outage(outcome, result, fired)
        time.sleep(cut_s)  # connections allowed again before the rerun
        outcome = _finish(world, run, expected, outcome, state_url=state_url)
    return _timed(outcome, started)


def _judge_state_outage(outcome: Outcome, result: RunResult, fired: bool) -> None:
    """The run may ride it out or fail, but a failure must say it was the state store."""
    if not fired:
        outcome.problems.append("the trigger never fired")
    if result.ok:
        outcome.notes.append("the run rode out the outage")
        return
    reasons = result.failure_text()
    outcome.notes.append(f"the run failed: {reasons[:300]}")
    if "MOULIN_STATE_URL" not in reasons and "state store" not in reasons.lower():
        outcome.problems.append(
            f"the failure does not say the state store is the cause: {reasons[:500]}"
        )
