"""The App du Moulin as a source: Le Moulin's back-office database, read only, always on.
Its setting is the database's URL (MOULIN_SOURCE_URL, of the shared settings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from moulin_sync.sources.spec import Frames, LiveChanges, LiveFeed, Scope, SourceSpec

if TYPE_CHECKING:
    from moulin_sync.settings import MoulinSettings

NAME = "app_du_moulin"


def _url(scope: Scope) -> str:
    return str(scope.config[NAME])


def _tables(scope: Scope) -> Frames:
    from moulin_sync.sources.app_du_moulin.reader import SourceReader
    from moulin_sync.sources.app_du_moulin.tables import SourceTables

    return SourceTables(SourceReader(_url(scope)), scope.months, scope.timezone, scope.now)


def _customer(scope: Scope) -> Frames:
    from moulin_sync.sources.app_du_moulin.one_customer import OneCustomerTables
    from moulin_sync.sources.app_du_moulin.reader import SourceReader

    assert scope.customer_id is not None, "one customer's tables need the customer's id"
    reader = SourceReader(_url(scope))
    return OneCustomerTables(reader, scope.customer_id, scope.timezone, scope.now)


def _probe(url: str) -> None:
    from moulin_sync.sources.app_du_moulin.reader import SourceReader

    SourceReader(url).check()


def _month_changes(url: str, timezone: str) -> pl.DataFrame:
    from moulin_sync.sources.app_du_moulin.changes import order_changes
    from moulin_sync.sources.app_du_moulin.reader import SourceReader

    reader = SourceReader(url)
    reader.check()
    return order_changes(reader, timezone)


def _live_start(url: str) -> dict[str, Any]:
    from moulin_sync.sources.app_du_moulin.live import start

    return start(url)


def _live_changes(url: str, cursor: Mapping[str, Any], limit: int) -> LiveChanges:
    from moulin_sync.sources.app_du_moulin.live import changes

    return changes(url, cursor, limit)


def _live_missing_indexes(url: str) -> list[str]:
    from moulin_sync.sources.app_du_moulin.live import missing_indexes

    return missing_indexes(url)


def _config(settings: MoulinSettings) -> str:
    return settings.source_url


APP_DU_MOULIN = SourceSpec(
    name=NAME,
    label="App du Moulin",
    config=_config,
    enabled=lambda: True,
    tables=_tables,
    customer=_customer,
    probe=_probe,
    resource_key="source",
    month_changes=_month_changes,
    live=LiveFeed(
        tables=("customers", "erasures", "anonymizations", "orders", "companies", "company_links"),
        start=_live_start,
        changes=_live_changes,
        missing_indexes=_live_missing_indexes,
    ),
)
