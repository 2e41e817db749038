"""Where the rows go: a SQLite file or a PostgreSQL database, loaded in one transaction
(tables first, indexes last), fed from a background thread by `BackgroundWriter`."""

from __future__ import annotations

import io
import queue
import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from moulin_sync.demo_data.model import Row
from moulin_sync.demo_data.world import GeneratorError
from moulin_sync.sources.app_du_moulin.schema import (
    TABLE_NAMES,
    index_statements,
    make_engine,
    metadata,
    normalize_url,
    table_statements,
)


class Target(Protocol):
    """One database to fill: checked, begun, written table by table, then finished or aborted."""

    shown_url: str
    """The URL with its password hidden."""

    def refuse_or_clear(self, replace: bool) -> None:
        """Refuse (GeneratorError) if the tables hold rows, unless `replace`: then drop them."""

    def begin(self) -> None:
        """Open the transaction and create the tables."""

    def write(self, table: str, rows: list[Row]) -> None:
        """Insert `rows`, each in the table's column order."""

    def finish(self) -> None:
        """Build the indexes and commit."""

    def abort(self) -> None:
        """Leave the database as it was, as far as possible."""


def open_target(url: str) -> Target:
    """The target for a `sqlite:///` or `postgresql://` URL (GeneratorError if malformed)."""
    try:
        parsed = normalize_url(url)
    except Exception as error:
        raise GeneratorError(f"bad database URL {url!r}: {error}") from error
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        return SQLiteTarget(parsed, shown)
    return PostgresTarget(parsed, shown)


def _refusal(url: str, filled: dict[str, int]) -> GeneratorError:
    listing = ", ".join(f"{table}: {rows:,} rows" for table, rows in filled.items())
    return GeneratorError(
        f"{url} already holds App du Moulin data ({listing}). "
        "Refusing to overwrite it; pass --replace (replace=True) to drop and recreate "
        "the five tables."
    )


