"""The sync benchmark's measures, one function each: what a run did, against its minimum."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from bench_world import Run, World, change_one_percent, changed_records, minimum_calls
from naive_way import naive_way
from sync_limits import (
    CALLS_PER_S,
    CHANGED_SHARE,
    DEAL_CHECKS_STEP,
    OBJECT_TYPES,
    SEARCH_PER_S,
    SETUP_STEPS,
    WINDOW_CALLS,
    WINDOW_S,
    WRITE_STEPS,
)
from sync_report import ratio


def _steps(run: Run) -> dict[str, float]:
    return {k: round(v, 2) for k, v in sorted(run.steps.items())}


def load_average() -> list[float]:
    """The machine's load (1, 5, 15 minutes) as a measure starts: it is shared."""
    return [round(x, 2) for x in os.getloadavg()]


def steady_floor_s(calls: int) -> float:
    """The time `calls` take at the rate a saturated window sustains (190 per 10 s)."""
    return calls / CALLS_PER_S


def burst_floor_s(calls: int) -> float:
    """The time `calls` take at the least from an empty window: 190 may leave at once,
    the next 190 once the window has rolled on 10 s, and so on — the last one leaves
    10 s × ⌊(calls − 1) / 190⌋ after the first."""
    return WINDOW_S * ((calls - 1) // WINDOW_CALLS) if calls else 0.0


def initial_load(world: World, months: tuple[str, str]) -> tuple[Run, dict[str, Any]]:
    """Every month into an empty HubSpot: write calls against the minimum, the write
    steps against the rate-limit floors of the calls they made (steady: calls ÷ 19/s,
    the target's; burst-aware: from an empty window, 190 at once)."""
    machine_load = load_average()
    load = world.run(months)
    if not load.success:
        raise RuntimeError("initial load failed: " + "; ".join(load.failures))
    records = {t: int(load.assets[f"hubspot/{t}"]["created"]) for t in OBJECT_TYPES}
    minimum = minimum_calls(records)
    write_api_calls = sum(load.asset_calls()[f"hubspot/{t}"]["api_calls"] for t in OBJECT_TYPES)
    write_s = load.seconds(WRITE_STEPS)
    floor = steady_floor_s(write_api_calls)
    burst = burst_floor_s(write_api_calls)
    return load, {
        "load_average": machine_load,
        "records": records,
        "write_calls": load.calls.writes,
        "setup_write_calls": load.calls.setup_writes,
        "read_calls": load.calls.reads,
        "minimum_write_calls": minimum,
        "write_calls_over_minimum": ratio(load.calls.writes, minimum),
        "hubspot_write_api_calls": write_api_calls,
        "hubspot_write_s": round(write_s, 2),
        "floor_s": round(floor, 2),
        "time_over_floor": ratio(write_s, floor),
        "burst_floor_s": round(burst, 2),
        "time_over_burst_floor": ratio(write_s, burst),
        "minimum_floor_s": round(steady_floor_s(minimum), 2),
        "setup_s": round(load.seconds(SETUP_STEPS), 2),
        "wall_s": round(load.wall_s, 2),
        "rate_limited_429s": load.calls.rate_limited,
        "phases_s": load.phases,
        "steps_s": _steps(load),
        "calls_by_route": load.calls.by_route,
        "asset_calls": load.asset_calls(),
        "quarantined": {
            t: load.assets[f"hubspot_payloads/{t}"].get("quarantined") for t in OBJECT_TYPES
        },
        "waiting": {t: load.assets[f"hubspot/{t}"].get("waiting") for t in OBJECT_TYPES},
        "rejected": {t: load.assets[f"hubspot/{t}"].get("rejected") for t in OBJECT_TYPES},
    }


def all_deal_checks(world: World, months: tuple[str, str]) -> dict[str, Any]:
    """The deal checks over every month (`--checks`)."""
    machine_load = load_average()
    checks = world.run(months, checks="deals_only")
    return {
        "load_average": machine_load,
        "wall_s": round(checks.wall_s, 2),
        "read_calls": checks.calls.reads,
        "searches": checks.calls.searches,
        "write_calls": checks.calls.writes,
        "steps_s": _steps(checks),
        "passed": checks.success and all(c["passed"] for c in checks.checks.values()),
        "results": {k: v.get("passed") for k, v in checks.checks.items()},
        "calls_by_route": checks.calls.by_route,
    }


def unchanged(world: World, months: tuple[str, str], load: Run) -> dict[str, Any]:
    """A rerun with nothing changed: it must write nothing, in a small share of the load;
    where its time went (launch, queue, run worker, steps) beside it."""
    machine_load = load_average()
    same = world.run(months)
    return {
        "load_average": machine_load,
        "write_calls": same.calls.writes + same.calls.setup_writes,
        "read_calls": same.calls.reads,
        "wall_s": round(same.wall_s, 2),
        "hubspot_write_s": round(same.seconds(WRITE_STEPS), 2),
        "share_of_load": round(same.wall_s / load.wall_s, 4),
        "phases_s": same.phases,
        "steps_s": _steps(same),
        "calls_by_route": same.calls.by_route,
    }


def nightly_checks(world: World, nightly: Sequence[str]) -> dict[str, Any]:
    """Every check of the HubSpot records over the schedule's months, as the nightly runs
    them: the deal checks and each stream's drift check, one search budget (5/s) for the
    run. The deal-check step against its search floor (its searches ÷ 5/s); the run's
    429s on searches (none wanted); the run's wall time beside it (with --daemon it holds
    the launch and Dagster's start-up)."""
    machine_load = load_average()
    checks = world.run((nightly[0], nightly[-1]), checks="hubspot")
    deal_checks = checks.checks.get("no_duplicate_deals", {})
    step_searches = int(deal_checks.get("search_calls", checks.calls.searches))
    floor = step_searches / SEARCH_PER_S
    step_s = checks.steps.get(DEAL_CHECKS_STEP, checks.wall_s)
    return {
        "load_average": machine_load,
        "months": list(nightly),
        "write_calls": checks.calls.writes,
        "read_calls": checks.calls.reads,
        "searches": checks.calls.searches,
        "deal_check_searches": step_searches,
        "searches_rate_limited": checks.calls.searches_rate_limited,
        "rate_limited_429s": checks.calls.rate_limited,
        "step_s": round(step_s, 2),
        "wall_s": round(checks.wall_s, 2),
        "search_floor_s": round(floor, 2),
        "time_over_search_floor": ratio(step_s, floor),
        "wall_over_search_floor": ratio(checks.wall_s, floor),
        "phases_s": checks.phases,
        "steps_s": _steps(checks),
        "passed": checks.success and all(c["passed"] for c in checks.checks.values()),
        "results": {k: v.get("passed") for k, v in checks.checks.items()},
        "calls_by_route": checks.calls.by_route,
    }


def one_percent_changed(
    world: World, keys: Sequence[str], months: tuple[str, str], seed: int
) -> dict[str, Any]:
    """1% of customers and orders changed: write calls against ⌈changes/100⌉ per type,
    the changes being the records HubSpot holds whose payload differs."""
    before = world.payload_records(keys)
    changes = change_one_percent(world, CHANGED_SHARE, seed)
    machine_load = load_average()
    run = world.run(months)
    changed = changed_records(before, world.payload_records(keys), world.in_hubspot())
    needed = minimum_calls(changed)
    return {
        "load_average": machine_load,
        **changes,
        "changed_records": changed,
        "write_calls": run.calls.writes,
        "minimum_write_calls": needed,
        "write_calls_over_minimum": ratio(run.calls.writes, needed),
        "read_calls": run.calls.reads,
        "wall_s": round(run.wall_s, 2),
        "hubspot_write_s": round(run.seconds(WRITE_STEPS), 2),
        "updated": {t: run.assets[f"hubspot/{t}"].get("updated") for t in OBJECT_TYPES},
        "rate_limited_429s": run.calls.rate_limited,
        "phases_s": run.phases,
        "steps_s": _steps(run),
        "calls_by_route": run.calls.by_route,
    }


def against_the_naive_way(
    world: World, keys: Sequence[str], count: int, load: Run, deals: int
) -> dict[str, Any]:
    """`count` orders the naive way, per order against the initial load's deals."""
    machine_load = load_average()
    naive = naive_way(world, keys, count)
    naive["load_average"] = machine_load
    deal_calls = load.asset_calls()["hubspot/deals"]["write_calls"]
    deal_s = load.steps.get("hubspot__deals", 0.0)
    ours_per_order = deal_calls / max(1, deals)
    naive["ours_calls_per_order"] = ours_per_order
    naive["ours_seconds_per_order"] = deal_s / max(1, deals)
    naive["call_ratio"] = naive["calls_per_order"] / ours_per_order
    naive["time_ratio"] = naive["seconds_per_order"] / naive["ours_seconds_per_order"]
    naive["naive_calls_for_all_deals"] = round(naive["calls_per_order"] * deals)
    naive["naive_hours_for_all_deals"] = round(naive["seconds_per_order"] * deals / 3600, 2)
    return naive
