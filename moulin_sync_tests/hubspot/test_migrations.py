"""The state store's migrations: an empty store, a store made before migrations (each
schema a release left), one at head, one a newer release wrote, two processes at once,
and `moulin-sync migrate` — on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, event, inspect, text
from sqlalchemy.engine import Engine, make_url

from moulin_sync.cli import main
from moulin_sync.hubspot.sync import migrate
from moulin_sync.hubspot.sync.state import StateStoreError, SyncState
from moulin_sync.hubspot.sync.state_db import connect, metadata

OLD_RELEASES = {
    # release → (key column, added columns, bookkeeping tables, revision it matches)
    "keyed by object type": ("object_type", (), False, "0001_baseline"),
    "baseline": ("stream", (), False, "0001_baseline"),
    "fingerprints": ("stream", ("fingerprints",), False, "0002_fingerprints"),
    "drift": ("stream", ("fingerprints", "drift"), True, "0003_drift"),
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a store not made yet (SQLite: no file; PostgreSQL: an empty database)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = connect(store_url)
    yield engine
    engine.dispose()


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": migrate.VERSION_TABLE}
        )
        return compare_metadata(context, metadata)


def _old_record_columns(key: str) -> list[Column[Any]]:
    """sync_records' columns as the releases before migrations made them (their
    `metadata.create_all` on opening), frozen here; `key`: the stream's column."""
    return [
        Column(key, String(32), primary_key=True),
        Column("source_key", String(64), primary_key=True),
        Column("hubspot_id", String(32)),
        Column("payload_hash", String(64)),
        Column("link_key", Text()),
        Column("status", String(16), nullable=False),
        Column("last_error", Text()),
        Column("synced_at", DateTime(timezone=True)),
        Column("error_at", DateTime(timezone=True)),
        Column("partition_key", String(16)),
    ]


def _make_old_store(engine: Engine, release: str) -> None:
    """The store that release made, with a row in it."""
    key, added, bookkeeping, _ = OLD_RELEASES[release]
    old = MetaData()
    Table(
        "sync_records",
        old,
        *_old_record_columns(key),
        *(Column(name, Text()) for name in added),
    )
    if bookkeeping:
        Table(
            "synced_months",
            old,
            Column("stream", String(32), primary_key=True),
            Column("partition_key", String(16), primary_key=True),
            Column("source_as_of", DateTime(timezone=True), nullable=False),
        )
        Table(
            "drift_checks",
            old,
            Column("stream", String(32), primary_key=True),
            Column("checked_to", DateTime(timezone=True), nullable=False),
        )
    old.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO sync_records ({key}, source_key, hubspot_id, payload_hash, status) "
                "VALUES ('deals', '42', '9042', 'h42', 'synced')"
            )
        )


def test_head_is_the_newest_script() -> None:
    assert migrate.head_revision() == migrate.HEAD
    assert migrate.known_revisions() == {
        "0001_baseline",
        "0002_fingerprints",
        "0003_drift",
        "0004_read_times",
    }


def test_an_empty_store_is_made_at_head_as_state_db_describes(
    store_url: str, engine: Engine
) -> None:
    done = migrate.upgrade_to_head(engine)
    assert (done.before, done.after, done.stamped) == (None, migrate.HEAD, False)
    assert migrate.current_revision(engine) == migrate.HEAD
    assert _differences(engine) == []
    with SyncState(store_url) as state:
        assert state.load("deals").height == 0


@pytest.mark.parametrize("release", OLD_RELEASES)
def test_a_store_made_before_migrations_is_stamped_then_upgraded(
    store_url: str, engine: Engine, release: str
) -> None:
    _make_old_store(engine, release)
    assert migrate.current_revision(engine) is None
    matched = OLD_RELEASES[release][3]
    done = migrate.upgrade_to_head(engine)
    assert (done.before, done.after, done.stamped) == (matched, migrate.HEAD, True)
    assert migrate.current_revision(engine) == migrate.HEAD
    assert _differences(engine) == []
    with SyncState(store_url) as state:
        assert state.hubspot_ids("deals", ["42"]) == {"42": "9042"}
        assert state.fingerprints_of("deals", ["42"]) == {"42": None}
        row = state.load("deals").row(0, named=True)
        assert (row["payload_hash"], row["status"]) == ("h42", "synced")
    with engine.connect() as connection:
        drift = connection.execute(text("SELECT drift FROM sync_records")).scalar_one()
    assert drift is None


def test_a_store_at_head_is_opened_with_one_query_and_no_ddl(
    store_url: str, engine: Engine
) -> None:
    SyncState(store_url).close()
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        done = migrate.upgrade_to_head(engine)
        SyncState(store_url).close()
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert done.describe() == f"already at head {migrate.HEAD}"
    select_version = f"SELECT version_num FROM {migrate.VERSION_TABLE}"
    assert statements == [select_version, select_version]