class SQLiteTarget:
    """A SQLite file, written without a journal: removed again if the run fails."""

    def __init__(self, url: URL, shown_url: str) -> None:
        database = url.database
        if not database or database == ":memory:":
            raise GeneratorError(f"{shown_url}: demo data needs a file database, not in-memory")
        self.path = Path(database)
        self.shown_url = shown_url
        self.created_file = False
        self.connection: sqlite3.Connection | None = None
        self.inserts = {
            name: f"INSERT INTO {name} VALUES ({', '.join('?' * len(metadata.tables[name].c))})"
            for name in TABLE_NAMES
        }

    def refuse_or_clear(self, replace: bool) -> None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        connection = sqlite3.connect(self.path)
        try:
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError as error:
                raise GeneratorError(
                    f"{self.shown_url}: {self.path} exists and is not a SQLite database ({error})"
                ) from error
            names = {
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            }
            ours = [name for name in TABLE_NAMES if name in names]
            filled = {
                name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                for name in ours
            }
            filled = {name: rows for name, rows in filled.items() if rows}
            if filled and not replace:
                raise _refusal(self.shown_url, filled)
            if names <= set(TABLE_NAMES):
                # Nothing else lives here: start from a new file, so the result is
                # byte-identical to a first generation.
                connection.close()
                self.path.unlink()
                return
            for name in reversed(TABLE_NAMES):
                connection.execute(f"DROP TABLE IF EXISTS {name}")
            connection.commit()
            connection.execute("VACUUM")
        finally:
            connection.close()

    def begin(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.created_file = not self.path.exists()
        # Written from the background writer thread, one thread at a time.
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # A generator's output is disposable: no journal, no fsync, big cache.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")
        connection.execute("PRAGMA temp_store = MEMORY")
        # Helper threads for the sorts of CREATE INDEX; the resulting b-trees are the same.
        connection.execute("PRAGMA threads = 2")
        connection.execute("BEGIN")
        for statement in table_statements("sqlite"):
            connection.execute(statement)
        self.connection = connection

    def write(self, table: str, rows: list[Row]) -> None:
        assert self.connection is not None
        self.connection.executemany(self.inserts[table], rows)

    def finish(self) -> None:
        assert self.connection is not None
        for statement in index_statements("sqlite"):
            self.connection.execute(statement)
        self.connection.execute("COMMIT")
        self._close()

    def abort(self) -> None:
        self._close()
        # Without a journal a half-written file cannot be rolled back: remove it.
        if self.created_file and self.path.exists():
            self.path.unlink()

    def _close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _pg_column_kinds(table: str) -> list[str]:
    kinds = []
    for column in metadata.tables[table].c:
        type_name = type(column.type).__name__
        kinds.append(
            "ts" if type_name == "DateTime" else "bool" if type_name == "Boolean" else "other"
        )
    return kinds


def _pg_text(value: str) -> str:
    # COPY text format: backslash escapes for the characters that delimit fields/rows.
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


class PostgresTarget:
    """A PostgreSQL database, loaded with COPY in one transaction."""

    def __init__(self, url: URL, shown_url: str) -> None:
        self.url = url
        self.shown_url = shown_url
        self.engine = make_engine(url)
        self.raw: Any = None
        self.cursor: Any = None
        self.kinds = {name: _pg_column_kinds(name) for name in TABLE_NAMES}

    def refuse_or_clear(self, replace: bool) -> None:
        try:
            with self.engine.begin() as connection:
                inspector = inspect(connection)
                ours = [name for name in TABLE_NAMES if inspector.has_table(name)]
                filled: dict[str, int] = {}
                for name in ours:
                    rows = connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                    if rows:
                        filled[name] = rows
                if filled and not replace:
                    raise _refusal(self.shown_url, filled)
                for name in reversed(TABLE_NAMES):
                    if name in ours:
                        connection.execute(text(f"DROP TABLE {name}"))
        except GeneratorError:
            self.engine.dispose()
            raise
        except Exception as error:
            self.engine.dispose()
            raise GeneratorError(f"cannot use {self.shown_url}: {error}") from error

    def begin(self) -> None:
        self.raw = self.engine.raw_connection()
        self.raw.driver_connection.set_client_encoding("UTF8")
        self.cursor = self.raw.cursor()
        self.cursor.execute("SET TIME ZONE 'UTC'")
        for statement in table_statements("postgresql"):
            self.cursor.execute(statement)

    def write(self, table: str, rows: list[Row]) -> None:
        # COPY is the fastest way in; its text format is written here field by field.
        kinds = self.kinds[table]
        buffer = io.StringIO()
        for row in rows:
            fields = []
            for kind, value in zip(kinds, row, strict=True):
                if value is None:
                    fields.append("\\N")
                elif kind == "ts":
                    fields.append(value + "+00")
                elif kind == "bool":
                    fields.append("t" if value else "f")
                elif isinstance(value, str):
                    fields.append(_pg_text(value))
                else:
                    fields.append(str(value))
            buffer.write("\t".join(fields))
            buffer.write("\n")
        buffer.seek(0)
        self.cursor.copy_expert(f"COPY {table} FROM STDIN", buffer)

    def finish(self) -> None:
        for statement in index_statements("postgresql"):
            self.cursor.execute(statement)
        self.raw.commit()
        self.cursor.close()
        self.raw.close()
        self.engine.dispose()

    def abort(self) -> None:
        if self.raw is not None:
            self.raw.rollback()
            self.raw.close()
        self.engine.dispose()


class BackgroundWriter:
    """Inserts chunks on a second thread while the main thread generates the next one.

    sqlite3 and psycopg2 release the GIL while the database works, so on two cores
    generation and insertion overlap. Chunks are written strictly in the order they
    were queued, so the database is exactly what inline writes would give.
    """

    def __init__(self, target: Target) -> None:
        self._target = target
        # Two chunks in flight at most: bounded memory, and enough to keep both busy.
        self._queue: queue.Queue[tuple[str, list[Row]] | None] = queue.Queue(2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="moulin-demo-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:  # after a failure, keep draining so put() never blocks
                try:
                    self._target.write(*item)
                except BaseException as error:
                    self._error = error

    def write(self, table: str, rows: list[Row]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((table, rows))

    def close(self, *, raise_error: bool = True) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if raise_error and self._error is not None:
            raise self._error
