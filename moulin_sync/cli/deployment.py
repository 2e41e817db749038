"""`moulin-sync up` / `down` (`make up` / `make down`): the production deployment on this
machine — dagster-webserver and dagster-daemon on the production `dagster.yaml`, against
PostgreSQL, schedules on, live sync on (MOULIN_LIVE=on unless set) — left running in the background until `down`.

PostgreSQL is the local one unless `DAGSTER_PG_*` say otherwise; its database is created
when missing. Each process runs in its own process group (dagster-webserver and
dagster-daemon may ignore SIGTERM in the background, so `down` ends each whole group),
with its log under `.moulin/production/`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import click

ROOT = Path(".moulin/production")
PG_DEFAULTS = {
    "DAGSTER_PG_HOST": "127.0.0.1",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_USER": "postgres",
    "DAGSTER_PG_PASSWORD": "",
    "DAGSTER_PG_DB": "moulin_dagster",
}


def _pids_file(root: Path) -> Path:
    return root / "pids.json"


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def ensure_database(env: dict[str, str]) -> None:
    """Create the Dagster database when it is missing; one line naming the setting when
    PostgreSQL does not answer."""
    import psycopg2
    from psycopg2 import sql

    where = f"{env['DAGSTER_PG_HOST']}:{env['DAGSTER_PG_PORT']}"
    try:
        connection = psycopg2.connect(
            host=env["DAGSTER_PG_HOST"], port=int(env["DAGSTER_PG_PORT"]),
            user=env["DAGSTER_PG_USER"], password=env["DAGSTER_PG_PASSWORD"] or None,
            dbname="postgres", connect_timeout=5,
        )  # fmt: skip
    except psycopg2.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(
            f"DAGSTER_PG_HOST: PostgreSQL at {where} does not answer ({first}). Start it, or "
            "set DAGSTER_PG_HOST, DAGSTER_PG_PORT, DAGSTER_PG_USER and DAGSTER_PG_PASSWORD."
        ) from None
    connection.autocommit = True  # CREATE DATABASE runs outside a transaction
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (env["DAGSTER_PG_DB"],))
        if cursor.fetchone() is None:
            cursor.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(env["DAGSTER_PG_DB"]))
            )
    connection.close()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--dir", "root", default=str(ROOT), show_default=True, type=click.Path(path_type=Path)
)
def up(host: str, port: int, root: Path) -> None:
    """Start the Dagster webserver and daemon on PostgreSQL, schedules on, in the background."""
    from moulin_sync.cli.demo_ui import UINotUp, dagster_commands, wait_until_up

    root.mkdir(parents=True, exist_ok=True)
    pids = _pids_file(root)
    if pids.exists() and any(_alive(pid) for pid in json.loads(pids.read_text()).values()):
        raise click.ClickException(f"already up (see {pids}); `moulin-sync down` stops it")
    config = Path("dagster.yaml")
    if not config.is_file():
        raise click.ClickException(
            "dagster.yaml: the production instance file is not here; run `make up` from the "
            "moulin-sync folder"
        )
    home = Path(os.environ.get("DAGSTER_HOME") or root / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(config, home / "dagster.yaml")
    # Live sync is on in production unless MOULIN_LIVE says otherwise (off in the demo).
    env = {**PG_DEFAULTS, "MOULIN_LIVE": "on", **os.environ, "DAGSTER_HOME": str(home)}
    ensure_database(env)
    if env["MOULIN_LIVE"] == "on":
        _warn_missing_live_indexes()
    commands = dagster_commands(root, host, port)
    processes = {}
    for name, command in commands.items():
        with (root / f"{name}.log").open("ab") as log:
            processes[name] = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
    pids.write_text(json.dumps({name: p.pid for name, p in processes.items()}))
    url = f"http://{host}:{port}"
    try:
        wait_until_up(url, processes, root)
    except UINotUp as exc:
        _stop(root)
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Dagster UI: {url}  (instance {home}, PostgreSQL database {env['DAGSTER_PG_DB']} on "
        f"{env['DAGSTER_PG_HOST']}:{env['DAGSTER_PG_PORT']}; logs in {root}; "
        "`make down` stops it)"
    )


def _warn_missing_live_indexes() -> None:
    """Each index live sync needs and the source lacks, named with its statement."""
    from moulin_sync.settings import SettingsError, load_settings
    from moulin_sync.sources.indexes import live_index_warnings

    try:
        warnings = live_index_warnings(load_settings())
    except SettingsError:
        return  # the daemon's code server says which setting, in the UI
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command()
@click.option(
    "--dir", "root", default=str(ROOT), show_default=True, type=click.Path(path_type=Path)
)
def down(root: Path) -> None:
    """Stop what `moulin-sync up` started."""
    if not _pids_file(root).exists():
        click.echo("nothing is up")
        return
    _stop(root)
    click.echo("stopped the Dagster webserver and daemon")


def _stop(root: Path, grace: float = 10.0) -> None:
    """SIGTERM each process group, SIGKILL what is left after `grace` seconds."""
    pids = list(json.loads(_pids_file(root).read_text()).values())
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    _pids_file(root).unlink(missing_ok=True)
