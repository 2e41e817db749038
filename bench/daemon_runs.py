"""Runs launched as production launches them: through the webserver to the daemon.

`moulin-sync up` starts dagster-webserver and dagster-daemon on the production
`dagster.yaml` against a fresh PostgreSQL database, with the settings pointing at the
benchmark's world. A run is launched with the GraphQL `launchRun` mutation (queued; the
daemon starts its run worker, as it does for a schedule's tick) and timed from the launch
request to the run's end, so Dagster's start-up is in the figure.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

from moulin_sync.cli.deployment import PG_DEFAULTS
from moulin_sync.testing.deployment import running_deployment

ROOT = Path(__file__).resolve().parent.parent
JOB = "nightly_sync"
RUN_TIMEOUT_S = 3 * 3600
# The local PostgreSQL `moulin-sync up` uses by default; each benchmark a database of its own.
PG = {k: v for k, v in PG_DEFAULTS.items() if k != "DAGSTER_PG_DB"}


class Deployment:
    """The production deployment over a benchmark world; a context manager (`up` … `down`)."""

    def __init__(self, root: Path, settings: dict[str, str]) -> None:
        self.root = root / "production"
        self.database = f"moulin_bench_{uuid.uuid4().hex[:8]}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "MOULIN_"))},
            **PG,
            # The benchmark times its own runs: no live run beside them unless it asks.
            "MOULIN_LIVE": "off",
            **settings,
            "DAGSTER_PG_DB": self.database,
            "DAGSTER_HOME": str(self.root / "dagster_home"),
        }
        self.instance: Any = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Deployment:
        from dagster import DagsterInstance

        self._stack.callback(self._drop_database)
        self.deployment = self._stack.enter_context(
            running_deployment(self.root, self.env, cwd=ROOT)
        )
        # This process reads the runs from the same PostgreSQL database as the daemon.
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("DAGSTER_PG_")})
        self.instance = DagsterInstance.from_config(self.env["DAGSTER_HOME"])
        self._stack.callback(self.instance.dispose)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def launch(
        self,
        assets: list[list[str]],
        checks: list[tuple[list[str], str]],
        tags: dict[str, str],
        run_config: dict[str, Any],
    ) -> tuple[str, float]:
        """Queue a run of the nightly job for these assets and checks; (run id, launch time)."""
        launched_at = time.time()
        run_id = self.deployment.launch_run(
            JOB, tags, assets=assets, checks=checks, run_config=run_config
        )
        return run_id, launched_at

    def wait(self, run_id: str, launched_at: float) -> tuple[bool, float]:
        """(succeeded, seconds from the launch request to the run's end)."""
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            record = self.instance.get_run_record_by_id(run_id)
            if record is not None and record.dagster_run.is_finished:
                end = record.end_time or time.time()
                return record.dagster_run.is_success, end - launched_at
            time.sleep(0.5)
        raise TimeoutError(f"run {run_id} did not finish within {RUN_TIMEOUT_S} s")

    def _drop_database(self) -> None:
        import psycopg2

        connection = psycopg2.connect(
            host=PG["DAGSTER_PG_HOST"], port=int(PG["DAGSTER_PG_PORT"]),
            user=PG["DAGSTER_PG_USER"], dbname="postgres", connect_timeout=5,
        )  # fmt: skip
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        connection.close()