def test_a_store_a_newer_release_wrote_is_refused_in_one_line(
    store_url: str, engine: Engine
) -> None:
    migrate.upgrade_to_head(engine)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '0099_later'"))
    with pytest.raises(StateStoreError) as refused:
        SyncState(store_url, retry_delays_s=())
    message = str(refused.value)
    assert message.startswith("MOULIN_STATE_URL: cannot open the sync state store")
    assert "'0099_later'" in message and "Upgrade moulin-sync" in message
    assert "\n" not in message
    assert migrate.current_revision(engine) == "0099_later"  # left as it was


def test_without_create_a_missing_store_is_an_error_and_stays_missing(
    store_url: str, engine: Engine
) -> None:
    if store_url.startswith("sqlite"):
        with pytest.raises(StateStoreError, match="no sync state"):
            SyncState(store_url, create=False)
        assert not Path(store_url.removeprefix("sqlite:///")).exists()
        engine.connect().close()  # an empty file: a store still not made
    with pytest.raises(StateStoreError, match="no sync state"):
        SyncState(store_url, create=False)
    assert inspect(engine).get_table_names() == []


def test_an_older_store_opened_without_create_is_upgraded(store_url: str, engine: Engine) -> None:
    _make_old_store(engine, "fingerprints")
    with SyncState(store_url, create=False) as state:
        assert state.hubspot_ids("deals", ["42"]) == {"42": "9042"}
    assert migrate.current_revision(engine) == migrate.HEAD


_OPEN_AT = """
import sys, time
from moulin_sync.hubspot.sync.migrate import upgrade_to_head
from moulin_sync.hubspot.sync.state_db import connect
engine = connect(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
print(upgrade_to_head(engine).describe())
"""


def test_processes_opening_a_new_store_at_once_migrate_it_once(store_url: str) -> None:
    start = time.time() + 4.0  # every process imported and waiting by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_AT, store_url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [process.communicate(timeout=60) for process in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [err for _, err in outcomes]
    said = sorted(out.strip() for out, _ in outcomes)
    assert said == [
        f"already at head {migrate.HEAD}",
        f"already at head {migrate.HEAD}",
        f"upgraded empty store → {migrate.HEAD} (head)",
    ]


def test_downgrades_undo_each_revision(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'state.db'}")
    migrate.upgrade_to_head(engine)
    with engine.begin() as connection:
        command.downgrade(migrate._config(connection), "base")
        assert set(inspect(connection).get_table_names()) == {migrate.VERSION_TABLE}
    migrate.upgrade_to_head(engine)
    assert _differences(engine) == []
    engine.dispose()


def test_the_migrate_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    runner = CliRunner()
    shown = runner.invoke(main, ["migrate", "--show", "--state-url", url])
    assert shown.exit_code == 0 and "no store yet" in shown.output
    assert not (tmp_path / "state.db").exists()
    # The store MOULIN_STATE_URL names, by default.
    monkeypatch.setenv("MOULIN_STATE_URL", url)
    done = runner.invoke(main, ["migrate"])
    assert done.exit_code == 0, done.output
    assert done.output == f"state store at {url}: upgraded empty store → {migrate.HEAD} (head)\n"
    again = runner.invoke(main, ["migrate"])
    assert again.output == f"state store at {url}: already at head {migrate.HEAD}\n"
    shown = runner.invoke(main, ["migrate", "--show"])
    assert shown.output == f"state store at {url}: at head {migrate.HEAD}\n"


def test_migrate_shows_a_store_made_before_migrations_without_changing_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = connect(url)
    _make_old_store(engine, "fingerprints")
    shown = CliRunner().invoke(main, ["migrate", "--show", "--state-url", url])
    assert "made before migrations, matches 0002_fingerprints" in shown.output
    assert migrate.current_revision(engine) is None
    done = CliRunner().invoke(main, ["migrate", "--state-url", url])
    assert "upgraded 0002_fingerprints (made before migrations, stamped) → 0004_read_times" in (
        done.output
    )
    engine.dispose()


def test_migrate_refuses_a_newer_store_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = connect(url)
    migrate.upgrade_to_head(engine)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '0099_later'"))
    engine.dispose()
    command_path = Path(sys.executable).with_name("moulin-sync")
    env = {**os.environ, "MOULIN_STATE_URL": url}
    env.pop("MOULIN_DEBUG", None)
    refused = subprocess.run(
        [str(command_path), "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stderr
    assert lines[0].startswith("Error: MOULIN_STATE_URL: cannot open the sync state store")
    assert "'0099_later'" in lines[0]
    shown = CliRunner().invoke(main, ["migrate", "--show", "--state-url", url])
    assert "at 0099_later, unknown to this release" in shown.output


@pytest.mark.postgres
def test_migrate_names_the_option_of_a_store_it_cannot_reach(postgres_server: str) -> None:
    missing = make_url(postgres_server).set(database="moulin_no_such_db", password="pw-s3cret")
    url = missing.render_as_string(hide_password=False)
    failed = CliRunner().invoke(main, ["migrate", "--state-url", url])
    assert failed.exit_code == 1 and len(failed.output.strip().splitlines()) == 1
    assert failed.output.startswith("Error: --state-url: cannot migrate the sync state store")
    assert "pw-s3cret" not in failed.output and "***" in failed.output
