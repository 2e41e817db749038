"""The sync benchmark's world: a generated source, the emulator, the state store, and its
runs (in process, or launched through the daemon), with the calls each made."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync_limits import (
    BATCH,
    HUBSPOT_DEALS,
    HUBSPOT_WRITES,
    OBJECT_TYPES,
    READ_SUFFIXES,
    TIER,
    WRITE_METHODS,
)

# The run's own events, by their stored names (Dagster still says PIPELINE_ for a run's).
RUN_EVENT_NAMES = ("PIPELINE_ENQUEUED", "PIPELINE_STARTING", "PIPELINE_START")


def _run_events() -> set[Any]:
    from dagster import DagsterEventType

    return {DagsterEventType(name) for name in RUN_EVENT_NAMES}


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
    searches_rate_limited: int = 0
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
                if route.endswith("/search"):
                    calls.searches_rate_limited += count
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


def phases(
    launched: float,
    finished: float,
    run_events: dict[str, float],
    began: dict[str, float],
    ended: dict[str, float],
) -> dict[str, float]:
    """Where a run's time went, in seconds, from the launch request to its end: the run
    made and queued (its planned materializations stored), waiting in the queue, the run
    worker starting (a new process: Python, Dagster, our definitions), before its first
    step, its steps (one after another, the gaps between them included), and after its
    last step. A phase the run did not go through (in process: no queue, no run worker:
    its start is the run's) is left out."""
    marks = [("launched", launched)]
    worker = "worker_start" if "PIPELINE_STARTING" in run_events else "run_start"
    for name, kind in (
        ("made_and_queued", "PIPELINE_ENQUEUED"),
        ("in_queue", "PIPELINE_STARTING"),
        (worker, "PIPELINE_START"),
    ):
        if kind in run_events:
            marks.append((name, run_events[kind]))
    if began:
        marks.append(("before_first_step", min(began.values())))
    if ended:
        marks.append(("steps", max(ended.values())))
    marks.append(("after_last_step", finished))
    return {
        name: round(at - previous_at, 3)
        for (_, previous_at), (name, at) in itertools.pairwise(marks)
    }


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
    # Where the run's time went, from its events (see `phases`).
    phases: dict[str, float] = field(default_factory=dict)

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
        of the job), "deals_only" (only the deal checks, assets not rematerialized), or
        "hubspot" (every check of the HubSpot records: the deal checks and each stream's
        drift check, sharing the run's search budget). In process (`dagster.materialize`),
        or launched through the daemon when the world has a `deployment`."""
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
            "hubspot": hubspot_checks,
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
            return self._read_run(self.deployment.instance, run_id, wall, success, launched_at)
        with DagsterInstance.ephemeral() as instance:
            launched_at = time.time()
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
            return self._read_run(instance, result.run_id, wall, result.success, launched_at)

    def _read_run(
        self, instance: Any, run_id: str, wall: float, success: bool, launched_at: float
    ) -> Run:
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
                *_run_events(),
            },
        )
        began: dict[str, float] = {}
        ended: dict[str, float] = {}
        run_events: dict[str, float] = {}
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
            elif kind.value in RUN_EVENT_NAMES:
                run_events.setdefault(kind.value, record.timestamp)
            elif event.step_key is None:
                continue
            elif kind == DagsterEventType.STEP_START:
                began[event.step_key] = record.timestamp
            else:
                if kind == DagsterEventType.STEP_FAILURE:
                    failures.append(f"{event.step_key}: {event.message}")
                if event.step_key in began:
                    ended[event.step_key] = record.timestamp
                    steps[event.step_key] = record.timestamp - began[event.step_key]
        return Run(
            wall_s=wall,
            steps=steps,
            assets=assets_meta,
            checks=checks_meta,
            calls=Calls.from_stats(self.hubspot.admin.stats()),
            success=success,
            failures=failures,
            phases=phases(launched_at, launched_at + wall, run_events, began, ended),
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
