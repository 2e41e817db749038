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
   month: write calls (must be 0), read calls, wall time against the load's; the deal
   checks of that window timed apart; and a rerun of every month;
3. a rerun of every month after 1% of customers and orders changed (new addresses,
   orders moving on in their lifecycle): write calls against ⌈changes/100⌉ per type, the
   changes being the records HubSpot holds whose payload differs;
4. the deal transform: orders → validated deal payloads per second, and peak memory, for
   1,000,000 orders (in a child process, so the peak is the transform's alone);
5. the naive way on a subset of the same orders: one `basic_api.create` and one
   association call per order through hubspot-api-client, at the same tier.

Prints one table and writes `bench/results/<date>.json` with the machine it ran on. The
deal checks (which read HubSpot heavily) are timed apart from the writes: `--checks`
also runs them over the whole history after the initial load, `--no-nightly-checks`
skips the nightly window's. `--months N` syncs only the last N months (the smoke test).
The machine is shared: the JSON keeps the load average at the start, and the transform's
CPU seconds next to its wall time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SIZES = {"default": (20_000, 500, 100_000), "large": (100_000, 2_000, 1_000_000)}
TRANSFORM_ORDERS = 1_000_000
NAIVE_ORDERS = 2_000
SEED = 42
DIRTY_RATE = 0.02  # the demo-data CLI's default: real data has dirt
CHANGED_SHARE = 0.01
TIER = "professional"
CALLS_PER_S = 19.0  # 190 per rolling 10 s
BATCH = 100
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
READ_SUFFIXES = ("/batch/read", "/search")
DEAL_CHECKS_STEP = "deal_checks"
WRITE_STEPS = ("hubspot__companies", "hubspot__contacts", "hubspot__deals")
SETUP_STEPS = ("hubspot__property_schema", "hubspot__deal_pipeline")
OBJECT_TYPES = ("companies", "contacts", "deals")
HUBSPOT_DEALS = ("hubspot", "deals")
HUBSPOT_WRITES = (["hubspot", "companies"], ["hubspot", "contacts"], list(HUBSPOT_DEALS))

LAUNCHED_BY = {
    True: "launched through dagster-daemon (moulin-sync up, PostgreSQL)",
    False: "in process (dagster.materialize)",
}

# What each measure must reach.
MAX_CALLS_OVER_MINIMUM = 1.05
MAX_TIME_OVER_FLOOR = 1.10
MAX_NIGHTLY_SHARE = 0.05
MAX_NIGHTLY_S = 60.0  # launched through the daemon, at the large size
MIN_ORDERS_PER_S = 500_000
MAX_PEAK_BYTES = 2 * 1024**3
MIN_NAIVE_RATIO = 100
# HubSpot's search limit (the client's `SEARCH_PER_S`): the deal checks' floor.
SEARCH_PER_S = 5


# --------------------------------------------------------------------------- facts
def machine() -> dict[str, Any]:
    def meminfo() -> int | None:
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def cpu_model() -> str:
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor() or platform.machine()

    def version(name: str) -> str | None:
        try:
            return importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str | None:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    ram = meminfo()
    return {
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "ram_gib": round(ram / 1024**3, 1) if ram else None,
        "cpu_model": cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "versions": {
            name: version(name)
            for name in (
                "moulin-sync",
                "polars",
                "pydantic",
                "dagster",
                "hubspot-api-client",
                "connectorx",
                "sqlalchemy",
            )
        },
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


# --------------------------------------------------------------------------- call counts
@dataclass
class Calls:
    """Requests the emulator answered (429s apart), split into record writes, setup
    writes (properties, pipelines) and reads."""

    writes: int = 0
    setup_writes: int = 0
    reads: int = 0
    searches: int = 0
    rate_limited: int = 0
    by_route: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.writes + self.setup_writes + self.reads

    @classmethod
    def from_stats(cls, rows: list[dict[str, Any]]) -> Calls:
        calls = cls()
        for row in rows:
            method, route, status, count = row["method"], row["route"], row["status"], row["count"]
            if status == 429:
                calls.rate_limited += count
                continue
            key = f"{method} {route}"
            calls.by_route[key] = calls.by_route.get(key, 0) + count
            if method in WRITE_METHODS and not route.endswith(READ_SUFFIXES):
                if "/properties" in route or "/pipelines" in route:
                    calls.setup_writes += count
                else:
                    calls.writes += count
            else:
                calls.reads += count
                if route.endswith("/search"):
                    calls.searches += count
        return calls


def minimum_calls(records: dict[str, int]) -> int:
    """⌈records/100⌉ per object type: every association travels inline with its create."""
    return sum(math.ceil(n / BATCH) for n in records.values())


# --------------------------------------------------------------------------- the world
@dataclass
class Run:
    wall_s: float
    steps: dict[str, float]
    assets: dict[str, dict[str, Any]]
    checks: dict[str, dict[str, Any]]
    calls: Calls
    success: bool
    failures: list[str]

    def seconds(self, steps: Sequence[str]) -> float:
        return sum(self.steps.get(s, 0.0) for s in steps)

    def asset_calls(self) -> dict[str, dict[str, int]]:
        return {
            key: {
                "api_calls": int(meta.get("api_calls", 0)),
                "write_calls": int(meta.get("write_calls", 0)),
                "rate_limited_429s": int(meta.get("rate_limited_429s", 0)),
            }
            for key, meta in self.assets.items()
            if key in {f"hubspot/{t}" for t in OBJECT_TYPES}
        }


class World:
    """A generated source, the emulator at the professional tier, state and snapshots."""

    def __init__(self, root: Path, hubspot: Any, source_path: Path) -> None:
        self.root = root
        self.hubspot = hubspot
        self.source_path = source_path
        self.deployment: Any = None  # daemon_runs.Deployment: runs launched through the daemon

    def settings(self) -> dict[str, str]:
        """The world as settings (environment variables), for a deployment's code location."""
        return {
            "MOULIN_SOURCE_URL": f"sqlite:///{self.source_path}",
            "MOULIN_STATE_URL": f"sqlite:///{self.root / 'state.db'}",
            "MOULIN_DATA_DIR": str(self.data_dir),
            "MOULIN_GDPR_ERASURE": "delete",
            "MOULIN_DRIFT": "report",
            "HUBSPOT_BASE_URL": self.hubspot.base_url,
            "HUBSPOT_ACCESS_TOKEN": self.hubspot.token,
            "HUBSPOT_TIER": TIER,
        }

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def resources(self) -> dict[str, Any]:
        from moulin_sync.defs.hubspot.resources import HubSpot
        from moulin_sync.testing.sync_world import world_resources

        hubspot = HubSpot(
            base_url=self.hubspot.base_url, access_token=self.hubspot.token, tier=TIER
        )
        return world_resources(
            f"sqlite:///{self.source_path}",
            f"sqlite:///{self.root / 'state.db'}",
            self.data_dir,
            hubspot,
        )

    def run(self, months: tuple[str, str], *, checks: str = "none") -> Run:
        """The nightly job's assets for [first, last]; `checks`: "none", "all" (every check
        of the job), or "deals_only" (only the deal checks, assets not rematerialized).
        In process (`dagster.materialize`), or launched through the daemon when the world
        has a `deployment`."""
        from dagster import AssetCheckKey, AssetKey, AssetSelection, DagsterInstance, materialize

        from moulin_sync.testing.sync_world import DEAL_ASSETS, nightly_assets

        # The checks reading HubSpot are timed apart from the writes; the deal checks
        # measured are those that prove one deal per order (drift is not among them).
        hubspot_checks = AssetSelection.checks_for_assets(*HUBSPOT_WRITES)
        deal_checks = AssetSelection.checks_for_assets(HUBSPOT_DEALS) - AssetSelection.checks(
            AssetCheckKey(AssetKey(HUBSPOT_DEALS), "no_drift")
        )
        selection = {
            "none": DEAL_ASSETS - hubspot_checks,
            "all": DEAL_ASSETS,
            "deals_only": deal_checks,
        }[checks]
        self.hubspot.admin.reset_stats()
        tags = {
            "dagster/asset_partition_range_start": months[0],
            "dagster/asset_partition_range_end": months[1],
        }
        # Step logs stay in the instance (timed from there); the terminal gets the table.
        run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        if self.deployment is not None:
            from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

            graph = AssetGraph.from_assets(nightly_assets())
            assets = sorted(list(k.path) for k in selection.resolve(graph))
            check_keys = sorted(
                (list(k.asset_key.path), k.name) for k in selection.resolve_checks(graph)
            )
            run_id, launched_at = self.deployment.launch(assets, check_keys, tags, run_config)
            success, wall = self.deployment.wait(run_id, launched_at)
            return self._read_run(self.deployment.instance, run_id, wall, success)
        with DagsterInstance.ephemeral() as instance:
            started = time.perf_counter()
            result = materialize(
                nightly_assets(),
                resources=self.resources(),
                instance=instance,
                tags=tags,
                raise_on_error=False,
                selection=selection,
                run_config=run_config,
            )
            wall = time.perf_counter() - started
            return self._read_run(instance, result.run_id, wall, result.success)

    def _read_run(self, instance: Any, run_id: str, wall: float, success: bool) -> Run:
        """A finished run's figures, from its events in `instance`."""
        from dagster import DagsterEventType

        from moulin_sync.defs.hubspot.reports import run_figures

        records = instance.all_logs(
            run_id,
            of_type={
                DagsterEventType.STEP_START,
                DagsterEventType.STEP_SUCCESS,
                DagsterEventType.STEP_FAILURE,
                DagsterEventType.ASSET_MATERIALIZATION,
                DagsterEventType.ASSET_CHECK_EVALUATION,
            },
        )
        began: dict[str, float] = {}
        steps: dict[str, float] = {}
        assets_meta: dict[str, dict[str, Any]] = {}
        checks_meta: dict[str, dict[str, Any]] = {}
        failures = []
        for record in records:
            event = record.dagster_event
            if event is None:
                continue
            kind = event.event_type
            if kind == DagsterEventType.ASSET_MATERIALIZATION:
                # A monthly asset's run totals are its `run_` figures.
                materialization = event.step_materialization_data.materialization
                assets_meta["/".join(materialization.asset_key.path)] = run_figures(
                    {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
                )
            elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.event_specific_data
                checks_meta[evaluation.check_name] = {
                    "passed": evaluation.passed,
                    **{k: getattr(v, "value", v) for k, v in evaluation.metadata.items()},
                }
            elif event.step_key is None:
                continue
            elif kind == DagsterEventType.STEP_START:
                began[event.step_key] = record.timestamp
            else:
                if kind == DagsterEventType.STEP_FAILURE:
                    failures.append(f"{event.step_key}: {event.message}")
                if event.step_key in began:
                    steps[event.step_key] = record.timestamp - began[event.step_key]
        return Run(
            wall_s=wall,
            steps=steps,
            assets=assets_meta,
            checks=checks_meta,
            calls=Calls.from_stats(self.hubspot.admin.stats()),
            success=success,
            failures=failures,
        )

    def sql(self, statement: str, rows: Sequence[Sequence[Any]] = ()) -> None:
        with sqlite3.connect(self.source_path) as connection:
            if rows:
                connection.executemany(statement, rows)
            else:
                connection.execute(statement)
            connection.commit()

    def in_hubspot(self) -> dict[str, set[str]]:
        """Source keys of the records HubSpot holds, per type (from the state store)."""
        from moulin_sync.hubspot.sync.state import SyncState

        state = SyncState(f"sqlite:///{self.root / 'state.db'}")
        try:
            return {
                t: set(state.load(t).drop_nulls("hubspot_id")["source_key"]) for t in OBJECT_TYPES
            }
        finally:
            state.close()

    def payload_records(self, months: Sequence[str]) -> dict[str, Any]:
        return {
            "companies": snapshot(self.data_dir, ["hubspot_payloads", "companies", "records"]),
            "contacts": snapshot(self.data_dir, ["hubspot_payloads", "contacts", "records"]),
            "deals": snapshot(self.data_dir, ["hubspot_payloads", "deals", "records"], months),
        }


def snapshot(data_dir: Path, key: Sequence[str], months: Sequence[str] = ()) -> Any:
    """What an asset handed on (its published Parquet files, of those months)."""
    import polars as pl

    from moulin_sync.defs.io_manager import published_path

    partitions = list(months) or [None]
    return pl.concat(
        [pl.read_parquet(published_path(data_dir, key, ".parquet", m)) for m in partitions]
    )


def changed_records(
    before: dict[str, Any], after: dict[str, Any], in_hubspot: dict[str, set[str]]
) -> dict[str, int]:
    """Records HubSpot holds whose payload changed (any property, link or hash), per type:
    what a sync must send. Records waiting for their contact, or quarantined, are not."""
    import polars as pl

    out = {}
    for object_type in OBJECT_TYPES:
        old, new = before[object_type], after[object_type]
        columns = [c for c in new.columns if c in old.columns]
        differs = new.select(columns).join(
            old.select(columns), on=columns, how="anti", nulls_equal=True
        )
        out[object_type] = differs.filter(
            pl.col("source_key").is_in(list(in_hubspot[object_type]))
        ).height
    return out


def change_one_percent(world: World, share: float, seed: int) -> dict[str, int]:
    """What the App du Moulin would see in a day: customers who moved (new address) and
    orders that moved on in their lifecycle (paid, ready, picked up, refunded)."""
    rng = random.Random(seed)
    with sqlite3.connect(world.source_path) as connection:
        customers = [
            r[0]
            for r in connection.execute(
                "SELECT id FROM customers WHERE deleted_at IS NULL AND anonymized_at IS NULL"
            )
        ]
        orders = [r[0] for r in connection.execute("SELECT id FROM orders")]
    moved = rng.sample(customers, max(1, round(len(customers) * share)))
    progressed = rng.sample(orders, max(1, round(len(orders) * share)))
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    world.sql(
        "UPDATE customers SET address = ?, updated_at = ? WHERE id = ?",
        [(f"{7 + i % 90} rue du Banc d'Essai", now, key) for i, key in enumerate(moved)],
    )
    world.sql(
        "UPDATE orders SET status = CASE status WHEN 'pending' THEN 'paid' "
        "WHEN 'paid' THEN 'ready' WHEN 'ready' THEN 'picked_up' "
        "WHEN 'refunded' THEN 'paid' ELSE 'refunded' END, updated_at = ? WHERE id = ?",
        [(now, key) for key in progressed],
    )
    return {"customers_changed": len(moved), "orders_changed": len(progressed)}


# --------------------------------------------------------------------------- transform
def transform_worker(data_dir: str, months: list[str], target: int) -> dict[str, Any]:
    """In a child process: read the snapshots, tile the orders to `target` rows with fresh
    ids, and time `validated_deal_payloads` — what the deal payload asset does."""
    import gc

    import polars as pl

    from moulin_sync.defs.io_manager import published_path
    from moulin_sync.hubspot.streams.build import build_payloads
    from moulin_sync.hubspot.streams.deals import DEALS
    from moulin_sync.hubspot.streams.spec import PipelineStages, TransformContext

    root = Path(data_dir)
    orders = snapshot(root, ["app_du_moulin", "orders"], months)
    customers = snapshot(root, ["app_du_moulin", "customers"])
    companies = snapshot(root, ["app_du_moulin", "companies"])
    points = snapshot(root, ["app_du_moulin", "pickup_points"])
    pipeline = PipelineStages.model_validate_json(
        published_path(root, ["hubspot", "deal_pipeline"], ".json").read_text()
    )
    context = TransformContext("Europe/Paris", pipeline)
    source_orders = orders.height
    copies = max(1, math.ceil(target / max(1, source_orders)))
    if copies > 1:
        stride = int(orders["id"].max()) + 1
        orders = pl.concat(
            [
                orders.head(target - i * source_orders).with_columns(pl.col("id") + i * stride)
                for i in range(copies)
            ]
        )
    orders = orders.head(target).rechunk()
    gc.collect()
    rss_before = _rss_bytes()
    runs: list[float] = []
    cpus: list[float] = []
    payloads = None
    peaks: list[int] = []
    for _ in range(2):  # the best of two: the machine is shared
        del payloads
        gc.collect()
        _reset_peak_rss()
        started, cpu = time.perf_counter(), _cpu_s()
        frames = {
            "orders": orders,
            "customers": customers,
            "companies": companies,
            "pickup_points": points,
        }
        payloads = build_payloads(DEALS, frames, context)
        runs.append(time.perf_counter() - started)
        cpus.append(_cpu_s() - cpu)
        peaks.append(_peak_rss_bytes())
    # The transform's own peak (the kernel's high-water mark, reset before each run),
    # not the reading and tiling of the inputs; the process's whole peak is kept too.
    peak = max(peaks)
    process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "orders": orders.height,
        "source_orders": source_orders,
        "tiled": copies > 1,
        "seconds": min(runs),
        "seconds_runs": [round(r, 3) for r in runs],
        "cpu_s_runs": [round(c, 3) for c in cpus],
        "orders_per_s": orders.height / min(runs),
        "valid_records": payloads.records.height,
        "quarantined": payloads.quarantine.height,
        "rss_before_bytes": rss_before,
        "peak_rss_bytes": peak,
        "process_peak_rss_bytes": process_peak,
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak_rss() -> None:
    """Reset the kernel's RSS high-water mark of this process (Linux: clear_refs 5)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_bytes() -> int:
    """RSS high-water mark since the last reset (VmHWM), else the process's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def measure_transform(data_dir: Path, months: list[str], target: int) -> dict[str, Any]:
    answer = subprocess.run(
        [
            sys.executable,
            __file__,
            "--transform-worker",
            str(data_dir),
            json.dumps(months),
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"transform worker failed:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the naive way
def naive_way(world: World, months: Sequence[str], count: int) -> dict[str, Any]:
    """The founding note's way, on `count` of the same orders: `basic_api.create` per order,
    then one v4 association call to its contact, through hubspot-api-client. A 429 is
    waited out (0.5 s) and retried, as any working script must; 429s are not counted as
    calls made (the emulator does not bill them either)."""
    import hubspot
    import polars as pl
    from hubspot.crm.associations.v4 import AssociationSpec
    from hubspot.crm.associations.v4.exceptions import ApiException as AssocApiException
    from hubspot.crm.deals import SimplePublicObjectInputForCreate
    from hubspot.crm.deals.exceptions import ApiException as DealsApiException

    from moulin_sync.hubspot.streams.deals import DEALS
    from moulin_sync.hubspot.sync.state import SyncState

    deal_properties = DEALS.property_names

    state = SyncState(f"sqlite:///{world.root / 'state.db'}")
    try:
        contacts = state.load("contacts").drop_nulls("hubspot_id")
    finally:
        state.close()
    records = (
        world.payload_records(months)["deals"]
        .join(
            contacts.select(
                pl.col("source_key").alias("contact_key"), pl.col("hubspot_id").alias("contact_id")
            ),
            on="contact_key",
            how="inner",
        )
        .head(count)
    )
    # Without our unique key: the naive way has none (and ours already holds these orders).
    properties = [p for p in deal_properties if p != "moulin_order_id"]
    client = hubspot.HubSpot(access_token=world.hubspot.token, host=world.hubspot.base_url)
    deals_api = client.crm.deals.basic_api
    assoc_api = client.crm.associations.v4.basic_api
    calls = 0
    rate_limited = 0

    def call(fn: Any, errors: tuple[type[Exception], ...]) -> Any:
        nonlocal calls, rate_limited
        while True:
            try:
                answer = fn()
                calls += 1
                return answer
            except errors as exc:
                if getattr(exc, "status", None) != 429:
                    raise
                rate_limited += 1
                time.sleep(0.5)

    world.hubspot.admin.reset_stats()
    started = time.perf_counter()
    for row in records.iter_rows(named=True):
        deal = call(
            lambda row=row: deals_api.create(
                SimplePublicObjectInputForCreate(properties={p: row[p] for p in properties})
            ),
            (DealsApiException,),
        )
        call(
            lambda deal=deal, row=row: assoc_api.create(
                "deals",
                deal.id,
                "contacts",
                row["contact_id"],
                [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=3)],
            ),
            (AssocApiException,),
        )
    seconds = time.perf_counter() - started
    seen = Calls.from_stats(world.hubspot.admin.stats())
    return {
        "orders": records.height,
        "calls": calls,
        "calls_seen_by_hubspot": seen.writes,
        "rate_limited_429s": rate_limited,
        "seconds": seconds,
        "calls_per_order": calls / max(1, records.height),
        "seconds_per_order": seconds / max(1, records.height),
    }


# --------------------------------------------------------------------------- report
def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("OK" if ok else "MISS")


def build_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    load = result["initial_load"]
    rows.append(
        (
            "1. initial load: record write calls",
            f"{load['write_calls']:,}",
            f"minimum {load['minimum_write_calls']:,} (×{load['write_calls_over_minimum']})",
            verdict(load["write_calls_over_minimum"] <= MAX_CALLS_OVER_MINIMUM),
        )
    )
    rows.append(
        (
            "   HubSpot write steps, wall time",
            f"{load['hubspot_write_s']:.1f} s",
            f"floor {load['floor_s']:.1f} s = {load['hubspot_write_api_calls']:,} calls ÷ 19/s "
            f"(×{load['time_over_floor']})",
            verdict(load["time_over_floor"] <= MAX_TIME_OVER_FLOOR),
        )
    )
    rows.append(
        (
            "   whole run (source → HubSpot)",
            f"{load['wall_s']:.1f} s",
            f"×{ratio(load['wall_s'], load['floor_s']):.3f} the floor; "
            f"{load['records']['deals']:,} deals, {load['records']['contacts']:,} contacts, "
            f"{load['records']['companies']:,} companies; 429s {load['rate_limited_429s']}",
            verdict(ratio(load["wall_s"], load["floor_s"]) <= MAX_TIME_OVER_FLOOR),
        )
    )
    if "checks" in result:
        checks = result["checks"]
        rows.append(
            (
                "   deal checks (apart)",
                f"{checks['wall_s']:.1f} s",
                f"{checks['read_calls']:,} reads ({checks['searches']:,} searches); "
                + ", ".join(f"{k} {v:.1f} s" for k, v in checks["steps_s"].items()),
                "passed" if checks["passed"] else "FAILED",
            )
        )
    window = result["nightly_unchanged"]
    rows.append(
        (
            "2. nightly, nothing changed",
            f"{window['write_calls']} writes",
            f"{window['read_calls']:,} reads, {window['wall_s']:.1f} s = "
            f"{window['share_of_load'] * 100:.1f}% of the load (months {window['months'][0]} "
            f"to {window['months'][-1]}, checks apart; target under {MAX_NIGHTLY_S:.0f} s)",
            verdict(
                window["write_calls"] == 0
                and window["share_of_load"] < MAX_NIGHTLY_SHARE
                and window["wall_s"] < MAX_NIGHTLY_S
            ),
        )
    )
    if "nightly_checks" in result:
        checks = result["nightly_checks"]
        rows.append(
            (
                "   nightly deal checks (step)",
                f"{checks.get('step_s', checks['wall_s']):.1f} s",
                f"search floor {checks['search_floor_s']:.1f} s = {checks['searches']:,} "
                f"searches ÷ {SEARCH_PER_S}/s (×{checks['time_over_search_floor']:.3f}); "
                f"whole run {checks['wall_s']:.1f} s; "
                f"{checks['read_calls']:,} reads, {checks['write_calls']} writes",
                ("passed, " if checks["passed"] else "FAILED, ")
                + verdict(checks["time_over_search_floor"] <= MAX_TIME_OVER_FLOOR),
            )
        )
    same = result["rerun_unchanged"]
    rows.append(
        (
            "   rerun of every month, nothing changed",
            f"{same['write_calls']} writes",
            f"{same['read_calls']:,} reads, {same['wall_s']:.1f} s = "
            f"{same['share_of_load'] * 100:.1f}% of the load",
            verdict(same["write_calls"] == 0),
        )
    )
    changed = result["nightly_one_percent"]
    rows.append(
        (
            "3. rerun of every month, 1% changed",
            f"{changed['write_calls']}",
            f"minimum {changed['minimum_write_calls']} for "
            + ", ".join(f"{v:,} {k}" for k, v in changed["changed_records"].items())
            + f"; {changed['wall_s']:.1f} s",
            verdict(
                changed["write_calls"] <= changed["minimum_write_calls"] * MAX_CALLS_OVER_MINIMUM
            ),
        )
    )
    transform = result.get("transform")
    if transform:
        rows.append(
            (
                "4. deal transform, 1M orders",
                f"{transform['orders_per_s']:,.0f} orders/s",
                f"{transform['orders']:,} orders in {transform['seconds']:.2f} s"
                + (" (source tiled)" if transform["tiled"] else ""),
                verdict(transform["orders_per_s"] >= MIN_ORDERS_PER_S),
            )
        )
        rows.append(
            (
                "   peak memory",
                f"{transform['peak_rss_bytes'] / 1024**3:.2f} GiB",
                f"peak RSS during the transform; {transform['rss_before_bytes'] / 1024**3:.2f} GiB "
                "with its inputs loaded",
                verdict(transform["peak_rss_bytes"] < MAX_PEAK_BYTES),
            )
        )
    naive = result.get("naive")
    if naive:
        rows.append(
            (
                "5. naive way (1 create + 1 assoc/order)",
                f"{naive['calls']:,} calls",
                f"{naive['orders']:,} orders in {naive['seconds']:.1f} s "
                f"({naive['calls_per_order']:.2f} calls, {naive['seconds_per_order'] * 1000:.0f} ms per order)",
                "",
            )
        )
        rows.append(
            (
                "   moulin-sync vs naive, per deal",
                f"{naive['call_ratio']:,.0f}× fewer calls",
                f"{naive['ours_calls_per_order']:.4f} vs {naive['calls_per_order']:.2f} calls; "
                f"{naive['time_ratio']:,.0f}× faster",
                verdict(naive["call_ratio"] >= MIN_NAIVE_RATIO),
            )
        )
    return rows


def print_table(
    rows: list[tuple[str, str, str, str]], facts: dict[str, Any], sizes: str, launched_by: str
) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("measure", "result", "against", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    lines = [
        f"moulin-sync sync benchmark — {sizes}; HubSpot emulator, {TIER} tier (19 calls/s); "
        f"runs {launched_by}",
        f"{facts['cpu_model']}, {facts['cores']} cores, {facts['ram_gib']} GiB, "
        f"Python {facts['python']}, polars {facts['versions']['polars']}, "
        f"dagster {facts['versions']['dagster']}",
        "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    text = "\n".join(lines)
    print(text)
    return text


# --------------------------------------------------------------------------- main
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
        help="skip the deal checks of the nightly window",
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
            load = world.run(months)
            if not load.success:
                raise RuntimeError("initial load failed: " + "; ".join(load.failures))
            records = {t: int(load.assets[f"hubspot/{t}"]["created"]) for t in OBJECT_TYPES}
            minimum = minimum_calls(records)
            write_api_calls = sum(
                load.asset_calls()[f"hubspot/{t}"]["api_calls"] for t in OBJECT_TYPES
            )
            write_s = load.seconds(WRITE_STEPS)
            floor = write_api_calls / CALLS_PER_S
            result["initial_load"] = {
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
                "minimum_floor_s": round(minimum / CALLS_PER_S, 2),
                "setup_s": round(load.seconds(SETUP_STEPS), 2),
                "wall_s": round(load.wall_s, 2),
                "rate_limited_429s": load.calls.rate_limited,
                "steps_s": {k: round(v, 2) for k, v in sorted(load.steps.items())},
                "calls_by_route": load.calls.by_route,
                "asset_calls": load.asset_calls(),
                "quarantined": {
                    t: load.assets[f"hubspot_payloads/{t}"].get("quarantined") for t in OBJECT_TYPES
                },
                "waiting": {t: load.assets[f"hubspot/{t}"].get("waiting") for t in OBJECT_TYPES},
                "rejected": {t: load.assets[f"hubspot/{t}"].get("rejected") for t in OBJECT_TYPES},
            }
            print(f"initial load: {load.wall_s:.1f} s, {load.calls.writes} writes", flush=True)
            # HubSpot's search index always exists; the emulator builds one on the first
            # search of a property: built here, untimed, so the checks pay what HubSpot's would.
            result["emulator_index_build"] = world.hubspot.admin.build_indexes(
                "deals", ["closedate"]
            )

            if args.checks:
                checks = world.run(months, checks="deals_only")
                result["checks"] = {
                    "wall_s": round(checks.wall_s, 2),
                    "read_calls": checks.calls.reads,
                    "searches": checks.calls.searches,
                    "write_calls": checks.calls.writes,
                    "steps_s": {k: round(v, 2) for k, v in sorted(checks.steps.items())},
                    "passed": checks.success and all(c["passed"] for c in checks.checks.values()),
                    "results": {k: v.get("passed") for k, v in checks.checks.items()},
                    "calls_by_route": checks.calls.by_route,
                }
                print(f"deal checks: {checks.wall_s:.1f} s", flush=True)

            # 2. Nothing changed ----------------------------------------------------
            same = world.run(months)
            result["rerun_unchanged"] = {
                "write_calls": same.calls.writes + same.calls.setup_writes,
                "read_calls": same.calls.reads,
                "wall_s": round(same.wall_s, 2),
                "hubspot_write_s": round(same.seconds(WRITE_STEPS), 2),
                "share_of_load": round(same.wall_s / load.wall_s, 4),
                "steps_s": {k: round(v, 2) for k, v in sorted(same.steps.items())},
                "calls_by_route": same.calls.by_route,
            }
            print(f"rerun of every month, nothing changed: {same.wall_s:.1f} s", flush=True)
            # The schedule's run: the previous and the current month.
            nightly = nightly_partition_keys(dt.datetime.now(dt.UTC))
            if args.months:
                nightly = [k for k in nightly if k in keys] or keys[-1:]
            window = world.run((nightly[0], nightly[-1]))
            result["nightly_unchanged"] = {
                "months": nightly,
                "write_calls": window.calls.writes + window.calls.setup_writes,
                "read_calls": window.calls.reads,
                "wall_s": round(window.wall_s, 2),
                "hubspot_write_s": round(window.seconds(WRITE_STEPS), 2),
                "share_of_load": round(window.wall_s / load.wall_s, 4),
                "steps_s": {k: round(v, 2) for k, v in sorted(window.steps.items())},
                "calls_by_route": window.calls.by_route,
            }
            print(f"nightly, nothing changed: {window.wall_s:.1f} s", flush=True)
            if not args.no_window:
                checks = world.run((nightly[0], nightly[-1]), checks="deals_only")
                floor = checks.calls.searches / SEARCH_PER_S
                # The check step against the search floor; the run's wall time beside it
                # (with --daemon it holds the launch and Dagster's start-up).
                step_s = checks.steps.get(DEAL_CHECKS_STEP, checks.wall_s)
                result["nightly_checks"] = {
                    "months": nightly,
                    "write_calls": checks.calls.writes,
                    "read_calls": checks.calls.reads,
                    "searches": checks.calls.searches,
                    "step_s": round(step_s, 2),
                    "wall_s": round(checks.wall_s, 2),
                    "search_floor_s": round(floor, 2),
                    "time_over_search_floor": ratio(step_s, floor),
                    "wall_over_search_floor": ratio(checks.wall_s, floor),
                    "steps_s": {k: round(v, 2) for k, v in sorted(checks.steps.items())},
                    "passed": checks.success and all(c["passed"] for c in checks.checks.values()),
                    "calls_by_route": checks.calls.by_route,
                }
                print(f"nightly deal checks: {checks.wall_s:.1f} s", flush=True)

            # 3. 1% changed ---------------------------------------------------------
            before = world.payload_records(keys)
            changes = change_one_percent(world, CHANGED_SHARE, args.seed)
            changed_run = world.run(months)
            changed = changed_records(before, world.payload_records(keys), world.in_hubspot())
            needed = minimum_calls(changed)
            result["nightly_one_percent"] = {
                **changes,
                "changed_records": changed,
                "write_calls": changed_run.calls.writes,
                "minimum_write_calls": needed,
                "write_calls_over_minimum": ratio(changed_run.calls.writes, needed),
                "read_calls": changed_run.calls.reads,
                "wall_s": round(changed_run.wall_s, 2),
                "hubspot_write_s": round(changed_run.seconds(WRITE_STEPS), 2),
                "updated": {
                    t: changed_run.assets[f"hubspot/{t}"].get("updated") for t in OBJECT_TYPES
                },
                "steps_s": {k: round(v, 2) for k, v in sorted(changed_run.steps.items())},
                "calls_by_route": changed_run.calls.by_route,
            }
            print(f"rerun, 1% changed: {changed_run.wall_s:.1f} s", flush=True)

            # 5. The naive way ------------------------------------------------------
            if args.naive_orders:
                naive = naive_way(world, keys, args.naive_orders)
                deal_calls = load.asset_calls()["hubspot/deals"]["write_calls"]
                deal_s = load.steps.get("hubspot__deals", 0.0)
                ours_per_order = deal_calls / max(1, records["deals"])
                naive["ours_calls_per_order"] = ours_per_order
                naive["ours_seconds_per_order"] = deal_s / max(1, records["deals"])
                naive["call_ratio"] = naive["calls_per_order"] / ours_per_order
                naive["time_ratio"] = naive["seconds_per_order"] / naive["ours_seconds_per_order"]
                naive["naive_calls_for_all_deals"] = round(
                    naive["calls_per_order"] * records["deals"]
                )
                naive["naive_hours_for_all_deals"] = round(
                    naive["seconds_per_order"] * records["deals"] / 3600, 2
                )
                result["naive"] = naive
                print(
                    f"naive way: {naive['seconds']:.1f} s for {naive['orders']} orders", flush=True
                )

        # 4. Transform throughput (a child process: its own peak memory) ------------
        if args.transform_orders:
            result["transform"] = measure_transform(world.data_dir, keys, args.transform_orders)
    finally:
        if scratch is not None:
            scratch.cleanup()

    result["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = build_rows(result)
    result["table"] = print_table(rows, facts, sizes, result["launched_by"])
    args.results.mkdir(parents=True, exist_ok=True)
    name = dt.date.today().isoformat() + ("-large" if args.large else "")
    if (args.customers, args.companies, args.orders) != (None, None, None) and not args.large:
        name += f"-{customers}-{companies}-{orders}"
    path = args.results / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"results: {path}")
    return result


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--transform-worker":
        outcome = transform_worker(sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]))
        print(json.dumps(outcome))
    else:
        main()
