"""Sync benchmark: moulin-sync against HubSpot's physical limit and the naive way.

    .venv/bin/python bench/sync_benchmark.py            # 20,000 customers, 500 companies, 100,000 orders
    .venv/bin/python bench/sync_benchmark.py --large    # 100,000 / 2,000 / 1,000,000
    .venv/bin/python bench/sync_benchmark.py --customers N --companies K --orders M

On a generated App du Moulin (SQLite) and the HubSpot emulator at the **professional**
tier (190 calls per rolling 10 s: the floor of a run is its calls ÷ 19/s), it runs the
assets the nightly job runs — source → payloads → HubSpot, every month in one run, as
`dagster.materialize` with resources pointed at the emulator — and measures:

1. the initial load: write calls against the minimum (⌈records/100⌉ per object type;
   associations are inline, so none), and the HubSpot write steps' wall time against the
   floor of the calls they made;
2. the nightly run with nothing changed — the schedule's window, previous and current
   month: write calls (must be 0), read calls, wall time from the launch request; every
   check of the HubSpot records over that window (the deal checks, each stream's drift
   check) timed apart, its searches against their 5/s and 429s; and a rerun of every
   month against the load's time;
3. a rerun of every month after 1% of customers and orders changed (new addresses,
   orders moving on in their lifecycle): write calls against ⌈changes/100⌉ per type, the
   changes being the records HubSpot holds whose payload differs;
4. the deal transform: orders → validated deal payloads per second, and peak memory, for
   1,000,000 orders (in a child process, so the peak is the transform's alone);
5. the naive way on a subset of the same orders: one `basic_api.create` and one
   association call per order through hubspot-api-client, at the same tier.

Prints one table and writes `bench/results/<date>.json` (`-large`, or the sizes when
they are not a preset's) with the machine it ran on, then the block the README's
Benchmarks section shows (date, commit, machine, load). The checks (which read HubSpot
heavily) are timed apart from the writes: `--checks` also runs the deal checks over the
whole history after the initial load, `--no-nightly-checks` skips the nightly window's.
`--months N` syncs only the last N months (the smoke test). The machine may be shared:
the JSON keeps the load average at the start and end and at each measure, and the
transform's CPU seconds next to its wall time; a figure taken on a loaded machine is not
a quiet machine's. `--daemon` launches every run through dagster-daemon
(`daemon_runs.py`), as `make bench` does. Python's bytecode is compiled first, as
production's image has it (`bytecode.py`).

Beside this script: `sync_limits.py` (sizes, limits, targets), `bench_world.py` (the world
and its runs), `sync_measures.py` (one function per measure), `transform_measure.py`,
`naive_way.py`, `sync_report.py` (the table), `bytecode.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench_machine import machine
from bench_world import World
from bytecode import compile_bytecode
from sync_limits import (
    DIRTY_RATE,
    LAUNCHED_BY,
    NAIVE_ORDERS,
    RESULTS,
    ROOT,
    SEED,
    SIZES,
    TIER,
    TRANSFORM_ORDERS,
)
from sync_measures import (
    against_the_naive_way,
    all_deal_checks,
    initial_load,
    load_average,
    nightly_checks,
    one_percent_changed,
    unchanged,
)
from sync_report import build_rows, readme_block, table_text
from transform_measure import measure_transform


# --------------------------------------------------------------------------- main
def say(figure: str, measure: dict[str, Any]) -> None:
    """A figure as it comes, with the machine's load when it was taken."""
    loads = "/".join(f"{x:.2f}" for x in measure.get("load_average", []))
    print(f"{figure} (load average {loads})", flush=True)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="100,000 / 2,000 / 1,000,000")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--companies", type=int)
    parser.add_argument("--orders", type=int)
    parser.add_argument("--transform-orders", type=int, default=TRANSFORM_ORDERS)
    parser.add_argument("--naive-orders", type=int, default=NAIVE_ORDERS)
    parser.add_argument("--checks", action="store_true", help="time the deal checks after the load")
    parser.add_argument(
        "--no-nightly-checks",
        "--no-window",
        dest="no_window",
        action="store_true",
        help="skip the checks of the nightly window",
    )
    parser.add_argument(
        "--months", type=int, help="sync only the last N months of orders (default: all)"
    )
    parser.add_argument(
        "--daemon",
        action="store_true",
        help="launch every run through dagster-daemon (moulin-sync up, PostgreSQL), as "
        "production does; default: in this process (dagster.materialize)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the JSON results")
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temp folder)")
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore", category=UserWarning, module="dagster")
    warnings.filterwarnings("ignore", message=".*is currently in (beta|preview).*")
    from moulin_sync.defs.partitions import monthly_partitions
    from moulin_sync.defs.schedules import nightly_partition_keys
    from moulin_sync.demo_data.generator import generate
    from moulin_sync.testing.hubspot_emulator import run_hubspot_emulator

    customers, companies, orders = SIZES["large" if args.large else "default"]
    customers = args.customers if args.customers is not None else customers
    companies = args.companies if args.companies is not None else companies
    orders = args.orders if args.orders is not None else orders
    sizes = f"{customers:,} customers, {companies:,} companies, {orders:,} orders"
    facts = machine()
    facts["date"] = dt.date.today().isoformat()
    result: dict[str, Any] = {
        "benchmark": "sync",
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": facts,
        "sizes": {"customers": customers, "companies": companies, "orders": orders},
        "tier": TIER,
        "seed": args.seed,
        "dirty_rate": DIRTY_RATE,
        "launched_by": LAUNCHED_BY[args.daemon],
    }
    scratch = None
    if args.keep:
        root = args.keep
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
    else:
        scratch = tempfile.TemporaryDirectory(prefix="moulin-sync-bench-")
        root = Path(scratch.name)
    try:
        result["bytecode"] = compile_bytecode()
        # History ends yesterday: an order dated later today would start counting in its
        # customer's totals between two runs, and "nothing changed" would not hold.
        today = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
        source = root / "app.db"
        started = time.perf_counter()
        summary = generate(
            f"sqlite:///{source}",
            customers=customers,
            companies=companies,
            orders=orders,
            seed=args.seed,
            dirty_rate=DIRTY_RATE,
            today=today,
        )
        result["generate_s"] = round(time.perf_counter() - started, 2)
        result["source_rows"] = summary.rows
        keys = monthly_partitions.get_partition_keys()
        if args.months:
            keys = keys[-args.months :]
        months = (keys[0], keys[-1])
        result["months"] = [keys[0], keys[-1], len(keys)]
        print(f"{sizes}: generated in {result['generate_s']} s; {len(keys)} months", flush=True)

        with contextlib.ExitStack() as stack:
            hubspot = stack.enter_context(run_hubspot_emulator(tier=TIER))
            world = World(root, hubspot, source)
            if args.daemon:
                from daemon_runs import Deployment  # beside this script

                world.deployment = stack.enter_context(Deployment(root, world.settings()))

            # 1. Initial load -------------------------------------------------------
            load, result["initial_load"] = initial_load(world, months)
            say(
                f"initial load: {load.wall_s:.1f} s, {load.calls.writes} writes",
                result["initial_load"],
            )
            # HubSpot's search index always exists; the emulator builds one on the first
            # search of a property: built here, untimed, so the checks pay what HubSpot's would.
            result["emulator_index_build"] = world.hubspot.admin.build_indexes(
                "deals", ["closedate"]
            )
            if args.checks:
                result["checks"] = all_deal_checks(world, months)
                say(f"deal checks: {result['checks']['wall_s']:.1f} s", result["checks"])

            # 2. Nothing changed: every month, then the schedule's (previous and current)
            result["rerun_unchanged"] = unchanged(world, months, load)
            rerun = result["rerun_unchanged"]
            say(f"rerun of every month, nothing changed: {rerun['wall_s']:.1f} s", rerun)
            nightly = nightly_partition_keys(dt.datetime.now(dt.UTC))
            if args.months:
                nightly = [k for k in nightly if k in keys] or keys[-1:]
            window = unchanged(world, (nightly[0], nightly[-1]), load)
            result["nightly_unchanged"] = {"months": nightly, **window}
            say(f"nightly, nothing changed: {window['wall_s']:.1f} s", window)
            if not args.no_window:
                result["nightly_checks"] = nightly_checks(world, nightly)
                checks = result["nightly_checks"]
                say(f"nightly checks: {checks['wall_s']:.1f} s", checks)

            # 3. 1% changed ---------------------------------------------------------
            result["nightly_one_percent"] = one_percent_changed(world, keys, months, args.seed)
            changed = result["nightly_one_percent"]
            say(f"rerun, 1% changed: {changed['wall_s']:.1f} s", changed)

            # 5. The naive way ------------------------------------------------------
            if args.naive_orders:
                deals = result["initial_load"]["records"]["deals"]
                naive = against_the_naive_way(world, keys, args.naive_orders, load, deals)
                result["naive"] = naive
                say(f"naive way: {naive['seconds']:.1f} s for {naive['orders']} orders", naive)

        # 4. Transform throughput (a child process: its own peak memory) ------------
        if args.transform_orders:
            machine_load = load_average()
            result["transform"] = measure_transform(world.data_dir, keys, args.transform_orders)
            result["transform"]["load_average"] = machine_load
            say(
                f"transform: {result['transform']['orders_per_s']:,.0f} orders/s",
                result["transform"],
            )
    finally:
        if scratch is not None:
            scratch.cleanup()

    result["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    facts["load_average_at_end"] = load_average()
    result["table"] = table_text(build_rows(result), facts, sizes, result["launched_by"])
    print(result["table"])
    args.results.mkdir(parents=True, exist_ok=True)
    name = facts["date"] + ("-large" if args.large else "")
    if (args.customers, args.companies, args.orders) != (None, None, None):
        name += f"-{customers}-{companies}-{orders}"
    path = args.results / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"results: {path}\n\nFor the README's Benchmarks section:\n")
    print(
        readme_block(
            result["table"], str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        )
    )
    return result


if __name__ == "__main__":
    main()
