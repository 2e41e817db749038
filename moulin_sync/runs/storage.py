"""The production instance's PostgreSQL storage, kept connected and writing in batches.

Dagster's PostgreSQL storage opens a new connection for every statement outside the
webserver: each event of a run (a step's start, input, output, success, each month's
materialization) costs a connection, which PostgreSQL serves by starting a process. A
run of the nightly job stores a few hundred events: on a 2-core machine that was most
of a nothing-changed run. This storage holds one connection per process, as Dagster's
webserver does (`optimize_for_webserver`: one kept, more opened while threads need them,
closed after use), and turns on Dagster's batched writes, so a step's materializations
of many months go in one insert, as do the materializations a run plans at its launch.

dagster.yaml selects it (`storage: custom:`); its config is `storage: postgres:`'s.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

# Dagster reads its batch size from the environment only, at every event: set here, it
# holds for every process using this instance (webserver, daemon, code server, run
# worker); an operator's own value wins. A batch ends with its step's output.
EVENT_BATCH_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"
EVENT_BATCH_SIZE = "1000"
# The webserver's own defaults (`dagster-webserver --db-pool-*`), no statement timeout.
POOL_RECYCLE_S = 3600
POOL_MAX_OVERFLOW = 20
NO_STATEMENT_TIMEOUT = 0


class PooledPostgresStorage(DagsterPostgresStorage):
    """`DagsterPostgresStorage` with a kept connection and batched event writes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        os.environ.setdefault(EVENT_BATCH_VARIABLE, EVENT_BATCH_SIZE)
        for storage in (self.run_storage, self.event_log_storage, self.schedule_storage):
            storage.optimize_for_webserver(
                statement_timeout=NO_STATEMENT_TIMEOUT,
                pool_recycle=POOL_RECYCLE_S,
                max_overflow=POOL_MAX_OVERFLOW,
            )

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: Any, config_value: Mapping[str, Any]
    ) -> PooledPostgresStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )
