"""The live sensor's lag alert: past MOULIN_LIVE_MAX_LAG, one alert (not one per tick),
again once it has fallen back and grown again; the lag is observed on hubspot/contacts."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context

from moulin_sync.defs.app_du_moulin.live import app_du_moulin_live
from moulin_sync.demo_data.generator import generate
from moulin_sync.settings import settings
from moulin_sync_tests.alerts.conftest import Slack

STAMP = "%Y-%m-%d %H:%M:%S"


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.db"
    generate(f"sqlite:///{path}", customers=20, companies=2, orders=60, seed=2,
             dirty_rate=0.0, today=dt.date(2026, 11, 27))  # fmt: skip
    monkeypatch.setenv("MOULIN_SOURCE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("MOULIN_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("MOULIN_LIVE", "on")
    monkeypatch.setenv("MOULIN_LIVE_MAX_LAG", "600")
    settings.cache_clear()
    return path


def change_an_order(source: Path, minutes_ago: float, order_offset: int) -> None:
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)).strftime(STAMP)
    with sqlite3.connect(source) as connection:
        [(order,)] = connection.execute(
            "SELECT id FROM orders ORDER BY id LIMIT 1 OFFSET ?", (order_offset,)
        ).fetchall()
        connection.execute("UPDATE orders SET updated_at = ? WHERE id = ?", (at, order))


def tick(instance: DagsterInstance, cursor: str | None):
    context = build_sensor_context(instance=instance, cursor=cursor)
    return app_du_moulin_live.evaluate_tick(context)


def test_a_change_waiting_past_the_limit_is_alerted_once(
    source: Path, slack: Slack, alerting: None
) -> None:
    with DagsterInstance.ephemeral() as instance:
        started = tick(instance, None)
        assert not started.run_requests and slack.posts == []
        # A change committed 15 minutes ago (a transaction held open, a clock behind).
        change_an_order(source, 15, 0)
        late = tick(instance, started.cursor)
        assert len(late.run_requests) == 1
        [post] = slack.posts
        assert "oldest change of the App du Moulin not yet in HubSpot was made 90" in post["text"]
        assert "MOULIN_LIVE_MAX_LAG (600 s)" in post["text"]
        [observed] = late.asset_events
        assert observed.asset_key.path == ["hubspot", "contacts"]
        assert observed.metadata["live_lag_s"].value >= 900
        # Still late (another old change): no second alert.
        change_an_order(source, 14, 1)
        again = tick(instance, late.cursor)
        assert len(again.run_requests) == 1 and len(slack.posts) == 1
        # Back under the limit, then late again: alerted again.
        quiet = tick(instance, again.cursor)
        assert quiet.skip_message.startswith("nothing changed; lag 0 s")
        change_an_order(source, 11, 2)
        tick(instance, quiet.cursor)
        assert len(slack.posts) == 2
